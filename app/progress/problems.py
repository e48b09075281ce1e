"""Problems (问题协调) a zone under construction asks a department to help with by a date. Internal:
never in any public answer."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, Select, or_, select, true

from app import uow
from app.accounts.models import User
from app.accounts.roles import Department, Role
from app.audit import services as audit
from app.db_types import utcnow
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.progress.models import ZoneProblem
from app.progress.scope import progress_scope, progress_zone
from app.progress.tracking import ensure_under_construction
from app.times import local_today
from app.zones.models import Zone

PROBLEM_NOT_FOUND = "问题不存在"


def add_problem(user: User, zone_id: int, title: str, department: str, due_on: date) -> ZoneProblem:
    """Use case: ask a department to help with a problem by a date."""
    zone = progress_zone(user, zone_id, lock=True)
    ensure_under_construction(zone)
    title = title.strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = ["不能为空"]
    if department not in {d.value for d in Department}:
        errors["department"] = ["未知的主管部门"]
    if due_on < local_today():
        errors["due_on"] = ["期限不能早于今天"]
    if errors:
        raise ValidationFailed(details=errors)
    problem = ZoneProblem(zone_id=zone.id, title=title, department=department, due_on=due_on, created_by_id=user.id)
    db.session.add(problem)
    db.session.flush()
    audit.record(
        user, "problem.create", "zone", zone.id, None, audit.snapshot(problem, ("id", "title", "department", "due_on"))
    )
    uow.commit()
    return problem


def resolve_problem(user: User, problem_id: int, note: str | None) -> ZoneProblem:
    """Use case: the department asked (or the institute) records how the problem was solved."""
    problem = get_problem(user, problem_id, lock=True)
    if not _may_resolve(user, problem):
        raise Forbidden("只有被请求协调的主管部门或碳中和研究院可以办结", code="not_the_department")
    if problem.resolved_at is not None:
        raise Conflict("该问题已办结", code="problem_resolved")
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(details={"note": ["请填写办理结果"]})
    problem.resolved_at = utcnow()
    problem.resolution_note = note
    problem.resolved_by_id = user.id
    audit.record(user, "problem.resolve", "zone", problem.zone_id, None, {"problem_id": problem.id, "note": note})
    uow.commit()
    return problem


def _may_resolve(user: User, problem: ZoneProblem) -> bool:
    if user.has_role(Role.INSTITUTE_STAFF):
        return True
    return problem.department in _departments_of(user)


def _departments_of(user: User) -> set[str]:
    return {g.department for g in user.grants if g.role == Role.DEPARTMENT_OFFICER.value and g.department}


def get_problem(user: User, problem_id: int, *, lock: bool = False) -> ZoneProblem:
    stmt = (
        select(ZoneProblem)
        .join(Zone, Zone.id == ZoneProblem.zone_id)
        .where(ZoneProblem.id == problem_id, _problem_scope(user))
    )
    if lock:
        stmt = stmt.with_for_update(of=ZoneProblem).execution_options(populate_existing=True)
    problem = db.session.scalar(stmt)
    if problem is None:
        raise NotFound(PROBLEM_NOT_FOUND)
    return problem


def _problem_scope(user: User) -> ColumnElement[bool]:
    """A problem is seen by whoever sees its zone's progress, and by the department it was handed to."""
    if user.has_role(Role.INSTITUTE_STAFF):
        return true()
    departments = _departments_of(user)
    zones = progress_scope(user)
    return or_(zones, ZoneProblem.department.in_(sorted(departments))) if departments else zones


def zone_problems_query(user: User, zone_id: int) -> Select:
    """A zone's problems: open ones first, by due date."""
    zone = progress_zone(user, zone_id)
    return (
        select(ZoneProblem)
        .where(ZoneProblem.zone_id == zone.id)
        .order_by(ZoneProblem.resolved_at.is_not(None), ZoneProblem.due_on, ZoneProblem.id)
    )


def _waiting_on(user: User) -> ColumnElement[bool]:
    """The problems a user answers for: a department's officer those asked of the department, a
    reporter those of their zone, the institute and admins all."""
    if user.has_role(Role.INSTITUTE_STAFF):
        return true()
    departments = _departments_of(user)
    return ZoneProblem.department.in_(sorted(departments)) if departments else progress_scope(user)


def overdue_problems(user: User, today: date | None = None) -> Select:
    """Open problems past their due date that wait on the user (dashboards): oldest due first."""
    return (
        select(ZoneProblem)
        .join(Zone, Zone.id == ZoneProblem.zone_id)
        .where(_waiting_on(user), ZoneProblem.resolved_at.is_(None), ZoneProblem.due_on < (today or local_today()))
        .order_by(ZoneProblem.due_on, ZoneProblem.id)
    )


def is_overdue(problem: ZoneProblem, today: date | None = None) -> bool:
    return problem.resolved_at is None and problem.due_on < (today or local_today())
