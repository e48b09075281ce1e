"""The boards' database side, the source of truth: each student's totals in a campaign, whether
others may see them and their groups (one statement, however many students); the snapshot a live
board is built from; class and school totals; dense ranking; and every board computed from the
database alone (the fallback without Redis, and what a live board must equal). app.campaigns.boards
keeps the live boards in Redis.

Points and CO2 are counted as whole hundredths of a point and ten-thousandths of a kilogram, so sums
are exact and equal the database's to the last digit."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased

from app.accounts.models import User
from app.campaigns.catalogue import ESTIMATE_NOTE
from app.campaigns.lookups import display_name, others_may_see
from app.campaigns.models import ActionCheckin, Campaign, ClassAction, StudentProfile
from app.extensions import db
from app.zones.models import Zone

BOARDS = ("student", "class", "school")
GROUP_BOARDS = ("class", "school")
METRICS = ("per_student", "participation", "total")
POINTS_SCALE, CO2_SCALE = 100, 10_000


# ---- the database: the source of truth ----------------------------------------------------------


@dataclass(frozen=True)
class StudentScore:
    user_id: int
    points: int  # hundredths
    co2: int  # ten-thousandths of a kg
    visible: bool
    class_group: str | None
    school_group: str | None


@dataclass
class Snapshot:
    students: list[StudentScore]
    # group -> [points, co2] added by teachers' class actions
    class_actions: dict[str, dict[str, list[int]]] = field(default_factory=lambda: {b: {} for b in GROUP_BOARDS})


def _points(value: Decimal | None) -> int:
    return int((value or 0) * POINTS_SCALE)


def _co2(value: Decimal | None) -> int:
    return int((value or 0) * CO2_SCALE)


def _groups(campaign: Campaign, profile: StudentProfile | None) -> tuple[str | None, str | None]:
    """The class (of the campaign's school) and the school a student counts for: confirmed only."""
    if profile is None:
        return None, None
    return _group_keys(campaign.school_id, profile.school_id, profile.class_name, profile.confirmed_at is not None)


def _group_keys(
    campaign_school_id: int, school_id: int | None, class_name: str | None, confirmed: bool
) -> tuple[str | None, str | None]:
    if school_id is None or not confirmed:
        return None, None
    class_group = f"{school_id}:{class_name or ''}" if school_id == campaign_school_id else None
    return class_group, str(school_id)


def _scores_statement(some: bool):
    """The statement of student_scores, built once (bound: campaign_id, and user_ids when `some`)."""
    totals = (
        select(
            ActionCheckin.user_id.label("user_id"),
            func.sum(ActionCheckin.points).label("points"),
            func.sum(ActionCheckin.co2_kg).label("co2"),
        )
        .where(ActionCheckin.campaign_id == bindparam("campaign_id"), ActionCheckin.counts)
        .group_by(ActionCheckin.user_id)
    )
    if some:
        totals = totals.where(ActionCheckin.user_id.in_(bindparam("user_ids", expanding=True)))
    totals = totals.subquery()
    # An alias: others_may_see's own subquery on student_profiles must not correlate with this join.
    profile = aliased(StudentProfile)
    return (
        select(
            totals.c.user_id,
            totals.c.points,
            totals.c.co2,
            Campaign.school_id,
            profile.school_id,
            profile.class_name,
            profile.confirmed_at.is_not(None),
            others_may_see(totals.c.user_id),
        )
        .select_from(totals)
        .join(Campaign, Campaign.id == bindparam("campaign_id"))
        .outerjoin(profile, profile.user_id == totals.c.user_id)
        .order_by(totals.c.user_id)
    )


_SCORES = {some: _scores_statement(some) for some in (False, True)}


def student_scores(campaign_id: int, user_ids: list[int] | None = None) -> list[StudentScore]:
    """Each student's totals in the campaign (those with a check-in that counts), whether others may
    see them (lookups.others_may_see) and their groups: one statement, however many students, built
    once (a check-in's refresh spends no time composing SQL)."""
    params: dict[str, Any] = {"campaign_id": campaign_id}
    if user_ids is not None:
        params["user_ids"] = list(user_ids)
    # Columns, not entities: on the session's connection, past the ORM's statement handling.
    rows = db.session.connection().execute(_SCORES[user_ids is not None], params).all()
    scores = []
    for user_id, points, co2, campaign_school_id, school_id, class_name, confirmed, visible in rows:
        class_group, school_group = _group_keys(campaign_school_id, school_id, class_name, bool(confirmed))
        scores.append(StudentScore(user_id, _points(points), _co2(co2), bool(visible), class_group, school_group))
    return scores


def snapshot(campaign: Campaign) -> Snapshot:
    snap = Snapshot(student_scores(campaign.id))
    for row in db.session.scalars(select(ClassAction).where(ClassAction.campaign_id == campaign.id)):
        for by, group in (("class", f"{row.school_id}:{row.class_name}"), ("school", str(row.school_id))):
            totals = snap.class_actions[by].setdefault(group, [0, 0])
            totals[0] += _points(row.points)
            totals[1] += _co2(row.co2_kg)
    return snap


@dataclass
class GroupTotals:
    points: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    active: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    co2: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def group_totals(snap: Snapshot, by: str) -> GroupTotals:
    totals = GroupTotals()
    for s in snap.students:
        group = s.class_group if by == "class" else s.school_group
        if group is None:
            continue
        totals.points[group] += s.points
        totals.co2[group] += s.co2
        totals.active[group] += 1
    for group, (points, co2) in snap.class_actions[by].items():
        totals.points[group] += points
        totals.co2[group] += co2
    return totals


# ---- ranking (one way, whatever the store) ------------------------------------------------------


def dense(entries: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    ranked, rank, previous = [], 0, None
    for entry in sorted(entries, key=lambda e: (-e[key], e["id"])):
        if entry[key] != previous:
            rank, previous = rank + 1, entry[key]
        ranked.append({**entry, "rank": rank})
    return ranked


def student_entry(user_id: int, points: int, co2: int, profile: Any) -> dict[str, Any]:
    # profile: the student's StudentProfile, or a row with their nickname, or None (display_name reads the nickname)
    return {
        "id": user_id,
        "name": display_name(user_id, profile),
        "points": points / POINTS_SCALE,
        "co2_kg": co2 / CO2_SCALE,
    }


# Built once: confirmed students per class of a school, and per school of a list.
_CONFIRMED = StudentProfile.confirmed_at.is_not(None)
_ENROLLED_BY_CLASS = (
    select(StudentProfile.class_name, func.count())
    .where(_CONFIRMED, StudentProfile.school_id == bindparam("school_id"))
    .group_by(StudentProfile.class_name)
)
_ENROLLED_BY_SCHOOL = (
    select(StudentProfile.school_id, func.count())
    .where(_CONFIRMED, StudentProfile.school_id.in_(bindparam("school_ids", expanding=True)))
    .group_by(StudentProfile.school_id)
)
_SCHOOL_NAMES = select(Zone.id, Zone.name).where(Zone.id.in_(bindparam("school_ids", expanding=True)))


def _enrolled(campaign: Campaign, by: str, groups: list[str]) -> tuple[dict[str, int], dict[str, str]]:
    """Confirmed students per class (of the campaign's school) or per school, and the groups' names."""
    connection = db.session.connection()  # columns, not entities: past the ORM's statement handling
    if by == "class":
        rows = connection.execute(_ENROLLED_BY_CLASS, {"school_id": campaign.school_id}).all()
        enrolled = {f"{campaign.school_id}:{name or ''}": n for name, n in rows}
        return enrolled, {f"{campaign.school_id}:{name or ''}": name or "未分班" for name, _ in rows}
    school_ids = {"school_ids": [int(g) for g in groups] or [0]}
    rows = connection.execute(_ENROLLED_BY_SCHOOL, school_ids).all()
    names = dict(connection.execute(_SCHOOL_NAMES, school_ids).all())
    return {str(s): n for s, n in rows}, {str(s): names.get(s, str(s)) for s, _ in rows}


def group_entries(campaign: Campaign, by: str, totals: GroupTotals) -> list[dict[str, Any]]:
    enrolled, names = _enrolled(campaign, by, list(totals.points))
    entries = []
    for group, points in totals.points.items():
        size = enrolled.get(group)
        if not size:
            continue
        entries.append(
            {
                "id": group,
                "name": names[group],
                "enrolled": size,
                "participants": totals.active.get(group, 0),
                "points": points / POINTS_SCALE,
                "co2_kg": totals.co2.get(group, 0) / CO2_SCALE,
                "per_student": round(points / POINTS_SCALE / size, 2),
                "participation": round(totals.active.get(group, 0) / size, 4),
                "total": points / POINTS_SCALE,
            }
        )
    return entries


BOARD_DEPTH = 1000  # how far down a board may be paged (page × per_page: the schema's rule)


def board_answer(by: str, metric: str, top: int, public: list[dict], total: int, me: dict | None) -> dict[str, Any]:
    return {
        "items": public[:top],
        "page": 1,
        "per_page": top,
        "total": total,
        "by": by,
        "metric": metric,
        "me": me,
        "note": ESTIMATE_NOTE,
    }


def viewer_key(viewer: User | None, by: str, campaign: Campaign) -> str | None:
    if viewer is None:
        return None
    if by == "student":
        return str(viewer.id)
    class_group, school_group = _groups(campaign, db.session.get(StudentProfile, viewer.id))
    return class_group if by == "class" else school_group


def from_database(campaign: Campaign, by: str, viewer: User | None, metric: str, top: int) -> dict[str, Any]:
    """The board computed from the database alone: the fallback, and what a rebuild must equal."""
    snap = snapshot(campaign)
    mine = viewer_key(viewer, by, campaign)
    if by == "student":
        profiles = {
            p.user_id: p
            for p in db.session.scalars(
                select(StudentProfile).where(StudentProfile.user_id.in_([s.user_id for s in snap.students] or [0]))
            )
        }
        public = dense(
            [student_entry(s.user_id, s.points, s.co2, profiles.get(s.user_id)) for s in snap.students if s.visible],
            "points",
        )
        own = next((s for s in snap.students if str(s.user_id) == mine), None)
        me = None
        if own is not None:
            me = student_entry(own.user_id, own.points, own.co2, profiles.get(own.user_id))
            me["rank"] = 1 + len({e["points"] for e in public if e["points"] > me["points"]})
        return board_answer(by, metric, top, public, len(public), me)
    public = dense(group_entries(campaign, by, group_totals(snap, by)), metric)
    me = next((e for e in public if e["id"] == mine), None)
    return board_answer(by, metric, top, public, len(public), me)
