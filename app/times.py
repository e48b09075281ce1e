"""The one way a moment is written for people and clients: ISO 8601 in APP_TIMEZONE, to the second,
with its offset (2026-11-26T09:00:00+08:00). Responses (LocalDateTime), error details and audit
snapshots all use it."""

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


def window_words(starts_at: datetime, ends_at: datetime) -> str:
    """A window as people read it: "12 月 1 日至 12 月 5 日", the end day being the last day included
    (a window ending at midnight of the 6th ends with the 5th)."""
    zone = app_timezone()
    first = starts_at.astimezone(zone)
    last = (ends_at - timedelta(seconds=1)).astimezone(zone)
    return f"{first.month} 月 {first.day} 日至{_year_if_other(last, first)}{last.month} 月 {last.day} 日"


def last_day_words(ends_at: datetime) -> str:
    """A deadline as people read it: "截至 12 月 1 日" for an end at midnight of the 2nd (the last day
    included, never a day that is not)."""
    last = (ends_at - timedelta(seconds=1)).astimezone(app_timezone())
    return f"截至 {last.month} 月 {last.day} 日"


def _year_if_other(moment: datetime, other: datetime) -> str:
    return f" {moment.year} 年 " if moment.year != other.year else " "
