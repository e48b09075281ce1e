"""Where a cached public read's microseconds go, inside the process (no network, no gunicorn): builds
the app as a gunicorn worker does, reads each path once so it is cached, then calls the app's WSGI
callable (what gunicorn calls) over and over with a prepared environ and prints the microseconds per
call, beside the raw WSGI baseline's (bench/raw_wsgi_app.py) for the same bytes. With --profile it
also prints pyinstrument's call tree of the hits (pip install '.[bench]').

    .venv/bin/python bench/profile_cached_hit.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/lowcarbon_bench \\
        --redis-url redis://127.0.0.1:6379/14 --profile
    .venv/bin/python bench/profile_cached_hit.py --calls 200 --database-url sqlite:////tmp/p.sqlite3 --redis-url ''

The database is recreated and seeded with the demo data; the Redis database is flushed. The access
line is written at INFO (as in production) to a discarded stream, so its cost is counted.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.prepared import fresh_database  # noqa: E402


def environ_for(path: str, headers: dict[str, str]) -> dict:
    route, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": route,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": "wrk",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def call(app, path: str, headers: dict[str, str]) -> tuple[str, list, bytes]:
    seen = {}

    def start_response(status, response_headers, exc_info=None):
        seen["status"], seen["headers"] = status, response_headers

    result = app(environ_for(path, headers), start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return seen["status"], seen["headers"], body


def per_call_us(app, path: str, headers: dict[str, str], calls: int) -> float:
    """CPU microseconds of this thread per call (a busy machine stretches wall-clock time, not these)."""
    started = time.thread_time()
    for _ in range(calls):
        call(app, path, headers)
    return (time.thread_time() - started) / calls * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20000, help="calls per path")
    parser.add_argument("--profile", action="store_true", help="print pyinstrument's call tree of one path's hits")
    parser.add_argument(
        "--profile-path",
        default="zone list, page 1",
        metavar="NAME",
        help="the path --profile profiles (its name as printed)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/lowcarbon_bench"),
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    args = parser.parse_args()

    env = {
        "DATABASE_URL": args.database_url,
        "SECRET_KEY": "bench-secret",
        "LOG_LEVEL": "INFO",
        "WECHAT_APPID": "wxbench",
        "WECHAT_SECRET": "bench",
        "WECHAT_API_BASE_URL": "http://127.0.0.1:9",
    }
    os.environ.pop("REDIS_URL", None)
    if args.redis_url:
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()
        env["REDIS_URL"] = args.redis_url
    os.environ.update(env)
    fresh_database(args.database_url, dict(os.environ), demo=True)

    from app import create_app

    flask_app = create_app()
    # The access line is written, as in production, but to nowhere.
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(io.StringIO())
            handler.stream.write = lambda text: len(text)  # type: ignore[method-assign]
    app = flask_app.wsgi_app

    first = json.loads(call(app, "/api/mp/v1/zones", {})[2])["items"][0]
    bases = json.loads(call(app, "/api/mp/v1/bases", {})[2])["items"]
    paths = [
        ("zone list, page 1", "/api/mp/v1/zones", {}),
        ("zone list, filtered", f"/api/mp/v1/zones?type={first['type']}&level={first['level']}", {}),
        ("zone detail", f"/api/mp/v1/zones/{first['id']}", {}),
        ("article list", "/api/mp/v1/articles", {}),
        ("/meta", "/api/mp/v1/meta", {}),
        ("programme", "/api/mp/v1/programme", {}),
    ]
    if bases:
        from datetime import date, timedelta

        today = date.today()
        paths.insert(
            4,
            (
                "base slots, 7 days",
                f"/api/mp/v1/bases/{bases[0]['id']}/slots?from={today}&to={today + timedelta(days=6)}",
                {},
            ),
        )
    stored = {}
    for _, path, headers in paths:
        for _ in range(3):  # the first builds, the next ones are hits
            status, response_headers, body = call(app, path, headers)
        names = dict(response_headers)
        stored[path] = {
            "body": base64.b64encode(body).decode(),
            "mimetype": names["Content-Type"],
            "etag": names["ETag"].strip('"'),
            "headers": response_headers,
        }
    paths.append(("zone list, 304", "/api/mp/v1/zones", {"If-None-Match": f'"{stored["/api/mp/v1/zones"]["etag"]}"'}))

    bodies_file = Path(tempfile.mkstemp(suffix=".json")[1])
    try:
        bodies_file.write_text(json.dumps(stored))
        os.environ["BARE_BODIES"] = str(bodies_file)
        from bench.raw_wsgi_app import application as raw

        print(
            f"{args.calls} calls per path, in one thread; {args.database_url.split(':')[0]}, "
            f"{'Redis' if args.redis_url else 'no Redis'}; access line at INFO"
        )
        print(f"{'path':<22}{'status':>8}{'service us':>12}{'raw us':>8}{'extra us':>10}  (CPU time per call)")
        for name, path, headers in paths:
            status = call(app, path, headers)[0]
            mine = per_call_us(app, path, headers, args.calls)
            baseline = per_call_us(raw, path, headers, args.calls)
            print(f"{name:<22}{status.split()[0]:>8}{mine:>12.1f}{baseline:>8.1f}{mine - baseline:>10.1f}")
    finally:
        bodies_file.unlink(missing_ok=True)

    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0001)
        chosen = {name: (path, headers) for name, path, headers in paths}
        if args.profile_path not in chosen:
            parser.error(f"unknown --profile-path {args.profile_path!r}: one of {sorted(chosen)}")
        with profiler:
            per_call_us(app, *chosen[args.profile_path], args.calls)
        print(profiler.output_text(unicode=False, color=False, show_all=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
