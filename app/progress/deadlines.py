"""The quarterly report deadline (docs/domain.md, "Progress during construction"): the report for a
quarter is due DUE_DAYS_AFTER_QUARTER days after the quarter ends (2026Q3: 2026-10-15). From
REMIND_DAYS_BEFORE_DUE days before that date until it, each reporter of a zone under construction
whose report is not submitted yet is reminded once (a subscribe message through the outbox, which
reaches reporters who also signed in with WeChat); after it, the zone's period is marked overdue
once, and so are its draft or returned reports for that quarter. Idempotent per zone and period
(zone_report_notices): the daily job may run any number of times."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import Select, func, select, update

from app import uow
from app.accounts.models import RoleGrant
from app.accounts.roles import Role
from app.db_types import insert_unless_conflict, utcnow
from app.extensions import db
from app.outbox import services as outbox
from app.progress.models import ReportNotice, ReportState, ZoneProgressReport
from app.progress.tracking import (
    REMIND_DAYS_BEFORE_DUE,
    UNDER_CONSTRUCTION,
    due_on,
    period_end,
    period_label,
    period_of,
    previous_period,
)
from app.times import app_timezone
from app.zones.constants import Status
from app.zones.models import Zone, ZoneTransition

REMINDER, OVERDUE = "reminder", "overdue"
MESSAGE_KIND = "progress.report_due"


def run_deadlines(now: datetime | None = None) -> tuple[int, int]:
    """The daily job: (zones reminded, zones marked overdue) for the quarter that ended last."""
    today = (now or utcnow()).astimezone(app_timezone()).date()
    period = previous_period(period_of(today))
    due = due_on(period)
    if today > due:
        kind = OVERDUE
    elif today >= due - timedelta(days=REMIND_DAYS_BEFORE_DUE):
        kind = REMINDER
    else:
        return 0, 0
    count = 0
    for zone_id in zones_owing(period):
        if _claim(zone_id, period, kind):
            if kind == REMINDER:
                _remind(zone_id, period, due)
            else:
                _mark_overdue(zone_id, period)
            count += 1
        uow.commit()
    return (count, 0) if kind == REMINDER else (0, count)


def zones_owing(period: str) -> list[int]:
    """Zones under construction, confirmed by the end of the quarter, without a submitted or
    accepted report for it."""
    confirmed = (
        select(ZoneTransition.zone_id, func.min(ZoneTransition.occurred_at).label("at"))
        .where(ZoneTransition.to_status == Status.CONFIRMED.value)
        .group_by(ZoneTransition.zone_id)
        .subquery()
    )
    reported = select(ZoneProgressReport.zone_id).where(
        ZoneProgressReport.period == period,
        ZoneProgressReport.state.in_([ReportState.SUBMITTED, ReportState.ACCEPTED]),
    )
    end = datetime.combine(period_end(period) + timedelta(days=1), datetime.min.time(), app_timezone())
    stmt = (
        select(Zone.id)
        .join(confirmed, confirmed.c.zone_id == Zone.id)
        .where(Zone.status.in_(UNDER_CONSTRUCTION), confirmed.c.at < end, Zone.id.not_in(reported))
        .order_by(Zone.id)
    )
    return list(db.session.scalars(stmt))


def _claim(zone_id: int, period: str, kind: str) -> bool:
    """Insert the notice row; False if this zone and period had it already (another run)."""
    claimed = db.session.execute(
        insert_unless_conflict(ReportNotice)
        .values(zone_id=zone_id, period=period, kind=kind)
        .returning(ReportNotice.id)
    )
    return claimed.first() is not None


def _remind(zone_id: int, period: str, due: date) -> None:
    template = current_app.config.get("WECHAT_TEMPLATE_REPORT_DUE")
    zone_name = db.session.scalar(select(Zone.name).where(Zone.id == zone_id))
    reporters = db.session.scalars(
        select(RoleGrant.user_id).where(RoleGrant.role == Role.ZONE_REPORTER.value, RoleGrant.zone_id == zone_id)
    ).all()
    for user_id in sorted(set(reporters)):
        outbox.queue(
            MESSAGE_KIND,
            user_id,
            template,
            {
                "thing1": {"value": zone_name[:20]},
                "thing2": {"value": f"{period_label(period)}进展报告"[:20]},
                "time3": {"value": due.isoformat()},
            },
            ref=("zone", zone_id),
            send_now=False,  # many at once: the delivery job sends them
        )


def _mark_overdue(zone_id: int, period: str) -> None:
    db.session.execute(
        update(ZoneProgressReport)
        .where(
            ZoneProgressReport.zone_id == zone_id,
            ZoneProgressReport.period == period,
            ZoneProgressReport.state.in_([ReportState.DRAFT, ReportState.RETURNED]),
            ZoneProgressReport.overdue_at.is_(None),
        )
        .values(overdue_at=utcnow())
    )


def overdue_periods(zone_id: int) -> list[str]:
    """The quarters a zone was marked overdue for and still has no submitted or accepted report."""
    reported = select(ZoneProgressReport.period).where(
        ZoneProgressReport.zone_id == zone_id,
        ZoneProgressReport.state.in_([ReportState.SUBMITTED, ReportState.ACCEPTED]),
    )
    return list(
        db.session.scalars(
            select(ReportNotice.period)
            .where(ReportNotice.zone_id == zone_id, ReportNotice.kind == OVERDUE, ReportNotice.period.not_in(reported))
            .order_by(ReportNotice.period)
        )
    )


def overdue_reports(user) -> Select:
    """For dashboards: (zone, period) pairs in the user's progress scope marked overdue and still
    without a submitted or accepted report, oldest period first. Rows of (ReportNotice, Zone)."""
    from app.progress.scope import progress_scope

    reported = (
        select(ZoneProgressReport.id)
        .where(
            ZoneProgressReport.zone_id == ReportNotice.zone_id,
            ZoneProgressReport.period == ReportNotice.period,
            ZoneProgressReport.state.in_([ReportState.SUBMITTED, ReportState.ACCEPTED]),
        )
        .exists()
    )
    return (
        select(ReportNotice, Zone)
        .join(Zone, Zone.id == ReportNotice.zone_id)
        .where(ReportNotice.kind == OVERDUE, progress_scope(user), ~reported)
        .order_by(ReportNotice.period, Zone.id)
    )
