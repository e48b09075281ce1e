"""Subscribe messages to visitors about their bookings: queued in the outbox inside the booking's
own transaction, sent after it commits, retried until WeChat takes them (app.outbox)."""

from __future__ import annotations

from app.extensions import db
from app.outbox import services as outbox
from app.visits.models import Booking
from app.visits.rules import Rules
from app.zones.models import Zone


def notify_change(booking: Booking, text: str, r: Rules, *, send_now: bool = True) -> None:
    queue_booking_message(booking, "booking.change", r.template_change, text, r, send_now=send_now)


def queue_booking_message(
    booking: Booking, kind: str, template_id: str | None, text: str, r: Rules, *, send_now: bool = True
) -> bool:
    """True when a message was queued (False: no template configured). send_now=False leaves it to
    the outbox job (within a minute): for writes that tell many visitors at once."""
    base = db.session.get(Zone, booking.base_id)
    return (
        outbox.queue(
            kind,
            booking.user_id,
            template_id,
            {
                "thing1": {"value": base.name[:20]},
                "time2": {"value": booking.slot.starts_at.astimezone(r.timezone).strftime("%Y-%m-%d %H:%M")},
                "thing3": {"value": text[:20]},
            },
            page=f"pages/bookings/detail?id={booking.id}",
            ref=("booking", booking.id),
            send_now=send_now,
        )
        is not None
    )
