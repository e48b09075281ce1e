"""Worker memory under a realistic mix: starts the service under gunicorn (the project's
gunicorn.conf.py) on PostgreSQL + Redis, sends 100,000 requests of the mini-program's mix and prints
each worker's resident memory (VmRSS in /proc/<pid>/status) at 0, 10%, 50% and 100% of them.

The mix (weights per 100 requests): cached public reads — zone list plain 12 and filtered 8, zone
detail 8, articles 8, base slots 5, /meta 8, /programme 5; uncached, as signed-in students (one
per client connection) — /me 10, my bookings 6, a booking and its cancel 4 each, the booking read 4,
a campaign check-in 6, a leaderboard read 8, my objections 4.

    .venv/bin/python bench/memory.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/lowcarbon_bench \\
        --redis-url redis://127.0.0.1:6379/14
    .venv/bin/python bench/memory.py --requests 300 --connections 2 --workers 2 \\
        --database-url sqlite:////tmp/memory.sqlite3 --redis-url ''       # a tiny run, no servers

Workers are not recycled during the run (GUNICORN_CMD_ARGS=--max-requests 0; --keep-recycling keeps
gunicorn.conf.py's max_requests), so a leak shows instead of being reset. The content is the demo
seed (`flask seed demo`) plus the leaderboard benchmark's students and campaign
(bench/leaderboard.prepare) and an education base with a slot far enough ahead to cancel.
Defaults use the machine's PostgreSQL (database `lowcarbon_bench`, recreated) and Redis (database 14,
flushed). Target: every worker under 150 MB after 100,000 requests.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from multiprocessing import Process, Queue
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.api_throughput import TARGET_RSS_MB, free_port, start, workers_of  # noqa: E402
from bench.growth import DEFAULT_DATABASE, bench_env, fresh_database, id_number, open_base  # noqa: E402
from bench.leaderboard import ACTIONS, prepare  # noqa: E402

MIX = {
    "zone list": 12,
    "zone list, filtered": 8,
    "zone detail": 8,
    "articles": 8,
    "slots": 5,
    "/meta": 8,
    "/programme": 5,
    "/me": 10,
    "my bookings": 6,
    "booking": 4,
    "booking cancel": 4,
    "booking read": 4,
    "check-in": 6,
    "leaderboard": 8,
    "my objections": 4,
}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def public_paths(base: str) -> dict[str, list[str]]:
    zones = requests.get(f"{base}/api/mp/v1/zones?per_page=50", timeout=30).json()["items"]
    bases = requests.get(f"{base}/api/mp/v1/bases", timeout=30).json()["items"]
    today = date.today()
    first = zones[0]
    return {
        "zone list": ["/api/mp/v1/zones"],
        "zone list, filtered": [
            f"/api/mp/v1/zones?type={first['type']}",
            f"/api/mp/v1/zones?type={first['type']}&level={first['level']}",
            "/api/mp/v1/zones?is_education_base=true",
        ],
        "zone detail": [f"/api/mp/v1/zones/{z['id']}" for z in zones],
        "articles": ["/api/mp/v1/articles"],
        "slots": [f"/api/mp/v1/bases/{b['id']}/slots?from={today}&to={today + timedelta(days=6)}" for b in bases[:5]],
        "/meta": ["/api/mp/v1/meta"],
        "/programme": ["/api/mp/v1/programme"],
    }


class Client:
    """One connection, one signed-in student: picks requests from the mix, keeps its booking state."""

    def __init__(self, port: int, token: str, person: int, world: dict, paths: dict[str, list[str]]):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.port, self.token, self.person, self.world, self.paths = port, token, person, world, paths
        self.booking: int | None = None
        self.checkins = 0
        self.sent = 0

    def call(self, method: str, path: str, body: dict | None = None, key: str | None = None) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {self.token}"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if key:
            headers["Idempotency-Key"] = key
        try:
            self.conn.request(method, path, body=payload, headers=headers)
            response = self.conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            return 599, b""

    def one(self, kind: str, rng: random.Random) -> int:
        self.sent += 1
        if kind in self.paths:
            return self.call("GET", rng.choice(self.paths[kind]))[0]
        if kind == "/me":
            return self.call("GET", "/api/mp/v1/me")[0]
        if kind == "my bookings":
            return self.call("GET", "/api/mp/v1/me/bookings")[0]
        if kind == "my objections":
            return self.call("GET", "/api/mp/v1/me/objections")[0]
        if kind == "leaderboard":
            by = rng.choice(("student", "class", "school"))
            return self.call(
                "GET", f"/api/mp/v1/campaigns/{self.world['campaign_id']}/leaderboard?by={by}&metric=per_student"
            )[0]
        if kind == "check-in":
            k = self.checkins
            self.checkins += 1
            day = date.today() - timedelta(days=1 + k // len(ACTIONS) % 6)
            body = {"action": ACTIONS[k % len(ACTIONS)], "quantity": 1, "day": day.isoformat()}
            return self.call("POST", f"/api/mp/v1/campaigns/{self.world['campaign_id']}/checkins", body)[0]
        if kind == "booking read" and self.booking:
            return self.call("GET", f"/api/mp/v1/bookings/{self.booking}")[0]
        if kind == "booking cancel" and self.booking:
            status, _ = self.call("POST", f"/api/mp/v1/bookings/{self.booking}/cancel")
            self.booking = None
            return status
        # "booking", or a read or cancel with no booking held: book.
        if self.booking:
            status, _ = self.call("POST", f"/api/mp/v1/bookings/{self.booking}/cancel")
            self.booking = None
            return status
        body = {
            "slot_id": self.world["slot_id"],
            "visitors": [{"name": "张三", "id_number": id_number(self.person), "phone": "13800000000"}],
        }
        status, raw = self.call("POST", "/api/mp/v1/bookings", body, key=f"mem-{self.person}-{self.sent}")
        if status == 201:
            self.booking = json.loads(raw)["id"]
        return status


def _load(port: int, world: dict, paths: dict, tokens: list[str], total: int, seed: int, out: Queue) -> None:
    """`total` requests from len(tokens) connections (one thread each); puts the status counts per kind."""
    kinds = [kind for kind, weight in MIX.items() for _ in range(weight)]
    remaining = [total]
    lock = threading.Lock()
    statuses: Counter = Counter()

    def run(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        client = Client(port, tokens[index], seed * 1000 + index, world, paths)
        while True:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            kind = rng.choice(kinds)
            status = client.one(kind, rng)
            with lock:
                statuses[(kind, status)] += 1
        if client.booking:  # leave no booking held: the next batch's clients start afresh
            client.call("POST", f"/api/mp/v1/bookings/{client.booking}/cancel")
        client.conn.close()

    with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        list(pool.map(run, range(len(tokens))))
    out.put(dict(statuses))


def batch(port: int, world: dict, paths: dict, tokens: list[str], total: int, seed: int) -> Counter:
    out: Queue = Queue()
    process = Process(target=_load, args=(port, world, paths, tokens, total, seed, out))
    process.start()
    result = Counter(out.get())
    process.join()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=16, help="client connections, one student each")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument("--keep-recycling", action="store_true", help="keep gunicorn.conf.py's max_requests")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    args = parser.parse_args()

    env = bench_env(args.database_url, args.redis_url)
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    if not args.keep_recycling:
        env["GUNICORN_CMD_ARGS"] = "--max-requests 0"
    fresh_database(args.database_url, args.redis_url, env, demo=True)
    saved = dict(os.environ)
    os.environ.update(env)
    from app import create_app
    from app.extensions import db

    app = create_app({"RATELIMIT_ENABLED": False})
    campaign_id, tokens, _ = prepare(app, max(50, args.connections), 500, 0)
    _, slot_id = open_base(app)
    with app.app_context():
        db.engine.dispose()
    os.environ.clear()
    os.environ.update(saved)
    world = {"campaign_id": campaign_id, "slot_id": slot_id}
    students = list(tokens.values())[: args.connections]
    if len(students) < args.connections:
        raise SystemExit(f"only {len(students)} signed-in students for {args.connections} connections")

    port = free_port()
    server = start(env, None, port)
    try:
        base = f"http://127.0.0.1:{port}"
        # Every worker and thread booted and connected (a running service), then the first reading.
        with ThreadPoolExecutor(max_workers=32) as pool:
            list(pool.map(lambda _: requests.get(f"{base}/healthz", timeout=30), range(200)))
        paths = public_paths(base)
        marks = sorted({0, args.requests // 10, args.requests // 2, args.requests})
        readings = []
        statuses: Counter = Counter()
        done, rate_line = 0, []
        for n, mark in enumerate(marks):
            if mark > done:
                started = time.perf_counter()
                statuses += batch(port, world, paths, students, mark - done, n)
                rate_line.append(f"{mark - done:,} in {time.perf_counter() - started:.0f} s")
                done = mark
            readings.append((mark, {pid: rss_mb(pid) for pid in sorted(workers_of(server.pid))}))
            print(
                f"after {mark:,} requests: VmRSS "
                + ", ".join(f"{pid}: {mb:.1f} MB" for pid, mb in readings[-1][1].items()),
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(
        f"{args.requests:,} requests over {args.connections} connections ({', '.join(rate_line)}); "
        f"gunicorn.conf.py, {env.get('WEB_CONCURRENCY') or 'default'} workers, "
        f"{'recycling as configured' if args.keep_recycling else 'no recycling (--max-requests 0)'}; "
        f"{args.database_url.split(':')[0]}, {'Redis' if args.redis_url else 'no Redis'}"
    )
    pids = sorted({pid for _, reading in readings for pid in reading})
    print(f"{'requests':>10}  " + "".join(f"{'pid ' + str(pid):>11}" for pid in pids) + f"{'max MB':>9}")
    for mark, reading in readings:
        cells = "".join(f"{reading[pid]:>11.1f}" if pid in reading else f"{'-':>11}" for pid in pids)
        print(f"{mark:>10,}  {cells}{max(reading.values(), default=0):>9.1f}")
    by_kind: dict[str, Counter] = {}
    for (kind, status), count in statuses.items():
        by_kind.setdefault(kind, Counter())[status] += count
    print(
        "answers: "
        + "; ".join(f"{k} " + " ".join(f"{s}×{c}" for s, c in sorted(v.items())) for k, v in by_kind.items())
    )
    failures = sum(c for (_, s), c in statuses.items() if s >= 500 or s == 429)
    peak = max(max(r.values(), default=0) for _, r in readings)
    first, last = readings[0][1], readings[-1][1]
    growth = [last[p] - first[p] for p in last if p in first]
    print(
        f"target: every worker < {TARGET_RSS_MB:.0f} MB after {args.requests:,} requests: "
        f"{'met' if peak < TARGET_RSS_MB else 'NOT met'} (max {peak:.1f} MB; growth from 0: "
        f"{max(growth, default=0):+.1f} MB at most); 5xx or 429: {failures}"
    )
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
