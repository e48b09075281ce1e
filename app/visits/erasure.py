"""Visitors' personal data going away: when their account is deleted (future bookings cancelled,
their places offered to the waitlist) and, for everyone, BOOKING_RETENTION_DAYS after the visit.

A booking keeps its row without the people (base, day, head count, status: attendance counts stay);
its visitors lose name, document and phone, and the blind index of the document that would still
let the database recognise the person. Each booking is purged whole or not at all (the caller's
transaction)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from app.db_types import utcnow
from app.extensions import db
from app.visits.calendar import slots_changed
from app.visits.cancelling import release_booking
from app.visits.messages import notify_change
from app.visits.models import Booking, BookingStatus, BookingSuspension, Slot, WaitlistEntry, WaitlistStatus
from app.visits.rules import rules
from app.visits.waitlist import free_people, leave_queue, promote_waitlist

PURGED_INDEX = ""  # a purged visitor's blind index: no longer anyone's


def forget_booking(booking: Booking, now: datetime) -> None:
    """Remove the people from one booking (its visitors, its group's leader and name list)."""
    for visitor in booking.visitors:
        visitor.name = visitor.id_number = visitor.phone = None
        visitor.id_index = PURGED_INDEX
        visitor.active = False  # a purged visitor takes part in no "one booking per person" rule
    booking.organisation = booking.leader_name = booking.leader_phone = booking.member_list = None
    booking.purged_at = now


def forget_waitlist_request(entry: WaitlistEntry) -> None:
    entry.request = json.dumps({"purged": True})


def release_account(user_id: int, now: datetime | None = None) -> tuple[int, int, int]:
    """An account is deleted: its future bookings are cancelled and their places go to the waitlist
    (the promoted are told through the outbox, as for any cancellation), every booking of it loses
    its people, its waiting requests and suspensions go. Writes only; the caller commits. Returns
    (bookings cancelled, people promoted from the waitlist, bookings purged)."""
    r = rules()
    now = now or utcnow()
    # Locks in the order every writer of a slot's bookings takes them: the slots it would free, then
    # the bookings, then waiting requests (closing a day takes them so too: no deadlock with it).
    db.session.execute(
        select(Slot.id)
        .where(
            Slot.id.in_(
                select(Booking.slot_id).where(Booking.user_id == user_id, Booking.status == BookingStatus.CONFIRMED)
            )
        )
        .order_by(Slot.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    bookings = db.session.scalars(
        select(Booking)
        .where(Booking.user_id == user_id)
        .order_by(Booking.id)
        .with_for_update(of=Booking)
        .execution_options(populate_existing=True)
    ).all()
    # Its own waiting requests before any cancellation, so none of them is promoted by its own.
    free_people(WaitlistEntry.user_id == user_id)
    db.session.execute(delete(WaitlistEntry).where(WaitlistEntry.user_id == user_id))
    db.session.execute(delete(BookingSuspension).where(BookingSuspension.user_id == user_id))
    freed: dict[int, int] = {}
    cancelled = purged = 0
    for booking in bookings:
        if booking.status == BookingStatus.CONFIRMED and booking.slot.starts_at > now:
            release_booking(booking, "账号注销", late=False)
            freed[booking.slot_id] = booking.base_id
            cancelled += 1
        if booking.purged_at is None:
            forget_booking(booking, now)
            purged += 1
    promoted = 0
    for slot_id, base_id in sorted(freed.items()):
        for entry_booking in promote_waitlist(slot_id, r, now):
            notify_change(entry_booking, "候补成功，已为您预约", r)  # WeChat down: it waits in the outbox
            promoted += 1
        slots_changed(base_id)
    return cancelled, promoted, purged


def due_bookings(retention_days: int, now: datetime, limit: int) -> list[int]:
    """Bookings whose visit ended more than `retention_days` ago and still hold people."""
    cutoff = now - timedelta(days=retention_days)
    return list(
        db.session.scalars(
            select(Booking.id)
            .join(Slot, Slot.id == Booking.slot_id)
            .where(Slot.ends_at <= cutoff, Booking.purged_at.is_(None))
            .order_by(Booking.id)
            .limit(limit)
        )
    )


def due_waitlist(retention_days: int, now: datetime, limit: int) -> list[int]:
    """Waiting requests of slots past retention that still hold the people they would have booked."""
    cutoff = now - timedelta(days=retention_days)
    return list(
        db.session.scalars(
            select(WaitlistEntry.id)
            .join(Slot, Slot.id == WaitlistEntry.slot_id)
            .where(Slot.ends_at <= cutoff, WaitlistEntry.status != WaitlistStatus.PURGED)
            .order_by(WaitlistEntry.id)
            .limit(limit)
        )
    )


def purge_booking(booking_id: int, now: datetime) -> bool:
    booking = db.session.scalar(
        select(Booking)
        .where(Booking.id == booking_id)
        .with_for_update(of=Booking)
        .execution_options(populate_existing=True)
    )
    if booking is None or booking.purged_at is not None:
        return False  # another run got there first
    forget_booking(booking, now)
    return True


def purge_waitlist_entry(entry_id: int) -> bool:
    entry = db.session.scalar(
        select(WaitlistEntry)
        .where(WaitlistEntry.id == entry_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if entry is None or entry.status == WaitlistStatus.PURGED:
        return False
    forget_waitlist_request(entry)
    leave_queue(entry, WaitlistStatus.PURGED)
    return True
