"""Booking a slot (individuals and groups). Cancelling and closing a day are app.visits.cancelling,
the waitlist app.visits.waitlist.

Capacity is enforced by the database: a booking adds its people with one conditional UPDATE
(`booked + n <= capacity`), and a CHECK constraint backs it up; one person per base per day is a
partial unique index. No check-then-insert anywhere, so no race can overbook."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import redis as redis_lib
from flask import current_app
from sqlalchemy import bindparam, literal, select, update
from sqlalchemy.exc import IntegrityError

from app import cache, idempotency, uow
from app.accounts.models import User
from app.db_types import utcnow
from app.errors import AppError, Conflict, NotFound, ValidationFailed
from app.extensions import db, kv
from app.policies import services as policies
from app.times import local_iso, local_today
from app.validators import IdType, person_key
from app.visits import alerts
from app.visits.calendar import profile_of, release_at
from app.visits.models import (
    Booking,
    BookingKind,
    BookingStatus,
    BookingSuspension,
    BookingVisitor,
    Slot,
    SlotStatus,
)
from app.visits.rules import Rules, rules, slots_namespace
from app.zones.models import Zone

log = logging.getLogger(__name__)

# ---- errors -------------------------------------------------------------------------------


class SlotFull(Conflict):
    code = "slot_full"
    message = "该时段已约满，可加入候补"


class PersonAlreadyBooked(Conflict):
    """One person at most once per base and day. Said without confirming whose booking it is: for
    someone else's, only that the visitor at this position cannot be booked that day."""

    code = "person_already_booked"
    message = "该证件当天在本基地不可预约（每人每天限预约一次）"


class PersonAlreadyWaiting(Conflict):
    """One person waits once for a slot, whichever account asked: a second request would only fail
    when promoted. Said without confirming whose request it is."""

    code = "person_already_waiting"
    message = "该证件的参观人已在本时段候补"


class BaseNotOpen(Conflict):
    code = "base_not_open"
    message = "该基地目前不接受参观预约"


class TooManyRefusedVisitors(AppError):
    status = 429
    code = "too_many_refused_visitors"
    message = "今天因证件重复被拒的预约次数过多，请明天再试或联系基地"


# Each refusal for a person already booked tells a little about that person's plans: a user gets
# this many a day (counted in Redis, fail-open), enough for honest mistakes, not for trawling.
REFUSED_VISITORS_PER_DAY = 5


class BookingSuspended(AppError):
    status = 403
    code = "booking_suspended"


# ---- booking ------------------------------------------------------------------------------


def _cipher():
    return current_app.extensions["cipher"]


def person_index(visitor: dict[str, Any]) -> str:
    """The blind index of a visitor's document: one booking per (type, number) per base and day."""
    return _cipher().blind_index(person_key(visitor.get("id_type") or IdType.RESIDENT_ID.value, visitor["id_number"]))


def _suspension(user: User, today: date) -> BookingSuspension | None:
    return db.session.scalar(
        select(BookingSuspension)
        .where(BookingSuspension.user_id == user.id, BookingSuspension.ends_on >= today)
        .order_by(BookingSuspension.ends_on.desc())
    )


def request_booking(
    user: User, data: dict[str, Any], idempotency_key: str, present: Callable[[Booking], Any]
) -> idempotency.Outcome:
    """Use case: book a slot, at most once per Idempotency-Key (a retry gets the first answer,
    `present(booking)`, stored with the booking in one commit). Not before the current privacy
    policy is accepted (428). A slot already full is refused after one read, without claiming the
    key (unless it was used before: a retry gets its first answer)."""
    look = first_look(user.id, data, idempotency_key)
    if look.consent_missing:
        policies.refuse_without_consent()
    if not look.seen and _full(look, data):
        raise _slot_full(data["slot_id"])
    r = rules()
    staged = []

    def work():
        booking, take_place = stage(user, data, r)
        staged.append(take_place)
        return 201, present(booking)

    # The place is taken after the answer is stored: the slot's row is locked only for the commit.
    return idempotency.run_once(user.id, "booking", idempotency_key, data, work, last=lambda: staged[0]())


def book(
    user: User, data: dict[str, Any], r: Rules, now: datetime | None = None, *, waitlist_entry_id: int | None = None
) -> Booking:
    """Book a slot for named visitors or a group. Writes without committing; an error leaves the
    transaction to be rolled back (by the caller's savepoint, or the request's rollback)."""
    booking, take_place = stage(user, data, r, now, waitlist_entry_id=waitlist_entry_id)
    take_place()
    return booking


@dataclass(frozen=True)
class Checked:
    """A booking request that passed every rule of its slot: who and how many it would book."""

    kind: BookingKind
    people: int
    visitors: list[dict[str, Any]]
    indexes: list[str]  # the visitors' documents' blind indexes, in order
    minors: int | None  # groups


def check_request(user: User, data: dict[str, Any], slot: Slot, r: Rules, now: datetime) -> Checked:
    """Every rule a booking of `slot` must pass at `now`, before anything is written: the page's
    base, the base still open, the slot open, released and not started, the user not suspended,
    the group's size and make-up, individuals within the slot's capacity, nobody already booked
    at the base that day. The waitlist asks the same of a request it queues (one that could never
    be booked is refused as a booking would be). Places left are not looked at: that is the UPDATE's."""
    if data.get("base_id") is not None and data["base_id"] != slot.base_id:
        raise ValidationFailed(details={"slot_id": ["该时段不属于所选基地"]})
    if not db.session.scalar(select(Zone.is_education_base).where(Zone.id == slot.base_id)):
        raise BaseNotOpen()
    if slot.status != SlotStatus.OPEN:
        raise Conflict("该时段已关闭预约", code="slot_closed", details={"reason": slot.closed_reason})
    if now >= slot.starts_at:
        raise AppError("该时段已开始，不能再预约", code="slot_started", status=422)
    ensure_released(slot, r, now)
    suspension = _suspension(user, r.today(now))
    if suspension is not None:
        raise BookingSuspended(
            f"因多次预约未到，预约功能暂停至 {suspension.ends_on.isoformat()}",
            details={"suspended_until": suspension.ends_on.isoformat()},
        )
    if "group" in data:
        group = data["group"]
        people = group["headcount"]
        minors = group_makeup(people, group.get("minors"), group.get("members"))
        if people > slot.group_capacity:
            said = f"该时段团体最多 {slot.group_capacity} 人" if slot.group_capacity else "该时段不接受团体预约"
            raise ValidationFailed(details={"group": {"headcount": [said]}})
        return Checked(BookingKind.GROUP, people, [], [], minors)
    visitors = data["visitors"]
    if len(visitors) > slot.capacity:
        # More people than the slot ever holds: no place will free up for them (not slot_full).
        said = f"该时段个人预约最多 {slot.capacity} 人" if slot.capacity else "该时段不接受个人预约，可选择团体预约"
        raise ValidationFailed(details={"visitors": [said]})
    indexes = [person_index(v) for v in visitors]
    clash = _clash(slot, indexes)
    if clash:
        _refuse_person(user.id, indexes.index(clash.id_index), clash.user_id, clash.id, r.today(now))
    return Checked(BookingKind.INDIVIDUAL, len(visitors), visitors, indexes, None)


def _clash(slot: Slot, indexes: list[str]):
    """The first live booking of the slot's base and day holding one of these people, if any."""
    return db.session.execute(_clash_statement(slot.base_id, slot.visit_date, indexes)).first()


def _clash_statement(base_id: int, visit_date: date, indexes: list[str]):
    """Live bookings of a base and day that already hold one of these people."""
    return (
        select(BookingVisitor.id_index, Booking.user_id, Booking.id)
        .join(Booking)
        .where(
            BookingVisitor.base_id == base_id,
            BookingVisitor.visit_date == visit_date,
            BookingVisitor.id_index.in_(indexes),
            # Plain `active`, the partial unique index's own predicate: PostgreSQL cannot prove
            # that `active IS true` implies it and scanned every visitor (29 ms at 100,000).
            BookingVisitor.active,
        )
        .order_by(BookingVisitor.id)
    )


def stage(
    user: User, data: dict[str, Any], r: Rules, now: datetime | None = None, *, waitlist_entry_id: int | None = None
) -> tuple[Booking, Callable[[], None]]:
    """Every check, then the booking's rows written (flushed), the place not yet taken:
    `take_place()` takes it with one conditional UPDATE (SlotFull when none is left). The caller
    calls it last, just before the commit: that UPDATE locks the slot's row until the commit, so
    a rush queues on the lock only for the commit itself."""
    now = now or utcnow()
    slot = db.session.get(Slot, data["slot_id"])
    if slot is None:
        raise NotFound("时段不存在", details={"slot_id": data["slot_id"]})
    checked = check_request(user, data, slot, r, now)
    if checked.kind == BookingKind.GROUP:
        room = Slot.group_booked + checked.people <= Slot.group_capacity
        take = {"group_booked": Slot.group_booked + checked.people}
    else:
        room, take = Slot.booked + checked.people <= Slot.capacity, {"booked": Slot.booked + checked.people}

    booking = Booking(
        user_id=user.id,
        slot_id=slot.id,
        base_id=slot.base_id,
        visit_date=slot.visit_date,
        kind=checked.kind,
        headcount=checked.people,
        status=BookingStatus.CONFIRMED,
        created_at=now,
        waitlist_entry_id=waitlist_entry_id,
    )
    booking.slot = slot  # the answer shows it: no second read
    if checked.kind == BookingKind.GROUP:
        group = data["group"]
        booking.organisation = group["organisation"]
        booking.leader_name = group["leader_name"]
        booking.leader_phone = group["leader_phone"]
        booking.minors = checked.minors
        booking.member_list = _member_json(group.get("members"))
    for visitor, index in zip(checked.visitors, checked.indexes, strict=True):
        booking.visitors.append(
            BookingVisitor(
                base_id=slot.base_id,
                visit_date=slot.visit_date,
                name=visitor["name"],
                id_type=visitor.get("id_type") or IdType.RESIDENT_ID.value,
                id_number=visitor["id_number"],
                id_index=index,
                phone=visitor["phone"],
            )
        )
    db.session.add(booking)
    # A failed flush expires every loaded object: what the refusal needs is read before.
    user_id, base_id, visit_date = user.id, slot.base_id, slot.visit_date
    try:
        db.session.flush()
    except IntegrityError as exc:
        # Someone booked one of these people at this base that day a moment ago, after the check
        # above (two accounts at once): refused as that check refuses, naming the visitor and
        # counting towards the daily limit. This transaction can read no more; the other has
        # committed (the unique index waited for it), so it is read on a connection of its own.
        if checked.indexes:
            with db.engine.connect() as conn:
                clash = conn.execute(_clash_statement(base_id, visit_date, checked.indexes)).first()
            if clash is not None:
                _refuse_person(user_id, checked.indexes.index(clash.id_index), clash.user_id, clash.id, r.today(now))
        raise PersonAlreadyBooked() from exc

    def take_place() -> None:
        taken = db.session.execute(
            update(Slot).where(Slot.id == slot.id, Slot.status == SlotStatus.OPEN, room).values(**take)
        )
        if taken.rowcount != 1:
            raise _slot_full(slot.id)
        uow.after_commit(after_booking, slot.base_id, slot.id)

    return booking, take_place


def ensure_released(slot: Slot, r: Rules, now: datetime) -> None:
    """A slot is booked, or waited for, only once its base has released it (422 `slot_not_released`)."""
    opens = release_at(slot, profile_of(slot.base_id), r)
    if now < opens:
        raise AppError(
            f"该时段尚未开放预约，将于 {opens.astimezone(r.timezone):%Y-%m-%d %H:%M} 开放",
            code="slot_not_released",
            status=422,
            details={"opens_at": local_iso(opens, r.timezone)},
        )


MINORS_PER_ADULT = 10


def _refuse_person(user_id: int, position: int, holder_id: int, booking_id: int, today: date) -> None:
    """The visitor at `position` is already booked at this base that day."""
    if holder_id == user_id:
        raise PersonAlreadyBooked(
            "您已为该证件预约过本基地当天的参观", details={"visitor": position, "booking_id": booking_id}
        )
    count_refused_person(user_id, today)
    raise PersonAlreadyBooked(details={"visitor": position})


def count_refused_person(user_id: int, today: date) -> None:
    """A refusal that tells something of another account's visitor (booked, or waiting): counted, and
    past REFUSED_VISITORS_PER_DAY a day the caller is refused altogether (429)."""
    key = f"visits:refused:{user_id}:{today.isoformat()}"
    try:
        refused = kv.redis.incr(key)
        kv.redis.expire(key, 2 * 86400)
    except redis_lib.RedisError:
        refused = 0  # fail open: the rule itself is kept by the database
    if refused > REFUSED_VISITORS_PER_DAY:
        raise TooManyRefusedVisitors()


def group_makeup(headcount: int, minors: int | None, members: list[dict] | None, where: str | None = "group") -> int:
    """School groups: the name list, when given, is the whole group; at least one adult per 10
    minors. Returns the number of minors. `where` places errors in the request body."""

    def refuse(field: str, message: str) -> ValidationFailed:
        errors = {field: [message]}
        return ValidationFailed(details={where: errors} if where else errors)

    if members is not None:
        if len(members) != headcount:
            raise refuse("members", f"名单人数（{len(members)}）须与团体人数（{headcount}）一致")
        listed = sum(1 for m in members if m.get("minor"))
        if minors is not None and minors != listed:
            raise refuse("minors", f"未成年人数须与名单一致（名单中 {listed} 人）")
        minors = listed
    minors = minors or 0
    if minors > headcount:
        raise refuse("minors", "未成年人数不能超过团体人数")
    if minors and (headcount - minors) * MINORS_PER_ADULT < minors:
        need = -(-minors // MINORS_PER_ADULT)
        field = "members" if members is not None else "minors"
        raise refuse(
            field,
            f"每 {MINORS_PER_ADULT} 名未成年人须至少有 1 名成年人带队（{minors} 名未成年人至少需 {need} 名成年人）",
        )
    return minors


def _member_json(members: list[dict] | None) -> str | None:
    if not members:
        return None
    return json.dumps([{"name": m["name"], "minor": bool(m.get("minor"))} for m in members], ensure_ascii=False)


def set_members(user: User, booking_id: int, members: list[dict], now: datetime | None = None) -> Booking:
    """A group hands in or replaces its name list, until the visit starts."""
    now = now or utcnow()
    booking = own_booking(user, booking_id)
    if booking.kind != BookingKind.GROUP:
        raise AppError("只有团体预约需要提交名单", code="not_a_group", status=422)
    if booking.status != BookingStatus.CONFIRMED or now >= booking.slot.starts_at:
        raise Conflict("该预约已不能修改名单", code="not_editable", details={"status": booking.status})
    booking.minors = group_makeup(booking.headcount, None, members, where=None)
    booking.member_list = _member_json(members)
    uow.commit()
    return booking


@functools.cache
def _first_look_statement():
    """Consent, the key's earlier use and the slot's counts in one statement, built once."""
    one = select(literal(1).label("one")).subquery()
    return select(
        policies.consent_missing(bindparam("user_id"), today=bindparam("today")).label("consent_missing"),
        idempotency.seen(bindparam("user_id"), "booking", bindparam("key"), since=bindparam("since")).label("seen"),
        Slot.status,
        Slot.capacity,
        Slot.booked,
        Slot.group_capacity,
        Slot.group_booked,
    ).select_from(one.outerjoin(Slot, Slot.id == bindparam("slot_id")))


def first_look(user_id: int, data: dict[str, Any], key: str):
    """One read before anything is written (the rush case): does the user still have to accept the
    privacy policy, was this Idempotency-Key used before, how full is the slot (None columns for
    an unknown slot). On PostgreSQL, when the request has not touched the database yet (the token
    came from Redis), outside any transaction (autocommit: no BEGIN, no ROLLBACK, no lock): a
    refusal costs one round trip. Only a hint for the places: the booking
    itself still decides by the conditional UPDATE."""
    params = {
        "user_id": user_id,
        "key": key,
        "since": idempotency.live_since(),
        "today": local_today(),
        "slot_id": data.get("slot_id"),
    }
    if db.engine.dialect.name == "sqlite" or _holds_connection():
        # SQLite: one writer at a time, and the tests' database may be one connection. A session that
        # already holds a connection (the token was looked up in the database) reads on it: a second
        # one per request could drain the pool under load, every thread holding one, waiting for another.
        return db.session.execute(_first_look_statement(), params).one()
    with db.engine.connect() as conn:
        return conn.execution_options(isolation_level="AUTOCOMMIT").execute(_first_look_statement(), params).one()


def _holds_connection() -> bool:
    transaction = db.session().get_transaction()
    return transaction is not None and bool(getattr(transaction, "_connections", True))


def _full(look, data: dict[str, Any]) -> bool:
    if look.status != SlotStatus.OPEN:  # unknown or closed: book() gives the precise answer
        return False
    people = data["group"]["headcount"] if "group" in data else len(data.get("visitors") or [])
    if "group" in data:
        free, total = look.group_capacity - look.group_booked, look.group_capacity
    else:
        free, total = look.capacity - look.booked, look.capacity
    return free < people <= total  # a group bigger than the slot allows is a 422 from book()


def _slot_full(slot_id: int) -> SlotFull:
    return SlotFull(
        details={"slot_id": slot_id, "waitlist": {"method": "POST", "path": f"/api/mp/v1/slots/{slot_id}/waitlist"}}
    )


def after_booking(base_id: int, slot_id: int) -> None:
    """After a booking commits: fresh `remaining` for everyone, and staff told of a filling day."""
    cache.invalidate(slots_namespace(base_id))
    _check_capacity(slot_id)


def _check_capacity(slot_id: int) -> None:
    # The booking has already committed: a failure here must not turn its 201 into an error.
    try:
        alerts.check_capacity(slot_id)
    except Exception:  # noqa: BLE001
        db.session.rollback()
        log.exception("capacity alert check failed for slot %s", slot_id)


def own_booking(user: User, booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.user_id != user.id:
        raise NotFound("预约不存在")
    return booking


def my_bookings_query(user: User):
    return select(Booking).where(Booking.user_id == user.id).order_by(Booking.visit_date.desc(), Booking.id.desc())
