"""Check-ins under load: a school morning's burst through the real service under gunicorn (the
project's gunicorn.conf.py) on PostgreSQL + Redis, with board reads beside it from another process.

2,000 students of one school are seeded in bulk, each a signed-in mini-program user (a bearer token)
who accepted the current privacy policy, confirmed by the school (a third under 14, half of those
with a guardian's consent on record), enrolled in the school's campaign. Each student then checks in
the day's actions one after another (on a school day the way to school, then a clean plate, lights
off and their own bottle); a few tap twice, a few claim a second commute beyond the day's trip
budget, as phones do. Meanwhile another process reads the campaign's boards (students, classes per
student and by participation, schools) with the students' tokens, at a steady rate (people opening
a board, 40 reads/s by default: a reader that sent its next read as soon as the last was answered
would read more the faster it is served, taking the CPUs from the check-ins it is measured beside).

The burst runs twice, each from a fresh database (`--arrangement` picks one): against one gunicorn
pool taking everything (GUNICORN_POOL=all), and against the deployment's two pools (deploy/): board
reads to the reads pool, check-ins to the writes pool, which runs below the reads' priority; the
benchmark sends each request where nginx would by its method.

Prints check-ins/s, their p50/p99, board read p50/p99 during the burst, refusals by code, 5xx, the
SQL statements and Redis round trips of one check-in and the Python calls of a check-in and of each
board read (in process, before the burst: figures the host's speed does not move), and whether the
live board (Redis) equals a rebuild from the database afterwards (app.campaigns.boards.rebuild: the
board's sorted sets before and after it, member by member, and every board as the API answers it
from Redis and from the database alone).

    .venv/bin/python bench/checkin_burst.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/lowcarbon_bench \\
        --redis-url redis://127.0.0.1:6379/14
    .venv/bin/python bench/checkin_burst.py --students 40 --concurrency 4 --readers 1 --workers 1 \\
        --database-url ... --redis-url ...                               # a tiny run (tests/test_bench.py)

The database is dropped and recreated and the Redis db flushed. Targets on 2 cores: >= 300
check-ins/s, board read p99 < 20 ms during the burst, the live board equal to the rebuild, no 5xx.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.api_throughput import free_port, start  # noqa: E402
from bench.leaderboard import boards_equal, percentile  # noqa: E402
from bench.prepared import analyze, fresh_database  # noqa: E402

TARGET_RATE, TARGET_READ_P99_MS = 300.0, 20.0
CLASSES = 40
# The way to school (only on school days: commuting counts then) and the quantity a student claims.
COMMUTES = (("walk", 2), ("cycle", 5), ("bus", 8), ("metro", 12))
DAILY = (("clean_plate", 1), ("lights_off", 0.5), ("own_bottle", 1))
ACTIONS = [code for code, _ in COMMUTES + DAILY]
BOARD_PATHS = (
    "leaderboard?by=student&top=20",
    "leaderboard?by=class&metric=per_student&top=20",
    "leaderboard?by=class&metric=participation&top=20",
    "leaderboard?by=school&top=20",
)
DOUBLE_TAP_EVERY, OVER_BUDGET_EVERY = 25, 40
IN_PROCESS = len(DAILY)  # the profiled student's check-ins: one counted (round trips), the others profiled


def seed(app, students: int) -> tuple[int, list[str], bool]:
    """One school, its campaign, `students` students in bulk (see the docstring). Returns the
    campaign's id, each student's bearer token and whether today is a school day."""
    from sqlalchemy import insert, select

    from app import uow
    from app.accounts import services as accounts
    from app.accounts.models import AuthToken, User
    from app.accounts.roles import Role
    from app.accounts.tokens import _hash_token, _remember_issued
    from app.campaigns import campaigns, catalogue, lookups
    from app.campaigns.models import AgeBand, ConsentMethod, Participation, StudentProfile
    from app.db_types import utcnow
    from app.extensions import db
    from app.policies import services as policies
    from app.policies.models import PolicyConsent
    from app.publicity.calendar import is_working
    from app.zones import editing, lifecycle
    from app.zones.models import District

    with app.app_context():
        root = Path(app.config["CONTENT_ROOT"])
        catalogue.sync_catalogue(root)
        parsed, problems = policies.read_policies(root)
        assert not problems, problems
        policies.publish(parsed)
        uow.commit()
        policy = policies.current()
        district = db.session.scalar(select(District.id).limit(1))
        zone = editing.create_zone(
            {
                "name": "压测学校",
                "type": "school",
                "level": "low_carbon",
                "district_id": district,
                "applicant_name": "压测学校",
                "applicant_kind": "school",
                "batch_year": 2026,
            },
            None,
        )
        for step in ("expert_review", "site_check", "publicity", "confirmed", "acceptance_review", "titled"):
            lifecycle.transition(zone.id, step, None, None)
        school = zone.id
        admin = accounts.create_staff_user("bench-burst", "bench-burst-2026", Role.SCHOOL_ADMIN, school_id=school)
        today = lookups.today()
        campaign = campaigns.create_campaign(
            school,
            {
                "title": "绿色出行周",
                "description": None,
                "cover_image_url": None,
                "audience": "school",
                "starts_on": today - timedelta(days=7),
                "ends_on": today.replace(year=today.year + 1),
                "actions": ACTIONS,
            },
            admin,
        )
        campaign_id = campaign.id
        now = utcnow()
        user_ids = list(
            db.session.execute(
                insert(User).returning(User.id),
                [{"openid": f"o_burst_{i}", "created_at": now} for i in range(students)],
            ).scalars()
        )
        bands = (AgeBand.UNDER_14, AgeBand.FROM_14_TO_17, AgeBand.ADULT)
        db.session.execute(
            insert(StudentProfile),
            [
                {
                    "user_id": uid,
                    "school_id": school,
                    "class_name": f"{i % CLASSES + 1}班",
                    "age_band": bands[i % 3],
                    "nickname": f"同学{i}",
                    "public_board": i % 17 != 0,
                    "confirmed_at": now,
                    "confirmed_by_id": admin.id,
                    "guardian_consent_at": now if i % 6 == 0 else None,
                    "guardian_consent_method": ConsentMethod.STATEMENT.value if i % 6 == 0 else None,
                    "guardian_consent_recorded_by_id": admin.id if i % 6 == 0 else None,
                    "updated_at": now,
                }
                for i, uid in enumerate(user_ids)
            ],
        )
        if policy is not None:  # signed-in students accepted the privacy policy (else 428)
            db.session.execute(
                insert(PolicyConsent),
                [
                    {"user_id": uid, "document": policy.document, "version": policy.version, "accepted_at": now}
                    for uid in user_ids
                ],
            )
        db.session.execute(
            insert(Participation), [{"campaign_id": campaign_id, "user_id": uid, "joined_at": now} for uid in user_ids]
        )
        tokens = [f"burst-{i}-{os.urandom(16).hex()}" for i in range(students)]
        db.session.execute(
            insert(AuthToken),
            [
                {
                    "token_hash": _hash_token(token),
                    "user_id": uid,
                    "audience": "mp",
                    "created_at": now,
                    "expires_at": now + timedelta(hours=2),
                }
                for token, uid in zip(tokens, user_ids, strict=True)
            ],
        )
        db.session.commit()
        # Each student signed in: a login's token is known to Redis from the start (issue_token
        # remembers what it issues), so no check-in reads the token from the database.
        users = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
        expires_at = now + timedelta(hours=2)
        for token, uid in zip(tokens, user_ids, strict=True):
            _remember_issued(_hash_token(token), "mp", expires_at, users[uid])
        school_day = is_working(today)
    return campaign_id, tokens, school_day


def plans(students: int, school_day: bool) -> list[list[tuple[str, str]]]:
    """Each student's check-ins of the morning, in the order they tap them."""
    out = []
    for i in range(students):
        mine = []
        if school_day:
            mine.append(COMMUTES[i % len(COMMUTES)])
            if i % OVER_BUDGET_EVERY == 7:  # a second way to school at its full cap: over the trip budget
                second = COMMUTES[(i + 1) % len(COMMUTES)][0]
                mine.append((second, {"walk": 10, "cycle": 20, "bus": 30, "metro": 40}[second]))
        mine.extend(DAILY)
        if i % DOUBLE_TAP_EVERY == 3:  # a double tap: the same action again
            mine.append(mine[-1])
        out.append(mine)
    return out


def _status_code(status: int, body: bytes) -> str:
    if status == 201:
        return "201"
    try:
        return f"{status} {json.loads(body)['error']['code']}"
    except (ValueError, KeyError, TypeError):
        return str(status)


def burst(port: int, campaign_id: int, tokens: list[str], work: list[list[tuple[str, str]]], concurrency: int):
    """Every student's check-ins, `concurrency` students at a time; (seconds, latencies, outcomes)."""
    local = threading.local()
    latencies: list[float] = []
    outcomes: Counter = Counter()
    lock = threading.Lock()
    path = f"/api/mp/v1/campaigns/{campaign_id}/checkins"

    def student(i: int) -> None:
        conn = getattr(local, "conn", None)
        for action, quantity in work[i]:
            if conn is None:
                conn = local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            body = json.dumps({"action": action, "quantity": quantity}).encode()
            headers = {"Authorization": f"Bearer {tokens[i]}", "Content-Type": "application/json"}
            started = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                answer = response.read()
                outcome = _status_code(response.status, answer)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = local.conn = None
                outcome = "transport error"
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                outcomes[outcome] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(student, range(len(work))))
    return time.perf_counter() - started, latencies, outcomes


def _read_boards(port: int, campaign_id: int, tokens: list[str], threads: int, rate: float, go, stop, out) -> None:
    """Another process: board reads from `threads` clients (students' tokens) until `stop`."""
    latencies: list[float] = []
    statuses: Counter = Counter()
    lock = threading.Lock()
    interval = threads / rate

    def reader(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        rng = random.Random(n)
        due = time.monotonic() + n * interval / threads
        while not stop.is_set():
            path = f"/api/mp/v1/campaigns/{campaign_id}/{BOARD_PATHS[rng.randrange(len(BOARD_PATHS))]}"
            headers = {"Authorization": f"Bearer {tokens[rng.randrange(len(tokens))]}"}
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 599
            elapsed = (time.perf_counter() - started) * 1000
            if go.is_set():  # only reads during the burst count
                with lock:
                    latencies.append(elapsed)
                    statuses[status] += 1
            due += interval
            time.sleep(max(0.0, due - time.monotonic()))
            due = max(due, time.monotonic())

    pool = [threading.Thread(target=reader, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    out.put((latencies, dict(statuses)))


def one_checkin_cost(app, campaign_id: int, token: str, action: str, quantity: str) -> tuple[int, int]:
    """SQL statements and Redis round trips (a pipeline is one) of one check-in, in process."""
    from redis import connection as redis_connection
    from sqlalchemy import event

    from app.extensions import db

    statements, trips = [0], [0]

    def count_sql(*_):
        statements[0] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count_sql)
    # A round trip is one send on a connection from this thread (a pipeline is one; the pub/sub
    # listeners' pings come from their own threads).
    original = redis_connection.Connection.send_packed_command
    me = threading.get_ident()

    def counting(self, *args, **kwargs):
        if threading.get_ident() == me:
            trips[0] += 1
        return original(self, *args, **kwargs)

    redis_connection.Connection.send_packed_command = counting
    try:
        response = app.test_client().post(
            f"/api/mp/v1/campaigns/{campaign_id}/checkins",
            json={"action": action, "quantity": quantity},
            headers={"Authorization": f"Bearer {token}"},
        )
    finally:
        event.remove(engine, "before_cursor_execute", count_sql)
        redis_connection.Connection.send_packed_command = original
    assert response.status_code == 201, response.get_data(as_text=True)
    return statements[0], trips[0]


def python_calls(app, campaign_id: int, token: str) -> tuple[float, dict[str, float]]:
    """Python function calls (cProfile) of a check-in and of each board read, in process, warm: a
    figure that, unlike seconds, does not move with the host's speed. The check-ins are the profiled
    student's two other daily actions; each board is read once unprofiled, then three times."""
    import cProfile
    import pstats

    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    def calls(requests) -> float:
        profile = cProfile.Profile()
        profile.enable()
        for request in requests:
            response = request()
            assert response.status_code in (200, 201), response.get_data(as_text=True)
        profile.disable()
        return pstats.Stats(profile).total_calls / len(requests)

    checkin = calls(
        [
            lambda action=action, quantity=quantity: client.post(
                f"/api/mp/v1/campaigns/{campaign_id}/checkins",
                json={"action": action, "quantity": quantity},
                headers=headers,
            )
            for action, quantity in DAILY[1:]
        ]
    )
    reads = {}
    for path in BOARD_PATHS:
        url = f"/api/mp/v1/campaigns/{campaign_id}/{path}"
        client.get(url, headers=headers)
        reads[path] = calls([lambda url=url: client.get(url, headers=headers)] * 3)
    return checkin, reads


def live_equals_rebuild(app, campaign_id: int) -> tuple[bool, bool]:
    """(the live sorted sets equal those boards.rebuild writes, every board from Redis equals it from the database)."""
    from app.campaigns import boards
    from app.extensions import kv

    with app.app_context():
        keys = boards.Keys(campaign_id)

        def sets():
            return {key: kv.redis.zrange(key, 0, -1, withscores=True) for key in keys.boards}

        live = sets()
        api_equal = boards_equal(app, campaign_id)
        boards.rebuild(campaign_id)
        rebuilt = sets()
    different = [key for key in keys.boards if sorted(live[key]) != sorted(rebuilt[key])]
    for key in different:
        print(f"  {key}: live {len(live[key])} members, rebuilt {len(rebuilt[key])}: DIFFERENT")
    return not different, api_equal


ARRANGEMENTS = {
    # name: what it runs (deploy/: one pool takes everything, or reads and writes apart)
    "one": "one pool (GUNICORN_POOL=all) takes the check-ins and the board reads",
    "apart": "board reads to a reads pool, check-ins to a writes pool (GUNICORN_POOL=reads / writes), as nginx sends them by method",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=2_000)
    parser.add_argument("--concurrency", type=int, default=32, help="students checking in at once")
    parser.add_argument("--readers", type=int, default=4, help="board readers in the other process")
    parser.add_argument(
        "--read-rate", type=float, default=40.0, help="board reads a second, all readers together (default 40)"
    )
    parser.add_argument(
        "--arrangement",
        choices=[*ARRANGEMENTS, "both"],
        default="both",
        help="the pools the burst runs against; both: one after the other, each from a fresh database (default)",
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers of every pool (default: gunicorn.conf.py's)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/lowcarbon_bench"),
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql") or not args.redis_url:
        parser.error("the burst runs under gunicorn's processes: PostgreSQL and a shared Redis")

    env = dict(
        os.environ,
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        SECRET_KEY="bench-secret",
        LOG_LEVEL="WARNING",
        WECHAT_APPID="wxbench",
        WECHAT_SECRET="bench",
        WECHAT_API_BASE_URL="http://127.0.0.1:9",
        RATELIMIT_WRITE="100000 per minute",
    )
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    arrangements = list(ARRANGEMENTS) if args.arrangement == "both" else [args.arrangement]
    print(
        f"{args.students:,} students, {args.concurrency} at a time; {args.readers} board readers in another "
        f"process, {args.read_rate:.0f} reads/s together; PostgreSQL + Redis"
    )
    results = [run(args, env, arrangement, first=n == 0) for n, arrangement in enumerate(arrangements)]
    return max(results)


def run(args, env: dict[str, str], arrangement: str, first: bool) -> int:
    """One burst against `arrangement`'s pools, from a fresh database; 0 when it was consistent."""
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    fresh_database(args.database_url, env)
    os.environ.update(env)
    from app import create_app
    from app.extensions import db

    app = create_app({"RATELIMIT_ENABLED": False})
    started = time.perf_counter()
    campaign_id, tokens, school_day = seed(app, args.students + 1)
    analyze(app)  # the seeded students' tables with statistics, as a running service's have
    profiled_token, tokens = tokens[-1], tokens[:-1]
    work = plans(args.students, school_day)
    print(
        f"\n{arrangement}: {ARRANGEMENTS[arrangement]}\n"
        f"seeded {args.students:,} students (+1 for the in-process count) in {time.perf_counter() - started:.1f} s; "
        f"{sum(map(len, work)):,} check-ins planned ({'a school day' if school_day else 'not a school day: no commute'})"
    )
    statements, trips = one_checkin_cost(app, campaign_id, profiled_token, *DAILY[0])
    checkin_calls, read_calls = python_calls(app, campaign_id, profiled_token)
    if first:  # the same code in every arrangement
        print(f"one check-in, in process: {statements} SQL statements, {trips} Redis round trips")
        print(
            f"Python calls (cProfile, in process): a check-in {checkin_calls:,.0f}; a board read "
            + ", ".join(f"{path.split('?')[1]} {n:,.0f}" for path, n in read_calls.items())
        )
    with app.app_context():
        db.engine.dispose()

    log = tempfile.TemporaryFile()  # noqa: SIM115 - the servers write to it for their whole life
    servers = []
    try:
        if arrangement == "one":
            write_port = read_port = free_port()
            servers.append(start({**env, "GUNICORN_POOL": "all"}, None, write_port, log))
        else:
            read_port, write_port = free_port(), free_port()
            servers.append(start({**env, "GUNICORN_POOL": "reads"}, None, read_port, log))
            servers.append(start({**env, "GUNICORN_POOL": "writes"}, None, write_port, log))
    except SystemExit:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        log.seek(0)
        print(log.read().decode(errors="replace")[-3000:])
        raise
    context = multiprocessing.get_context("fork")
    go, stop, out = context.Event(), context.Event(), context.Queue()
    readers = context.Process(
        target=_read_boards, args=(read_port, campaign_id, tokens, args.readers, args.read_rate, go, stop, out)
    )
    try:
        # Warm every worker thread (database and Redis connections, the board built), as a running service is.
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(
                pool.map(
                    lambda n: http_get(
                        (read_port, write_port)[n % 2], f"/api/mp/v1/campaigns/{campaign_id}/{BOARD_PATHS[n % 4]}"
                    ),
                    range(200),
                )
            )
        readers.start()
        time.sleep(0.5)
        go.set()
        seconds, latencies, outcomes = burst(write_port, campaign_id, tokens, work, args.concurrency)
        go.clear()
        stop.set()
        read_latencies, read_statuses = out.get(timeout=60)
        readers.join(timeout=30)
    finally:
        stop.set()
        if readers.is_alive():
            readers.terminate()
        for server in servers:
            server.terminate()
            server.wait(timeout=30)

    created = outcomes["201"]
    refusals = {k: v for k, v in outcomes.items() if k != "201" and not k.startswith("5") and k != "transport error"}
    server_errors = sum(v for k, v in outcomes.items() if k.startswith("5") or k == "transport error")
    read_errors = sum(v for k, v in read_statuses.items() if k >= 500)
    rate = created / seconds if seconds else 0.0
    p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
    r50 = statistics.median(read_latencies) if read_latencies else 0.0
    r99 = percentile(read_latencies, 0.99) if read_latencies else 0.0
    sets_equal, api_equal = live_equals_rebuild(app, campaign_id)
    with app.app_context():
        from sqlalchemy import func, select

        from app.campaigns.models import ActionCheckin

        stored = db.session.scalar(
            select(func.count()).select_from(ActionCheckin).where(ActionCheckin.campaign_id == campaign_id)
        )
        db.engine.dispose()  # the next arrangement drops the database
    print(f"{'check-ins/s':<30}{rate:>10.0f}   (target {TARGET_RATE:.0f}: ratio {rate / TARGET_RATE:.2f})")
    print(f"{'check-in p50 / p99':<30}{p50:>7.1f} ms / {p99:.1f} ms   ({len(latencies):,} requests in {seconds:.1f} s)")
    print(
        f"{'board read p50 / p99':<30}{r50:>7.1f} ms / {r99:.1f} ms   ({len(read_latencies):,} reads during the burst, "
        f"{len(read_latencies) / seconds if seconds else 0:.0f}/s; target p99 < {TARGET_READ_P99_MS:.0f} ms: "
        f"ratio {r99 / TARGET_READ_P99_MS:.2f})"
    )
    print(f"{'check-ins stored':<30}{stored:>10,}   (201 answers {created:,}, +{IN_PROCESS} made in process)")
    print(f"{'refusals by code':<30}" + (", ".join(f"{k}: {v}" for k, v in sorted(refusals.items())) or "none"))
    print(f"{'5xx / transport':<30}{server_errors:>10}   (board reads: {read_errors})")
    print(
        f"{'live board = rebuild':<30}{'yes' if sets_equal else 'NO':>10}   "
        f"(every board from Redis = from the database: {'yes' if api_equal else 'NO'})"
    )
    ok = rate >= TARGET_RATE and r99 < TARGET_READ_P99_MS
    print(f"{'result':<30}" + ("meets the targets" if ok and sets_equal and not server_errors else "MISSES a target"))
    consistent = stored == created + IN_PROCESS and sets_equal and api_equal
    return 0 if consistent and server_errors == 0 and read_errors == 0 else 1


def http_get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


if __name__ == "__main__":
    sys.exit(main())
