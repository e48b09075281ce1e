"""Growth: does the time of the common operations stay flat as the data grows? Seeds the database
in bulk to each level (1,000, 10,000 and 100,000 zones, check-ins and bookings by default; each
level adds to the one before) and measures, through the whole Flask stack in process (routing,
token lookup, serialisation), p50 and p99 of:

- the public zone list, page 1, served from the cache, and the same list with the cache missed;
- the zone list filtered by type and level, cache missed;
- a campaign's leaderboard (student board) from Redis, and from the database alone (the fallback
  when Redis is away, fewer samples);
- a booking (POST /bookings of one visitor, then its cancel, both timed), and the user's booking list.

"Cache missed": the zones namespace is bumped (app.cache.invalidate, outside the timed part) before
every timed request, so each one builds the page from the database as the first reader after a
change does. Each figure is printed with its ratio to the first level's.

    .venv/bin/python bench/growth.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/lowcarbon_bench \\
        --redis-url redis://127.0.0.1:6379/14
    .venv/bin/python bench/growth.py --levels 50,100 --samples 3 \\
        --database-url sqlite:////tmp/growth.sqlite3 --redis-url ''      # a tiny run, no servers

Defaults use the machine's PostgreSQL (database `lowcarbon_bench`, recreated) and Redis (database
14, flushed). Target: every p50 at the last level within 1.5× of the first level's (the database
fallback of the leaderboard aggregates every check-in and is shown, not held to it).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import prepared  # noqa: E402
from bench.leaderboard import ACTIONS, percentile, prepare  # noqa: E402

TARGET_GROWTH = 1.5
ZONE_TYPES = (
    ("park", "park_committee"),
    ("factory", "factory"),
    ("building", "owner"),
    ("community", "residents_committee"),
    ("scenic", "scenic_operator"),
)
LEVELS = ("low_carbon", "near_zero", "zero_carbon")
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/lowcarbon_bench"
FILTER = "type=park&level=low_carbon"
BOOKED_DAYS_AHEAD = 3  # the measured slot: released (7 days ahead), before the cancel cut-off


def id_number(n: int) -> str:
    """A valid resident ID number, distinct for every n below 10,000,000 (1,000 a birthday from 1950)."""
    born = date(1950, 1, 1) + timedelta(days=n // 1000)
    prefix = f"220102{born:%Y%m%d}{n % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return prefix + "10X98765432"[sum(int(d) * w for d, w in zip(prefix, weights, strict=True)) % 11]


def bench_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of the app under test, for the given database and Redis ('' = in-process stand-in)."""
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        SECRET_KEY="bench-secret",
        LOG_LEVEL="WARNING",
        WECHAT_APPID="wxbench",
        WECHAT_SECRET="bench",
        WECHAT_API_BASE_URL="http://127.0.0.1:9",
        RATELIMIT_WRITE="1000000 per minute",
        **extra,
    )
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def fresh_database(database_url: str, redis_url: str, env: dict[str, str], *, demo: bool = False) -> None:
    """Recreates the database (migrated to head; with `demo`, the demo data) and flushes the Redis database."""
    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
    prepared.fresh_database(database_url, env, demo=demo)


def open_base(app, days_ahead: int = BOOKED_DAYS_AHEAD, capacity: int = 1_000_000) -> tuple[int, int]:
    """A published education base with one open slot `days_ahead` days from now: (base id, slot id)."""
    from sqlalchemy import select

    from app import uow
    from app.extensions import db
    from app.visits.models import Slot
    from app.zones import editing, lifecycle
    from app.zones.models import District, Zone

    with app.app_context():
        district = db.session.scalar(select(District.id).limit(1))
        zone = editing.create_zone(
            {
                "name": "压测教育基地",
                "type": "scenic",
                "level": "low_carbon",
                "district_id": district,
                "applicant_name": "压测单位",
                "applicant_kind": "scenic_operator",
                "batch_year": 2026,
            },
            None,
        )
        for step in ("expert_review", "site_check", "publicity", "confirmed", "acceptance_review", "titled"):
            lifecycle.transition(zone.id, step, None, None)
        base = db.session.get(Zone, zone.id)
        base.is_education_base = True
        tz = ZoneInfo(app.config.get("TIMEZONE", "Asia/Shanghai"))
        starts = datetime.combine(datetime.now(tz).date() + timedelta(days=days_ahead), clock(10), tz)
        slot = Slot(
            base_id=base.id,
            visit_date=starts.date(),
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            capacity=capacity,
            group_capacity=0,
            booked=0,
            group_booked=0,
            status="open",
        )
        db.session.add(slot)
        uow.commit()
        return base.id, slot.id


def bulk_insert(table, rows: list[dict], *, ids: bool = False) -> list[int]:
    """Inserts rows into a table in the session's transaction: COPY on PostgreSQL, executemany
    elsewhere. Values go through each column type's own bind processing first (so EncryptedString
    columns hold what app.privacy's cipher writes for the app). ids: also returns the new ids, in
    the rows' order (taken from the table's sequence on PostgreSQL)."""
    from sqlalchemy import func, insert, select

    from app.extensions import db

    if not rows:
        return []
    conn = db.session.connection()
    if conn.dialect.name != "postgresql":
        if not ids:
            conn.execute(insert(table), rows)
            return []
        return list(conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars())
    new_ids: list[int] = []
    if ids:
        sequence = func.pg_get_serial_sequence(table.name, "id")
        new_ids = list(conn.scalars(select(func.nextval(sequence)).select_from(func.generate_series(1, len(rows)))))
        rows = [{**row, "id": new_id} for row, new_id in zip(rows, new_ids, strict=True)]
    names = list(rows[0])
    processors = [table.c[name].type._cached_bind_processor(conn.dialect) for name in names]
    # One processing per distinct value and column (the same plaintext gets one ciphertext).
    memos: list[dict] = [{} for _ in names]

    def value(row, index):
        raw, process = row[names[index]], processors[index]
        if process is None:
            return raw
        memo = memos[index]
        if raw not in memo:
            memo[raw] = process(raw)
        return memo[raw]

    cursor = conn.connection.driver_connection.cursor()
    with cursor, cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([value(row, index) for index in range(len(names))])
    return new_ids


def seed_zones(app, start: int, count: int) -> None:
    """`count` published zones (numbered from `start`), spread over types, levels, districts and years."""
    from sqlalchemy import select

    from app.db_types import utcnow
    from app.extensions import db
    from app.zones.constants import DEFAULT_DEPARTMENT, ZoneType
    from app.zones.models import District, Zone
    from app.zones.registry import search_text_of

    with app.app_context():
        districts = list(db.session.scalars(select(District.id)))
        now = utcnow()
        rows = []
        for n in range(start, start + count):
            kind, applicant_kind = ZONE_TYPES[n % len(ZONE_TYPES)]
            name, applicant = f"压测示范区{n}", f"压测申报单位{n % 997}"
            stamp = now - timedelta(minutes=n)
            rows.append(
                {
                    "name": name,
                    "type": kind,
                    "level": LEVELS[n // len(ZONE_TYPES) % len(LEVELS)],
                    "status": "titled",
                    "district_id": districts[n % len(districts)],
                    "applicant_name": applicant,
                    "applicant_kind": applicant_kind,
                    "batch_year": 2020 + n % 7,
                    "department": DEFAULT_DEPARTMENT[ZoneType(kind)].value,
                    "address": f"长春市压测路{n}号",
                    "is_education_base": False,
                    "published_at": stamp,
                    "status_changed_at": stamp,
                    "search_text": search_text_of(name, applicant, f"长春市压测路{n}号"),
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
        bulk_insert(Zone.__table__, rows)
        db.session.commit()


def seed_checkins(app, campaign_id: int, start: int, count: int) -> None:
    """`count` more check-ins of the campaign's participants, on the days before today (the
    leaderboard's own seeding, bench/leaderboard.prepare, used today)."""
    from sqlalchemy import select

    from app.campaigns import catalogue, lookups
    from app.campaigns.models import ActionCheckin, Participation
    from app.db_types import utcnow
    from app.extensions import db

    with app.app_context():
        users = sorted(
            db.session.scalars(select(Participation.user_id).where(Participation.campaign_id == campaign_id))
        )
        today = lookups.today()
        factors = {code: catalogue.factor_on(code, today) for code in ACTIONS}
        now = utcnow()
        rows = []
        for n in range(start, start + count):
            k = n // len(users)
            action = ACTIONS[k % len(ACTIONS)]
            factor = factors[action]
            rows.append(
                {
                    "campaign_id": campaign_id,
                    "user_id": users[n % len(users)],
                    "action": action,
                    "day": today - timedelta(days=1 + k // len(ACTIONS)),
                    "quantity": Decimal(1),
                    "factor_id": factor.id,
                    "co2_kg": factor.kg_co2e_per_unit,
                    "points": factor.points_per_unit,
                    "evidence": "self",
                    "needs_review": False,
                    "report_count": 0,
                    "created_at": now,
                    "scored_at": now,
                }
            )
        bulk_insert(ActionCheckin.__table__, rows)
        db.session.commit()


def seed_bookings(app, base_id: int, start: int, count: int, exclude: frozenset[int] = frozenset()) -> None:
    """`count` more individual bookings at the base, one visitor each (a distinct ID number; names
    and phones from a pool of 500), over past and future days (a slot per day, created as needed),
    by the campaign's students; one in five cancelled. Personal
    columns are written by the models' own EncryptedString type and the blind index by the app's
    cipher, as a booking through the API writes them."""
    from sqlalchemy import func, insert, select, update

    from app.accounts.models import User
    from app.db_types import utcnow
    from app.extensions import db
    from app.validators import person_key
    from app.visits.models import Booking, BookingVisitor, Slot

    with app.app_context():
        cipher = app.extensions["cipher"]
        users = [
            uid
            for uid in db.session.scalars(select(User.id).where(User.openid.like("o_lb_%")).order_by(User.id))
            if uid not in exclude
        ]
        tz = ZoneInfo(app.config.get("TIMEZONE", "Asia/Shanghai"))
        today = datetime.now(tz).date()
        slots = {s.visit_date: s.id for s in db.session.scalars(select(Slot).where(Slot.base_id == base_id))}
        now = utcnow()
        plan = []
        for n in range(start, start + count):
            day = today + timedelta(days=n % 400 - 360)  # mostly past visits, some ahead
            if day == today + timedelta(days=BOOKED_DAYS_AHEAD):
                day -= timedelta(days=400)  # the measured slot stays empty
            if day not in slots:
                starts = datetime.combine(day, clock(14), tz)
                slots[day] = db.session.scalar(
                    insert(Slot)
                    .values(
                        base_id=base_id,
                        visit_date=day,
                        starts_at=starts,
                        ends_at=starts + timedelta(hours=1),
                        capacity=1_000_000,
                        booked=0,
                        group_capacity=0,
                        group_booked=0,
                        status="open",
                    )
                    .returning(Slot.id)
                )
            cancelled = n % 5 == 0
            status = "cancelled" if cancelled else ("confirmed" if day >= today else "checked_in")
            plan.append((n, day, status))
        for at in range(0, len(plan), 5000):
            chunk = plan[at : at + 5000]
            ids = bulk_insert(
                Booking.__table__,
                [
                    {
                        "user_id": users[n % len(users)],
                        "slot_id": slots[day],
                        "base_id": base_id,
                        "visit_date": day,
                        "kind": "individual",
                        "headcount": 1,
                        "status": status,
                        "created_at": now,
                        "cancelled_at": now if status == "cancelled" else None,
                        "late_cancel": False,
                    }
                    for n, day, status in chunk
                ],
                ids=True,
            )
            visitors = []
            for booking_id, (n, day, status) in zip(ids, chunk, strict=True):
                number = id_number(1_000_000 + n)
                visitors.append(
                    {
                        "booking_id": booking_id,
                        "base_id": base_id,
                        "visit_date": day,
                        "name": f"访客{n % 500}",
                        "id_type": "resident_id",
                        "id_number": number,
                        "id_index": cipher.blind_index(person_key("resident_id", number)),
                        "phone": f"138{n % 500:08d}",
                        "active": status != "cancelled",
                    }
                )
            bulk_insert(BookingVisitor.__table__, visitors)
        live = (
            select(func.count())
            .where(Booking.slot_id == Slot.id, Booking.status != "cancelled")
            .correlate(Slot)
            .scalar_subquery()
        )
        db.session.execute(update(Slot).where(Slot.base_id == base_id).values(booked=live))
        db.session.commit()


def rebuild_board(app, campaign_id: int) -> None:
    """The campaign's Redis boards rebuilt from the database (bulk rows bypass the check-in use case)."""
    from app.campaigns import boards

    with app.app_context():
        boards.rebuild(campaign_id)


def timed(client, method: str, path: str, samples: int, *, headers=None, body=None, before=None, expect=200):
    """Timings (ms) of `samples` requests; `before(n)` runs untimed ahead of each and may return
    (path, body) to use; `expect`: the status every answer must have."""
    timings = []
    for n in range(samples):
        this_path, this_body = path, body
        if before is not None:
            changed = before(n)
            if changed:
                this_path, this_body = changed
        started = time.perf_counter()
        response = client.open(this_path, method=method, headers=headers or {}, json=this_body)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != expect:
            raise SystemExit(f"{method} {this_path}: {response.status_code} {response.get_data(as_text=True)[:300]}")
    return timings


def measure(app, fallback_app, world: dict, samples: int) -> dict[str, list[float]]:
    from app import cache

    client = app.test_client()
    token = world["token"]
    auth = {"Authorization": f"Bearer {token}"}
    results: dict[str, list[float]] = {}

    def miss(_n):
        with app.app_context():
            cache.invalidate("zones")

    client.get("/api/mp/v1/zones")
    results["zone list, cached"] = timed(client, "GET", "/api/mp/v1/zones", samples)
    results["zone list, cache missed"] = timed(client, "GET", "/api/mp/v1/zones", samples, before=miss)
    results["zone list filtered, missed"] = timed(client, "GET", f"/api/mp/v1/zones?{FILTER}", samples, before=miss)

    board = f"/api/mp/v1/campaigns/{world['campaign_id']}/leaderboard?by=student&metric=per_student&top=20"
    client.get(board, headers=auth)
    results["board, Redis"] = timed(client, "GET", board, samples, headers=auth)
    fallback = fallback_app.test_client()
    results["board, database fallback"] = timed(fallback, "GET", board, max(3, samples // 10), headers=auth)

    booked: list[int] = []
    counter = world["bookings_made"]

    def next_booking(n):
        number = id_number(9_000_000 + counter + n)
        return "/api/mp/v1/bookings", {
            "slot_id": world["slot_id"],
            "visitors": [{"name": "张三", "id_number": number, "phone": "13800000000"}],
        }

    timings = []
    for n in range(samples):
        path, body = next_booking(n)
        headers = {**auth, "Idempotency-Key": f"growth-{counter + n}"}
        started = time.perf_counter()
        response = client.post(path, json=body, headers=headers)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 201:
            raise SystemExit(f"booking: {response.status_code} {response.get_data(as_text=True)[:300]}")
        booked.append(response.get_json()["id"])
    results["booking"] = timings
    world["bookings_made"] += samples
    cancels = []
    for booking_id in booked:
        started = time.perf_counter()
        response = client.post(f"/api/mp/v1/bookings/{booking_id}/cancel", headers=auth)
        cancels.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"cancel: {response.status_code} {response.get_data(as_text=True)[:300]}")
    results["booking cancel"] = cancels
    results["my bookings, page 1"] = timed(client, "GET", "/api/mp/v1/me/bookings", samples, headers=auth)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", default="1000,10000,100000", help="rows of each kind, comma-separated, rising")
    parser.add_argument("--samples", type=int, default=200, help="timed requests per operation and level")
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE))
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
        help="'' for the in-process stand-in",
    )
    args = parser.parse_args()
    levels = [int(v) for v in args.levels.split(",")]
    if levels != sorted(levels) or levels[0] < 1:
        raise SystemExit("--levels must rise")

    env = bench_env(args.database_url, args.redis_url)
    fresh_database(args.database_url, args.redis_url, env)
    os.environ.clear()
    os.environ.update(env)
    from app import create_app

    app = create_app({"RATELIMIT_ENABLED": False})
    fallback_app = create_app(
        {"RATELIMIT_ENABLED": False, "REDIS_URL": "redis://127.0.0.1:1/0", "RATELIMIT_STORAGE_URI": "memory://"}
    )
    students = min(args.students, max(10, levels[0]))
    # The first level's check-ins: the leaderboard benchmark's world (schools, campaign, students).
    campaign_id, tokens, _ = prepare(app, students, levels[0], 0)
    base_id, slot_id = open_base(app)
    # Each level is measured by a student of its own who owns none of the seeded bookings: the curve
    # is then the tables' growth, not one user's own bookings piling up level after level.
    bookers = list(tokens.items())[: len(levels)]
    if len(bookers) < len(levels):
        raise SystemExit("fewer signed-in students than levels")
    world = {
        "campaign_id": campaign_id,
        "slot_id": slot_id,
        "token": bookers[0][1],
        "bookings_made": 0,
    }
    print(
        f"{args.database_url.split(':')[0]}, "
        f"{'Redis ' + args.redis_url if args.redis_url else 'in-process Redis stand-in'}; "
        f"{args.samples} samples per operation and level; 'missed': the zones cache bumped before each request"
    )
    figures: dict[int, dict[str, list[float]]] = {}
    have = 0
    for level in levels:
        spent = {}
        steps = [("zones", partial(seed_zones, app, have, level - have))]
        if have:
            steps.append(("check-ins", partial(seed_checkins, app, campaign_id, have - levels[0], level - have)))
        steps += [
            ("bookings", partial(seed_bookings, app, base_id, have, level - have, frozenset(u for u, _ in bookers))),
            ("analyze", partial(prepared.analyze, app)),
            ("board rebuild", partial(rebuild_board, app, campaign_id)),
        ]
        for part, seed in steps:
            started = time.perf_counter()
            seed()
            spent[part] = time.perf_counter() - started
        print(
            f"level {level:,}: {level - have:,} more zones, check-ins and bookings seeded in "
            f"{sum(spent.values()):.1f} s (" + ", ".join(f"{k} {v:.1f} s" for k, v in spent.items()) + ")"
        )
        have = level
        world["token"] = bookers[levels.index(level)][1]
        figures[level] = measure(app, fallback_app, world, args.samples)

    first = levels[0]
    header = f"{'operation':<28}{'rows':>9}{'p50 ms':>9}{'p99 ms':>9}{'p50 ×':>8}{'p99 ×':>8}"
    print(header)
    worst = 0.0
    for name in figures[first]:
        base50, base99 = percentile(figures[first][name], 0.5), percentile(figures[first][name], 0.99)
        for level in levels:
            p50, p99 = percentile(figures[level][name], 0.5), percentile(figures[level][name], 0.99)
            if name != "board, database fallback":
                worst = max(worst, p50 / base50)
            print(f"{name:<28}{level:>9,}{p50:>9.2f}{p99:>9.2f}{p50 / base50:>8.2f}{p99 / base99:>8.2f}")
    print(
        f"target: p50 at {levels[-1]:,} rows within {TARGET_GROWTH}× of {first:,} (leaderboard fallback aside): "
        f"{'met' if worst <= TARGET_GROWTH else 'NOT met'} (worst {worst:.2f}×)"
    )
    return 0


if __name__ == "__main__":
    random.seed(7)
    sys.exit(main())
