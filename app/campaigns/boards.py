"""Leaderboards, computed from the check-ins in the database (the source of truth) and kept in the
shared cache until the next check-in of the campaign. Dense ranks: equal scores share a place.
Class and school boards count only confirmed students and compare per enrolled student (or by
participation rate), so a big class does not win by size. Minors under 14 without a guardian's
consent, and students who opted out, never appear on a public board; the caller still sees their own
rank and score."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from app import cache
from app.accounts.models import User
from app.campaigns.catalogue import ESTIMATE_NOTE
from app.campaigns.models import ActionCheckin, StudentProfile
from app.campaigns.services import board_namespace, get_campaign
from app.extensions import db

BOARDS = ("student", "class", "school")
METRICS = ("per_student", "participation", "total")


def _dense(entries: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    ranked, rank, previous = [], 0, None
    for entry in sorted(entries, key=lambda e: (-e[key], e["id"])):
        if entry[key] != previous:
            rank, previous = rank + 1, entry[key]
        ranked.append({**entry, "rank": rank})
    return ranked


def display_name(user_id: int, profile: StudentProfile | None) -> str:
    if profile is not None and profile.nickname:
        return profile.nickname
    return f"同学{user_id % 10000:04d}"  # never a real name


def compute(campaign_id: int, by: str, metric: str = "per_student") -> list[dict[str, Any]]:
    """The whole board, ranked, straight from the database."""
    totals = db.session.execute(
        select(ActionCheckin.user_id, func.sum(ActionCheckin.points), func.sum(ActionCheckin.co2_kg))
        .where(ActionCheckin.campaign_id == campaign_id).group_by(ActionCheckin.user_id)
    ).all()  # fmt: skip
    profiles = {p.user_id: p for p in db.session.scalars(
        select(StudentProfile).where(StudentProfile.user_id.in_([t[0] for t in totals] or [0]))
    )}  # fmt: skip
    if by == "student":
        entries = []
        for user_id, points, co2 in totals:
            profile = profiles.get(user_id)
            entries.append({"id": user_id, "name": display_name(user_id, profile), "points": float(points),
                            "co2_kg": float(co2), "visible": profile is None or profile.may_appear})  # fmt: skip
        return _dense(entries, "points")
    campaign = get_campaign(campaign_id)
    group_of = (lambda p: f"{p.school_id}:{p.class_name or ''}") if by == "class" else (lambda p: str(p.school_id))
    enrolled_query = select(StudentProfile).where(StudentProfile.confirmed_at.is_not(None))
    if by == "class":
        enrolled_query = enrolled_query.where(StudentProfile.school_id == campaign.school_id)
    enrolled: dict[str, int] = defaultdict(int)
    names: dict[str, str] = {}
    for profile in db.session.scalars(enrolled_query):
        group = group_of(profile)
        enrolled[group] += 1
        names[group] = (profile.class_name or "未分班") if by == "class" else str(profile.school_id)
    points: dict[str, Decimal] = defaultdict(Decimal)
    co2: dict[str, Decimal] = defaultdict(Decimal)
    active: dict[str, int] = defaultdict(int)
    for user_id, user_points, user_co2 in totals:
        profile = profiles.get(user_id)
        if profile is None or profile.confirmed_at is None:
            continue  # only confirmed students count on class and school boards
        group = group_of(profile)
        if group not in enrolled:
            continue
        points[group] += user_points
        co2[group] += user_co2
        active[group] += 1
    if by == "school":
        from app.zones.models import Zone

        school_names = dict(db.session.execute(select(Zone.id, Zone.name).where(
            Zone.id.in_([int(g) for g in enrolled] or [0]))).all())  # fmt: skip
        names = {g: school_names.get(int(g), g) for g in enrolled}
    entries = []
    for group, size in enrolled.items():
        if group not in points:
            continue
        entries.append({
            "id": group, "name": names[group], "enrolled": size, "participants": active[group],
            "points": float(points[group]), "co2_kg": float(co2[group]),
            "per_student": round(float(points[group]) / size, 2), "participation": round(active[group] / size, 4),
            "total": float(points[group]), "visible": True,
        })  # fmt: skip
    return _dense(entries, metric)


def board(campaign_id: int, by: str, viewer: User | None, *, metric: str = "per_student", top: int = 20) -> dict:
    """Top N of the public board, and the viewer's own entry (their rank even if hidden or beyond N)."""
    get_campaign(campaign_id)

    def build():
        return json.dumps(compute(campaign_id, by, metric)).encode(), "application/json"

    entries = json.loads(cache.cached(board_namespace(campaign_id), f"{by}:{metric}", build).body)
    key = "points" if by == "student" else metric
    # Ranks among those who may appear: a hidden student leaves no gap that would betray them.
    public = _dense([e for e in entries if e["visible"]], key)
    mine_id = _viewer_key(viewer, by)
    me = next((e for e in entries if str(e["id"]) == str(mine_id)), None) if mine_id is not None else None
    if me is not None:
        me = {**me, "rank": 1 + len({e[key] for e in public if e[key] > me[key]})}
    items = [_without_flags(e) for e in public[:top]]
    return {"items": items, "page": 1, "per_page": top, "total": len(public), "by": by, "metric": metric,
            "me": _without_flags(me) if me else None, "note": ESTIMATE_NOTE}  # fmt: skip


def _without_flags(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k != "visible"}


def _viewer_key(viewer: User | None, by: str):
    if viewer is None:
        return None
    if by == "student":
        return viewer.id
    profile = db.session.get(StudentProfile, viewer.id)
    if profile is None:
        return None
    return f"{profile.school_id}:{profile.class_name or ''}" if by == "class" else str(profile.school_id)


def rebuild_all() -> int:
    """Drop every cached board; the next read recomputes it from the database (the source of truth)."""
    from app.campaigns.models import Campaign

    ids = list(db.session.scalars(select(Campaign.id)))
    for campaign_id in ids:
        cache.invalidate(board_namespace(campaign_id))
    return len(ids)
