"""What every progress use case shares: which zones are under construction, when a zone was
confirmed, and the quarters reports are made for (docs/domain.md, "Progress during construction")."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.errors import Conflict
from app.extensions import db
from app.times import app_timezone
from app.zones.constants import STATUS_LABELS, Status
from app.zones.models import Zone, ZoneTransition

# From confirmation until the title is granted (or refused) a zone is tracked.
UNDER_CONSTRUCTION = (Status.CONFIRMED.value, Status.ACCEPTANCE_REVIEW.value)
PERIOD_PATTERN = re.compile(r"^\d{4}Q[1-4]$", re.ASCII)  # \d alone takes full-width digits too
# A quarter's report is due this many days after the quarter ends (2026Q3: 2026-10-15).
DUE_DAYS_AFTER_QUARTER = 15
# Reporters are reminded this many days before the due date.
REMIND_DAYS_BEFORE_DUE = 7


class NotUnderConstruction(Conflict):
    code = "zone_not_under_construction"


def ensure_under_construction(zone: Zone) -> None:
    if zone.status not in UNDER_CONSTRUCTION:
        raise NotUnderConstruction(
            f"示范区处于「{STATUS_LABELS[Status(zone.status)]}」状态，只有已确定创建、尚未授予称号的示范区可以填报进展",
            details={"status": zone.status, "allowed": list(UNDER_CONSTRUCTION)},
        )


def confirmed_at(zone_id: int) -> datetime | None:
    """When the zone (last) entered `confirmed`; None if it never did."""
    return db.session.scalar(
        select(ZoneTransition.occurred_at)
        .where(ZoneTransition.zone_id == zone_id, ZoneTransition.to_status == Status.CONFIRMED.value)
        .order_by(ZoneTransition.occurred_at.desc(), ZoneTransition.id.desc())
        .limit(1)
    )


def confirmed_on(zone_id: int) -> date | None:
    """The local day of confirmation: the earliest planned date of a milestone."""
    moment = confirmed_at(zone_id)
    return moment.astimezone(app_timezone()).date() if moment else None


def period_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def period_start(period: str) -> date:
    year, quarter = int(period[:4]), int(period[5])
    return date(year, 3 * quarter - 2, 1)


def period_end(period: str) -> date:
    year, quarter = int(period[:4]), int(period[5])
    if quarter == 4:
        return date(year, 12, 31)
    return date(year, 3 * quarter + 1, 1) - timedelta(days=1)


def previous_period(period: str) -> str:
    return period_of(period_start(period) - timedelta(days=1))


def due_on(period: str) -> date:
    """The last day a quarter's report may be submitted on time."""
    return period_end(period) + timedelta(days=DUE_DAYS_AFTER_QUARTER)


def period_label(period: str) -> str:
    return f"{period[:4]} 年第 {period[5]} 季度"
