"""Education bases, their profiles and timed slots: what is open when, as visitors see it now."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, select, true

from app import cache, uow
from app.accounts.models import User
from app.accounts.scope import bases_operated_by
from app.audit import services as audit
from app.db_types import utcnow
from app.errors import Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.visits.models import BaseProfile, Closure, Slot, SlotStatus
from app.visits.rules import MAX_SLOT_RANGE_DAYS, Rules, rules, slots_namespace
from app.zones.constants import Status
from app.zones.models import Zone

log = logging.getLogger(__name__)

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


def base_name(base_id: int) -> str:
    """A base's name, for lists that show it beside a slot (the session keeps each zone once)."""
    zone = db.session.get(Zone, base_id)
    return zone.name if zone is not None else ""


def profile_of(base_id: int) -> BaseProfile:
    profile = db.session.get(BaseProfile, base_id)
    return profile or BaseProfile(zone_id=base_id, booking_days_ahead=7, release_hour=8)


def staff_bases_scope(user: User, base_id: ColumnElement[int] = Zone.id) -> ColumnElement[bool]:
    """The bases a staff member runs, as a condition on a base id column (a zone's, a booking's, an
    alert's): institute staff and admins every base, a base operator its own, anyone else none."""
    ids = bases_operated_by(user)
    return true() if ids is None else base_id.in_(sorted(ids))


def staff_bases_query(user: User):
    """The staff list of bases: the ones the caller runs."""
    return bases_query().where(staff_bases_scope(user))


def ensure_operates(user: User, base_id: int) -> None:
    """Institute staff and admins manage every base; a base operator only its own. (Bases are public,
    so another base is refused by name, not hidden.)"""
    ids = bases_operated_by(user)
    if ids is not None and base_id not in ids:
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
    slots_changed(base_id)
    uow.commit()
    return profile


# ---- slots --------------------------------------------------------------------------------


@dataclass
class SlotsCreated:
    """What a bulk request did: the slots it created, and how many it left out and why."""

    slots: list[Slot]
    skipped_existing: int = 0  # the same time that day is already a slot (a request run twice)
    skipped_closed: int = 0  # the day is closed (visit_closures)
    skipped_ended: int = 0  # today's times that are already over


def create_slots(base_id: int, spec: dict[str, Any], actor: User, now: datetime | None = None) -> list[Slot]:
    """create_calendar's slots, for callers that need only them (the demo data)."""
    return create_calendar(base_id, spec, actor, now).slots


def create_calendar(base_id: int, spec: dict[str, Any], actor: User, now: datetime | None = None) -> SlotsCreated:
    """A calendar in bulk: every chosen weekday in [from, to] × every time range. Existing slots
    (same start and end) are left as they are, so running it twice adds nothing; closed days and
    times already over are skipped; a time overlapping another slot of the base that day is a 422."""
    r = rules()
    now = now or utcnow()
    get_base(base_id)
    ensure_operates(actor, base_id)
    first, last = spec["from"], spec["to"]
    if last < first:
        raise ValidationFailed(details={"to": ["结束日期不能早于开始日期"]})
    if (last - first).days > MAX_SLOT_RANGE_DAYS:
        raise ValidationFailed(details={"to": [f"一次最多创建 {MAX_SLOT_RANGE_DAYS} 天"]})
    if first < r.today(now):
        raise ValidationFailed(details={"from": ["不能为过去的日期创建时段"]})
    check_times(spec["times"])
    lock_calendar(base_id)  # a closure or another bulk request meanwhile would not be seen below
    closed = closed_days(base_id, first, last)
    existing: dict[date, list[tuple[datetime, datetime]]] = {}
    for day, starts, ends in db.session.execute(
        select(Slot.visit_date, Slot.starts_at, Slot.ends_at).where(
            Slot.base_id == base_id, Slot.visit_date.between(first, last)
        )
    ):
        existing.setdefault(day, []).append((starts, ends))
    result = SlotsCreated(slots=[])
    day = first
    while day <= last:
        if day.isoweekday() in spec["weekdays"]:
            for period in spec["times"]:
                starts = datetime.combine(day, period["start"], r.timezone)
                ends = datetime.combine(day, period["end"], r.timezone)
                there = existing.get(day, [])
                if (starts, ends) in there:
                    result.skipped_existing += 1
                elif day in closed:
                    result.skipped_closed += 1
                elif ends <= now:
                    result.skipped_ended += 1
                else:
                    _refuse_overlap(day, starts, ends, there, r)
                    result.slots.append(
                        Slot(
                            base_id=base_id,
                            visit_date=day,
                            starts_at=starts,
                            ends_at=ends,
                            capacity=spec["capacity"],
                            group_capacity=spec.get("group_capacity", 0),
                            booked=0,
                            group_booked=0,
                            status=SlotStatus.OPEN,
                        )
                    )
        day += timedelta(days=1)
    db.session.add_all(result.slots)
    db.session.flush()
    audit.record(
        actor,
        "slots.create",
        "zone",
        base_id,
        None,
        {
            "from": first,
            "to": last,
            "count": len(result.slots),
            "skipped_closed": result.skipped_closed,
            "skipped_ended": result.skipped_ended,
        },
    )
    slots_changed(base_id)
    uow.commit()
    return result


def _refuse_overlap(
    day: date, starts: datetime, ends: datetime, there: list[tuple[datetime, datetime]], r: Rules
) -> None:
    """A new time may not overlap a slot the base already has that day (touching is fine), as two
    times of one request may not (check_times): the same hour would be offered twice."""
    for other_starts, other_ends in sorted(there):
        if starts < other_ends and other_starts < ends:
            have = f"{other_starts.astimezone(r.timezone):%H:%M}–{other_ends.astimezone(r.timezone):%H:%M}"
            want = f"{starts.astimezone(r.timezone):%H:%M}–{ends.astimezone(r.timezone):%H:%M}"
            raise ValidationFailed(details={"times": [f"{day.isoformat()} 已有时段 {have}，与 {want} 重叠"]})


def lock_calendar(base_id: int) -> None:
    """Changes to a base's calendar (bulk creation, closing a day) one at a time: each reads what the
    other writes (closed days, existing slots). The base's zone row is the lock; FOR NO KEY UPDATE
    leaves bookings free to reference it meanwhile."""
    db.session.execute(
        select(Zone.id)
        .where(Zone.id == base_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )


def _closures_between(base_id: int, first: date, last: date | None) -> Select:
    """The base's closures from `first` to `last` (None: open-ended), in date order."""
    stmt = select(Closure).where(Closure.base_id == base_id, Closure.visit_date >= first)
    if last is not None:
        stmt = stmt.where(Closure.visit_date <= last)
    return stmt.order_by(Closure.visit_date)


def closed_days(base_id: int, first: date, last: date) -> dict[date, str]:
    """The base's closed days between two local dates, with their reasons."""
    return {c.visit_date: c.reason for c in db.session.scalars(_closures_between(base_id, first, last))}


def closures_between(base_id: int, first: date, last: date) -> list[Closure]:
    """The base's closed days between two local dates, for anyone (the base page says why a day
    offers nothing)."""
    get_base(base_id)
    return list(db.session.scalars(_closures_between(base_id, first, last)))


def closures_query(base_id: int, actor: User, first: date | None = None, last: date | None = None) -> Select:
    """A base's closed days from `first` (today unless given) to `last` (open-ended), in date order:
    what staff review before lifting one (cancelling.reopen_day)."""
    get_base(base_id)
    ensure_operates(actor, base_id)
    return _closures_between(base_id, first or rules().today(), last)


def check_times(times: list[dict[str, time]]) -> None:
    """A day's time ranges: each ends after it starts, and no two repeat or overlap (a repeated start
    would be a second slot where the base has one; overlapping ones offer the same hour twice).
    Ranges that touch (09:00–10:00, 10:00–11:00) are fine."""
    for index, period in enumerate(times):
        if period["end"] <= period["start"]:
            raise ValidationFailed(details={"times": {index: {"end": ["结束时间须晚于开始时间"]}}})
    ordered = sorted(times, key=lambda p: (p["start"], p["end"]))
    for before, after in zip(ordered, ordered[1:], strict=False):
        if (before["start"], before["end"]) == (after["start"], after["end"]):
            raise ValidationFailed(details={"times": [f"时段重复：{_span(before)}"]})
        if after["start"] < before["end"]:
            raise ValidationFailed(details={"times": [f"时段重叠：{_span(before)} 与 {_span(after)}"]})


def _span(period: dict[str, time]) -> str:
    return f"{period['start']:%H:%M}–{period['end']:%H:%M}"


def slots_between(base_id: int, first: date, last: date) -> list[Slot]:
    get_base(base_id)
    if last < first or (last - first).days > MAX_SLOT_RANGE_DAYS:
        raise ValidationFailed(details={"to": [f"日期范围须为 0–{MAX_SLOT_RANGE_DAYS} 天"]})
    return list(
        db.session.scalars(
            select(Slot).where(Slot.base_id == base_id, Slot.visit_date.between(first, last)).order_by(Slot.starts_at)
        )
    )


class SlotState(StrEnum):
    """A slot as a visitor sees it at a moment."""

    NOT_RELEASED = "not_released"
    OPEN = "open"
    # Individual places all taken, group places left: individuals may join the waitlist, groups book.
    INDIVIDUAL_FULL = "individual_full"
    # No individual places at all (capacity 0), group places left.
    GROUPS_ONLY = "groups_only"
    FULL = "full"
    STARTED = "started"
    ENDED = "ended"
    CLOSED = "closed"


SLOT_STATE_LABELS = {
    SlotState.NOT_RELEASED: "未开放预约",
    SlotState.OPEN: "可预约",
    SlotState.INDIVIDUAL_FULL: "个人已约满，可候补；团体可约",
    SlotState.GROUPS_ONLY: "仅接受团体预约",
    SlotState.FULL: "已约满",
    SlotState.STARTED: "已开始",
    SlotState.ENDED: "已结束",
    SlotState.CLOSED: "已关闭",
}


BOOKABLE_STATES = frozenset({SlotState.OPEN, SlotState.INDIVIDUAL_FULL, SlotState.GROUPS_ONLY})


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
    state: SlotState
    closed_reason: str | None
    opens_at: datetime

    @property
    def state_label(self) -> str:
        return SLOT_STATE_LABELS[self.state]

    @property
    def bookable(self) -> bool:
        """Someone may book it now (for INDIVIDUAL_FULL and GROUPS_ONLY: a group)."""
        return self.state in BOOKABLE_STATES


def slot_state(slot: Slot, opens_at: datetime, now: datetime) -> SlotState:
    if slot.status == SlotStatus.CLOSED:
        return SlotState.CLOSED
    if now >= slot.ends_at:
        return SlotState.ENDED
    if now >= slot.starts_at:
        return SlotState.STARTED
    if now < opens_at:
        return SlotState.NOT_RELEASED
    if slot.remaining == 0 and slot.group_remaining == 0:
        return SlotState.FULL
    if slot.remaining == 0:
        # Not "open": an individual would be refused (slot_full) while being told it was bookable.
        return SlotState.INDIVIDUAL_FULL if slot.capacity > 0 else SlotState.GROUPS_ONLY
    return SlotState.OPEN


def slot_view(slot: Slot, profile: BaseProfile, r: Rules, now: datetime) -> SlotView:
    opens = release_at(slot, profile, r)
    return SlotView(
        id=slot.id,
        visit_date=slot.visit_date,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        capacity=slot.capacity,
        remaining=slot.remaining,
        group_capacity=slot.group_capacity,
        group_remaining=slot.group_remaining,
        state=slot_state(slot, opens, now),
        closed_reason=slot.closed_reason,
        opens_at=opens,
    )


def slot_views(base_id: int, first: date, last: date, now: datetime | None = None) -> list[SlotView]:
    """The base's slots between two local dates, each with its state at `now`."""
    r = rules()
    now = now or utcnow()
    profile = profile_of(base_id)
    return [slot_view(slot, profile, r, now) for slot in slots_between(base_id, first, last)]


def next_change(views: list[SlotView], now: datetime) -> datetime | None:
    """The next moment a state in `views` changes by the clock alone (a release, a start, an end):
    until then an answer listing them stays true, bookings aside (they invalidate it)."""
    moments = [m for v in views if v.state != SlotState.CLOSED for m in (v.opens_at, v.starts_at, v.ends_at) if m > now]
    return min(moments, default=None)


def release_at(slot: Slot, profile: BaseProfile, r: Rules) -> datetime:
    """When a slot opens for booking: `booking_days_ahead` days before, at `release_hour`."""
    day = slot.visit_date - timedelta(days=profile.booking_days_ahead)
    return datetime.combine(day, time(profile.release_hour), r.timezone)


def slots_changed(base_id: int) -> None:
    """The base's slot pages (`remaining`) are rebuilt once this change commits."""
    uow.after_commit(cache.invalidate, slots_namespace(base_id))
