"""Working days in China: weekends off, except make-up working days (调休); public holidays off.

The holidays and make-up days are data (`calendar_days`), loaded by the migrations for the years
the State Council has published and editable by staff when a new year's arrangement comes out.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app import uow
from app.errors import Conflict
from app.extensions import db
from app.publicity.models import CalendarDay
from app.times import app_timezone


def _overrides(start: date, end: date) -> dict[date, str]:
    rows = db.session.execute(select(CalendarDay.day, CalendarDay.kind).where(CalendarDay.day.between(start, end)))
    return {day: kind for day, kind in rows}


def is_working_day(day: date, overrides: dict[date, str]) -> bool:
    kind = overrides.get(day)
    if kind == "holiday":
        return False
    if kind == "workday":
        return True
    return day.weekday() < 5


def kind_on(day):
    """SQL, for a statement that reads other things too: the calendar's word on `day` (a date or a
    bound parameter): "holiday", "workday" or NULL. is_working_day takes it as {day: kind}."""
    return select(CalendarDay.kind).where(CalendarDay.day == day).scalar_subquery()


def is_working(day: date) -> bool:
    """Whether `day` is a China working day (the calendar's holidays and make-up days applied)."""
    return is_working_day(day, _overrides(day, day))


def nth_working_day(start: date, n: int) -> date:
    """The n-th working day counting from `start` (start itself counts when it is a working day)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    overrides = _overrides(start, start + timedelta(days=n * 3 + 30))
    day, counted = start, 0
    while True:
        if is_working_day(day, overrides):
            counted += 1
            if counted == n:
                return day
        day += timedelta(days=1)


def window(start: date, working_days: int, timezone: str | None = None) -> tuple[datetime, datetime]:
    """A publicity window: from 00:00 of `start` to the end of its n-th working day, local time
    (APP_TIMEZONE unless given)."""
    tz = ZoneInfo(timezone) if timezone else app_timezone()
    last = nth_working_day(start, working_days)
    return (
        datetime.combine(start, time(0, 0), tz),
        datetime.combine(last + timedelta(days=1), time(0, 0), tz),
    )


def unloaded_years(first: date, last: date) -> list[int]:
    """The years from `first` to `last` whose holidays are not in the calendar: a year without a
    single row (every year has at least 元旦) was never entered, and counting through it skips only
    weekends."""
    return [
        year
        for year in range(first.year, last.year + 1)
        if db.session.scalar(
            select(CalendarDay.day).where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31))).limit(1)
        )
        is None
    ]


def _years_words(years: list[int]) -> str:
    return "、".join(str(y) for y in years)


def working_days(start: date, days: int) -> dict:
    """N working days from a day, as staff read it (the staff API and the console's helper alike),
    saying so when the count runs through a year whose holidays are not entered."""
    starts_at, ends_at = window(start, days)
    last = ends_at.date() - timedelta(days=1)  # the window ends at 00:00 after its last day
    years = unloaded_years(start, last)
    return {
        "start": start,
        "days": days,
        "last_working_day": last,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "unloaded_years": years,
        "warning": (
            f"{_years_words(years)} 年的法定节假日和调休安排尚未录入工作日历，以上结果只跳过了周末，"
            "可能落在节假日；请先录入该年的节假日再据此确定公示期"
            if years
            else None
        ),
    }


class CalendarNotLoaded(Conflict):
    code = "calendar_not_loaded"


def ensure_loaded(starts_at: datetime, ends_at: datetime) -> None:
    """A notice's window may not reach a year whose holidays are not entered: nobody could tell
    whether it ends on a holiday or counts the working days the public was promised."""
    tz = app_timezone()
    first = starts_at.astimezone(tz).date()
    last = (ends_at - timedelta(microseconds=1)).astimezone(tz).date()  # the end is exclusive
    years = unloaded_years(first, last)
    if years:
        raise CalendarNotLoaded(
            f"公示期涉及 {_years_words(years)} 年，该年的法定节假日和调休安排尚未录入工作日历；"
            "请先在工作日历中录入该年的节假日，再创建或发布公示",
            details={"unloaded_years": years},
        )


def days_of_year(year: int) -> list[CalendarDay]:
    return list(
        db.session.scalars(
            select(CalendarDay)
            .where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31)))
            .order_by(CalendarDay.day)
        )
    )


def put_day(day: date, kind: str, note: str | None, actor) -> CalendarDay:
    """Add or change one holiday or make-up working day (audited)."""
    from app.audit import services as audit

    row = db.session.get(CalendarDay, day)
    before = {"kind": row.kind, "note": row.note} if row else None
    if row is None:
        row = CalendarDay(day=day)
        db.session.add(row)
    row.kind, row.note = kind, note
    audit.record(actor, "calendar.put", "calendar_day", None, before, {"day": day, "kind": kind, "note": note})
    uow.commit()
    return row
