"""The one way a moment is written for clients: ISO 8601 in APP_TIMEZONE, to the second, with its
offset (2026-11-26T09:00:00+08:00). Responses (LocalDateTime), error details and audit snapshots all
use it. Messages people read say a period in words instead ("6 月 2 日至 6 月 6 日")."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app


def app_timezone() -> ZoneInfo:
    return ZoneInfo(current_app.config["APP_TIMEZONE"])


def local_today() -> date:
    """Today in APP_TIMEZONE (China time): the day of check-ins, visits and the console's calendars."""
    from app.db_types import utcnow

    return utcnow().astimezone(app_timezone()).date()


def local_iso(moment: datetime, timezone: str | ZoneInfo | None = None) -> str:
    zone = ZoneInfo(timezone) if isinstance(timezone, str) else (timezone or app_timezone())
    return moment.astimezone(zone).isoformat(timespec="seconds")


def period_words(
    starts_at: datetime, ends_at: datetime, timezone: str | ZoneInfo | None = None, now: datetime | None = None
) -> str:
    """A period for a message: "6 月 2 日至 6 月 6 日". Times of day only where a bound is not
    midnight; an end at midnight closes the day before it (windows end at 00:00 of the next day);
    the year only when the period is not wholly in this year."""
    zone = ZoneInfo(timezone) if isinstance(timezone, str) else (timezone or app_timezone())
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    end_day = end.date() - timedelta(days=1) if end.time() == datetime.min.time() and end > start else end.date()
    from app.db_types import utcnow

    this_year = (now or utcnow()).astimezone(zone).year
    with_year = not start.year == end_day.year == this_year

    def words(day: date, moment: datetime | None) -> str:
        text = f"{day.year} 年 " if with_year else ""
        text += f"{day.month} 月 {day.day} 日"
        return text + (f" {moment:%H:%M}" if moment is not None else "")

    first = words(start.date(), None if start.time() == datetime.min.time() else start)
    last = words(end_day, None if end.time() == datetime.min.time() else end)
    return f"{first}{' ' if first[-1].isdigit() else ''}至 {last}"


def days_words(first: date, last: date) -> str:
    """Days from `first` to `last` included, as period_words says them: "10 月 19 日至 11 月 18 日"."""
    zone = app_timezone()
    return period_words(
        datetime.combine(first, datetime.min.time(), zone),
        datetime.combine(last + timedelta(days=1), datetime.min.time(), zone),
        zone,
    )


def last_day_words(ends_at: datetime) -> str:
    """A deadline as people read it: "截至 12 月 1 日" for an end at midnight of the 2nd (the last day
    included, never a day that is not)."""
    last = (ends_at - timedelta(seconds=1)).astimezone(app_timezone())
    return f"截至 {last.month} 月 {last.day} 日"
