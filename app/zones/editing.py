"""Recording and editing zones: applicant kind, indicators, unique names, the audited fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from app import uow
from app.accounts.models import User
from app.audit import services as audit
from app.db_types import utcnow
from app.errors import AppError, ValidationFailed
from app.extensions import db
from app.zones import lifecycle
from app.zones.constants import (
    APPLICANT_KINDS,
    DEFAULT_DEPARTMENT,
    INDICATORS,
    ApplicantKind,
    Status,
    ZoneType,
)
from app.zones.models import District, Zone, ZoneIndicator, ZoneTransition
from app.zones.registry import indicator_view, invalidate_cache, search_text_of
from app.zones.scope import ensure_may_act_on, ensure_may_handle, hidden_from
from app.zones.validation import department_error, name_key

# What the audit log keeps of a zone, before and after each change.
AUDITED_FIELDS = (
    "name",
    "type",
    "level",
    "status",
    "district_id",
    "applicant_name",
    "applicant_kind",
    "batch_year",
    "department",
    "address",
    "latitude",
    "longitude",
    "cover_image_url",
    "summary",
    "description",
    "is_education_base",
)


def district_of(district_id: int) -> District:
    district = db.session.get(District, district_id)
    if district is None or not district.is_active:
        raise ValidationFailed(details={"district_id": ["未知的县（市）区或开发区"]})
    return district


def _check_applicant_kind(zone_type: str, kind: str) -> None:
    allowed = APPLICANT_KINDS[ZoneType(zone_type)]
    if ApplicantKind(kind) not in allowed:
        raise ValidationFailed(
            details={"applicant_kind": [f"该类型的申报主体须为：{', '.join(k.value for k in allowed)}"]}
        )


def _apply_indicators(zone: Zone, indicators: list[dict[str, Any]]) -> None:
    allowed = {d.key: position for position, d in enumerate(INDICATORS[ZoneType(zone.type)])}
    errors = {}
    for index, item in enumerate(indicators):
        if "key" not in item:  # a PATCH's partial load leaves even a nested item's key optional
            errors[str(index)] = {"key": ["缺少必填字段"]}
        elif item["key"] not in allowed:
            errors[str(index)] = [f"该类型的指标须为：{', '.join(allowed)}"]
    if errors:
        raise ValidationFailed(details={"indicators": errors})
    existing = {i.key: i for i in zone.indicators}
    for item in indicators:
        row = existing.get(item["key"])
        if row is None:
            row = ZoneIndicator(key=item["key"], position=allowed[item["key"]])
            zone.indicators.append(row)
        for field in ("baseline_value", "baseline_year", "latest_value", "latest_year"):
            if field in item:
                setattr(row, field, item[field])


def refresh_search_text(zone: Zone) -> None:
    zone.search_text = search_text_of(zone.name, zone.applicant_name, zone.address)


def name_clash(batch_year: int, name: str, but: int | None = None) -> int | None:
    """The zone of the batch whose name reads the same as `name` (name_key: full-width and ASCII,
    case, spacing alike), or None. Compared here, not in SQL: the database cannot normalise NFKC."""
    key = name_key(name)
    with db.session.no_autoflush:  # compare against what is stored, before our change is flushed
        rows = db.session.execute(select(Zone.id, Zone.name).where(Zone.batch_year == batch_year)).all()
    return next((zone_id for zone_id, other in rows if zone_id != but and name_key(other) == key), None)


def _unique_name(zone: Zone, actor: User | None) -> None:
    clash = name_clash(zone.batch_year, zone.name, zone.id)
    if clash is None:
        return
    # The refusal stands either way; which zone it is only for a caller who may know of that zone.
    with db.session.no_autoflush:  # our change is not written before it is accepted
        other = db.session.get(Zone, clash)
    shown = actor is None or not hidden_from(actor, other)
    raise AppError(
        "同一批次中已有同名示范区项目", code="duplicate_zone", status=409, details={"zone_id": clash} if shown else {}
    )


def _check_department(zone_type: str, department: str) -> None:
    problem = department_error(zone_type, department)
    if problem:
        raise ValidationFailed(details={"department": [problem]})


def create_zone(data: dict[str, Any], actor: User | None) -> Zone:
    """Use case: a new application (status `applied`), with its first timeline entry."""
    zone = add_zone(data, actor)
    uow.commit()
    return zone


def add_zone(data: dict[str, Any], actor: User | None, *, at: datetime | None = None) -> Zone:
    """Step (no commit), for create_zone and for batch use cases (import, demo data)."""
    if actor is not None:
        ensure_may_handle(actor, data["type"])
    district_of(data["district_id"])
    _check_applicant_kind(data["type"], data["applicant_kind"])
    fields = {k: v for k, v in data.items() if k != "indicators"}
    fields.setdefault("department", DEFAULT_DEPARTMENT[ZoneType(data["type"])].value)
    _check_department(fields["type"], fields["department"])
    at = at or utcnow()
    zone = Zone(
        **fields,
        status=Status.APPLIED.value,
        status_changed_at=at,
        created_at=at,
        updated_at=at,
        created_by_id=actor.id if actor else None,
    )
    refresh_search_text(zone)
    _unique_name(zone, actor)
    _apply_indicators(zone, data.get("indicators") or [])
    db.session.add(zone)
    zone.timeline.append(
        ZoneTransition(
            from_status=None,
            to_status=Status.APPLIED.value,
            note="提交申报材料",
            actor_id=actor.id if actor else None,
            occurred_at=at,
        )
    )
    db.session.flush()
    audit.record(actor, "zone.create", "zone", zone.id, None, audit.snapshot(zone, AUDITED_FIELDS))
    invalidate_cache()
    return zone


# Fields that are part of the public record once the zone is public.
LOCKED_WHEN_PUBLIC = ("type", "batch_year")


def _refuse_locked_changes(zone: Zone, changes: dict[str, Any]) -> None:
    """Once public, the type and batch are the record and the level is what expert review assessed
    (409 `field_locked`, `level_fixed`); while a published notice holds the zone (its window open,
    or ended and not yet settled), the name the public is reading stays too (409 `zone_in_publicity`)."""
    if not zone.is_public:
        return
    changed = {field for field, value in changes.items() if value != getattr(zone, field, None)}
    locked = [f for f in LOCKED_WHEN_PUBLIC if f in changed]
    if locked:
        raise AppError(
            "项目公示后不能修改类型或批次",
            code="field_locked",
            status=409,
            details={field: ["公示后不可修改"] for field in locked},
        )
    if "level" in changed:
        raise AppError(
            "项目级别以专家评审认定为准，进入公示后不能修改",
            code="level_fixed",
            status=409,
            details={"level": ["进入公示后不可修改"]},
        )
    if "name" in changed and zone.status == Status.PUBLICITY.value:
        hold = lifecycle.publicity_hold(zone.id, utcnow())
        if hold is not None:
            raise AppError(
                "项目正在公示中，公示期间不能修改名称（须与公示内容一致）",
                code="zone_in_publicity",
                status=409,
                details={"name": ["公示期间不可修改"]},
            )


def update_zone(zone: Zone, changes: dict[str, Any], actor: User) -> Zone:
    ensure_may_act_on(actor, zone)
    if "type" in changes:
        ensure_may_handle(actor, changes["type"])
    _refuse_locked_changes(zone, changes)
    before = audit.snapshot(zone, AUDITED_FIELDS)
    before["indicators"] = indicator_view(zone)
    if "district_id" in changes:
        district_of(changes["district_id"])
    new_type = changes.get("type", zone.type)
    if "type" in changes or "applicant_kind" in changes:
        _check_applicant_kind(new_type, changes.get("applicant_kind", zone.applicant_kind))
    if "type" in changes and changes["type"] != zone.type:
        zone.indicators.clear()  # another type measures other things
        if "department" not in changes:
            changes["department"] = DEFAULT_DEPARTMENT[ZoneType(new_type)].value
    if "department" in changes and (changes["department"] != zone.department or new_type != zone.type):
        _check_department(new_type, changes["department"])
    for field, value in changes.items():
        if field != "indicators":
            setattr(zone, field, value)
    refresh_search_text(zone)
    _unique_name(zone, actor)
    if "indicators" in changes:
        _apply_indicators(zone, changes["indicators"])
    zone.updated_at = utcnow()
    after = audit.snapshot(zone, AUDITED_FIELDS)
    after["indicators"] = indicator_view(zone)
    audit.record(actor, "zone.update", "zone", zone.id, before, after)
    invalidate_cache()
    uow.commit()
    return zone
