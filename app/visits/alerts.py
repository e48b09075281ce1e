"""Capacity alerts: staff are told when a slot's, or a base's whole day's, individual or group places
pass 50 %, 80 % and 100 % booked (docs/domain.md: Education bases).

Checked after a booking commits, not inside it, so the rush's hot transaction stays one
conditional UPDATE (and a failed check never undoes a booking). The operators' subscribe messages
are only queued here: the outbox job (`outbox.deliver`, every minute) sends them, so the citizen's
booking request never waits on WeChat for staff. The rule is "at or above the threshold and not yet alerted" rather than
"crossed by this booking": two bookings committing together in different slots may each miss a
day's crossing, and the next booking (or the next check) still raises it. The unique constraint
keeps it to one alert per threshold whatever the number of processes.
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import func, select

from app import uow
from app.accounts.models import RoleGrant, User
from app.accounts.roles import Role
from app.db_types import insert_unless_conflict, utcnow
from app.errors import NotFound
from app.extensions import db
from app.outbox import services as outbox
from app.visits import calendar
from app.visits.models import CapacityAlert, Slot, SlotStatus
from app.zones.models import Zone

THRESHOLDS = (50, 80, 100)


def _reached(booked: int, capacity: int) -> list[int]:
    if capacity <= 0:
        return []
    return [t for t in THRESHOLDS if booked * 100 >= t * capacity]


# Individual and group places fill separately (an individual cannot take a group's place), so each
# kind has its own alerts. Individuals keep the scopes of the alerts raised before the kinds were
# told apart ("slot:<id>", "day:<date>"), so those are not raised again; groups' end in ":group".
KIND_SUFFIX = {"individual": "", "group": ":group"}
KIND_WORDS = {"individual": "个人", "group": "团体"}


def alert_kind(alert: CapacityAlert) -> str:
    return "group" if alert.scope.endswith(KIND_SUFFIX["group"]) else "individual"


def check_capacity(slot_id: int) -> list[CapacityAlert]:
    """Raise the alerts a slot and its day have reached and not yet had, for individual and group
    places each; commits them and tells the base's operators."""
    slot = db.session.get(Slot, slot_id, populate_existing=True)  # the committed counts, one query
    if slot is None:
        return []
    day = db.session.execute(
        select(
            func.coalesce(func.sum(Slot.booked), 0).label("booked"),
            func.coalesce(func.sum(Slot.capacity), 0).label("capacity"),
            func.coalesce(func.sum(Slot.group_booked), 0).label("group_booked"),
            func.coalesce(func.sum(Slot.group_capacity), 0).label("group_capacity"),
        ).where(Slot.base_id == slot.base_id, Slot.visit_date == slot.visit_date, Slot.status == SlotStatus.OPEN)
    ).one()
    wanted = []
    for kind, booked, capacity, day_booked, day_capacity in (
        ("individual", slot.booked, slot.capacity, day.booked, day.capacity),
        ("group", slot.group_booked, slot.group_capacity, day.group_booked, day.group_capacity),
    ):
        suffix = KIND_SUFFIX[kind]
        wanted += [(f"slot:{slot.id}{suffix}", slot.id, t, booked, capacity) for t in _reached(booked, capacity)]
        wanted += [
            (f"day:{slot.visit_date.isoformat()}{suffix}", None, t, day_booked, day_capacity)
            for t in _reached(day_booked, day_capacity)
        ]
    if not wanted:
        return []
    have = set(
        db.session.execute(
            select(CapacityAlert.scope, CapacityAlert.threshold).where(
                CapacityAlert.base_id == slot.base_id, CapacityAlert.scope.in_({w[0] for w in wanted})
            )
        ).all()
    )
    raised = []
    for scope, alert_slot_id, threshold, booked, capacity in wanted:
        if (scope, threshold) in have:
            continue
        alert = db.session.scalar(
            insert_unless_conflict(CapacityAlert)
            .values(
                base_id=slot.base_id,
                scope=scope,
                slot_id=alert_slot_id,
                visit_date=slot.visit_date,
                threshold=threshold,
                booked=booked,
                capacity=capacity,
            )
            .returning(CapacityAlert)
        )
        if alert is None:
            continue  # another process raised it a moment ago
        raised.append(alert)
        _tell_operators(alert)
    uow.commit()
    return raised


def describe(alert: CapacityAlert) -> str:
    what = "该时段" if alert.slot_id else "当日"
    kind = KIND_WORDS[alert_kind(alert)]
    return (
        f"{alert.visit_date.isoformat()} {what}预约已达 {alert.threshold}%（{kind} {alert.booked}/{alert.capacity} 人）"
    )


def _tell_operators(alert: CapacityAlert) -> None:
    """A subscribe message to each of the base's operators who use the mini-program, when a template
    is set: queued in the alert's transaction (so it is told once, with the alert) and sent by the
    outbox job, not in the booking request that raised it."""
    template = current_app.config["WECHAT_TEMPLATE_CAPACITY_ALERT"]
    if not template:
        return
    base = db.session.get(Zone, alert.base_id)
    operators = db.session.scalars(
        select(User.id)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == Role.BASE_OPERATOR.value, RoleGrant.base_id == alert.base_id, User.openid.is_not(None))
    ).all()
    for user_id in operators:
        outbox.queue(
            "capacity.alert",
            user_id,
            template,
            {
                "thing1": {"value": base.name[:20]},
                "time2": {"value": alert.visit_date.isoformat()},
                "thing3": {"value": f"{KIND_WORDS[alert_kind(alert)]}预约已达 {alert.threshold}%"[:20]},
            },
            page="pages/operator/alerts",
            send_now=False,
        )


def alerts_query(user: User, base_id: int | None, unread: bool | None, since: date | None):
    """Institute staff see every base's alerts; a base operator only those of its own bases."""
    stmt = select(CapacityAlert).where(calendar.staff_bases_scope(user, CapacityAlert.base_id))
    stmt = stmt.order_by(CapacityAlert.created_at.desc(), CapacityAlert.id.desc())
    if base_id is not None:
        stmt = stmt.where(CapacityAlert.base_id == base_id)
    if unread is not None:
        stmt = stmt.where(CapacityAlert.read_at.is_(None) if unread else CapacityAlert.read_at.is_not(None))
    if since is not None:
        stmt = stmt.where(CapacityAlert.visit_date >= since)
    return stmt


def mark_read(user: User, alert_id: int) -> CapacityAlert:
    alert = db.session.scalar(alerts_query(user, None, None, None).where(CapacityAlert.id == alert_id))
    if alert is None:
        raise NotFound("提醒不存在")
    if alert.read_at is None:
        alert.read_at, alert.read_by_id = utcnow(), user.id
        uow.commit()
    return alert
