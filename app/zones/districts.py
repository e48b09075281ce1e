"""Districts: creating and editing them (unique name and code)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import uow
from app.accounts.models import User
from app.audit import services as audit
from app.errors import AppError, NotFound
from app.extensions import db
from app.zones.models import District
from app.zones.registry import invalidate_cache

DISTRICT_FIELDS = ("name", "code", "kind", "sort_order", "is_active")


def create_district(data: dict[str, Any], actor: User) -> District:
    district = District(**data)
    _unique_district(district)
    db.session.add(district)
    _save_district(flush_only=True)
    audit.record(actor, "district.create", "district", district.id, None, audit.snapshot(district, DISTRICT_FIELDS))
    _save_district()
    return district


def update_district(district_id: int, changes: dict[str, Any], actor: User) -> District:
    district = db.session.get(District, district_id)
    if district is None:
        raise NotFound("县（市）区不存在")
    before = audit.snapshot(district, DISTRICT_FIELDS)
    for field, value in changes.items():
        setattr(district, field, value)
    _unique_district(district)
    audit.record(actor, "district.update", "district", district.id, before, audit.snapshot(district, DISTRICT_FIELDS))
    _save_district()
    return district


class DuplicateDistrict(AppError):
    status = 409
    code = "duplicate_district"
    message = "名称或区划代码已存在"


def _unique_district(district: District) -> None:
    with db.session.no_autoflush:  # compare against what is stored, before our change is flushed
        clash = db.session.scalar(
            select(District.id).where(
                ((District.name == district.name) | ((District.code == district.code) & District.code.is_not(None))),
                District.id != district.id if district.id else True,
            )
        )
    if clash is not None:
        raise DuplicateDistrict()


def _save_district(flush_only: bool = False) -> None:
    try:
        if flush_only:
            db.session.flush()
        else:
            invalidate_cache()
            uow.commit()
    except IntegrityError as exc:  # the same name saved a moment ago by someone else
        db.session.rollback()
        raise DuplicateDistrict() from exc
