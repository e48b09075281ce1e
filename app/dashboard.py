"""A staff member's dashboard: what needs action today and the counts behind the charts, each within
what the caller may see (the same scoped queries as the lists). The console's dashboard and the staff
API's `GET /dashboard` both read `dashboard(user)`.

Each role sees its own work only (`sections`): zone staff the zones, publicity and objections; base
operators today's and this week's visitors and unread capacity alerts; school admins their schools
by name and their campaigns; progress staff (zone reporters, departments, the institute) the zones'
construction: reports to review and quarters and problems overdue within their scope, and a
reporter their own zone's report due, quarters overdue and late milestones. Sections of other roles' work are left empty, not shown as empty tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, true

from app.accounts.models import User
from app.accounts.roles import BASE_STAFF, PROGRESS_STAFF, SCHOOL_READERS, ZONE_STAFF
from app.accounts.scope import schools_read_by, schools_run_by
from app.campaigns import schools as campaign_schools
from app.campaigns.models import ActionCheckin, Campaign, ClassAction
from app.db_types import utcnow
from app.extensions import db
from app.progress import problems as progress_problems
from app.progress import worklist
from app.progress.models import ZoneProblem, ZoneProgressReport
from app.publicity import objections
from app.publicity.constants import OPEN
from app.publicity.models import Objection, PublicityNotice
from app.times import app_timezone
from app.visits import alerts, calendar
from app.visits.models import Booking, BookingStatus, CapacityAlert
from app.zones import scope
from app.zones.models import Zone

WAITING_SHOWN = 20  # the oldest open objections listed; the total counts them all
TOP = 8  # notices by objections, campaigns by CO2
CLOSING_WITHIN = timedelta(days=3)
CHECKED_IN = BookingStatus.CHECKED_IN
ALERTS_SHOWN = 20  # the newest unread capacity alerts listed; the total counts them all
CAMPAIGNS_SHOWN = 20
PROGRESS_SHOWN = 20  # the oldest reports waiting, quarters and problems overdue listed; totals count them all
ZONES, BASES, SCHOOLS, PROGRESS = "zones", "bases", "schools", "progress"  # the sections of work a role may have


@dataclass(frozen=True)
class ZoneCount:
    type: str
    level: str
    status: str
    count: int


@dataclass(frozen=True)
class NoticeObjections:
    notice_id: int
    title: str
    count: int


@dataclass(frozen=True)
class BaseVisits:
    base_id: int
    base_name: str
    bookings: int
    people: int


@dataclass(frozen=True)
class CampaignCo2:
    campaign_id: int
    title: str
    co2_kg: float


@dataclass(frozen=True)
class SchoolRef:
    id: int
    name: str


@dataclass(frozen=True)
class CampaignRef:
    id: int
    title: str
    school_id: int
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class OverdueReport:
    zone_id: int
    zone_name: str
    period: str


@dataclass(frozen=True)
class Dashboard:
    today: date
    month_start: date
    week_start: date  # Monday
    week_end: date  # Sunday, included
    sections: list[str]
    zones: list[ZoneCount]
    objections_waiting_total: int
    objections_waiting: list[Objection]
    objections_per_notice: list[NoticeObjections]
    notices_closing: list[PublicityNotice]
    visits_today: list[BaseVisits]
    visits_month: list[BaseVisits]
    campaigns_co2: list[CampaignCo2]
    visits_week: list[BaseVisits]
    alerts_unread_total: int
    alerts_unread: list[CapacityAlert]
    schools: list[SchoolRef]
    campaigns: list[CampaignRef]
    reviews_waiting_total: int
    reviews_waiting: list[ZoneProgressReport]
    reports_overdue_total: int
    reports_overdue: list[OverdueReport]
    problems_overdue_total: int
    problems_overdue: list[ZoneProblem]
    my_zones: list[worklist.ZoneAtAGlance]


def sections_of(user: User) -> list[str]:
    """The kinds of work the caller's roles give them (an admin has them all)."""
    schools = schools_read_by(user)  # an officer of another department reads no school
    found = [
        (ZONES, user.has_role(*ZONE_STAFF)),
        (BASES, user.has_role(*BASE_STAFF)),
        (SCHOOLS, user.has_role(*SCHOOL_READERS) and (schools is None or bool(schools))),
        (PROGRESS, user.has_role(*PROGRESS_STAFF)),
    ]
    return [name for name, has in found if has]


def dashboard(user: User, now: datetime | None = None) -> Dashboard:
    now = now or utcnow()
    today = now.astimezone(app_timezone()).date()
    month_start = today.replace(day=1)
    week_start = today - timedelta(days=today.weekday())
    sections = sections_of(user)
    zone_work, base_work, school_work = ZONES in sections, BASES in sections, SCHOOLS in sections
    progress_work = PROGRESS in sections
    reviews = worklist.review_queue(user).order_by(None)
    late_reports = worklist.overdue_reports(user).order_by(None)
    late_problems = progress_problems.overdue_problems(user, today).order_by(None)
    booked = (BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN)
    waiting = (
        objections.staff_objections_query(user).where(Objection.status.in_([s.value for s in OPEN])).order_by(None)
    )
    unread = alerts.alerts_query(user, None, True, today).order_by(None)
    newest_alerts = unread.order_by(CapacityAlert.created_at.desc(), CapacityAlert.id.desc()).limit(ALERTS_SHOWN)
    return Dashboard(
        today=today,
        month_start=month_start,
        week_start=week_start,
        week_end=week_start + timedelta(days=6),
        sections=sections,
        zones=_zone_counts(user) if zone_work else [],
        objections_waiting_total=_count(waiting) if zone_work else 0,
        objections_waiting=_rows(waiting.order_by(Objection.created_at, Objection.id).limit(WAITING_SHOWN), zone_work),
        objections_per_notice=_objections_per_notice(user) if zone_work else [],
        notices_closing=_notices_closing(now) if zone_work else [],
        visits_today=_visits(user, today, today, booked, Booking.headcount) if base_work else [],
        visits_month=_visits(user, month_start, today, (CHECKED_IN,), Booking.actual_headcount) if base_work else [],
        campaigns_co2=_campaigns_co2(user) if school_work else [],
        visits_week=_visits(user, week_start, week_start + timedelta(days=6), booked, Booking.headcount)
        if base_work
        else [],
        alerts_unread_total=_count(unread) if base_work else 0,
        alerts_unread=_rows(newest_alerts, base_work),
        schools=_schools_run(user) if school_work else [],
        campaigns=_campaigns(user) if school_work else [],
        reviews_waiting_total=_count(reviews) if progress_work else 0,
        reviews_waiting=_rows(
            reviews.order_by(ZoneProgressReport.submitted_at, ZoneProgressReport.id).limit(PROGRESS_SHOWN),
            progress_work,
        ),
        reports_overdue_total=_count(late_reports) if progress_work else 0,
        reports_overdue=[
            OverdueReport(*row) for row in db.session.execute(worklist.overdue_reports(user).limit(PROGRESS_SHOWN))
        ]
        if progress_work
        else [],
        problems_overdue_total=_count(late_problems) if progress_work else 0,
        problems_overdue=_rows(progress_problems.overdue_problems(user, today).limit(PROGRESS_SHOWN), progress_work),
        my_zones=worklist.my_zones(user, today) if progress_work else [],
    )


def _rows(stmt, wanted: bool) -> list:
    return list(db.session.scalars(stmt)) if wanted else []


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


def _schools_run(user: User) -> list[SchoolRef]:
    """The schools a school admin runs, by name (everyone's for those who run them all: not listed)."""
    schools = schools_run_by(user)
    if not schools:
        return []
    rows = db.session.execute(
        select(Zone.id, Zone.name).where(Zone.id.in_(sorted(schools))).order_by(Zone.name, Zone.id)
    )
    return [SchoolRef(*row) for row in rows]


def _campaigns(user: User) -> list[CampaignRef]:
    """The campaigns of the schools the caller runs or reads, newest first."""
    stmt = campaign_schools.staff_campaigns_query(user).order_by(None)
    rows = db.session.scalars(stmt.order_by(Campaign.starts_on.desc(), Campaign.id.desc()).limit(CAMPAIGNS_SHOWN))
    return [CampaignRef(c.id, c.title, c.school_id, c.starts_on, c.ends_on) for c in rows]


def _zone_counts(user: User) -> list[ZoneCount]:
    rows = db.session.execute(
        select(Zone.type, Zone.level, Zone.status, func.count())
        .where(scope.staff_scope(user))
        .group_by(Zone.type, Zone.level, Zone.status)
        .order_by(Zone.type, Zone.level, Zone.status)
    )
    return [ZoneCount(*row) for row in rows]


def _objections_per_notice(user: User) -> list[NoticeObjections]:
    mine = objections.staff_objections_query(user).order_by(None).with_only_columns(Objection.id).subquery()
    n = func.count(Objection.id)
    rows = db.session.execute(
        select(PublicityNotice.id, PublicityNotice.title, n)
        .join(Objection, Objection.notice_id == PublicityNotice.id)
        .where(Objection.id.in_(select(mine.c.id)))
        .group_by(PublicityNotice.id, PublicityNotice.title)
        .order_by(n.desc(), PublicityNotice.id)
        .limit(TOP)
    )
    return [NoticeObjections(*row) for row in rows]


def _notices_closing(now: datetime) -> list[PublicityNotice]:
    """Published notices ending within three days (public facts: the same for all zone staff)."""
    return list(
        db.session.scalars(
            select(PublicityNotice)
            .where(
                PublicityNotice.published_at.is_not(None),
                PublicityNotice.closed_at.is_(None),
                PublicityNotice.ends_at >= now,
                PublicityNotice.ends_at <= now + CLOSING_WITHIN,
            )
            .order_by(PublicityNotice.ends_at, PublicityNotice.id)
        )
    )


def _visits(user: User, first: date, last: date, statuses, people) -> list[BaseVisits]:
    """Bookings and people per base the caller runs, visiting between `first` and `last`."""
    rows = db.session.execute(
        select(Zone.id, Zone.name, func.count(Booking.id), func.coalesce(func.sum(people), 0))
        .join(Zone, Zone.id == Booking.base_id)
        .where(
            calendar.staff_bases_scope(user, Booking.base_id),
            Booking.visit_date >= first,
            Booking.visit_date <= last,
            Booking.status.in_([s.value for s in statuses]),
        )
        .group_by(Zone.id, Zone.name)
        .order_by(Zone.name, Zone.id)
    )
    return [BaseVisits(base_id, name, bookings, int(total)) for base_id, name, bookings, total in rows]


def _campaigns_co2(user: User) -> list[CampaignCo2]:
    """CO2 avoided per campaign the caller reads: students' check-ins plus teachers' class actions."""
    mine = campaign_schools.staff_campaigns_query(user).order_by(None).with_only_columns(Campaign.id).subquery()
    totals: dict[int, float] = {}
    for model, counted in ((ActionCheckin, ActionCheckin.counts), (ClassAction, true())):  # voided ones count nowhere
        rows = db.session.execute(
            select(model.campaign_id, func.coalesce(func.sum(model.co2_kg), 0))
            .where(model.campaign_id.in_(select(mine.c.id)), counted)
            .group_by(model.campaign_id)
        )
        for campaign_id, kg in rows:
            totals[campaign_id] = totals.get(campaign_id, 0.0) + float(kg)
    titles = dict(db.session.execute(select(Campaign.id, Campaign.title).where(Campaign.id.in_(list(totals)))).all())
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:TOP]
    return [CampaignCo2(campaign_id, titles[campaign_id], round(kg, 4)) for campaign_id, kg in ranked]
