"""A visitor cancelling a booking (until the cut-off; the freed places go to the waitlist), and a base
closing a whole day (every booking and waitlist entry on it cancelled, each visitor told)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select, update

from app import uow
from app.accounts.models import User
from app.audit import services as audit
from app.db_types import insert_unless_conflict, utcnow
from app.errors import AppError, Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.times import local_iso
from app.visits.calendar import ensure_operates, get_base, lock_calendar, slots_changed
from app.visits.messages import notify_change
from app.visits.models import (
    Booking,
    BookingKind,
    BookingStatus,
    Closure,
    Slot,
    SlotStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from app.visits.rules import rules
from app.visits.waitlist import promote_waitlist, stop_waiting


def release_booking(booking: Booking, reason: str, late: bool) -> None:
    """Step: the booking cancelled, its places given back to the slot, its visitors no longer holding
    their day at the base."""
    people = booking.headcount
    column = Slot.group_booked if booking.kind == BookingKind.GROUP else Slot.booked
    db.session.execute(update(Slot).where(Slot.id == booking.slot_id).values({column: column - people}))
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = utcnow()
    booking.cancel_reason = reason
    booking.late_cancel = late
    for visitor in booking.visitors:
        visitor.active = False


def cancellable_until(booking: Booking) -> datetime:
    """The last moment the visitor may cancel: BOOKING_CANCEL_CUTOFF_MINUTES before the start."""
    return booking.slot.starts_at - rules().cancel_cutoff


def cancel(user: User, booking_id: int, now: datetime | None = None) -> Booking:
    """The visitor cancels, until the cut-off; freed places go to the waitlist in order."""
    r = rules()
    now = now or utcnow()
    # Locks in the order every writer of a slot's bookings takes them: the slot, then its bookings
    # (closing a day, an account's deletion). Booking first had deadlocked with a closure (503). A
    # closure that got there first has cancelled it by the time the booking is read: 409 below.
    db.session.execute(
        select(Slot.id)
        .where(Slot.id == select(Booking.slot_id).where(Booking.id == booking_id).scalar_subquery())
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    booking = db.session.scalar(
        select(Booking)
        .where(Booking.id == booking_id, Booking.user_id == user.id)
        .with_for_update(of=Booking)
        .execution_options(populate_existing=True)
    )
    if booking is None:
        raise NotFound("预约不存在")
    if booking.status != BookingStatus.CONFIRMED:
        raise Conflict("该预约已不能取消", code="not_cancellable", details={"status": booking.status})
    cutoff = cancellable_until(booking)
    if now >= cutoff:
        raise AppError(
            f"距参观开始不足 {int(r.cancel_cutoff.total_seconds() // 60)} 分钟，已不能取消",
            code="cancel_cutoff_passed",
            status=422,
            details={"cutoff": local_iso(cutoff, r.timezone)},
        )
    release_booking(booking, "用户取消", late=now >= booking.slot.starts_at - r.late_cancel)
    promoted = promote_waitlist(booking.slot_id, r, now)
    for entry_booking in promoted:
        notify_change(entry_booking, "候补成功，已为您预约", r)
    slots_changed(booking.base_id)
    uow.commit()
    return booking


def _refuse_past_day(day: date, now: datetime | None = None) -> None:
    if day < rules().today(now):
        raise ValidationFailed(details={"date": ["不能为过去的日期闭馆"]})


def close_day_impact(base_id: int, day: date, actor: User) -> tuple[int, int]:
    """What closing `day` would do, asked before doing it: (bookings cancelled, visitors told). A day
    that cannot be closed is refused here already, not after the question."""
    get_base(base_id)
    ensure_operates(actor, base_id)
    _refuse_past_day(day)
    bookings_n, visitors_n = db.session.execute(
        select(func.count(Booking.id), func.count(func.distinct(Booking.user_id))).where(
            Booking.base_id == base_id, Booking.visit_date == day, Booking.status == BookingStatus.CONFIRMED
        )
    ).one()
    return int(bookings_n), int(visitors_n)


def _close_slots(slots: list[Slot], reason: str, cancel_reason: str) -> list[Booking]:
    """Close these slots (locked, in id order), cancel their confirmed bookings (locked after them: the
    order a cancellation takes) and end their waiting requests. Returns the bookings cancelled."""
    cancelled = []
    for slot in slots:
        if slot.status != SlotStatus.CLOSED:
            slot.status, slot.closed_reason = SlotStatus.CLOSED, reason
        for booking in db.session.scalars(
            select(Booking)
            .where(Booking.slot_id == slot.id, Booking.status == BookingStatus.CONFIRMED)
            .order_by(Booking.id)
            .with_for_update(of=Booking)
            .execution_options(populate_existing=True)
        ):
            release_booking(booking, cancel_reason, late=False)
            cancelled.append(booking)
        stop_waiting(WaitlistStatus.CANCELLED, WaitlistEntry.slot_id == slot.id)
    return cancelled


NO_LONGER_A_BASE = "该示范区已不再作为低碳宣传教育基地开放参观"
BASE_CLOSED_MESSAGE = "基地停止开放，预约已取消"  # a subscribe message's thing field holds 20 characters


def close_base(base_id: int, now: datetime | None = None) -> list[Booking]:
    """Step (the caller commits): a zone that is no longer an education base (its designation removed,
    its title revoked) receives nobody: every slot not yet started closes, its bookings are cancelled
    with a message to each visitor and its waiting requests end. Left confirmed, they would be
    reminded, checked in by no one and counted as no-shows against the citizens."""
    r = rules()
    slots = list(
        db.session.scalars(
            select(Slot)
            .where(Slot.base_id == base_id, Slot.starts_at > (now or utcnow()))
            .order_by(Slot.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    cancelled = _close_slots(slots, NO_LONGER_A_BASE, NO_LONGER_A_BASE)
    for booking in cancelled:
        notify_change(booking, BASE_CLOSED_MESSAGE, r, send_now=False)
    slots_changed(base_id)
    return cancelled


def reopen_base(base_id: int, now: datetime | None = None) -> int:
    """Step (the caller commits): a zone designated a base again offers the coming slots that close_base
    closed (not those of a day the base closed itself). Returns how many reopened."""
    closed_days = select(Closure.visit_date).where(Closure.base_id == base_id)
    reopened = _reopen_slots(base_id, now or utcnow(), NO_LONGER_A_BASE, Slot.visit_date.not_in(closed_days))
    slots_changed(base_id)
    return reopened


def _reopen_slots(base_id: int, now: datetime, closed_for: str, *where) -> int:
    """Step: the base's slots not yet started that were closed for `closed_for` (and match `where`)
    take bookings again. Returns how many."""
    return db.session.execute(
        update(Slot)
        .where(
            Slot.base_id == base_id,
            Slot.starts_at > now,
            Slot.status == SlotStatus.CLOSED,
            Slot.closed_reason == closed_for,
            *where,
        )
        .values(status=SlotStatus.OPEN, closed_reason=None)
    ).rowcount


def reopen_day(base_id: int, day: date, actor: User, now: datetime | None = None) -> int:
    """Lift a day's closure (closed by mistake, or the weather cleared): the day takes slots again and
    its slots that the closure closed and that have not started take bookings again. The bookings it
    cancelled stay cancelled: their visitors were told, and may book again. Returns the slots reopened."""
    r = rules()
    now = now or utcnow()
    get_base(base_id)
    ensure_operates(actor, base_id)
    if day < r.today(now):
        raise ValidationFailed(details={"date": ["过去的日期不能取消闭馆"]})
    lock_calendar(base_id)
    closure = db.session.scalar(
        select(Closure)
        .where(Closure.base_id == base_id, Closure.visit_date == day)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if closure is None:
        raise NotFound("这一天没有登记闭馆", details={"date": day.isoformat()})
    reopened = _reopen_slots(base_id, now, closure.reason, Slot.visit_date == day)
    db.session.delete(closure)
    audit.record(actor, "base.reopen_day", "zone", base_id, {"day": day, "reason": closure.reason}, {"slots": reopened})
    slots_changed(base_id)
    uow.commit()
    return reopened


def close_day(base_id: int, day: date, reason: str, actor: User, now: datetime | None = None) -> list[Booking]:
    """Close a whole day (holiday, weather), with or without slots yet: the closure is recorded (slots
    created for that day later are skipped), its slots stop taking bookings and every booking and
    waitlist entry on it is cancelled, with a message to each visitor. Closing a closed day again
    keeps its first reason and cancels nothing more."""
    r = rules()
    get_base(base_id)
    ensure_operates(actor, base_id)
    _refuse_past_day(day, now)
    lock_calendar(base_id)
    db.session.execute(insert_unless_conflict(Closure).values(base_id=base_id, visit_date=day, reason=reason))
    # Slots first, then their bookings: the order a cancellation takes them in (no deadlock).
    slots = list(
        db.session.scalars(
            select(Slot)
            .where(Slot.base_id == base_id, Slot.visit_date == day)
            .order_by(Slot.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    cancelled = _close_slots(slots, reason, f"基地闭馆：{reason}")
    audit.record(
        actor,
        "base.close_day",
        "zone",
        base_id,
        None,
        {"day": day, "reason": reason, "slots": len(slots), "cancelled": len(cancelled)},
    )
    for booking in cancelled:
        notify_change(booking, f"闭馆取消：{reason}", r, send_now=False)  # a whole day's visitors: by the outbox job
    slots_changed(base_id)
    uow.commit()
    return cancelled
