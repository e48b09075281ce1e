"""Factories for test data, built through the services so the rules apply."""

from __future__ import annotations

from itertools import count

from sqlalchemy import select

from app.extensions import db
from app.zones import services as zones
from app.zones.constants import Status
from app.zones.models import District

_names = count(1)

PATH = [Status.EXPERT_REVIEW, Status.SITE_CHECK, Status.PUBLICITY, Status.CONFIRMED, Status.ACCEPTANCE_REVIEW,
        Status.TITLED]  # fmt: skip

APPLICANT_KIND = {
    "park": "park_committee",
    "factory": "factory",
    "building": "owner",
    "school": "school",
    "community": "residents_committee",
    "scenic": "scenic_operator",
}


def district_id(name: str = "朝阳区") -> int:
    return db.session.scalar(select(District.id).where(District.name == name))


def zone_data(**overrides) -> dict:
    zone_type = overrides.get("type", "building")
    data = {
        "name": f"测试示范区{next(_names)}",
        "type": zone_type,
        "level": "low_carbon",
        "district_id": district_id(overrides.pop("district", "朝阳区")),
        "applicant_name": "测试申报单位",
        "applicant_kind": APPLICANT_KIND[zone_type],
        "batch_year": 2025,
        "address": "吉林省长春市朝阳区人民大街 1 号",
        "latitude": 43.86,
        "longitude": 125.3,
    }
    data.update(overrides)
    return data


def make_zone(app, status: str = "applied", **overrides) -> int:
    """A zone moved along the lifecycle to `status` (rejected/revoked through the real paths)."""
    with app.app_context():
        zone = zones.create_zone(zone_data(**overrides), None)
        target = Status(status)
        if target is Status.REJECTED:
            zones.transition(zone.id, "rejected", "测试驳回", None)
        elif target is Status.REVOKED:
            for step in PATH:
                zones.transition(zone.id, step.value, None, None)
            from datetime import date

            zones.record_re_review(zone.id, date(2026, 1, 5), "failed", "测试复核不通过", None)
        elif target is not Status.APPLIED:
            for step in PATH[: PATH.index(target) + 1]:
                zones.transition(zone.id, step.value, None, None)
        return zone.id
