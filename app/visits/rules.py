"""Settings of the visits rules, read once per use case from the app config; the slot cache namespace."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from app.db_types import utcnow

log = logging.getLogger(__name__)

MAX_SLOT_RANGE_DAYS = 92


def slots_namespace(base_id: int) -> str:
    return f"slots:{base_id}"


# ---- rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    timezone: ZoneInfo
    cancel_cutoff: timedelta
    late_cancel: timedelta
    late_cancel_counts: bool
    no_show_limit: int
    no_show_window: timedelta
    suspension_days: int
    template_change: str | None
    template_reminder: str | None

    @classmethod
    def from_config(cls, config) -> Rules:
        return cls(
            timezone=ZoneInfo(config["APP_TIMEZONE"]),
            cancel_cutoff=timedelta(minutes=config["BOOKING_CANCEL_CUTOFF_MINUTES"]),
            late_cancel=timedelta(minutes=config["BOOKING_LATE_CANCEL_MINUTES"]),
            late_cancel_counts=config["BOOKING_LATE_CANCEL_COUNTS_AS_NO_SHOW"],
            no_show_limit=config["NO_SHOW_LIMIT"],
            no_show_window=timedelta(days=config["NO_SHOW_WINDOW_DAYS"]),
            suspension_days=config["NO_SHOW_SUSPENSION_DAYS"],
            template_change=config["WECHAT_TEMPLATE_BOOKING_CHANGE"],
            template_reminder=config["WECHAT_TEMPLATE_BOOKING_REMINDER"],
        )

    def today(self, now: datetime | None = None) -> date:
        return (now or utcnow()).astimezone(self.timezone).date()


def rules() -> Rules:
    return Rules.from_config(current_app.config)
