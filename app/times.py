"""The one way a moment is written for people and clients: ISO 8601 in APP_TIMEZONE, to the second,
with its offset (2026-11-26T09:00:00+08:00). Responses (LocalDateTime), error details and audit
snapshots all use it."""

from __future__ import annotations

from datetime import date, datetime
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
