"""Citizens following public zones: follow and unfollow (idempotent), whether one follows, the list
of what one follows, and the subscribe messages to followers at the moments that matter to them —
a title granted, a title revoked, the zone opened to visitors as an education base.

The messages are queued inside the transition's own unit of work (exactly once, with it) and sent
by the outbox's scheduled delivery (`outbox.deliver`, every minute), not in the officer's request:
a zone may have thousands of followers, and WeChat being down never holds up a transition."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import uow
from app.accounts.models import User
from app.extensions import db
from app.outbox import services as outbox
from app.times import local_today
from app.zones.constants import Status
from app.zones.models import Zone, ZoneFollow
from app.zones.registry import get_zone

log = logging.getLogger(__name__)

# What a follower is told, by event: (message kind, the status words the template shows, ≤ 5 chars
# as WeChat's `phrase` fields allow).
EVENTS = {
    Status.TITLED.value: ("zone.titled", "已授予称号"),
    Status.REVOKED.value: ("zone.revoked", "已撤销称号"),
    "education_base": ("zone.base_opened", "开放参观"),
}


def follow(user: User, zone_id: int) -> None:
    """Follow a public zone; following it again changes nothing. A zone that is not public is the
    same 404 as its page."""
    get_zone(zone_id, public=True)
    if _row(user.id, zone_id) is None:
        db.session.add(ZoneFollow(user_id=user.id, zone_id=zone_id))
        try:
            uow.commit()
        except IntegrityError:  # the same tap twice at once: already following
            db.session.rollback()


def unfollow(user: User, zone_id: int) -> None:
    get_zone(zone_id, public=True)
    row = _row(user.id, zone_id)
    if row is not None:
        db.session.delete(row)
        uow.commit()


def _row(user_id: int, zone_id: int) -> ZoneFollow | None:
    return db.session.scalar(select(ZoneFollow).where(ZoneFollow.user_id == user_id, ZoneFollow.zone_id == zone_id))


@dataclass(frozen=True)
class FollowState:
    zone_id: int
    following: bool
    followers: int


def follow_state(user: User, zone_id: int) -> FollowState:
    """Whether the caller follows the zone, and how many do (kept out of the zone's cached page)."""
    get_zone(zone_id, public=True)
    followers = db.session.scalar(select(func.count()).select_from(ZoneFollow).where(ZoneFollow.zone_id == zone_id))
    return FollowState(zone_id, _row(user.id, zone_id) is not None, followers or 0)


def followed_zone_ids(user_id: int) -> list[int]:
    """The public zones the user follows (a zone is never unpublished, but the filter costs nothing)."""
    return list(
        db.session.scalars(
            select(ZoneFollow.zone_id)
            .join(Zone, Zone.id == ZoneFollow.zone_id)
            .where(ZoneFollow.user_id == user_id, Zone.published_at.is_not(None))
            .order_by(ZoneFollow.zone_id)
        )
    )


def follows_query(user_id: int):
    """The zones the user follows with when they began, newest first (rows of ZoneFollow, Zone)."""
    return (
        select(ZoneFollow.created_at, Zone)
        .join(Zone, Zone.id == ZoneFollow.zone_id)
        .where(ZoneFollow.user_id == user_id, Zone.published_at.is_not(None))
        .order_by(ZoneFollow.created_at.desc(), ZoneFollow.id.desc())
    )


def tell_followers(zone: Zone, event: str) -> int:
    """Step (no commit), inside the transition's or designation's unit of work: one outbox message
    per follower of the zone, left to the scheduled delivery. No template configured: none. The
    messages are written in a savepoint: whatever goes wrong with them is logged and the transition
    stands without them."""
    template = current_app.config.get("WECHAT_TEMPLATE_ZONE_UPDATE")
    if not template or event not in EVENTS:
        return 0
    db.session.flush()  # the transition's own rows: an error there is the transition's, not ours
    try:
        with db.session.begin_nested():
            return _queue(zone, event, template)
    except Exception:  # noqa: BLE001 - messaging must never undo or refuse the transition
        log.exception("could not queue the followers' messages of zone %s (%s)", zone.id, event)
        return 0


def _queue(zone: Zone, event: str, template: str) -> int:
    kind, words = EVENTS[event]
    followers = db.session.scalars(
        select(ZoneFollow.user_id).where(ZoneFollow.zone_id == zone.id).order_by(ZoneFollow.user_id)
    ).all()
    data = {
        "thing1": {"value": zone.name[:20]},
        "phrase2": {"value": words},
        "date3": {"value": local_today().isoformat()},
    }
    for user_id in followers:
        outbox.queue(
            kind,
            user_id,
            template,
            data,
            page=f"pages/zone/index?id={zone.id}",  # the mini-program's zone page
            ref=("zone", zone.id),
            send_now=False,
        )
    return len(followers)
