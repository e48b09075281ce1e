"""A citizen's own page of what they follow: the feed (`GET /me/feed`: campaigns of followed schools
and of their own school, updates of followed zones, newest first) and the list of what they follow
(`GET /me/follows`). Like app/dashboard.py it reads several areas, so it sits above them.

The feed is paged over two sources kept apart in the database: for page p the newest p × per_page
campaigns and every update of the followed zones are merged by time and the page is cut from that.
Deep pages cost more; people read the first few."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from app.accounts.models import User
from app.campaigns import campaigns as campaign_cases
from app.campaigns.lookups import campaign_state
from app.campaigns.models import Campaign, SchoolFollow
from app.extensions import db
from app.progress.updates import updates_for_zones
from app.times import days_words
from app.zones import follows
from app.zones.constants import STATUS_LABELS, TYPE_LABELS, Status, ZoneType
from app.zones.models import Zone

CAMPAIGN, ZONE_UPDATE = "campaign", "zone_update"


def my_feed(user: User, page: int, per_page: int) -> dict[str, Any]:
    """One page of the feed in the list envelope; each item a dict with `kind`, `occurred_at`,
    `title` and `summary` (see miniprogram_api's FeedItemOut for the rest)."""
    wanted = page * per_page
    campaigns_stmt = campaign_cases.feed_query(user)
    zone_items = _zone_items(follows.followed_zone_ids(user.id))
    items = _campaign_items(campaigns_stmt, wanted) + zone_items
    # Newest first; on a tie campaigns before zone updates, then the larger id: a stable order.
    items.sort(key=lambda i: (i["occurred_at"], i["kind"] == CAMPAIGN, i["_order"]), reverse=True)
    total = _count(campaigns_stmt) + len(zone_items)
    chosen = items[(page - 1) * per_page : wanted]
    for item in chosen:
        del item["_order"]
    return {"items": chosen, "page": page, "per_page": per_page, "total": total}


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def _campaign_items(stmt, limit: int) -> list[dict[str, Any]]:
    """Campaigns, newest announced first; a campaign item keeps the campaign card's fields, so a
    client that showed campaigns only still finds them where they were."""
    rows = db.session.scalars(stmt.order_by(None).order_by(Campaign.created_at.desc(), Campaign.id.desc()).limit(limit))
    return [
        {
            "kind": CAMPAIGN,
            "occurred_at": c.created_at,
            "title": c.title,
            "summary": f"{c.school.name}：{days_words(c.starts_on, c.ends_on)}",
            "id": c.id,
            "school_id": c.school_id,
            "school_name": c.school.name,
            "cover_image_url": c.cover_image_url,
            "starts_on": c.starts_on,
            "ends_on": c.ends_on,
            "audience": c.audience,
            "state": campaign_state(c),
            "_order": c.id,
        }
        for c in rows
    ]


def _zone_items(zone_ids: list[int]) -> list[dict[str, Any]]:
    """Every update of the followed zones (app.progress.updates: accepted reports' public summaries,
    milestones done, transitions, re-reviews): one follows a few zones, each with a few dozen."""
    if not zone_ids:
        return []
    zones = {z.id: z for z in db.session.scalars(select(Zone).where(Zone.id.in_(zone_ids)))}
    return [
        {
            "kind": ZONE_UPDATE,
            "update_kind": u["kind"],
            "occurred_at": u["occurred_at"],
            "title": u["title"],
            "summary": u["summary"],
            "zone": _zone_ref(zones[u["zone_id"]]),
            "_order": u["ref_id"],
        }
        for u in updates_for_zones(zone_ids, limit=None)
    ]


def _zone_ref(zone: Zone) -> dict[str, Any]:
    return {
        "id": zone.id,
        "name": zone.name,
        "type": zone.type,
        "type_label": TYPE_LABELS[ZoneType(zone.type)],
        "status": zone.status,
        "status_label": STATUS_LABELS[Status(zone.status)],
    }


@dataclass(frozen=True)
class Followed:
    kind: str  # zone: its progress and messages; school: its campaigns
    id: int
    name: str
    type: str
    level: str
    status: str
    is_education_base: bool
    followed_at: datetime


def my_follows(user: User) -> list[Followed]:
    """Everything the user follows, zones and schools alike, newest first (我的关注). A school may be
    listed twice: followed as a school for its campaigns and as a zone for its progress."""
    rows = [("zone", at, zone) for at, zone in db.session.execute(follows.follows_query(user.id)).all()]
    schools = db.session.execute(
        select(SchoolFollow.created_at, Zone)
        .join(Zone, Zone.id == SchoolFollow.school_id)
        .where(SchoolFollow.user_id == user.id, Zone.published_at.is_not(None))
    ).all()
    rows += [("school", at, zone) for at, zone in schools]
    rows.sort(key=lambda r: (r[1], r[0], r[2].id), reverse=True)
    return [Followed(kind, z.id, z.name, z.type, z.level, z.status, z.is_education_base, at) for kind, at, z in rows]
