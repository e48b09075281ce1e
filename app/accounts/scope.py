"""What each staff member may see: one rule per kind, read by every staff list, page, export and
count (the staff API and the console alike, through the services' staff_* queries)."""

from __future__ import annotations

from app.accounts.models import User
from app.accounts.roles import DEPARTMENT_ZONE_TYPES, Department, Role

# None means every row of that kind; the table of who sees what is in docs/api.md.


def zone_types_handled_by(user: User) -> frozenset[str] | None:
    """Zone types a user may act on as a department officer; None means all (institute, admin)."""
    if _sees_everything(user):
        return None
    types: set[str] = set()
    for grant in user.grants:
        if grant.role == Role.DEPARTMENT_OFFICER.value and grant.department:
            types |= DEPARTMENT_ZONE_TYPES.get(Department(grant.department), frozenset())
    return frozenset(types)


def bases_operated_by(user: User) -> frozenset[int] | None:
    """Education bases a user runs: a base operator its own; None means all (institute, admin)."""
    if _sees_everything(user):
        return None
    return frozenset(g.base_id for g in user.grants if g.role == Role.BASE_OPERATOR.value and g.base_id)


def zones_reported_by(user: User) -> frozenset[int]:
    """The zones whose construction a user reports on (zone_reporter grants), usually one."""
    return frozenset(g.zone_id for g in user.grants if g.role == Role.ZONE_REPORTER.value and g.zone_id)


def schools_run_by(user: User) -> frozenset[int] | None:
    """Schools whose students, classes and posts a user manages: a school admin its own; None means
    all (institute, admin)."""
    if _sees_everything(user):
        return None
    return frozenset(g.school_id for g in user.grants if g.role == Role.SCHOOL_ADMIN.value and g.school_id)


def schools_read_by(user: User) -> frozenset[int] | None:
    """Schools whose campaigns and statistics a user reads: also every school for the department
    handling school zones (education); None means all."""
    types = zone_types_handled_by(user)
    if types is None or "school" in types:
        return None
    return schools_run_by(user)


def _sees_everything(user: User) -> bool:
    return bool(set(user.roles) & {Role.ADMIN.value, Role.INSTITUTE_STAFF.value})
