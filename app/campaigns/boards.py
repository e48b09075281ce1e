"""Leaderboards. The database is the source of truth; each campaign's live board is a set of Redis
sorted sets, updated after every check-in commits and rebuilt from the database by `campaigns
rebuild-boards`, when Redis lost them, and after changes that move students between groups.
Without Redis (or while it is down) a board is computed from the database: slower, never wrong.
The database's side (each student's totals, the snapshot a board is built from, ranking, boards from
the database alone) is app.campaigns.board_scores; this module keeps the live boards.

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
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import redis as redis_lib
from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased

from app.accounts.models import User
from app.campaigns.board_scores import (
    GROUP_BOARDS,
    GroupTotals,
    Snapshot,
    board_answer,
    dense,
    from_database,
    group_entries,
    group_totals,
    snapshot,
    student_entry,
    student_scores,
    viewer_key,
)
from app.campaigns.lookups import get_campaign, others_may_see
from app.campaigns.models import ActionCheckin, Campaign, Participation, StudentProfile
from app.db_types import utcnow
from app.extensions import db, kv

log = logging.getLogger(__name__)

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
    mine = viewer_key(viewer, by, campaign)
    if by == "student":
        got = _student_board(keys, top, mine)
        if got is None:  # not built: built now, or _NotReady while another process builds it
            _ensure_built(keys)
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
        public = dense(
            [
                student_entry(i, score, int(float(c)), names.get(i))
                for i, score, c in zip(ids, scores, co2s, strict=True)
            ],
            "points",
        )
        me = None
        if my_points is not None:
            me = student_entry(int(mine), int(float(my_points)), int(float(my_co2)), names.get(int(mine)))
            me["rank"] = 1 + int(above)
        return board_answer(by, metric, top, public, total, me)
    _ensure_built(keys)
    r = kv.redis
    offset = 3 * GROUP_BOARDS.index(by)
    pipe = r.pipeline(transaction=True)
    for key in group_keys[offset : offset + 3]:
        pipe.zrange(key, 0, -1, withscores=True)
    points, active, co2s = ({m.decode(): int(s) for m, s in rows} for rows in pipe.execute())
    totals = GroupTotals(points, active, co2s)
    public = dense(group_entries(campaign, by, totals), metric)
    return board_answer(by, metric, top, public, len(public), next((e for e in public if e["id"] == mine), None))


def board(
    campaign_id: int, by: str, viewer: User | None, *, metric: str = "per_student", top: int = 20, page: int = 1
) -> dict:
    """Top N of the public board (`page` > 1: the next N, and so on), and the viewer's own entry
    (their rank even if hidden or beyond N). Ranks count from the top whatever the page."""
    campaign = get_campaign(campaign_id, with_school=False)  # its school's id is all a board needs
    try:
        answer = from_redis(campaign, by, viewer, metric, top * page)
    except (redis_lib.RedisError, _NotReady) as exc:
        # Redis being down is logged once per outage by app.kv, not on every read.
        log.debug("leaderboard of campaign %s from the database: %r", campaign_id, exc)
        answer = from_database(campaign, by, viewer, metric, top * page)
    return {**answer, "items": answer["items"][(page - 1) * top :], "page": page, "per_page": top}


def rebuild_all() -> int:
    """Every campaign's board from the database (the command; also heals a board that missed updates
    while Redis was unreachable)."""
    ids = list(db.session.scalars(select(Campaign.id).order_by(Campaign.id)))
    for campaign_id in ids:
        rebuild(campaign_id)
    return len(ids)
