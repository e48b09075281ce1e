"""A staff member's dashboard: what needs action today and the counts behind the charts, each within
what the caller may see (the same scoped queries as the lists). The console's dashboard and the staff
API's `GET /dashboard` both read `dashboard(user)`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, true

from app.accounts.models import User
from app.campaigns import schools
from app.campaigns.models import ActionCheckin, Campaign, ClassAction
from app.db_types import utcnow
from app.extensions import db
from app.publicity import objections
from app.publicity.constants import OPEN
from app.publicity.models import Objection, PublicityNotice
from app.times import app_timezone
from app.visits import calendar
from app.visits.models import Booking, BookingStatus
from app.zones import scope
from app.zones.models import Zone

WAITING_SHOWN = 20  # the oldest open objections listed; the total counts them all
TOP = 8  # notices by objections, campaigns by CO2
CLOSING_WITHIN = timedelta(days=3)


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
class Dashboard:
    today: date
    month_start: date
    zones: list[ZoneCount]
    objections_waiting_total: int
    objections_waiting: list[Objection]
    objections_per_notice: list[NoticeObjections]
    notices_closing: list[PublicityNotice]
    visits_today: list[BaseVisits]
    visits_month: list[BaseVisits]
    campaigns_co2: list[CampaignCo2]


def dashboard(user: User, now: datetime | None = None) -> Dashboard:
    now = now or utcnow()
    today = now.astimezone(app_timezone()).date()
    month_start = today.replace(day=1)
    waiting = objections.staff_objections_query(user).where(Objection.status.in_([s.value for s in OPEN])).order_by(None)
    return Dashboard(
        today=today,
        month_start=month_start,
        zones=_zone_counts(user),
        objections_waiting_total=db.session.scalar(select(func.count()).select_from(waiting.subquery())),
        objections_waiting=list(
            db.session.scalars(waiting.order_by(Objection.created_at, Objection.id).limit(WAITING_SHOWN))
        ),
        objections_per_notice=_objections_per_notice(user),
        notices_closing=_notices_closing(now),
        visits_today=_visits(
            user, today, today, (BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN), Booking.headcount
        ),
        visits_month=_visits(user, month_start, today, (BookingStatus.CHECKED_IN,), Booking.actual_headcount),
        campaigns_co2=_campaigns_co2(user),
    )


def _zone_counts(user: User) -> list[ZoneCount]:
    rows = db.session.execute(
        select(Zone.type, Zone.level, Zone.status, func.count()).where(scope.staff_scope(user))
        .group_by(Zone.type, Zone.level, Zone.status).order_by(Zone.type, Zone.level, Zone.status)
    )  # fmt: skip
    return [ZoneCount(*row) for row in rows]


def _objections_per_notice(user: User) -> list[NoticeObjections]:
    mine = objections.staff_objections_query(user).order_by(None).with_only_columns(Objection.id).subquery()
    n = func.count(Objection.id)
    rows = db.session.execute(
        select(PublicityNotice.id, PublicityNotice.title, n).join(Objection, Objection.notice_id == PublicityNotice.id)
        .where(Objection.id.in_(select(mine.c.id))).group_by(PublicityNotice.id, PublicityNotice.title)
        .order_by(n.desc(), PublicityNotice.id).limit(TOP)
    )  # fmt: skip
    return [NoticeObjections(*row) for row in rows]


def _notices_closing(now: datetime) -> list[PublicityNotice]:
    """Published notices ending within three days (public facts: the same for every staff member)."""
    return list(db.session.scalars(
        select(PublicityNotice).where(PublicityNotice.published_at.is_not(None), PublicityNotice.closed_at.is_(None),
                                      PublicityNotice.ends_at >= now, PublicityNotice.ends_at <= now + CLOSING_WITHIN)
        .order_by(PublicityNotice.ends_at, PublicityNotice.id)
    ))  # fmt: skip


def _visits(user: User, first: date, last: date, statuses, people) -> list[BaseVisits]:
    """Bookings and people per base the caller runs, visiting between `first` and `last`."""
    rows = db.session.execute(
        select(Zone.id, Zone.name, func.count(Booking.id), func.coalesce(func.sum(people), 0))
        .join(Zone, Zone.id == Booking.base_id)
        .where(calendar.staff_bases_scope(user, Booking.base_id), Booking.visit_date >= first,
               Booking.visit_date <= last, Booking.status.in_([s.value for s in statuses]))
        .group_by(Zone.id, Zone.name).order_by(Zone.name, Zone.id)
    )  # fmt: skip
    return [BaseVisits(base_id, name, bookings, int(total)) for base_id, name, bookings, total in rows]


def _campaigns_co2(user: User) -> list[CampaignCo2]:
    """CO2 avoided per campaign the caller reads: students' check-ins plus teachers' class actions."""
    mine = schools.staff_campaigns_query(user).order_by(None).with_only_columns(Campaign.id).subquery()
    totals: dict[int, float] = {}
    for model, counted in ((ActionCheckin, ActionCheckin.counts), (ClassAction, true())):  # voided ones count nowhere
        rows = db.session.execute(
            select(model.campaign_id, func.coalesce(func.sum(model.co2_kg), 0))
            .where(model.campaign_id.in_(select(mine.c.id)), counted).group_by(model.campaign_id)
        )  # fmt: skip
        for campaign_id, kg in rows:
            totals[campaign_id] = totals.get(campaign_id, 0.0) + float(kg)
    titles = dict(db.session.execute(select(Campaign.id, Campaign.title).where(Campaign.id.in_(list(totals)))).all())
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:TOP]
    return [CampaignCo2(campaign_id, titles[campaign_id], round(kg, 4)) for campaign_id, kg in ranked]
