"""Education bases, timed slots, bookings, waitlist, check-in and no-shows.

Capacity is enforced by the database: a booking adds its people with one conditional UPDATE
(`booked + n <= capacity`), and a CHECK constraint backs it up; one person per base per day is a
partial unique index. No check-then-insert anywhere, so no race can overbook.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import redis as redis_lib
from flask import current_app
from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError

from app import cache, uow
from app.accounts.models import User
from app.accounts.roles import Role
from app.audit import services as audit
from app.db_types import utcnow
from app.errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db, kv
from app.times import local_iso
from app.validators import IdType, person_key
from app.visits import alerts
from app.visits.models import BaseProfile, Booking, BookingSuspension, BookingVisitor, Slot, WaitlistEntry
from app.wechat import services as wechat
from app.zones.constants import Status
from app.zones.models import Zone

log = logging.getLogger(__name__)

MAX_VISITORS = 5
MAX_SLOT_RANGE_DAYS = 92


def slots_namespace(base_id: int) -> str:
    return f"slots:{base_id}"


# ---- errors -------------------------------------------------------------------------------


class SlotFull(Conflict):
    code = "slot_full"
    message = "该时段已约满，可加入候补"


class PersonAlreadyBooked(Conflict):
    """One person at most once per base and day. Said without confirming whose booking it is: for
    someone else's, only that the visitor at this position cannot be booked that day."""

    code = "person_already_booked"
    message = "该证件当天在本基地不可预约（每人每天限预约一次）"


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


# ---- bases --------------------------------------------------------------------------------


def bases_query():
    return (
        select(Zone)
        .where(Zone.is_education_base.is_(True), Zone.status == Status.TITLED.value)
        .order_by(Zone.name, Zone.id)
    )


def get_base(base_id: int) -> Zone:
    zone = db.session.scalar(bases_query().where(Zone.id == base_id))
    if zone is None:
        raise NotFound("宣传教育基地不存在")
    return zone


def profile_of(base_id: int) -> BaseProfile:
    profile = db.session.get(BaseProfile, base_id)
    return profile or BaseProfile(zone_id=base_id, booking_days_ahead=7, release_hour=8)


def ensure_operates(user: User, base_id: int) -> None:
    """Institute staff and admins manage every base; a base operator only its own."""
    if user.has_role(Role.INSTITUTE_STAFF):
        return
    if any(g.role == Role.BASE_OPERATOR.value and g.base_id == base_id for g in user.grants):
        return
    raise Forbidden("您不是该基地的管理员", code="not_this_base", details={"base_id": base_id})


PROFILE_FIELDS = ("visitor_notes", "opening_rules", "contact_phone", "booking_days_ahead", "release_hour")


def update_profile(base_id: int, changes: dict[str, Any], actor: User) -> BaseProfile:
    get_base(base_id)
    ensure_operates(actor, base_id)
    profile = db.session.get(BaseProfile, base_id)
    before = audit.snapshot(profile, PROFILE_FIELDS) if profile else None
    if profile is None:
        profile = BaseProfile(zone_id=base_id, booking_days_ahead=7, release_hour=8)
        db.session.add(profile)
    for field, value in changes.items():
        setattr(profile, field, value)
    db.session.flush()
    audit.record(actor, "base.profile", "zone", base_id, before, audit.snapshot(profile, PROFILE_FIELDS))
    _commit(base_id)
    return profile


# ---- slots --------------------------------------------------------------------------------


def create_slots(base_id: int, spec: dict[str, Any], actor: User, r: Rules) -> list[Slot]:
    """A calendar in bulk: every chosen weekday in [from, to] × every time range. Existing slots
    (same start) are left as they are, so running it twice adds nothing."""
    get_base(base_id)
    ensure_operates(actor, base_id)
    first, last = spec["from"], spec["to"]
    if last < first:
        raise ValidationFailed(details={"to": ["结束日期不能早于开始日期"]})
    if (last - first).days > MAX_SLOT_RANGE_DAYS:
        raise ValidationFailed(details={"to": [f"一次最多创建 {MAX_SLOT_RANGE_DAYS} 天"]})
    if first < r.today():
        raise ValidationFailed(details={"from": ["不能为过去的日期创建时段"]})
    existing = set(db.session.scalars(select(Slot.starts_at).where(Slot.base_id == base_id)))
    created = []
    day = first
    while day <= last:
        if day.isoweekday() in spec["weekdays"]:
            for period in spec["times"]:
                starts = datetime.combine(day, period["start"], r.timezone)
                ends = datetime.combine(day, period["end"], r.timezone)
                if starts in existing:
                    continue
                slot = Slot(
                    base_id=base_id, visit_date=day, starts_at=starts, ends_at=ends, capacity=spec["capacity"],
                    group_capacity=spec.get("group_capacity", 0), booked=0, group_booked=0, status="open",
                )  # fmt: skip
                db.session.add(slot)
                created.append(slot)
        day += timedelta(days=1)
    db.session.flush()
    audit.record(actor, "slots.create", "zone", base_id, None,
                 {"from": first, "to": last, "count": len(created)})  # fmt: skip
    _commit(base_id)
    return created


def slots_between(base_id: int, first: date, last: date) -> list[Slot]:
    get_base(base_id)
    if last < first or (last - first).days > MAX_SLOT_RANGE_DAYS:
        raise ValidationFailed(details={"to": [f"日期范围须为 0–{MAX_SLOT_RANGE_DAYS} 天"]})
    return list(
        db.session.scalars(
            select(Slot).where(Slot.base_id == base_id, Slot.visit_date.between(first, last)).order_by(Slot.starts_at)
        )
    )


SLOT_STATE_LABELS = {
    "not_released": "未开放预约", "open": "可预约", "full": "已约满", "started": "已开始", "ended": "已结束",
    "closed": "已关闭",
}  # fmt: skip


@dataclass(frozen=True)
class SlotView:
    """A slot as a visitor sees it now: `state` is the truth at this moment, not the stored flag."""

    id: int
    visit_date: date
    starts_at: datetime
    ends_at: datetime
    capacity: int
    remaining: int
    group_capacity: int
    group_remaining: int
    state: str
    closed_reason: str | None
    opens_at: datetime

    @property
    def state_label(self) -> str:
        return SLOT_STATE_LABELS[self.state]

    @property
    def bookable(self) -> bool:
        return self.state == "open"


def slot_state(slot: Slot, opens_at: datetime, now: datetime) -> str:
    if slot.status == "closed":
        return "closed"
    if now >= slot.ends_at:
        return "ended"
    if now >= slot.starts_at:
        return "started"
    if now < opens_at:
        return "not_released"
    if slot.remaining == 0 and slot.group_remaining == 0:
        return "full"
    return "open"


def slot_view(slot: Slot, profile: BaseProfile, r: Rules, now: datetime) -> SlotView:
    opens = release_at(slot, profile, r)
    return SlotView(
        id=slot.id, visit_date=slot.visit_date, starts_at=slot.starts_at, ends_at=slot.ends_at,
        capacity=slot.capacity, remaining=slot.remaining, group_capacity=slot.group_capacity,
        group_remaining=slot.group_remaining, state=slot_state(slot, opens, now), closed_reason=slot.closed_reason,
        opens_at=opens,
    )  # fmt: skip


def slot_views(base_id: int, first: date, last: date, r: Rules, now: datetime | None = None) -> list[SlotView]:
    """The base's slots between two local dates, each with its state at `now`."""
    now = now or utcnow()
    profile = profile_of(base_id)
    return [slot_view(slot, profile, r, now) for slot in slots_between(base_id, first, last)]


def release_at(slot: Slot, profile: BaseProfile, r: Rules) -> datetime:
    """When a slot opens for booking: `booking_days_ahead` days before, at `release_hour`."""
    day = slot.visit_date - timedelta(days=profile.booking_days_ahead)
    return datetime.combine(day, time(profile.release_hour), r.timezone)


def close_day(base_id: int, day: date, reason: str, actor: User, r: Rules) -> list[Booking]:
    """Close a whole day (holiday, weather): its slots stop taking bookings and every booking and
    waitlist entry on it is cancelled, with a message to each visitor."""
    get_base(base_id)
    ensure_operates(actor, base_id)
    slots = list(
        db.session.scalars(select(Slot).where(Slot.base_id == base_id, Slot.visit_date == day).with_for_update())
    )
    if not slots:
        raise NotFound("当天没有开放时段")
    cancelled = []
    for slot in slots:
        slot.status, slot.closed_reason = "closed", reason
        for booking in db.session.scalars(
            select(Booking).where(Booking.slot_id == slot.id, Booking.status == "confirmed")
        ):
            _cancel(booking, f"基地闭馆：{reason}", late=False)
            cancelled.append(booking)
        db.session.execute(
            update(WaitlistEntry).where(WaitlistEntry.slot_id == slot.id, WaitlistEntry.status == "waiting")
            .values(status="cancelled")
        )  # fmt: skip
    audit.record(actor, "base.close_day", "zone", base_id, None,
                 {"day": day, "reason": reason, "cancelled": len(cancelled)})  # fmt: skip
    for booking in cancelled:
        uow.after_commit(_notify_change, booking, f"闭馆取消：{reason}", r)
    _commit(base_id)
    return cancelled


# ---- booking ------------------------------------------------------------------------------


def _cipher():
    return current_app.extensions["cipher"]


def _person_index(visitor: dict[str, Any]) -> str:
    """The blind index of a visitor's document: one booking per (type, number) per base and day."""
    return _cipher().blind_index(person_key(visitor.get("id_type") or IdType.RESIDENT_ID.value, visitor["id_number"]))


def _suspension(user: User, today: date) -> BookingSuspension | None:
    return db.session.scalar(
        select(BookingSuspension)
        .where(BookingSuspension.user_id == user.id, BookingSuspension.ends_on >= today)
        .order_by(BookingSuspension.ends_on.desc())
    )


def book(user: User, data: dict[str, Any], r: Rules, now: datetime | None = None, *,
         waitlist_entry_id: int | None = None) -> Booking:  # fmt: skip
    """Book a slot for named visitors or a group. Writes without committing."""
    now = now or utcnow()
    slot = db.session.get(Slot, data["slot_id"])
    if slot is None:
        raise NotFound("时段不存在", details={"slot_id": data["slot_id"]})
    if data.get("base_id") is not None and data["base_id"] != slot.base_id:
        raise ValidationFailed(details={"slot_id": ["该时段不属于所选基地"]})
    base = db.session.get(Zone, slot.base_id)
    if base is None or not base.is_education_base:
        raise BaseNotOpen()
    if slot.status != "open":
        raise Conflict("该时段已关闭预约", code="slot_closed", details={"reason": slot.closed_reason})
    if now >= slot.starts_at:
        raise AppError("该时段已开始，不能再预约", code="slot_started", status=422)
    profile = profile_of(slot.base_id)
    opens = release_at(slot, profile, r)
    if now < opens:
        raise AppError(
            f"该时段尚未开放预约，将于 {opens.astimezone(r.timezone):%Y-%m-%d %H:%M} 开放",
            code="slot_not_released", status=422, details={"opens_at": local_iso(opens, r.timezone)},
        )  # fmt: skip
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
            raise ValidationFailed(details={"group": {"headcount": [f"该时段团体最多 {slot.group_capacity} 人"]}})
        taken = db.session.execute(
            update(Slot)
            .where(Slot.id == slot.id, Slot.status == "open", Slot.group_booked + people <= Slot.group_capacity)
            .values(group_booked=Slot.group_booked + people)
        )  # fmt: skip
        kind, visitors = "group", []
    else:
        visitors = data["visitors"]
        people = len(visitors)
        indexes = [_person_index(v) for v in visitors]
        clash = db.session.execute(
            select(BookingVisitor.id_index, Booking.user_id, Booking.id).join(Booking).where(
                BookingVisitor.base_id == slot.base_id, BookingVisitor.visit_date == slot.visit_date,
                BookingVisitor.id_index.in_(indexes), BookingVisitor.active.is_(True),
            )
        ).first()  # fmt: skip
        if clash:
            _refuse_person(user, indexes.index(clash.id_index), clash.user_id, clash.id, r.today(now))
        taken = db.session.execute(
            update(Slot)
            .where(Slot.id == slot.id, Slot.status == "open", Slot.booked + people <= Slot.capacity)
            .values(booked=Slot.booked + people)
        )  # fmt: skip
        kind = "individual"
    if taken.rowcount != 1:
        raise SlotFull(
            details={"slot_id": slot.id, "waitlist": {"method": "POST", "path": f"/api/mp/v1/slots/{slot.id}/waitlist"}}
        )

    booking = Booking(
        user_id=user.id, slot_id=slot.id, base_id=slot.base_id, visit_date=slot.visit_date, kind=kind,
        headcount=people, status="confirmed", created_at=now, waitlist_entry_id=waitlist_entry_id,
    )  # fmt: skip
    if kind == "group":
        booking.organisation = group["organisation"]
        booking.leader_name = group["leader_name"]
        booking.leader_phone = group["leader_phone"]
        booking.minors = minors
        booking.member_list = _member_json(group.get("members"))
    for visitor in visitors:
        booking.visitors.append(
            BookingVisitor(
                base_id=slot.base_id, visit_date=slot.visit_date, name=visitor["name"],
                id_type=visitor.get("id_type") or IdType.RESIDENT_ID.value, id_number=visitor["id_number"],
                id_index=_person_index(visitor),
                phone=visitor["phone"],
            )
        )  # fmt: skip
    db.session.add(booking)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        # Someone booked the same person at the same base that day a moment ago.
        raise PersonAlreadyBooked() from exc
    uow.after_commit(after_booking, slot.base_id, slot.id)
    return booking


MINORS_PER_ADULT = 10


def _refuse_person(user: User, position: int, holder_id: int, booking_id: int, today: date) -> None:
    """The visitor at `position` is already booked at this base that day."""
    if holder_id == user.id:
        raise PersonAlreadyBooked("您已为该证件预约过本基地当天的参观", details={"visitor": position, "booking_id": booking_id})
    key = f"visits:refused:{user.id}:{today.isoformat()}"
    try:
        refused = kv.redis.incr(key)
        kv.redis.expire(key, 2 * 86400)
    except redis_lib.RedisError:
        refused = 0  # fail open: the rule itself is kept by the database
    if refused > REFUSED_VISITORS_PER_DAY:
        raise TooManyRefusedVisitors()
    raise PersonAlreadyBooked(details={"visitor": position})


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
    if booking.kind != "group":
        raise AppError("只有团体预约需要提交名单", code="not_a_group", status=422)
    if booking.status != "confirmed" or now >= booking.slot.starts_at:
        raise Conflict("该预约已不能修改名单", code="not_editable", details={"status": booking.status})
    booking.minors = group_makeup(booking.headcount, None, members, where=None)
    booking.member_list = _member_json(members)
    db.session.commit()
    return booking


def refuse_if_full(data: dict[str, Any], unless) -> None:
    """A read-only early answer for a full slot (the rush case): one read, no write, no lock, and
    none when the SQL condition `unless` holds (a retry, which must get its first answer). The
    booking itself still decides by the conditional update; this only spares the doomed ones."""
    row = db.session.execute(
        select(Slot.status, Slot.capacity, Slot.booked, Slot.group_capacity, Slot.group_booked, unless)
        .where(Slot.id == data.get("slot_id"))
    ).first()  # fmt: skip
    if row is None or row.status != "open" or row[-1]:
        return
    people = data["group"]["headcount"] if "group" in data else len(data.get("visitors") or [])
    if "group" in data:
        free, total = row.group_capacity - row.group_booked, row.group_capacity
    else:
        free, total = row.capacity - row.booked, row.capacity
    if free < people <= total:  # a group bigger than the slot allows is a 422 from book()
        raise _slot_full(data["slot_id"])


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


def _cancel(booking: Booking, reason: str, late: bool) -> None:
    people = booking.headcount
    column = Slot.group_booked if booking.kind == "group" else Slot.booked
    db.session.execute(update(Slot).where(Slot.id == booking.slot_id).values({column: column - people}))
    booking.status = "cancelled"
    booking.cancelled_at = utcnow()
    booking.cancel_reason = reason
    booking.late_cancel = late
    for visitor in booking.visitors:
        visitor.active = False


def cancel(user: User, booking_id: int, r: Rules, now: datetime | None = None) -> Booking:
    """The visitor cancels, until the cut-off; freed places go to the waitlist in order."""
    now = now or utcnow()
    booking = db.session.scalar(
        select(Booking).where(Booking.id == booking_id, Booking.user_id == user.id).with_for_update(of=Booking)
    )
    if booking is None:
        raise NotFound("预约不存在")
    if booking.status != "confirmed":
        raise Conflict("该预约已不能取消", code="not_cancellable", details={"status": booking.status})
    cutoff = booking.slot.starts_at - r.cancel_cutoff
    if now >= cutoff:
        raise AppError(
            f"距参观开始不足 {int(r.cancel_cutoff.total_seconds() // 60)} 分钟，已不能取消",
            code="cancel_cutoff_passed", status=422, details={"cutoff": local_iso(cutoff, r.timezone)},
        )  # fmt: skip
    _cancel(booking, "用户取消", late=now >= booking.slot.starts_at - r.late_cancel)
    promoted = promote_waitlist(booking.slot_id, r, now)
    for entry_booking in promoted:
        uow.after_commit(_notify_change, entry_booking, "候补成功，已为您预约", r)
    _commit(booking.base_id)
    return booking


# ---- waitlist -----------------------------------------------------------------------------


def join_waitlist(user: User, data: dict[str, Any], r: Rules) -> WaitlistEntry:
    slot = db.session.get(Slot, data["slot_id"])
    if slot is None:
        raise NotFound("时段不存在")
    if slot.status != "open" or utcnow() >= slot.starts_at:
        raise Conflict("该时段已不接受候补", code="slot_closed")
    people = data["group"]["headcount"] if "group" in data else len(data["visitors"])
    free = slot.group_remaining if "group" in data else slot.remaining
    if free >= people:
        raise Conflict("该时段仍有余位，请直接预约", code="slot_has_places", details={"remaining": free})
    existing = db.session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.slot_id == slot.id, WaitlistEntry.user_id == user.id, WaitlistEntry.status == "waiting"
        )
    )
    if existing is not None:
        raise Conflict("您已在该时段的候补名单中", code="already_waiting", details={"waitlist_id": existing.id})
    entry = WaitlistEntry(slot_id=slot.id, user_id=user.id, request=json.dumps(data, ensure_ascii=False),
                          headcount=people, status="waiting")  # fmt: skip
    db.session.add(entry)
    db.session.commit()
    return entry


def waitlist_position(entry: WaitlistEntry) -> int:
    return db.session.scalar(
        select(func.count(WaitlistEntry.id)).where(
            WaitlistEntry.slot_id == entry.slot_id, WaitlistEntry.status == "waiting", WaitlistEntry.id <= entry.id
        )
    )


def promote_waitlist(slot_id: int, r: Rules, now: datetime) -> list[Booking]:
    """Book waiting requests in the order they came, as far as the freed places go. A request too
    big for what is free keeps its place; one that can no longer be booked is marked failed."""
    promoted = []
    entries = db.session.scalars(
        select(WaitlistEntry).where(WaitlistEntry.slot_id == slot_id, WaitlistEntry.status == "waiting")
        .order_by(WaitlistEntry.id).with_for_update()
    ).all()  # fmt: skip
    for entry in entries:
        user = db.session.get(User, entry.user_id)
        try:
            with db.session.begin_nested():
                booking = book(user, json.loads(entry.request), r, now, waitlist_entry_id=entry.id)
        except SlotFull:
            continue
        except AppError:
            entry.status = "failed"
            continue
        entry.status, entry.booking_id = "promoted", booking.id
        promoted.append(booking)
    return promoted


# ---- check-in -----------------------------------------------------------------------------


def _signature(booking: Booking) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"checkin:{booking.id}:{booking.base_id}:{booking.visit_date.isoformat()}".encode()
    return base64.urlsafe_b64encode(hmac.new(key, message, hashlib.sha256).digest()[:15]).decode()


def checkin_code(booking: Booking) -> str:
    """Short enough for a mini-program code's scene (32 characters), unguessable without SECRET_KEY."""
    if booking.status not in ("confirmed", "checked_in"):
        raise Conflict("该预约已不能入馆", code="booking_not_active", details={"status": booking.status})
    return f"{booking.id}.{_signature(booking)}"


def checkin_png(code: str) -> tuple[bytes, str]:
    """The mini-program code from WeChat, or a plain QR code made here when WeChat is unavailable."""
    try:
        return wechat.get_wxa_code(code, page="pages/checkin/index"), "wechat"
    except AppError:
        from app.wechat.fake import png_qr

        return png_qr(code), "local"


class InvalidCheckinCode(AppError):
    status = 400
    code = "invalid_checkin_code"
    message = "核验码无效"


def checkin(operator: User, code: str, actual_headcount: int | None, r: Rules, now: datetime | None = None) -> Booking:
    now = now or utcnow()
    booking_id, _, signature = code.strip().partition(".")
    if not booking_id.isdigit() or not signature:
        raise InvalidCheckinCode()
    booking = db.session.scalar(select(Booking).where(Booking.id == int(booking_id)).with_for_update(of=Booking))
    if booking is None or not hmac.compare_digest(_signature(booking), signature):
        raise InvalidCheckinCode()
    ensure_operates(operator, booking.base_id)
    if booking.status == "checked_in":
        raise Conflict("该预约已核验入馆", code="already_checked_in",
                       details={"checked_in_at": local_iso(booking.checked_in_at, r.timezone)})  # fmt: skip
    if booking.status != "confirmed":
        raise Conflict("该预约已取消或已失效", code="booking_not_active", details={"status": booking.status})
    today = r.today(now)
    if booking.visit_date != today:
        raise AppError(
            "不是预约当天" if booking.visit_date > today else "核验码已过期",
            code="wrong_day", status=422, details={"visit_date": booking.visit_date.isoformat()},
        )  # fmt: skip
    if booking.kind == "group":
        if actual_headcount is None:
            raise ValidationFailed(details={"headcount": ["团体预约须填写实到人数"]})
        if not 1 <= actual_headcount <= booking.headcount:
            raise ValidationFailed(details={"headcount": [f"实到人数须在 1 到 {booking.headcount} 之间"]})
        booking.actual_headcount = actual_headcount
    else:
        booking.actual_headcount = booking.headcount
    booking.status = "checked_in"
    booking.checked_in_at = now
    booking.checked_in_by_id = operator.id
    db.session.commit()
    return booking


# ---- no-shows and reminders ---------------------------------------------------------------


def mark_no_shows(r: Rules, now: datetime | None = None) -> tuple[int, int]:
    """Bookings of ended slots without check-in become no-shows; repeated no-shows (late
    cancellations too, if the settings say so) suspend booking. Safe to run again."""
    now = now or utcnow()
    ended = select(Slot.id).where(Slot.ends_at <= now).scalar_subquery()
    marked = db.session.execute(
        update(Booking).where(Booking.status == "confirmed", Booking.slot_id.in_(ended)).values(status="no_show")
        .returning(Booking.user_id)
    ).scalars().all()  # fmt: skip
    suspended = 0
    for user_id in sorted(set(marked)):
        if _maybe_suspend(user_id, r, now):
            suspended += 1
    db.session.commit()
    return len(marked), suspended


def _maybe_suspend(user_id: int, r: Rules, now: datetime) -> bool:
    today = r.today(now)
    window_start = today - r.no_show_window
    counted = Booking.status == "no_show"
    if r.late_cancel_counts:
        counted = counted | and_(Booking.status == "cancelled", Booking.late_cancel.is_(True))
    misses = db.session.scalar(
        select(func.count(Booking.id)).where(Booking.user_id == user_id, counted, Booking.visit_date > window_start)
    )
    if misses < r.no_show_limit:
        return False
    if db.session.scalar(select(BookingSuspension.id).where(BookingSuspension.user_id == user_id,
                                                           BookingSuspension.ends_on >= today)):  # fmt: skip
        return False
    db.session.add(
        BookingSuspension(
            user_id=user_id,
            starts_on=today,
            ends_on=today + timedelta(days=r.suspension_days - 1),
            reason=f"{r.no_show_window.days} 天内 {misses} 次预约未到",
        )  # fmt: skip
    )
    return True


def send_reminders(r: Rules, now: datetime | None = None) -> int:
    """Tomorrow's visitors get a reminder. Each booking is claimed with a conditional update first,
    so two runs at once (or one run twice) send one message per booking."""
    now = now or utcnow()
    tomorrow = r.today(now) + timedelta(days=1)
    candidates = db.session.scalars(
        select(Booking.id).where(
            Booking.visit_date == tomorrow, Booking.status == "confirmed", Booking.reminder_sent_at.is_(None)
        )  # fmt: skip
    ).all()
    sent = 0
    for booking_id in candidates:
        claimed = db.session.execute(
            update(Booking)
            .where(Booking.id == booking_id, Booking.reminder_sent_at.is_(None))
            .values(reminder_sent_at=now)
        ).rowcount
        db.session.commit()
        if claimed:
            booking = db.session.get(Booking, booking_id)
            if _send(booking, r.template_reminder, "明日参观提醒", r):
                sent += 1
    return sent


def _notify_change(booking: Booking, text: str, r: Rules) -> None:
    _send(booking, r.template_change, text, r)


def _send(booking: Booking, template_id: str | None, text: str, r: Rules) -> bool:
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


# ---- staff views --------------------------------------------------------------------------


def slot_bookings(slot_id: int, user: User, r: Rules) -> tuple[SlotView, list[Booking]]:
    slot = db.session.get(Slot, slot_id)
    if slot is None:
        raise NotFound("时段不存在")
    ensure_operates(user, slot.base_id)
    bookings = db.session.scalars(select(Booking).where(Booking.slot_id == slot_id).order_by(Booking.id)).all()
    return slot_view(slot, profile_of(slot.base_id), r, utcnow()), list(bookings)


def attendance(base_id: int, year: int, month: int, user: User) -> list[dict[str, Any]]:
    """Per day of the month: people booked, checked in, no-shows, cancelled."""
    get_base(base_id)
    ensure_operates(user, base_id)
    first = date(year, month, 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    people = func.coalesce(Booking.actual_headcount, Booking.headcount)
    rows = db.session.execute(
        select(Booking.visit_date, Booking.status, func.count(Booking.id), func.sum(Booking.headcount), func.sum(people))
        .where(Booking.base_id == base_id, Booking.visit_date.between(first, last))
        .group_by(Booking.visit_date, Booking.status)
    )  # fmt: skip
    days: dict[date, dict[str, Any]] = {}
    for day, status, count, headcount, actual in rows:
        item = days.setdefault(day, {"date": day, "bookings": 0, "booked_people": 0, "checked_in_people": 0,
                                     "no_show_people": 0, "cancelled_people": 0})  # fmt: skip
        item["bookings"] += count
        if status != "cancelled":
            item["booked_people"] += headcount or 0
        key = {"checked_in": "checked_in_people", "no_show": "no_show_people", "cancelled": "cancelled_people"}.get(
            status
        )
        if key:
            item[key] += (actual if status == "checked_in" else headcount) or 0
    return [days[d] for d in sorted(days)]


def _commit(base_id: int) -> None:
    uow.after_commit(cache.invalidate, slots_namespace(base_id))
    uow.commit()
