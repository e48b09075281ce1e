"""The waitlist of a full slot: joining it, one's place in it, and booking its requests in order as
places are freed (by a cancellation, a closed booking's erasure)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app import uow
from app.accounts.models import User
from app.db_types import utcnow
from app.errors import AppError, Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.policies import services as policies
from app.visits.booking import (
    PersonAlreadyWaiting,
    SlotFull,
    book,
    check_request,
    count_refused_person,
)
from app.visits.models import (
    WAITLIST_STATUS_LABELS,
    Booking,
    BookingKind,
    Slot,
    WaitlistEntry,
    WaitlistPerson,
    WaitlistStatus,
)
from app.visits.rules import Rules, rules


def join_waitlist(user: User, slot_id: int, data: dict[str, Any]) -> WaitlistEntry:
    """Wait for `slot_id` (the path's) with a booking request; the body may name the slot too, and
    the base of the page it comes from, but not another one. The request must pass every rule a
    booking of that slot would now (booking.check_request, the same answers): one that could never
    be booked is refused, not queued."""
    if data.get("slot_id") is not None and data["slot_id"] != slot_id:
        raise ValidationFailed(details={"slot_id": ["与请求路径中的时段不一致"]})
    policies.ensure_consented(user)  # the entry holds the visitors' names and documents
    slot = db.session.get(Slot, slot_id)
    if slot is None:
        raise NotFound("时段不存在")
    data = {**data, "slot_id": slot.id}  # the request booked when places free up
    checked = check_request(user, data, slot, rules(), utcnow())
    free = slot.group_remaining if checked.kind == BookingKind.GROUP else slot.remaining
    if free >= checked.people:
        raise Conflict("该时段仍有余位，请直接预约", code="slot_has_places", details={"remaining": free})
    _refuse_waiting_again(user, slot, checked.indexes)
    entry = WaitlistEntry(
        slot_id=slot.id,
        user_id=user.id,
        request=json.dumps(data, ensure_ascii=False),
        headcount=checked.people,
        status=WaitlistStatus.WAITING,
    )
    entry.slot = slot
    try:
        with db.session.begin_nested():
            db.session.add(entry)
            db.session.flush()
            db.session.add_all(WaitlistPerson(entry_id=entry.id, slot_id=slot.id, id_index=i) for i in checked.indexes)
            db.session.flush()
    except IntegrityError:
        # Another request, committed since the checks above, took the place in the queue: the checks
        # now see it and say which (the database's unique indexes are what keep the rule).
        _refuse_waiting_again(user, slot, checked.indexes)
        # Nothing the checks can name (PostgreSQL reports the conflict only once the other row is
        # committed, so this should not happen): a plain 409 to try again, never a 500.
        raise Conflict("候补名单刚刚发生变化，请稍后重试") from None
    uow.commit()
    return entry


def _refuse_waiting_again(user: User, slot: Slot, indexes: list[str]) -> None:
    """409 already_waiting when the caller already waits for the slot; PersonAlreadyWaiting when one
    of these visitors waits for it in another account's request."""
    existing = db.session.scalar(
        select(WaitlistEntry.id).where(
            WaitlistEntry.slot_id == slot.id,
            WaitlistEntry.user_id == user.id,
            WaitlistEntry.status == WaitlistStatus.WAITING,
        )
    )
    if existing is not None:
        raise Conflict("您已在该时段的候补名单中", code="already_waiting", details={"waitlist_id": existing})
    if not indexes:
        return
    held = set(
        db.session.scalars(
            select(WaitlistPerson.id_index).where(
                WaitlistPerson.slot_id == slot.id, WaitlistPerson.id_index.in_(indexes)
            )
        )
    )
    for position, index in enumerate(indexes):
        if index in held:
            count_refused_person(user.id, rules().today())
            raise PersonAlreadyWaiting(details={"visitor": position})


def free_people(*where) -> None:
    """The people of the waitlist entries matching `where` may wait for their slot again: an entry's
    people rows live only while it waits, so every step that ends its waiting calls this (through
    leave_queue or stop_waiting, or before deleting the entries)."""
    db.session.execute(
        delete(WaitlistPerson).where(WaitlistPerson.entry_id.in_(select(WaitlistEntry.id).where(*where)))
    )


def leave_queue(entry: WaitlistEntry, status: WaitlistStatus) -> None:
    """Step: `entry` no longer waits (promoted, failed, withdrawn, purged); its people are freed."""
    entry.status = status
    free_people(WaitlistEntry.id == entry.id)


def stop_waiting(status: WaitlistStatus, *where) -> None:
    """Step: every waiting request matching `where` leaves the queue with `status`, its people freed."""
    waiting = (WaitlistEntry.status == WaitlistStatus.WAITING, *where)
    free_people(*waiting)
    db.session.execute(update(WaitlistEntry).where(*waiting).values(status=status))


def my_waitlist_query(user: User):
    """The caller's waitlist entries, newest first, each with its slot."""
    return (
        select(WaitlistEntry)
        .where(WaitlistEntry.user_id == user.id)
        .options(joinedload(WaitlistEntry.slot))
        .order_by(WaitlistEntry.created_at.desc(), WaitlistEntry.id.desc())
    )


def withdraw(user: User, entry_id: int) -> WaitlistEntry:
    """The requester leaves the waitlist: only a waiting entry (409 `not_waiting` once it was
    promoted, failed or cancelled); someone else's is 404, as if it did not exist."""
    entry = db.session.scalar(
        select(WaitlistEntry)
        .where(WaitlistEntry.id == entry_id, WaitlistEntry.user_id == user.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if entry is None:
        raise NotFound("候补记录不存在")
    if entry.status != WaitlistStatus.WAITING:
        raise Conflict(
            f"该候补已不能取消（{WAITLIST_STATUS_LABELS[WaitlistStatus(entry.status)]}）",
            code="not_waiting",
            details={"status": entry.status},
        )
    leave_queue(entry, WaitlistStatus.CANCELLED)
    uow.commit()
    return entry


def waitlist_position(entry: WaitlistEntry) -> int | None:
    """Its place in the queue while it waits (1 is next); None once it no longer waits."""
    if entry.status != WaitlistStatus.WAITING:
        return None
    return db.session.scalar(
        select(func.count(WaitlistEntry.id)).where(
            WaitlistEntry.slot_id == entry.slot_id,
            WaitlistEntry.status == WaitlistStatus.WAITING,
            WaitlistEntry.id <= entry.id,
        )
    )


def promote_waitlist(slot_id: int, r: Rules, now: datetime) -> list[Booking]:
    """Book waiting requests in the order they came, as far as the freed places go. A request too
    big for what is free keeps its place; one that can no longer be booked is marked failed."""
    promoted = []
    entries = db.session.scalars(
        select(WaitlistEntry)
        .where(WaitlistEntry.slot_id == slot_id, WaitlistEntry.status == WaitlistStatus.WAITING)
        .order_by(WaitlistEntry.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for entry in entries:
        user = db.session.get(User, entry.user_id)
        try:
            with db.session.begin_nested():
                booking = book(user, json.loads(entry.request), r, now, waitlist_entry_id=entry.id)
        except SlotFull:
            continue
        except AppError:
            leave_queue(entry, WaitlistStatus.FAILED)
            continue
        entry.booking_id = booking.id
        leave_queue(entry, WaitlistStatus.PROMOTED)
        promoted.append(booking)
    return promoted
