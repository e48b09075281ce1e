"""Who sees and writes a zone's construction progress, in one place (the staff API and the console).

- A zone reporter (建设主体填报员): only the one zone of their grant; any other zone is not found.
- A department officer: the zones of the types their department handles (app.zones.scope).
- Institute staff and admins: every zone.
Reviewing a report is for the department of the zone's type, institute staff and admins, never
the report's own author."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true

from app.accounts.models import User
from app.accounts.roles import Role
from app.accounts.scope import zone_types_handled_by, zones_reported_by
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.zones.models import Zone
from app.zones.registry import ZONE_NOT_FOUND


def progress_scope(user: User) -> ColumnElement[bool]:
    """The zones whose progress a user may see and write, as a condition on Zone."""
    types = zone_types_handled_by(user)
    if types is None:
        return true()
    conditions = []
    if types:
        conditions.append(Zone.type.in_(sorted(types)))
    if reported := zones_reported_by(user):
        conditions.append(Zone.id.in_(sorted(reported)))
    return or_(*conditions) if conditions else false()


def progress_zone(user: User, zone_id: int, *, lock: bool = False) -> Zone:
    """A zone within the caller's progress scope; outside it, the same 404 as a zone that does not exist."""
    stmt = select(Zone).where(Zone.id == zone_id, progress_scope(user))
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    zone = db.session.scalar(stmt)
    if zone is None:
        raise NotFound(ZONE_NOT_FOUND)
    return zone


def is_reviewer(user: User, zone: Zone) -> bool:
    """The zone's department (an officer of a department handling its type), institute staff, admins."""
    if not user.has_role(Role.DEPARTMENT_OFFICER, Role.INSTITUTE_STAFF):
        return False
    types = zone_types_handled_by(user)
    return types is None or zone.type in types


def ensure_reviewer(user: User, zone: Zone) -> None:
    if not is_reviewer(user, zone):
        raise Forbidden("只有该示范区的主管部门或碳中和研究院可以审核", code="not_a_reviewer")


def ensure_staff_of(user: User, zone: Zone) -> None:
    """Baselines and targets are set by the zone's department or the institute, not by the reporter."""
    if not is_reviewer(user, zone):
        raise Forbidden("基准值与目标值由主管部门或碳中和研究院设定", code="not_a_reviewer")
