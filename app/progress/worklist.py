"""What waits on someone in the zones' construction progress, for the dashboards (the console's and
the staff API's alike): reports to review, quarters overdue, problems overdue, and a reporter's own
zone at a glance (its report due, quarters overdue, late milestones). Every query is within the
caller's progress scope (app.progress.scope)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, and_, exists, select

from app.accounts.models import User
from app.accounts.scope import zone_types_handled_by, zones_reported_by
from app.extensions import db
from app.progress import deadlines, reports
from app.progress.milestones import is_late, milestones_of, percent_done
from app.progress.models import ReportNotice, ReportState, ZoneMilestone, ZoneProgressReport
from app.progress.scope import progress_scope
from app.progress.tracking import UNDER_CONSTRUCTION, confirmed_on, due_on, period_end, period_of, previous_period
from app.times import local_today
from app.zones.models import Zone

DONE_STATES = (ReportState.SUBMITTED, ReportState.ACCEPTED)


def review_queue(user: User) -> Select:
    """Submitted reports the caller may review (scope.is_reviewer: the department of the zone's type,
    the institute, admins; never a reporter, and nobody their own report), oldest submission first."""
    stmt = reports.reports_query(user, ReportState.SUBMITTED).where(
        ZoneProgressReport.author_id.is_distinct_from(user.id)
    )
    types = zone_types_handled_by(user)
    return stmt if types is None else stmt.where(Zone.type.in_(sorted(types)))


def _reported(zone_id, period) -> exists:
    return exists().where(
        ZoneProgressReport.zone_id == zone_id,
        ZoneProgressReport.period == period,
        ZoneProgressReport.state.in_(DONE_STATES),
    )


def overdue_reports(user: User) -> Select:
    """(zone id, zone name, period) of each quarter overdue and still unreported in the caller's scope
    (deadlines.overdue_reports), for zones still under construction only: once titled (or refused) a
    zone reports no more, so an old mark would wait for ever."""
    marks = deadlines.overdue_reports(user).where(Zone.status.in_(UNDER_CONSTRUCTION))
    return marks.with_only_columns(Zone.id, Zone.name, ReportNotice.period)


@dataclass(frozen=True)
class ReportDue:
    period: str
    due_on: date
    report_id: int | None  # the quarter's live report (draft, submitted, accepted) or its last returned one
    state: str | None


@dataclass(frozen=True)
class ZoneAtAGlance:
    zone_id: int
    name: str
    status: str
    percent: int | None
    due: ReportDue | None  # None once the zone is no longer under construction
    overdue_periods: list[str] = field(default_factory=list)
    late_milestones: list[ZoneMilestone] = field(default_factory=list)


def report_due(zone_id: int, today: date | None = None) -> ReportDue:
    """The quarter whose report is due next: the last quarter while its due date has not passed and
    it is not reported yet (and the zone was confirmed by its end), else the current one."""
    today = today or local_today()
    previous = previous_period(period_of(today))
    confirmed = confirmed_on(zone_id)
    period = period_of(today)
    if (
        today <= due_on(previous)
        and confirmed is not None
        and confirmed <= period_end(previous)
        and not db.session.scalar(select(_reported(zone_id, previous)))
    ):
        period = previous
    report = db.session.scalar(
        select(ZoneProgressReport)
        .where(ZoneProgressReport.zone_id == zone_id, ZoneProgressReport.period == period)
        .order_by((ZoneProgressReport.state == ReportState.RETURNED), ZoneProgressReport.id.desc())
        .limit(1)
    )
    return ReportDue(period, due_on(period), report.id if report else None, report.state if report else None)


def my_zones(user: User, today: date | None = None) -> list[ZoneAtAGlance]:
    """A zone reporter's zone(s): status, milestones done, the report due, quarters overdue, late milestones."""
    today = today or local_today()
    ids = sorted(zones_reported_by(user))
    if not ids:
        return []
    found = []
    for zone in db.session.scalars(select(Zone).where(Zone.id.in_(ids), progress_scope(user)).order_by(Zone.id)):
        plan = milestones_of(zone.id)
        under_construction = zone.status in UNDER_CONSTRUCTION
        found.append(
            ZoneAtAGlance(
                zone_id=zone.id,
                name=zone.name,
                status=zone.status,
                percent=percent_done(plan),
                due=report_due(zone.id, today) if under_construction else None,
                overdue_periods=deadlines.overdue_periods(zone.id) if under_construction else [],
                late_milestones=[m for m in plan if is_late(m, today)],
            )
        )
    return found


def under_construction(user: User) -> Select:
    """The zones under construction in the caller's progress scope, by name (the console's list)."""
    return (
        select(Zone).where(and_(Zone.status.in_(UNDER_CONSTRUCTION), progress_scope(user))).order_by(Zone.name, Zone.id)
    )
