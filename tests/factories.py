"""Factories for test data, built through the services so the rules apply. Where a test needs
what no service would make (a slot that already started or ended), the factory says so and writes
the rows itself."""

from __future__ import annotations

from itertools import count

from sqlalchemy import select

from app.extensions import db
from app.zones import editing, lifecycle
from app.zones.constants import Status
from app.zones.models import District

_names = count(1)

PATH = [
    Status.EXPERT_REVIEW,
    Status.SITE_CHECK,
    Status.PUBLICITY,
    Status.CONFIRMED,
    Status.ACCEPTANCE_REVIEW,
    Status.TITLED,
]

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
        zone = editing.create_zone(zone_data(**overrides), None)
        target = Status(status)
        if target is Status.REJECTED:
            lifecycle.transition(zone.id, "rejected", "测试驳回", None)
        elif target is Status.REVOKED:
            for step in PATH:
                lifecycle.transition(zone.id, step.value, None, None)
            from datetime import date

            lifecycle.record_re_review(zone.id, date(2026, 1, 5), "failed", "测试复核不通过", None)
        elif target is not Status.APPLIED:
            for step in PATH[: PATH.index(target) + 1]:
                lifecycle.transition(zone.id, step.value, None, None)
        return zone.id


def id_number(prefix17: str = "22010219900307123") -> str:
    """A valid 18-digit ID number (GB 11643 check character) for the given first 17 digits."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(prefix17, weights, strict=True))
    return prefix17 + "10X98765432"[total % 11]


def open_notice(app, zone_types=("building", "school"), *, starts_in=-3600, ends_in=86400, batch_year=2025) -> dict:
    """A published notice over fresh site-checked zones, its window around now. Returns ids."""
    from datetime import timedelta

    from app.accounts import services as accounts
    from app.accounts.models import User
    from app.accounts.roles import Role
    from app.db_types import utcnow
    from app.publicity import notices

    zone_ids = [make_zone(app, "site_check", type=t, batch_year=batch_year) for t in zone_types]
    with app.app_context():
        actor = db.session.scalar(select(User).where(User.username == "notice-maker"))
        if actor is None:
            actor = accounts.create_staff_user("notice-maker", "long-enough-pw", Role.INSTITUTE_STAFF)
        now = utcnow()
        starts_at, ends_at = now + timedelta(minutes=1), now + timedelta(days=2)  # moved below
        # A window reaching a year whose holidays were never entered is refused (calendar_not_loaded):
        # from late December the window reaches next year. Every year has 元旦; that much is known.
        known_years(*range(starts_at.year, ends_at.year + 1))
        notice = notices.create_notice(
            {"batch_year": batch_year, "zone_ids": zone_ids, "starts_at": starts_at, "ends_at": ends_at}, actor
        )
        notices.publish_notice(notice.id, actor)
        notice = db.session.get(type(notice), notice.id)
        notice.starts_at = now + timedelta(seconds=starts_in)
        notice.ends_at = now + timedelta(seconds=ends_in)
        db.session.commit()
        return {"id": notice.id, "zone_ids": zone_ids}


def known_years(*years: int) -> None:
    """Enter 元旦 (1 January, a statutory holiday every year) for each year not in the calendar yet,
    so that year counts as entered. In an app context; commits."""
    from datetime import date

    from app.publicity.models import CalendarDay

    for year in years:
        if (
            db.session.scalar(
                select(CalendarDay.day).where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31))).limit(1)
            )
            is None
        ):
            db.session.add(CalendarDay(day=date(year, 1, 1), kind="holiday", note="元旦"))
    db.session.commit()


def set_window(app, notice_id: int, *, starts_in: float, ends_in: float) -> None:
    from datetime import timedelta

    from app import cache
    from app.db_types import utcnow
    from app.publicity.models import PublicityNotice

    with app.app_context():
        notice = db.session.get(PublicityNotice, notice_id)
        now = utcnow()
        notice.starts_at = now + timedelta(seconds=starts_in)
        notice.ends_at = now + timedelta(seconds=ends_in)
        db.session.commit()
        cache.invalidate("publicity")


def factory_admin():
    """The staff admin the factories act as (created on first use)."""
    from app.accounts import services as accounts
    from app.accounts.models import User
    from app.accounts.roles import Role

    admin = db.session.scalar(select(User).where(User.username == "factory-admin"))
    return admin or accounts.create_staff_user("factory-admin", "factory-admin-pw", Role.ADMIN)


def make_base(app, **profile) -> int:
    """A titled zone designated as an education base (with a profile, if given), through the services."""
    from app.visits import calendar

    zone_id = make_zone(app, "titled", type="scenic")
    with app.app_context():
        admin = factory_admin()
        lifecycle.set_education_base(zone_id, True, admin)
        if profile:
            calendar.update_profile(zone_id, profile, admin)
    return zone_id


def make_slot(
    app,
    base_id: int,
    *,
    days_ahead: int = 1,
    hour: int = 10,
    capacity: int = 20,
    group_capacity: int = 30,
    starts_in: float | None = None,
) -> int:
    """A slot `days_ahead` local days from today at `hour` (made by the calendar service), or one
    starting `starts_in` seconds from now: possibly in the past or about to start, which no service
    creates, so those rows are written directly."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from app.db_types import utcnow
    from app.visits import calendar
    from app.visits.models import Slot

    tz = ZoneInfo("Asia/Shanghai")
    if starts_in is None and days_ahead >= 1:
        day = utcnow().astimezone(tz).date() + timedelta(days=days_ahead)
        spec = {
            "from": day,
            "to": day,
            "weekdays": [day.isoweekday()],
            "times": [{"start": time(hour), "end": time(hour + 1)}],
            "capacity": capacity,
            "group_capacity": group_capacity,
        }
        with app.app_context():
            (slot,) = calendar.create_slots(base_id, spec, factory_admin())
            return slot.id
    if starts_in is not None:
        starts = utcnow() + timedelta(seconds=starts_in)
    else:
        day = utcnow().astimezone(tz).date() + timedelta(days=days_ahead)
        starts = datetime.combine(day, time(hour), tz)
    with app.app_context():
        slot = Slot(
            base_id=base_id,
            visit_date=starts.astimezone(tz).date(),
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            capacity=capacity,
            group_capacity=group_capacity,
            booked=0,
            group_booked=0,
            status="open",
        )
        db.session.add(slot)
        db.session.commit()
        return slot.id


def citizen_tokens(app, count: int, prefix: str = "rush") -> list[dict]:
    """Signed-in users made directly (no WeChat round trip), for load and concurrency tests."""
    from app.accounts.models import User
    from app.accounts.tokens import issue_token
    from app.policies import services as policies

    headers = []
    with app.app_context():
        users = [User(openid=f"o_{prefix}_{i}") for i in range(count)]
        db.session.add_all(users)
        db.session.flush()
        for user in users:  # as a signed-in citizen, who accepted the privacy policy first
            policies.accept_current(user)
        issued = [issue_token(u, "mp", 3600) for u in users]
        db.session.commit()
        headers = [{"Authorization": f"Bearer {t.token}"} for t in issued]
    return headers


def move_booking_to_today(app, booking_id: int) -> None:
    """Make a booking's visit day today (China time), whatever the clock says, for check-in tests."""
    from zoneinfo import ZoneInfo

    from app.db_types import utcnow
    from app.visits.models import Booking, BookingVisitor

    today = utcnow().astimezone(ZoneInfo("Asia/Shanghai")).date()
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        booking.visit_date = today
        booking.slot.visit_date = today
        for visitor in db.session.scalars(select(BookingVisitor).where(BookingVisitor.booking_id == booking_id)):
            visitor.visit_date = today
        db.session.commit()
