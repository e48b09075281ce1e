"""Reading the zone registry: filters and sorting, one zone, its indicators, the active districts."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from app import cache, uow
from app.accounts.services import escape_like
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.validators import is_ascii_number
from app.zones.constants import (
    DISTRICT_CODE,
    INDICATORS,
    ZoneType,
)
from app.zones.models import District, Zone

CACHE_NAMESPACE = "zones"


SORTS = {
    "-updated_at": (Zone.updated_at.desc(), Zone.id.desc()),
    "updated_at": (Zone.updated_at.asc(), Zone.id.asc()),
    "name": (Zone.name.asc(), Zone.id.asc()),
    "-name": (Zone.name.desc(), Zone.id.desc()),
    "batch_year": (Zone.batch_year.asc(), Zone.id.asc()),
    "-batch_year": (Zone.batch_year.desc(), Zone.id.desc()),
}


DEFAULT_SORT = "-updated_at"


@dataclass(frozen=True)
class ZoneFilters:
    type: str | None = None
    level: str | None = None
    status: str | None = None
    district: int | str | None = None
    batch_year: int | None = None
    q: str | None = None
    is_education_base: bool | None = None
    sort: str = DEFAULT_SORT


def zones_query(filters: ZoneFilters, *, public: bool) -> Select:
    """Zones matching the filters, one page-able statement (district joined, indicators selectin)."""
    stmt = select(Zone)
    if public:
        stmt = stmt.where(Zone.published_at.is_not(None))
    if filters.type:
        stmt = stmt.where(Zone.type == filters.type)
    if filters.level:
        stmt = stmt.where(Zone.level == filters.level)
    if filters.status:
        stmt = stmt.where(Zone.status == filters.status)
    if filters.district is not None:
        stmt = stmt.where(Zone.district_id == filters.district)
    if filters.batch_year is not None:
        stmt = stmt.where(Zone.batch_year == filters.batch_year)
    if filters.is_education_base is not None:
        stmt = stmt.where(Zone.is_education_base.is_(filters.is_education_base))
    if filters.q and filters.q.strip():
        # Literal substring (% and _ match themselves); the trigram index serves it on PostgreSQL.
        pattern = "%" + escape_like(search_text_of(filters.q)) + "%"
        stmt = stmt.where(Zone.search_text.like(pattern, escape="\\"))
    return stmt.order_by(*SORTS[filters.sort])


def resolve_filters(filters: ZoneFilters) -> ZoneFilters:
    """Filters that need the database: the district is data, given by id, division code or name."""
    if filters.district is None:
        return filters
    value = str(filters.district).strip()
    district = None
    if DISTRICT_CODE.fullmatch(value):
        district = db.session.scalar(select(District).where(District.code == value))
    if district is None and is_ascii_number(value):
        district = db.session.get(District, int(value))
    if district is None:
        district = db.session.scalar(select(District).where(District.name == value))
    if district is None:
        raise ValidationFailed(details={"district": ["未知的县（市）区或开发区（可用 /meta 中的 id、区划代码或名称）"]})
    return dataclasses.replace(filters, district=district.id)


def search_text_of(*parts: str | None) -> str:
    return "\n".join(p.strip().lower() for p in parts if p)


ZONE_NOT_FOUND = "示范区项目不存在或尚未公示"


def get_zone(zone_id: int, *, public: bool, with_history: bool = False) -> Zone:
    stmt = select(Zone).where(Zone.id == zone_id)
    if with_history:
        stmt = stmt.options(selectinload(Zone.timeline), selectinload(Zone.re_reviews))
    zone = db.session.scalar(stmt)
    if zone is None or (public and not zone.is_public):
        raise NotFound(ZONE_NOT_FOUND)
    return zone


def active_districts() -> list[District]:
    return list(db.session.scalars(select(District).order_by(District.sort_order, District.id)))


def indicator_view(zone: Zone) -> list[dict[str, Any]]:
    """The type's headline indicators with the computed change (negative = emissions down)."""
    stored = {i.key: i for i in zone.indicators}
    result = []
    for definition in INDICATORS[ZoneType(zone.type)]:
        item = stored.get(definition.key)
        baseline = item.baseline_value if item else None
        latest = item.latest_value if item else None
        change = change_percent = None
        if baseline is not None and latest is not None:
            change = latest - baseline
            if baseline != 0:
                change_percent = round(float(change / baseline * 100), 1)
        result.append(
            {
                "key": definition.key,
                "name": definition.name,
                "unit": definition.unit,
                "baseline_value": _num(baseline),
                "baseline_year": item.baseline_year if item else None,
                "latest_value": _num(latest),
                "latest_year": item.latest_year if item else None,
                "change": _num(change),
                "change_percent": change_percent,
            }
        )
    return result


def _num(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


# Articles show the zone they are about (its name and status, and only once it is public): their
# cached pages follow the zones' changes too (app.knowledge builds on zones, hence the bare name).
ARTICLES_NAMESPACE = "knowledge"


def invalidate_cache() -> None:
    """Public zone pages (lists, details, /meta, open data), and the articles that show a zone, are
    rebuilt once this change commits."""
    uow.after_commit(cache.invalidate, CACHE_NAMESPACE, ARTICLES_NAMESPACE)
