"""What happened to public zones, newest first, for the public (GET /zones/{id}/updates) and the
feed of followed zones: accepted reports' public summaries, milestones done, lifecycle transitions
and re-reviews. Never internal notes, problems, returned reports or reviewers' comments."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.progress.models import ReportState, ZoneMilestone, ZoneProgressReport
from app.progress.tracking import period_label
from app.times import app_timezone
from app.zones.constants import STATUS_LABELS, Status
from app.zones.models import ReReview, Zone, ZoneTransition
from app.zones.registry import get_zone

KINDS = ("report", "milestone", "transition", "re_review")


def zone_updates(zone_id: int, page: int = 1, per_page: int = 20) -> dict[str, Any]:
    """A public zone's updates as a page of the list envelope (404 as the zone detail for a zone that
    is not public)."""
    zone = get_zone(zone_id, public=True)
    items = _updates([zone.id], {zone.id: zone.name}, limit=None)
    start = (page - 1) * per_page
    return {"items": items[start : start + per_page], "page": page, "per_page": per_page, "total": len(items)}


def updates_for_zones(zone_ids: Iterable[int], limit: int = 50) -> list[dict[str, Any]]:
    """The newest `limit` updates of the given zones together (those not public are left out), each
    with its zone_id and zone_name: for the feed of followed zones."""
    ids = sorted(set(zone_ids))
    if not ids:
        return []
    names = dict(
        db.session.execute(select(Zone.id, Zone.name).where(Zone.id.in_(ids), Zone.published_at.is_not(None))).all()
    )
    if not names:
        return []
    return _updates(sorted(names), names, limit=limit)


def _updates(zone_ids: list[int], names: dict[int, str], limit: int | None) -> list[dict[str, Any]]:
    items = [
        *_reports(zone_ids, limit),
        *_milestones(zone_ids, limit),
        *_transitions(zone_ids, limit),
        *_re_reviews(zone_ids, limit),
    ]
    for item in items:
        item["zone_name"] = names[item["zone_id"]]
    # Newest first; for equal times the kind and id keep the order stable across pages.
    items.sort(key=lambda i: (i["occurred_at"], KINDS.index(i["kind"]), i["ref_id"]), reverse=True)
    return items if limit is None else items[:limit]


def _limited(stmt, limit: int | None):
    return stmt.limit(limit) if limit is not None else stmt


def _reports(zone_ids: list[int], limit: int | None) -> list[dict[str, Any]]:
    stmt = _limited(
        select(ZoneProgressReport)
        .where(ZoneProgressReport.zone_id.in_(zone_ids), ZoneProgressReport.state == ReportState.ACCEPTED)
        .order_by(ZoneProgressReport.reviewed_at.desc(), ZoneProgressReport.id.desc()),
        limit,
    )
    return [
        {
            "kind": "report",
            "ref_id": r.id,
            "zone_id": r.zone_id,
            "occurred_at": r.reviewed_at,
            "title": f"{period_label(r.period)}建设进展",
            "summary": r.public_summary,
            "period": r.period,
        }
        for r in db.session.scalars(stmt)
    ]


def _milestones(zone_ids: list[int], limit: int | None) -> list[dict[str, Any]]:
    stmt = _limited(
        select(ZoneMilestone)
        .where(ZoneMilestone.zone_id.in_(zone_ids), ZoneMilestone.done_on.is_not(None))
        .order_by(ZoneMilestone.done_on.desc(), ZoneMilestone.id.desc()),
        limit,
    )
    zone = app_timezone()
    return [
        {
            "kind": "milestone",
            "ref_id": m.id,
            "zone_id": m.zone_id,
            # A milestone is done on a day: the start of that day in APP_TIMEZONE.
            "occurred_at": datetime.combine(m.done_on, time.min, zone),
            "title": f"完成里程碑：{m.name}",
            "summary": None,
            "done_on": m.done_on,
        }
        for m in db.session.scalars(stmt)
    ]


def _transitions(zone_ids: list[int], limit: int | None) -> list[dict[str, Any]]:
    stmt = _limited(
        select(ZoneTransition)
        .where(ZoneTransition.zone_id.in_(zone_ids))
        .order_by(ZoneTransition.occurred_at.desc(), ZoneTransition.id.desc()),
        limit,
    )
    return [
        {
            "kind": "transition",
            "ref_id": t.id,
            "zone_id": t.zone_id,
            "occurred_at": t.occurred_at,
            "title": f"状态变更为「{STATUS_LABELS[Status(t.to_status)]}」",
            "summary": t.note,  # public in the zone's timeline too
            "from_status": t.from_status,
            "to_status": t.to_status,
        }
        for t in db.session.scalars(stmt)
    ]


def _re_reviews(zone_ids: list[int], limit: int | None) -> list[dict[str, Any]]:
    stmt = _limited(
        select(ReReview).where(ReReview.zone_id.in_(zone_ids)).order_by(ReReview.created_at.desc(), ReReview.id.desc()),
        limit,
    )
    return [
        {
            "kind": "re_review",
            "ref_id": r.id,
            "zone_id": r.zone_id,
            "occurred_at": r.created_at,
            "title": "复核通过" if r.outcome == "passed" else "复核未通过",
            "summary": r.note,  # public in the zone's re-review list too
            "outcome": r.outcome,
            "reviewed_on": r.reviewed_on,
        }
        for r in db.session.scalars(stmt)
    ]
