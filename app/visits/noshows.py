"""No-shows (repeat ones suspend booking) and the day-before reminders."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select, update

from app import uow
from app.db_types import utcnow
from app.extensions import db
from app.visits.messages import queue_booking_message
from app.visits.models import Booking, BookingStatus, BookingSuspension, Slot
from app.visits.rules import Rules, rules

log = logging.getLogger(__name__)

# ---- no-shows and reminders ---------------------------------------------------------------


def mark_no_shows(now: datetime | None = None) -> tuple[int, int]:
    """Bookings of ended slots without check-in become no-shows; repeated no-shows (late
    cancellations too, if the settings say so) suspend booking. Safe to run again."""
    r = rules()
    now = now or utcnow()
    ended = select(Slot.id).where(Slot.ends_at <= now).scalar_subquery()
    marked = (
        db.session.execute(
            update(Booking)
            .where(Booking.status == BookingStatus.CONFIRMED, Booking.slot_id.in_(ended))
            .values(status=BookingStatus.NO_SHOW)
            .returning(Booking.user_id)
        )
        .scalars()
        .all()
    )
    suspended = 0
    for user_id in sorted(set(marked)):
        if _maybe_suspend(user_id, r, now):
            suspended += 1
    uow.commit()
    return len(marked), suspended


def _maybe_suspend(user_id: int, r: Rules, now: datetime) -> bool:
    today = r.today(now)
    window_start = today - r.no_show_window
    counted = Booking.status == BookingStatus.NO_SHOW
    if r.late_cancel_counts:
        counted = counted | and_(Booking.status == BookingStatus.CANCELLED, Booking.late_cancel.is_(True))
    misses = db.session.scalar(
        select(func.count(Booking.id)).where(Booking.user_id == user_id, counted, Booking.visit_date > window_start)
    )
    if misses < r.no_show_limit:
        return False
    if db.session.scalar(
        select(BookingSuspension.id).where(BookingSuspension.user_id == user_id, BookingSuspension.ends_on >= today)
    ):
        return False
    db.session.add(
        BookingSuspension(
            user_id=user_id,
            starts_on=today,
            ends_on=today + timedelta(days=r.suspension_days - 1),
            reason=f"{r.no_show_window.days} 天内 {misses} 次预约未到",
        )
    )
    return True


def send_reminders(now: datetime | None = None) -> int:
    """Tomorrow's visitors get a reminder. Each booking is claimed with a conditional update in the
    same transaction that queues its message, so two runs at once (or one run twice) queue one."""
    r = rules()
    now = now or utcnow()
    tomorrow = r.today(now) + timedelta(days=1)
    candidates = db.session.scalars(
        select(Booking.id).where(
            Booking.visit_date == tomorrow,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.reminder_sent_at.is_(None),
        )
    ).all()
    queued = 0
    for booking_id in candidates:
        claimed = db.session.execute(
            update(Booking)
            .where(Booking.id == booking_id, Booking.reminder_sent_at.is_(None))
            .values(reminder_sent_at=now)
        ).rowcount
        if claimed:
            queued += queue_booking_message(
                db.session.get(Booking, booking_id), "booking.reminder", r.template_reminder, "明日参观提醒", r
            )
        uow.commit()
    return queued
