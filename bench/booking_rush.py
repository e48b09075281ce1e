"""Booking rush: N distinct users hit one slot at once, against the service under gunicorn with
PostgreSQL and Redis. Prints attempts per second, latency percentiles, confirmed and 5xx counts,
and checks the slot was not overbooked. First it prints what one booking costs (bench/roundtrips.py):
database statements and transactions, Redis calls, encryption operations, idempotency claims,
rate-limit checks and token lookups, for the winner's path, the loser's path and a retry's replay.

    .venv/bin/python bench/booking_rush.py --attempts 1000 --capacity 20 --concurrency 64
    .venv/bin/python bench/booking_rush.py --count-only     # the round trips and their statements
    .venv/bin/python bench/booking_rush.py --floor-layers   # and the floor: the required libraries alone

Defaults use the machine's PostgreSQL (a database `lowcarbon_bench`, recreated each run) and Redis
(database 14, flushed). Targets on 2 cores: 0 overbooked, 0 5xx, attempts/s at least half the bare
app's in the same run, p99 < 300 ms.

Every app of the run (the service, the bare app, the floor) runs under gunicorn.conf.py with the
same pool's settings: the writes pool by default, where nginx sends a booking (deploy/); `--pool all`
for the one pool that takes everything.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.prepared import flask, recreate_database  # noqa: E402

TARGET_RATIO = 0.5  # of the bare UPDATE … RETURNING app's attempts/s, measured in the same run
TARGET_P99 = 0.3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def id_number(i: int) -> str:
    prefix = f"{22010219900101000 + i}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return prefix + "10X98765432"[sum(int(d) * w for d, w in zip(prefix, weights, strict=True)) % 11]


def prepare(
    env: dict[str, str], attempts: int, capacity: int, statements: bool = False, warm_users: int = 256
) -> tuple[int, list[str], dict, int, list[str]]:
    """Schema, one education base with one slot, and `attempts` signed-in users; then one booking's
    round trips counted on a second slot of the base (`count_round_trips`). Also a warm-up slot the
    next day and its own users (`warm_up`). Returns the slot, the users' tokens, the counts, the
    warm-up slot and its users' tokens."""
    flask(env, "db", "upgrade")
    os.environ.update(env)
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from app import create_app
    from app.accounts.models import User
    from app.accounts.tokens import issue_token
    from app.db_types import utcnow
    from app.extensions import db
    from app.policies import services as policies
    from app.visits.models import Slot
    from app.zones import editing, lifecycle
    from app.zones.models import District

    app = create_app()
    with app.app_context():
        district = db.session.scalar(db.select(District.id).limit(1))
        zone = editing.create_zone(
            {
                "name": "压测基地",
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
        zone = db.session.get(type(zone), zone.id)
        zone.is_education_base = True
        tz = ZoneInfo("Asia/Shanghai")
        starts = datetime.combine(utcnow().astimezone(tz).date() + timedelta(days=1), time(10), tz)
        slot = Slot(
            base_id=zone.id,
            visit_date=starts.date(),
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            capacity=capacity,
            group_capacity=0,
            booked=0,
            group_booked=0,
            status="open",
        )
        probe = Slot(
            base_id=zone.id,
            visit_date=starts.date(),
            starts_at=starts + timedelta(hours=2),
            ends_at=starts + timedelta(hours=3),
            capacity=PROBE_CAPACITY,
            group_capacity=0,
            booked=0,
            group_booked=0,
            status="open",
        )
        warm = Slot(
            base_id=zone.id,
            visit_date=starts.date() + timedelta(days=1),  # no visitor of the rush is booked that day
            starts_at=starts + timedelta(days=1),
            ends_at=starts + timedelta(days=1, hours=1),
            capacity=WARM_CAPACITY,
            group_capacity=0,
            booked=0,
            group_booked=0,
            status="open",
        )
        db.session.add_all([slot, probe, warm])
        users = [User(openid=f"o_bench_{i}") for i in range(attempts + len(PROBE_USERS) + warm_users)]
        db.session.add_all(users)
        db.session.flush()
        for user in users:  # signed-in citizens accepted the privacy policy first (else 428)
            policies.accept_current(user)
        tokens = [issue_token(u, "mp", 3600).token for u in users]
        from app import uow

        uow.commit()  # as a login commits: each token is known to every process from its first use
        slot_id, probe_id, warm_id = slot.id, probe.id, warm.id
    probe_tokens = dict(zip(PROBE_USERS, tokens[attempts : attempts + len(PROBE_USERS)], strict=True))
    counts = count_round_trips(app, probe_id, probe_tokens, attempts, statements)
    with app.app_context():
        db.engine.dispose()
    return slot_id, tokens[:attempts], counts, warm_id, tokens[attempts + len(PROBE_USERS) :]


PROBE_USERS = ("warm-up", "winner", "loser")
PROBE_CAPACITY = 10
# Before each rush, --warm-up other users book the warm-up slot (WARM_CAPACITY places): every worker
# thread has then taken the winner's and the loser's path once or more, its statements compiled and
# its connections open, as in a service that has been running. Each app gets the same warm-up.
WARM_CAPACITY = 32


def count_round_trips(app, slot_id: int, tokens: dict[str, str], first_number: int, statements: bool = False) -> dict:
    """One booking's costs, each path sent once through the whole app in this process: a warm-up
    booking first (process-wide caches filled, as in a running worker), then a new user's booking
    that gets a place (the winner), the same request retried (a replay), and, the slot now full, a
    new user's refused booking (the loser). Every user is new to the process, as in a rush."""
    from sqlalchemy import text

    from app.extensions import db
    from bench.roundtrips import counting, describe

    client = app.test_client()

    def send(who: str, number: int) -> int:
        body = {
            "slot_id": slot_id,
            "visitors": [{"name": "李四", "id_number": id_number(number), "phone": "13800000000"}],
        }
        headers = {"Authorization": f"Bearer {tokens[who]}", "Idempotency-Key": f"probe-{who}"}
        return client.post("/api/mp/v1/bookings", json=body, headers=headers).status_code

    with app.app_context():
        engine = db.engine
    statuses, costs = {}, {}
    statuses["warm-up"] = send("warm-up", first_number)
    for path, who, number in (("winner", "winner", first_number + 1), ("replay", "winner", first_number + 1)):
        with counting(engine) as tally:
            statuses[path] = send(who, number)
        costs[path] = describe(tally, statements)
    with app.app_context():
        db.session.execute(text("UPDATE visit_slots SET booked = capacity WHERE id = :id"), {"id": slot_id})
        db.session.commit()
    with counting(engine) as tally:
        statuses["loser"] = send("loser", first_number + 2)
    costs["loser"] = describe(tally, statements)
    return {"statuses": statuses, "costs": costs}


def print_round_trips(counts: dict) -> None:
    for path in ("winner", "loser", "replay"):
        print(f"round trips, {path} ({counts['statuses'][path]})")
        for line, value in counts["costs"][path].items():
            print(f"  {line:<24}{value}")


def start_server(env: dict[str, str], app: str | None, port: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"] + ([app] if app else [])
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                break
        except requests.RequestException:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            raise SystemExit("gunicorn did not start")
        time.sleep(0.2)
    # Warm every worker thread's database and Redis connections (as a running service has them),
    # so the rush measures bookings, not start-up: concurrent requests reach every thread.
    with ThreadPoolExecutor(max_workers=64) as pool:
        list(pool.map(lambda _: requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10), range(400)))
    return server


def rush(port: int, slot_id: int, tokens: list[str], attempts: int, concurrency: int) -> dict:
    """`attempts` distinct users, `concurrency` at a time, each trying once for one place."""
    local = threading.local()
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    timeline: list[tuple[float, float, int]] = []
    wall_start = time.perf_counter()

    def attempt(i: int) -> None:
        # http.client with keep-alive: a light client, so the machine's two cores go to the service.
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        body = json.dumps(
            {"slot_id": slot_id, "visitors": [{"name": "张三", "id_number": id_number(i), "phone": "13800000000"}]}
        )
        headers = {
            "Authorization": f"Bearer {tokens[i]}",
            "Idempotency-Key": f"rush-{i}",
            "Content-Type": "application/json",
        }
        started = time.perf_counter()
        try:
            conn.request("POST", "/api/mp/v1/bookings", body=body.encode(), headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            local.conn = None
            status = 599
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            statuses.append(status)
            timeline.append((started - wall_start, elapsed, status))

    wall_start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(attempt, range(attempts)))
    wall = time.perf_counter() - wall_start
    ordered = sorted(latencies)
    return {
        "rate": attempts / wall,
        "wall": wall,
        "p50": statistics.median(ordered),
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "statuses": statuses,
        "timeline": timeline,
    }


def warm_up(database_url: str, port: int, slot_id: int, tokens: list[str], concurrency: int) -> None:
    """The warm-up slot emptied, then booked by its own users (results dropped)."""
    reset_slot(database_url, slot_id)
    rush(port, slot_id, tokens, len(tokens), concurrency)


def slot_counts(database_url: str, slot_id: int) -> tuple[int, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as conn:
        booked = conn.execute(text("SELECT booked FROM visit_slots WHERE id = :id"), {"id": slot_id}).scalar()
        people = conn.execute(
            text("SELECT coalesce(sum(headcount), 0) FROM bookings WHERE slot_id = :id AND status = 'confirmed'"),
            {"id": slot_id},
        ).scalar()
    engine.dispose()
    return booked, people


def reset_slot(database_url: str, slot_id: int) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE visit_slots SET booked = 0 WHERE id = :id"), {"id": slot_id})
    engine.dispose()


FLOOR_LAYERS = ("limiter", "smorest", "token", "sqlalchemy")
LIMITS_DIRECT = "limits-direct"
FLOOR_LAYER_NAMES = {
    "limiter": "Flask-Limiter",
    "smorest": "flask-smorest (the schema loaded by hand)",
    "token": "the token lookup in Redis",
    "sqlalchemy": "SQLAlchemy (psycopg directly)",
}
FLOOR_VARIANT_NAMES = {LIMITS_DIRECT: "the limit counted by `limits` directly"}


def print_floors(mine: dict, bare: dict | None, floors: dict, capacity: int) -> None:
    """The floor app's rushes: what the required libraries cost with no rules at all, and what is left
    for the service's own code (service / floor)."""
    print("the floor (bench/floor_booking_app.py: the bare app's statement through the required libraries, no rules)")
    for variant, run in floors.items():
        label = FLOOR_VARIANT_NAMES.get(variant) or (
            "without " + FLOOR_LAYER_NAMES[variant] if variant else "every layer"
        )
        to_bare = f"floor / bare {run['rate'] / bare['rate']:.2f}   " if bare is not None else ""
        print(
            f"  {label:<50}{run['rate']:>6.0f} attempts/s   p99 {run['p99'] * 1000:>4.0f} ms   {to_bare}"
            f"service / floor {mine['rate'] / run['rate']:.2f}   "
            f"{run['statuses'].count(201)} confirmed of {capacity}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attempts", type=int, default=1000)
    parser.add_argument("--capacity", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--pool",
        choices=("writes", "all"),
        default="writes",
        help="gunicorn.conf.py's GUNICORN_POOL for every app of the run (default: writes, where bookings go)",
    )
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: the pool's)")
    parser.add_argument(
        "--count-only", action="store_true", help="print one booking's round trips and its statements, no rush"
    )
    parser.add_argument("--no-bare", action="store_true", help="skip the bare UPDATE … RETURNING app")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also rush bench/floor_booking_app.py: the bare app's statement through the required libraries",
    )
    parser.add_argument(
        "--floor-layers",
        action="store_true",
        help="--floor, then again leaving out each layer in turn, and with the limit counted by `limits` directly",
    )
    parser.add_argument("--warm-up", type=int, default=256, help="users booking the warm-up slot before each rush")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/lowcarbon_bench"),
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    args = parser.parse_args()

    import redis

    recreate_database(args.database_url)
    redis.Redis.from_url(args.redis_url).flushdb()
    env = dict(
        os.environ,
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        SECRET_KEY="bench-secret",
        WECHAT_APPID="wxbench",
        WECHAT_SECRET="bench",
        WECHAT_API_BASE_URL="http://127.0.0.1:9",
        LOG_LEVEL="WARNING",
        RATELIMIT_WRITE="1000 per minute",
        GUNICORN_POOL=args.pool,
    )
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    slot_id, tokens, counts, warm_id, warm_tokens = prepare(
        env, args.attempts, args.capacity, args.count_only, args.warm_up
    )
    print_round_trips(counts)
    # The counted booking's winner, loser and retry answered as they must (checked in every run).
    counted = counts["statuses"] == {"warm-up": 201, "winner": 201, "replay": 201, "loser": 409}
    if args.count_only:
        return 0 if counted else 1

    port = free_port()
    server = start_server(env, None, port)
    try:
        warm_up(args.database_url, port, warm_id, warm_tokens, args.concurrency)
        mine = rush(port, slot_id, tokens, args.attempts, args.concurrency)
    finally:
        server.terminate()
        server.wait(timeout=30)
    booked, people = slot_counts(args.database_url, slot_id)

    def other_app(app_uri: str, variant: str = "") -> dict:
        """The same rush (same slot emptied, same users, same warm-up) against a baseline app."""
        reset_slot(args.database_url, slot_id)
        port = free_port()
        settings = {"FLOOR_LIMITS": "direct"} if variant == LIMITS_DIRECT else {"FLOOR_WITHOUT": variant}
        server = start_server({**env, "BARE_DATABASE_URL": args.database_url, **settings}, app_uri, port)
        try:
            warm_up(args.database_url, port, warm_id, warm_tokens, args.concurrency)
            return rush(port, slot_id, tokens, args.attempts, args.concurrency)
        finally:
            server.terminate()
            server.wait(timeout=30)

    bare = None if args.no_bare else other_app("bench.bare_booking_app:create_app()")
    floors = {}
    if args.floor or args.floor_layers:
        for variant in ("",) + (FLOOR_LAYERS + (LIMITS_DIRECT,) if args.floor_layers else ()):
            floors[variant] = other_app("bench.floor_booking_app:create_app()", variant)

    statuses = mine["statuses"]
    confirmed = statuses.count(201)
    server_errors = sum(1 for s in statuses if s >= 500)
    overbooked = max(0, people - args.capacity, confirmed - args.capacity)
    print(f"attempts            {args.attempts} ({args.concurrency} concurrent clients, one place each)")
    print(f"gunicorn            GUNICORN_POOL={args.pool} ({env.get('WEB_CONCURRENCY') or 'the pool’s'} workers)")
    print(f"wall time           {mine['wall']:.2f} s")
    print(f"attempts/s          {mine['rate']:.0f}")
    print(f"latency p50         {mine['p50'] * 1000:.0f} ms")
    print(
        f"latency p99         {mine['p99'] * 1000:.0f} ms   (target {TARGET_P99 * 1000:.0f} ms: ratio "
        f"{mine['p99'] / TARGET_P99:.2f})"
    )
    print(f"confirmed (201)     {confirmed}   (capacity {args.capacity}; slot.booked {booked}, people booked {people})")
    print(f"slot_full (409)     {statuses.count(409)}")
    print(f"other 4xx           {sum(1 for s in statuses if 400 <= s < 500 and s != 409)}")
    print(f"5xx / transport     {server_errors}")
    print(f"overbooked          {overbooked}")
    slow = sorted(mine["timeline"], key=lambda t: -t[1])[:10]
    print(
        "slowest             "
        + ", ".join(f"{e * 1000:.0f} ms ({status}, sent at {at:.2f} s)" for at, e, status in slow[:5])
    )
    for code in (201, 409):
        times = sorted(e for _, e, status in mine["timeline"] if status == code)
        if times:
            print(
                f"  {code}: p50 {times[len(times) // 2] * 1000:.0f} ms, p99 {times[min(len(times) - 1, int(len(times) * 0.99))] * 1000:.0f} ms"
            )
    if bare is not None:
        print(
            f"bare UPDATE … RETURNING app: {bare['rate']:.0f} attempts/s, p50 {bare['p50'] * 1000:.0f} ms, "
            f"p99 {bare['p99'] * 1000:.0f} ms, {bare['statuses'].count(201)} confirmed; "
            f"service / bare = {mine['rate'] / bare['rate']:.2f}"
        )
    if floors:
        print_floors(mine, bare, floors, args.capacity)
    ratio = mine["rate"] / bare["rate"] if bare is not None else None
    if ratio is not None:
        print(f"service / bare      {ratio:.2f}   (target {TARGET_RATIO:.2f})")
    ok = (
        overbooked == 0 and server_errors == 0 and (ratio is None or ratio >= TARGET_RATIO) and mine["p99"] < TARGET_P99
    )
    print("result              " + ("meets the targets" if ok else "MISSES a target"))
    floors_ok = all(
        f["statuses"].count(201) == args.capacity and not any(x >= 500 for x in f["statuses"]) for f in floors.values()
    )
    return 0 if counted and overbooked == 0 and server_errors == 0 and floors_ok else 1


if __name__ == "__main__":
    sys.exit(main())
