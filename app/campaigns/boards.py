"""Leaderboards. The database is the source of truth; each campaign's live board is a set of Redis
sorted sets, updated after every check-in commits and rebuilt from the database by `campaigns
rebuild-boards`, when Redis lost them, and after changes that move students between groups.
Without Redis (or while it is down) a board is computed from the database: slower, never wrong.

Dense ranks: equal scores share a place. Class and school boards count only confirmed students and
compare per enrolled student (or by participation rate), so a big class does not win by size; a
teacher's class action adds to its class. Who appears on a public board is the one rule of
lookups.others_may_see (confirmed by the school; not under 14 without a guardian's consent; not
opted out; in a school-only campaign a student of that school); the caller still sees their own rank
and score. A live board that still shows someone the rule hides (a profile change whose refresh was
lost) is rebuilt on its next read.

Points and CO2 are kept in Redis as whole hundredths of a point and ten-thousandths of a kilogram,
so sums are exact and equal the database's to the last digit."""

from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import redis as redis_lib
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased

from app.accounts.models import User
from app.campaigns.catalogue import ESTIMATE_NOTE
from app.campaigns.lookups import display_name, get_campaign, others_may_see
from app.campaigns.models import ActionCheckin, Campaign, ClassAction, Participation, StudentProfile
from app.db_types import utcnow
from app.extensions import db, kv
from app.zones.models import Zone

log = logging.getLogger(__name__)

BOARDS = ("student", "class", "school")
GROUP_BOARDS = ("class", "school")
METRICS = ("per_student", "participation", "total")
POINTS_SCALE, CO2_SCALE = 100, 10_000
# A check-in that committed while a rebuild was reading is caught up afterwards; transactions are
# far shorter than this.
CATCH_UP = timedelta(minutes=2)
LOCK_SECONDS = 120


@dataclass(frozen=True)
class Keys:
    campaign_id: int

    def key(self, name: str) -> str:
        return f"lb:{self.campaign_id}:{name}"

    @property
    def built(self) -> str:
        return self.key("built")

    @property
    def lock(self) -> str:
        return self.key("lock")

    @property
    def dirty(self) -> str:
        return self.key("dirty")

    @property
    def boards(self) -> list[str]:
        """Every sorted set, in the order the update script takes them."""
        names = ["all", "pub", "co2"] + [f"{by}:{part}" for by in GROUP_BOARDS for part in ("points", "active", "co2")]
        return [self.key(n) for n in names]


# KEYS: built, all, pub, co2, class:points, class:active, class:co2, school:points, school:active, school:co2
# ARGV: user, points, co2, visible (1/0), class group or "", school group or ""
# Totals are absolute and only grow, so a late or repeated update changes nothing; groups get the
# difference from what the board held. A board that is not built is left alone (the next read
# rebuilds it from the database).
_UPDATE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local old = tonumber(redis.call('ZSCORE', KEYS[2], ARGV[1]) or '-1')
local new = tonumber(ARGV[2])
local current = old
if old < new then
  local old_co2 = tonumber(redis.call('ZSCORE', KEYS[4], ARGV[1]) or '0')
  local new_co2 = tonumber(ARGV[3])
  redis.call('ZADD', KEYS[2], new, ARGV[1])
  redis.call('ZADD', KEYS[4], new_co2, ARGV[1])
  local groups = {{ARGV[5], 5}, {ARGV[6], 8}}
  for _, g in ipairs(groups) do
    if g[1] ~= '' then
      redis.call('ZINCRBY', KEYS[g[2]], new - math.max(old, 0), g[1])
      redis.call('ZINCRBY', KEYS[g[2] + 2], new_co2 - old_co2, g[1])
      if old < 0 then redis.call('ZINCRBY', KEYS[g[2] + 1], 1, g[1]) end
    end
  end
  current = new
end
if ARGV[4] == '1' then redis.call('ZADD', KEYS[3], current, ARGV[1]) else redis.call('ZREM', KEYS[3], ARGV[1]) end
return 1
"""

# The student board in one round trip. KEYS: built, pub, all, co2; ARGV: top, the viewer ("-" for
# none). Returns nil when the board is not built, else: the public top N (member, score, ...), the
# public board's size, the viewer's points and CO2 (nil when not on the board), the top N's CO2 in
# their order, and how many distinct public scores are above the viewer's (a dense rank is that plus
# one).
_STUDENT_BOARD = """
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
local leaders = redis.call('ZREVRANGE', KEYS[2], 0, tonumber(ARGV[1]) - 1, 'WITHSCORES')
local co2s = {}
for i = 1, #leaders, 2 do co2s[#co2s + 1] = redis.call('ZSCORE', KEYS[4], leaders[i]) or '0' end
local mine = redis.call('ZSCORE', KEYS[3], ARGV[2])
local my_co2, above = false, false
if mine then
  my_co2 = redis.call('ZSCORE', KEYS[4], ARGV[2]) or '0'
  local items = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. mine, '+inf', 'WITHSCORES')
  local seen = {}
  above = 0
  for i = 2, #items, 2 do
    if not seen[items[i]] then seen[items[i]] = true; above = above + 1 end
  end
end
return {leaders, redis.call('ZCARD', KEYS[2]), mine, my_co2, co2s, above}
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


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


def _dense(entries: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    ranked, rank, previous = [], 0, None
    for entry in sorted(entries, key=lambda e: (-e[key], e["id"])):
        if entry[key] != previous:
            rank, previous = rank + 1, entry[key]
        ranked.append({**entry, "rank": rank})
    return ranked


def _student_entry(user_id: int, points: int, co2: int, profile: Any) -> dict[str, Any]:
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


def _group_entries(campaign: Campaign, by: str, totals: GroupTotals) -> list[dict[str, Any]]:
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


def _result(by: str, metric: str, top: int, public: list[dict], total: int, me: dict | None) -> dict[str, Any]:
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


def _viewer_key(viewer: User | None, by: str, campaign: Campaign) -> str | None:
    if viewer is None:
        return None
    if by == "student":
        return str(viewer.id)
    class_group, school_group = _groups(campaign, db.session.get(StudentProfile, viewer.id))
    return class_group if by == "class" else school_group


def from_database(campaign: Campaign, by: str, viewer: User | None, metric: str, top: int) -> dict[str, Any]:
    """The board computed from the database alone: the fallback, and what a rebuild must equal."""
    snap = snapshot(campaign)
    mine = _viewer_key(viewer, by, campaign)
    if by == "student":
        profiles = {
            p.user_id: p
            for p in db.session.scalars(
                select(StudentProfile).where(StudentProfile.user_id.in_([s.user_id for s in snap.students] or [0]))
            )
        }
        public = _dense(
            [_student_entry(s.user_id, s.points, s.co2, profiles.get(s.user_id)) for s in snap.students if s.visible],
            "points",
        )
        own = next((s for s in snap.students if str(s.user_id) == mine), None)
        me = None
        if own is not None:
            me = _student_entry(own.user_id, own.points, own.co2, profiles.get(own.user_id))
            me["rank"] = 1 + len({e["points"] for e in public if e["points"] > me["points"]})
        return _result(by, metric, top, public, len(public), me)
    public = _dense(_group_entries(campaign, by, group_totals(snap, by)), metric)
    me = next((e for e in public if e["id"] == mine), None)
    return _result(by, metric, top, public, len(public), me)


# ---- Redis: the live board ----------------------------------------------------------------------


class _NotReady(Exception):
    """The board is being rebuilt by another process: answer from the database this once."""


def _script(name: str, source: str):
    return kv.redis.register_script(source)


def rebuild(campaign_id: int) -> bool:
    """Rebuild one campaign's board from the database, atomically (readers see the old board or the
    new one, never half of it), then catch up with check-ins that committed meanwhile. Only one
    process rebuilds a board at a time; a request to rebuild while one runs makes it run again.
    Returns False when another process holds the rebuild."""
    r = kv.redis
    keys = Keys(campaign_id)
    r.set(keys.dirty, 1, ex=LOCK_SECONDS)
    for _ in range(3):
        token = secrets.token_hex(8)
        if not r.set(keys.lock, token, nx=True, ex=LOCK_SECONDS):
            return False  # the holder sees the dirty mark and goes again
        try:
            r.delete(keys.dirty)
            started = utcnow()
            campaign = db.session.get(Campaign, campaign_id)
            if campaign is None:
                r.delete(keys.built, *keys.boards)
                return True
            _write(keys, snapshot(campaign))
            _catch_up(campaign, started - CATCH_UP)
        finally:
            _script("release", _RELEASE)(keys=[keys.lock], args=[token])
        if not r.exists(keys.dirty):
            break
    return True


def _write(keys: Keys, snap: Snapshot) -> None:
    all_, pub, co2, *group_keys = keys.boards
    pipe = kv.redis.pipeline(transaction=True)
    pipe.delete(*keys.boards)
    if snap.students:
        pipe.zadd(all_, {str(s.user_id): s.points for s in snap.students})
        pipe.zadd(co2, {str(s.user_id): s.co2 for s in snap.students})
    visible = {str(s.user_id): s.points for s in snap.students if s.visible}
    if visible:
        pipe.zadd(pub, visible)
    for index, by in enumerate(GROUP_BOARDS):
        totals = group_totals(snap, by)
        points_key, active_key, co2_key = group_keys[3 * index : 3 * index + 3]
        for key, values in ((points_key, totals.points), (active_key, totals.active), (co2_key, totals.co2)):
            if values:
                pipe.zadd(key, dict(values))
    pipe.set(keys.built, utcnow().isoformat())
    pipe.execute()


def _catch_up(campaign: Campaign, since) -> None:
    changed = list(
        db.session.scalars(
            select(ActionCheckin.user_id)
            .where(ActionCheckin.campaign_id == campaign.id, ActionCheckin.scored_at >= since)
            .distinct()
        )
    )
    if changed:
        _update(campaign.id, changed)


def _update(campaign_id: int, user_ids: list[int]) -> None:
    """The students' absolute totals onto the live board: one Redis round trip for one student
    (EVALSHA), one pipeline for several."""
    keys = Keys(campaign_id)
    script = _script("update", _UPDATE)
    scores = student_scores(campaign_id, user_ids)
    if not scores:
        return
    pipe = kv.redis.pipeline(transaction=False) if len(scores) > 1 else None
    for s in scores:
        script(
            keys=[keys.built, *keys.boards],
            client=pipe,
            args=[str(s.user_id), s.points, s.co2, int(s.visible), s.class_group or "", s.school_group or ""],
        )
    if pipe is not None:
        pipe.execute()


def refresh_students(campaign_id: int, user_ids: list[int]) -> None:
    """After a commit that changed these students' points or visibility: their entries on the live
    board (a board that is not built is left for the next read to rebuild). One SQL statement (none
    of it from the session's identity map: the totals and the rule are read as committed) and one
    Redis round trip for one student. After a commit the read runs in autocommit: one statement
    needs no transaction, and BEGIN and COMMIT would be two more round trips."""
    if not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    _update(campaign_id, user_ids)


def _campaigns_of(user_ids) -> list[int]:
    return sorted(set(db.session.scalars(select(Participation.campaign_id).where(Participation.user_id.in_(user_ids)))))


def regroup_students(user_ids: list[int]) -> None:
    """After a commit that moved students between classes or schools, or confirmed them: the boards
    of every campaign they take part in are rebuilt (group totals cannot be patched per student)."""
    for campaign_id in _campaigns_of(user_ids):
        rebuild(campaign_id)


def restyle_students(user_ids: list[int]) -> None:
    """After a commit that changed whether students may appear (age band, consent, opting out)."""
    for campaign_id in _campaigns_of(user_ids):
        refresh_students(campaign_id, user_ids)


def _student_board(keys: Keys, top: int, mine: str | None):
    all_, pub, co2 = keys.boards[:3]
    return _script("student_board", _STUDENT_BOARD)(keys=[keys.built, pub, all_, co2], args=[top, mine or "-"])


# Built once: the names of a student board's people (their nickname, if any) and whether others may
# see each of them in the campaign (lookups.others_may_see), in one statement.
_NAMED = aliased(StudentProfile)
_NAMES = (
    select(User.id, _NAMED.nickname, others_may_see(User.id).label("shown"))
    .select_from(User)
    .join(Campaign, Campaign.id == bindparam("campaign_id"))
    .outerjoin(_NAMED, _NAMED.user_id == User.id)
    .where(User.id.in_(bindparam("ids", expanding=True)))
)


def _ensure_built(keys: Keys) -> None:
    if not kv.redis.exists(keys.built) and not rebuild(keys.campaign_id):
        raise _NotReady


def from_redis(campaign: Campaign, by: str, viewer: User | None, metric: str, top: int) -> dict[str, Any]:
    keys = Keys(campaign.id)
    all_, pub, co2, *group_keys = keys.boards
    mine = _viewer_key(viewer, by, campaign)
    if by == "student":
        got = _student_board(keys, top, mine)
        if got is None:
            if not rebuild(campaign.id):
                raise _NotReady
            got = _student_board(keys, top, mine)
            if got is None:
                raise _NotReady
        leaders, total, my_points, my_co2, co2s, above = got
        ids = [int(member) for member in leaders[::2]]
        scores = [int(float(score)) for score in leaders[1::2]]
        wanted = ids + ([int(mine)] if my_points is not None else [])
        params = {"campaign_id": campaign.id, "ids": wanted}
        rows = db.session.connection().execute(_NAMES, params).all() if wanted else []  # columns: past the ORM
        names, shown = {row.id: row for row in rows}, {row.id for row in rows if row.shown}
        if not shown >= set(ids):
            rebuild(campaign.id)  # a change of who may appear whose refresh was lost: this read uses the database
            raise _NotReady
        public = _dense(
            [
                _student_entry(i, score, int(float(c)), names.get(i))
                for i, score, c in zip(ids, scores, co2s, strict=True)
            ],
            "points",
        )
        me = None
        if my_points is not None:
            me = _student_entry(int(mine), int(float(my_points)), int(float(my_co2)), names.get(int(mine)))
            me["rank"] = 1 + int(above)
        return _result(by, metric, top, public, total, me)
    _ensure_built(keys)
    r = kv.redis
    offset = 3 * GROUP_BOARDS.index(by)
    pipe = r.pipeline(transaction=True)
    for key in group_keys[offset : offset + 3]:
        pipe.zrange(key, 0, -1, withscores=True)
    points, active, co2s = ({m.decode(): int(s) for m, s in rows} for rows in pipe.execute())
    totals = GroupTotals(points, active, co2s)
    public = _dense(_group_entries(campaign, by, totals), metric)
    return _result(by, metric, top, public, len(public), next((e for e in public if e["id"] == mine), None))


def board(campaign_id: int, by: str, viewer: User | None, *, metric: str = "per_student", top: int = 20) -> dict:
    """Top N of the public board, and the viewer's own entry (their rank even if hidden or beyond N)."""
    campaign = get_campaign(campaign_id, with_school=False)  # its school's id is all a board needs
    try:
        return from_redis(campaign, by, viewer, metric, top)
    except (redis_lib.RedisError, _NotReady) as exc:
        # Redis being down is logged once per outage by app.kv, not on every read.
        log.debug("leaderboard of campaign %s from the database: %r", campaign_id, exc)
        return from_database(campaign, by, viewer, metric, top)


def rebuild_all() -> int:
    """Every campaign's board from the database (the command; also heals a board that missed updates
    while Redis was unreachable)."""
    ids = list(db.session.scalars(select(Campaign.id).order_by(Campaign.id)))
    for campaign_id in ids:
        rebuild(campaign_id)
    return len(ids)
