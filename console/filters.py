"""Template filters: local times, and Chinese labels for the stored codes."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from flask import request

from app.publicity.constants import OBJECTION_LABELS, ObjectionStatus
from app.times import app_timezone, last_day_words, period_words
from app.visits.calendar import SLOT_STATE_LABELS
from app.visits.models import BOOKING_STATUS_LABELS
from app.zones.constants import LEVEL_LABELS, STATUS_LABELS, TYPE_LABELS, Level, Status, ZoneType
from console import bp

SLOT_STATES = {state.value: label for state, label in SLOT_STATE_LABELS.items()}  # the API's status_label
BOOKING_STATES = BOOKING_STATUS_LABELS  # the API's status_label and the door list's words
WINDOW_STATES = {"draft": "草稿", "upcoming": "未开始", "open": "公示中", "ended": "已结束", "closed": "已办结"}


def _label(table, enum):
    def label(value):
        try:
            return table.get(enum(value), value) if enum else table.get(str(value), value)
        except ValueError:
            return value

    return label


for name, table, enum in (
    ("zone_type", TYPE_LABELS, ZoneType),
    ("zone_level", LEVEL_LABELS, Level),
    ("zone_status", STATUS_LABELS, Status),
    ("objection_status", OBJECTION_LABELS, ObjectionStatus),
    ("slot_state", SLOT_STATES, None),
    ("booking_status", BOOKING_STATES, None),
    ("window_state", WINDOW_STATES, None),
):
    bp.add_app_template_filter(_label(table, enum), name)


@bp.app_template_filter("local")
def local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if moment is None or not isinstance(moment, datetime):
        return "—" if moment is None else str(moment)
    return moment.astimezone(app_timezone()).strftime(fmt)


@bp.app_template_filter("plain")
def plain(number) -> str:
    """A decimal as people write it (10, not 1E+1)."""
    from decimal import Decimal

    from app.campaigns.checkins import plain as plain_number

    if number is None:
        return "—"
    return plain_number(number if isinstance(number, Decimal) else Decimal(str(number)))


@bp.app_template_global()
def action_names() -> dict[str, str]:
    """Action codes' Chinese names (the catalogue's), read once per page: `names.get(code, code)`."""
    from app.campaigns.catalogue import action_names as names

    return names()


@bp.app_template_global()
def query_with(**changes) -> str:
    """The current query string with some parameters changed (pagination keeps the filters)."""
    args = {k: v for k, v in request.args.items()}
    args.update({k: str(v) for k, v in changes.items()})
    return urlencode(args)


@bp.app_template_filter("status_tag")
def status_tag(status: str):
    """A zone status as a tag in its own colour (the charts' colour for it)."""
    from markupsafe import Markup, escape

    from console.charts import STATUS_COLOURS

    colour = STATUS_COLOURS.get(str(status), "#5b6b63")
    label = _label(STATUS_LABELS, Status)(status)
    html = f'<span class="tag status" data-status="{escape(status)}" style="--c: {colour}">{escape(label)}</span>'
    return Markup(html)  # noqa: S704 (every text escaped above)


@bp.app_template_filter("last_day")
def last_day(moment: datetime | None) -> str:
    """A deadline by its last included day ("截至 12 月 1 日", not "12-02 00:00")."""
    return last_day_words(moment) if isinstance(moment, datetime) else "—"


@bp.app_template_filter("window")
def window(item) -> str:
    """A notice's window by its first and last included days ("12 月 1 日至 12 月 5 日")."""
    return period_words(item.starts_at, item.ends_at)


@bp.app_template_global()
def notice_until(objection) -> str:
    """The last day of the objection's notice window."""
    from app.extensions import db
    from app.publicity.models import PublicityNotice

    notice = db.session.get(PublicityNotice, objection.notice_id)
    return last_day_words(notice.ends_at) if notice else "—"
