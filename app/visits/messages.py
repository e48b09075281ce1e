"""Subscribe messages to visitors about their bookings (sent after the commit; a failure is logged)."""

from __future__ import annotations

import logging

from app.accounts.models import User
from app.extensions import db
from app.visits.models import Booking
from app.visits.rules import Rules
from app.wechat import services as wechat
from app.zones.models import Zone

log = logging.getLogger(__name__)

def notify_change(booking: Booking, text: str, r: Rules) -> None:
    send_booking_message(booking, r.template_change, text, r)


def send_booking_message(booking: Booking, template_id: str | None, text: str, r: Rules) -> bool:
    user = db.session.get(User, booking.user_id)
    if not template_id or user is None or not user.openid:
        return False
    base = db.session.get(Zone, booking.base_id)
    try:
        wechat.send_subscribe_message(
            user.openid,
            template_id,
            {
                "thing1": {"value": base.name[:20]},
                "time2": {"value": booking.slot.starts_at.astimezone(r.timezone).strftime("%Y-%m-%d %H:%M")},
                "thing3": {"value": text[:20]},
            },
            page=f"pages/bookings/detail?id={booking.id}",
        )
    except wechat.SubscribeMessageFailed as exc:
        log.warning("booking %s: subscribe message failed: %s", booking.id, exc)
        return False
    return True
