"""Which zones a member of staff works on (their zone types), in one place."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, select, true
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.accounts.scope import zone_types_handled_by
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.zones.models import Zone
from app.zones.registry import ZONE_NOT_FOUND, ZoneFilters, zones_query


def staff_scope(user: User) -> ColumnElement[bool]:
    """The zones a staff member may see, as a condition on Zone: a department officer its
    department's types (unpublished ones too), institute staff and admins every zone, anyone else none.
    Every staff list, page, export and count of zones, and of what hangs off a zone, goes through it."""
    types = zone_types_handled_by(user)
    return true() if types is None else Zone.type.in_(sorted(types))


def staff_zones_query(user: User, filters: ZoneFilters) -> Select:
    """The staff list and export: published or not, within the caller's scope."""
    return zones_query(filters, public=False).where(staff_scope(user))


def staff_zone(user: User, zone_id: int, *, with_history: bool = False) -> Zone:
    """A zone's staff page. Outside the caller's scope it is not found, the same answer as a zone
    that does not exist (an unpublished application of another department is not even confirmed)."""
    stmt = select(Zone).where(Zone.id == zone_id, staff_scope(user))
    if with_history:
        stmt = stmt.options(selectinload(Zone.timeline), selectinload(Zone.re_reviews))
    zone = db.session.scalar(stmt)
    if zone is None:
        raise NotFound(ZONE_NOT_FOUND)
    return zone


def ensure_may_handle(user: User, zone_type: str) -> None:
    """A department officer registers (or retypes a zone to) only the types of its department;
    institute staff and admins all. The type is the caller's own input, so the refusal may name it."""
    types = zone_types_handled_by(user)
    if types is not None and zone_type not in types:
        raise Forbidden(
            "该类型示范区不属于本部门职责范围",
            code="department_scope",
            details={"zone_type": zone_type, "your_types": sorted(types)},
        )


def hidden_from(user: User, zone: Zone) -> bool:
    """Whether `zone` is one the caller may not know of: outside their scope and never made public."""
    types = zone_types_handled_by(user)
    return types is not None and zone.type not in types and not zone.is_public


def ensure_may_act_on(user: User, zone: Zone) -> None:
    """Acting on an existing zone (transitions, edits, re-reviews, designation, objections' decisions).
    Outside the caller's scope an unpublished zone is not found, word for word the answer for an id
    that does not exist; a public one is refused without repeating what it is."""
    types = zone_types_handled_by(user)
    if types is None or zone.type in types:
        return
    if not zone.is_public:
        raise NotFound(ZONE_NOT_FOUND)
    raise Forbidden("该示范区不属于本部门职责范围", code="department_scope")
