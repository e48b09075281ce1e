"""Public reads against the server's own ceiling. Starts the service (PostgreSQL + Redis, the project's
gunicorn.conf.py) and two baselines answering the same bytes under the same gunicorn settings: a
plain WSGI callable with no framework (bench/raw_wsgi_app.py: what gunicorn alone costs) and a bare
Flask app (bench/bare_app.py: what Flask adds). It drives all three with the same load (wrk from
Debian's packages, installed when missing and possible; else a Python load generator in another
process), and prints per path requests/s, the service's ratio to each baseline, p50 and p99, then
the peak RSS of every worker. Each path is measured in rounds (default 3) that alternate the three
apps; each app's figures are its best round, and the median of the rounds' ratios is printed too.

    .venv/bin/python bench/api_throughput.py                     # wrk -t2 -c32 -d10s, 3 rounds per path
    .venv/bin/python bench/api_throughput.py --metrics-cost      # the service with its metrics / without them
    .venv/bin/python bench/api_throughput.py --duration 1 --connections 2 --load python \\
        --database-url sqlite:////tmp/tp.sqlite3 --redis-url ''   # a tiny run, no servers

Defaults use the machine's PostgreSQL (database `lowcarbon_bench`, recreated) and Redis (database
14, flushed). Targets on 2 cores: every cached read >= 0.8 of the raw WSGI app, p99 < 30 ms at 32
connections, a 304 cheaper still, worker memory < 150 MB after 10,000 requests.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from multiprocessing import Process, Queue
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.prepared import fresh_database  # noqa: E402

TARGET_RATIO, TARGET_P99_MS, TARGET_RSS_MB = 0.8, 30.0, 150.0  # the ratio is to the raw WSGI app
# Headers gunicorn writes itself (the baselines get them from gunicorn too).
SERVER_HEADERS = frozenset({"date", "server", "connection", "keep-alive", "transfer-encoding"})


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(env: dict[str, str], app: str | None, port: int, log=None) -> subprocess.Popen:
    """gunicorn with the project's settings on 127.0.0.1:port; returns once it answers (log: a file for its output)."""
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"] + ([app] if app else [])
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
        stdout=log or subprocess.DEVNULL,
        stderr=log or subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz" if app is None else f"http://127.0.0.1:{port}/", timeout=2)
            return server
        except requests.RequestException:
            if server.poll() is not None:
                break
            time.sleep(0.2)
    server.terminate()  # never left running behind a failed start
    server.wait(timeout=30)
    raise SystemExit("gunicorn did not start")


def workers_of(master: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            children.append(int(stat.parent.name))
    return children


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def ensure_wrk() -> str | None:
    found = shutil.which("wrk")
    if found or not shutil.which("apt-get") or os.geteuid() != 0:
        return found
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "wrk"],
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return shutil.which("wrk")


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(wrk: str, url: str, headers: dict[str, str], threads: int, connections: int, duration: int) -> dict:
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": _ms(latency["50"]),
        "p99": _ms(latency["99"]),
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
    }


def _python_load(url: str, headers: dict[str, str], connections: int, duration: float, out: Queue) -> None:
    target = requests.utils.urlparse(url)
    timings: list[float] = []
    errors = [0]
    stop = time.monotonic() + duration

    def worker():
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
        path = target.path + (f"?{target.query}" if target.query else "")
        while time.monotonic() < stop:
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            timings.append((time.perf_counter() - started) * 1000)
            if response.status >= 400:
                errors[0] += 1

    pool = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    timings.sort()
    out.put(
        {
            "rps": len(timings) / duration,
            "p50": timings[len(timings) // 2],
            "p99": timings[min(len(timings) - 1, int(len(timings) * 0.99))],
            "errors": errors[0],
        }
    )


def run_python(url: str, headers: dict[str, str], connections: int, duration: int) -> dict:
    out: Queue = Queue()
    process = Process(target=_python_load, args=(url, headers, connections, duration, out))
    process.start()
    result = out.get()
    process.join()
    return result


def paths_to_measure(base: str) -> list[tuple[str, str, dict[str, str]]]:
    """(name, path, headers): the reads the mini-program does most."""
    zones = requests.get(f"{base}/api/mp/v1/zones", timeout=10).json()["items"]
    bases = requests.get(f"{base}/api/mp/v1/bases", timeout=10).json()["items"]
    first = zones[0]
    today = date.today()
    listing = requests.get(f"{base}/api/mp/v1/zones", timeout=10)
    paths = [
        ("zone list, page 1", "/api/mp/v1/zones", {}),
        ("zone list, filtered", f"/api/mp/v1/zones?type={first['type']}&level={first['level']}", {}),
        ("zone detail", f"/api/mp/v1/zones/{first['id']}", {}),
        ("article list", "/api/mp/v1/articles", {}),
        ("/meta", "/api/mp/v1/meta", {}),
        ("programme", "/api/mp/v1/programme", {}),
        ("zone list, 304", "/api/mp/v1/zones", {"If-None-Match": listing.headers["ETag"]}),
    ]
    if bases:
        paths.insert(
            4,
            (
                "base slots, 7 days",
                f"/api/mp/v1/bases/{bases[0]['id']}/slots?from={today}&to={today + timedelta(days=6)}",
                {},
            ),
        )
    return paths


def in_process_cost(env: dict[str, str], paths, rounds: int, calls: int) -> list[tuple[str, float, float]]:
    """What counting costs a cached read, free of the load generator and the busy machine's noise: the
    service's WSGI app called in this process, with its metrics (multiprocess mode, as under
    gunicorn) and without (METRICS_ENABLED=0), in alternating rounds; the best round of each, in
    microseconds of this process's CPU per read. Returns (path name, with, without)."""
    import math

    os.environ.update(env)
    directory = tempfile.mkdtemp(prefix="bench-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory  # before prometheus_client is first imported
    from werkzeug.test import EnvironBuilder

    from app import create_app

    apps = {"with": create_app(), "without": create_app({"METRICS_ENABLED": False})}

    def call(app, environ) -> None:
        body = app(dict(environ), lambda status, headers, exc_info=None: None)
        b"".join(body)
        if hasattr(body, "close"):
            body.close()

    results = []
    try:
        for name, path, headers in paths:
            environ = EnvironBuilder(path=path, headers=headers, base_url="http://127.0.0.1").get_environ()
            best = {"with": math.inf, "without": math.inf}
            for app in apps.values():
                for _ in range(20):  # builds the entry, remembers the URL for the fast path, warms up
                    call(app, environ)
            for _ in range(rounds):
                for key, app in apps.items():
                    started = time.process_time()  # CPU time: the busy machine's waiting is not counted
                    for _ in range(calls):
                        call(app, environ)
                    best[key] = min(best[key], (time.process_time() - started) / calls * 1e6)
            results.append((name, best["with"], best["without"]))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating rounds per path; each app's best round counts"
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--load", choices=("wrk", "python"), default="wrk")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument(
        "--log-level",
        default="INFO",
        help="the service's LOG_LEVEL (INFO, as in production: every answer writes its access line, discarded)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/lowcarbon_bench"),
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    parser.add_argument(
        "--metrics-cost",
        action="store_true",
        help="compare the service with the service without its metrics (METRICS_ENABLED=0) instead of the bare app",
    )
    parser.add_argument(
        "--path",
        action="append",
        dest="only",
        metavar="NAME",
        help="measure only this path (its name as printed, e.g. 'zone list, 304'); repeatable; default: all",
    )
    args = parser.parse_args()

    wrk = ensure_wrk() if args.load == "wrk" else None
    if args.load == "wrk" and wrk is None:
        print("wrk is not installed and cannot be installed here: using the Python load generator")
    env = dict(
        os.environ,
        DATABASE_URL=args.database_url,
        SECRET_KEY="bench-secret",
        LOG_LEVEL=args.log_level,
        WECHAT_APPID="wxbench",
        WECHAT_SECRET="bench",
        WECHAT_API_BASE_URL="http://127.0.0.1:9",
    )
    env.pop("REDIS_URL", None)
    if args.redis_url:
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()
        env["REDIS_URL"] = args.redis_url
    # The reads pool, where nginx sends these reads (deploy/); the baselines run under the same settings.
    env["GUNICORN_POOL"] = "reads"
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    fresh_database(args.database_url, env, demo=True)

    service_port, bare_port, raw_port = free_port(), free_port(), free_port()
    service = start(env, None, service_port)
    service_base = f"http://127.0.0.1:{service_port}"
    bodies_file = Path(tempfile.mkstemp(suffix=".json")[1])
    bare = raw = None
    try:
        paths = paths_to_measure(service_base)
        if args.only:
            unknown = set(args.only) - {name for name, _, _ in paths}
            if unknown:
                parser.error(f"unknown --path {sorted(unknown)}: one of {[name for name, _, _ in paths]}")
            paths = [entry for entry in paths if entry[0] in args.only]
        bodies = {}
        for _, path, _ in paths:
            answer = requests.get(service_base + path, timeout=10)
            bodies[path] = {
                "body": base64.b64encode(answer.content).decode(),
                "mimetype": answer.headers["Content-Type"],
                "etag": answer.headers["ETag"].strip('"'),
                "headers": [(k, v) for k, v in answer.headers.items() if k.lower() not in SERVER_HEADERS],
            }
        bodies_file.write_text(json.dumps(bodies))
        raw = start({**env, "BARE_BODIES": str(bodies_file)}, "bench.raw_wsgi_app:create_app()", raw_port)
        if args.metrics_cost:  # the same service, counting nothing: what the metrics cost
            bare = start({**env, "METRICS_ENABLED": "0"}, None, bare_port)
            for _, path, headers in paths:  # its workers boot and fill their local caches first
                for _ in range(15 * args.duration):
                    requests.get(f"http://127.0.0.1:{bare_port}{path}", headers=headers, timeout=10)
        else:
            bare = start({**env, "BARE_BODIES": str(bodies_file)}, "bench.bare_app:create_app()", bare_port)
        rows = []
        bases = (f"http://127.0.0.1:{raw_port}", f"http://127.0.0.1:{bare_port}", service_base)
        for name, path, headers in paths:
            # Rounds alternate the three apps, so a slow minute of a shared host falls on all of them;
            # each app's figure is its best round (noise only ever slows a run down), and the median
            # of the rounds' own ratios is printed beside it.
            rounds = []
            for _ in range(args.rounds):
                figures = []
                for base in bases:
                    if wrk:
                        figures.append(
                            run_wrk(wrk, base + path, headers, args.threads, args.connections, args.duration)
                        )
                    else:
                        figures.append(run_python(base + path, headers, args.connections, args.duration))
                rounds.append(figures)
            best = [dict(max((r[i] for r in rounds), key=lambda f: f["rps"])) for i in range(3)]
            for i, figures in enumerate(best):  # errors of every round count, not only the best's
                figures["errors"] = sum(r[i]["errors"] for r in rounds)
            ratios = sorted(r[2]["rps"] / r[0]["rps"] for r in rounds if r[0]["rps"])
            rows.append((name, *best, ratios[len(ratios) // 2] if ratios else 0.0))
        print(
            f"{args.connections} connections, {args.duration} s per path, load: {'wrk' if wrk else 'python'}; "
            f"gunicorn.conf.py, GUNICORN_POOL=reads ({env.get('WEB_CONCURRENCY') or 'default'} workers); "
            f"{args.database_url.split(':')[0]}, {'Redis' if args.redis_url else 'no Redis'}, LOG_LEVEL={args.log_level}"
        )
        if args.metrics_cost:
            print("'bare' below is the service without metrics (METRICS_ENABLED=0); ratio: with / without")
        if args.rounds > 1:
            print(
                f"{args.rounds} alternating rounds per path: each app's best round; 'median' is the median of "
                "the rounds' own service/raw ratios"
            )
        print(
            f"{'path':<22}{'raw r/s':>9}{'bare r/s':>10}{'service r/s':>13}{'/raw':>6}{'/bare':>7}"
            f"{'p50 ms':>8}{'p99 ms':>8}{'raw p99':>9}{'errors':>8}{'median':>8}"
        )
        worst_ratio, worst_p99 = 9.9, 0.0
        for name, raw_figures, bare_figures, mine, median_ratio in rows:
            to_raw = mine["rps"] / raw_figures["rps"] if raw_figures["rps"] else 0.0
            to_bare = mine["rps"] / bare_figures["rps"] if bare_figures["rps"] else 0.0
            worst_ratio, worst_p99 = min(worst_ratio, to_raw), max(worst_p99, mine["p99"])
            print(
                f"{name:<22}{raw_figures['rps']:>9,.0f}{bare_figures['rps']:>10,.0f}{mine['rps']:>13,.0f}"
                f"{to_raw:>6.2f}{to_bare:>7.2f}{mine['p50']:>8.1f}{mine['p99']:>8.1f}{raw_figures['p99']:>9.1f}"
                f"{mine['errors']:>8}{median_ratio:>8.2f}"
            )
        service_rss = [peak_rss_mb(pid) for pid in workers_of(service.pid)]
        bare_rss = [peak_rss_mb(pid) for pid in workers_of(bare.pid)]
        raw_rss = [peak_rss_mb(pid) for pid in workers_of(raw.pid)]
        print(
            "peak RSS per worker (MB): service "
            + ", ".join(f"{m:.0f}" for m in sorted(service_rss))
            + "; bare "
            + ", ".join(f"{m:.0f}" for m in sorted(bare_rss))
            + "; raw "
            + ", ".join(f"{m:.0f}" for m in sorted(raw_rss))
        )
        print(
            f"targets: ratio to raw WSGI >= {TARGET_RATIO}: {'met' if worst_ratio >= TARGET_RATIO else 'NOT met'} "
            f"(worst {worst_ratio:.2f}); p99 < {TARGET_P99_MS:.0f} ms: {'met' if worst_p99 < TARGET_P99_MS else 'NOT met'} "
            f"(worst {worst_p99:.1f}); RSS < {TARGET_RSS_MB:.0f} MB: "
            f"{'met' if max(service_rss, default=0) < TARGET_RSS_MB else 'NOT met'}"
        )
        if args.metrics_cost:
            rounds, calls = max(2, args.duration * 2), 500 if args.duration > 1 else 50
            print(f"in one process, cached reads, CPU µs per read, best of {rounds} alternating rounds of {calls}:")
            print(f"{'path':<22}{'with µs':>10}{'without µs':>12}{'ratio':>7}")
            for name, with_metrics, without in in_process_cost(env, paths, rounds, calls):
                print(f"{name:<22}{with_metrics:>10.1f}{without:>12.1f}{with_metrics / without:>7.2f}")
        return 0 if all(figures["errors"] == 0 for row in rows for figures in row[1:4]) else 1
    finally:
        for server in (service, bare, raw):
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
        bodies_file.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
