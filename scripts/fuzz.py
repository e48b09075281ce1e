"""Fuzz both APIs from the service's own OpenAPI document with schemathesis.

    .venv/bin/python scripts/fuzz.py                      # PostgreSQL + Redis on the standard ports
    .venv/bin/python scripts/fuzz.py --database-url sqlite:////tmp/fuzz.sqlite3 --redis-url ''
    .venv/bin/python scripts/fuzz.py --max-examples 100 --api admin

Starts the fake WeChat server and the service under gunicorn (the production configuration), loads
the demo data, signs in a citizen (mini-program token) and an administrator (staff token), then runs
`schemathesis run http://…/api/openapi.json` once per API with that API's token. Every check but one is on:
no 5xx, status codes, content types, headers and bodies as documented (errors in the error shape),
invalid input refused, authentication not ignored. Left out: "schema-valid data is accepted" — the
domain refuses well-formed requests the schema cannot describe (a slot that is full, a zone that is
no school, a name that is no real name) with a documented 422/409 in the error shape. And, for the
follow toggles only (GET …/follow answers `following: false` after the DELETE, by design), "a deleted
resource is no longer available". A time bound per API keeps CI short; the exit code is schemathesis's.
Reports (JUnit, and the server's log) go to test-artifacts/fuzz/.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.api_throughput import free_port, start  # noqa: E402
from bench.prepared import flask, recreate_database  # noqa: E402

ARTIFACTS = ROOT / "test-artifacts" / "fuzz"
# Signing out, or deleting the account ({"confirm": true} is an easy body to generate), would take the
# fuzzer's own token away halfway through and leave every later operation a 401: both are tested
# elsewhere (tests/test_accounts.py, tests/test_data_rights.py).
EXCLUDED = r"(/auth/logout|/me/deletion)$"
APIS = {"mp": r"^/api/mp/v1/", "admin": r"^/api/admin/v1/"}


def start_fake_wechat(port: int) -> None:
    from werkzeug.serving import make_server

    from app.wechat.fake import create_fake_wechat_app

    server = make_server("127.0.0.1", port, create_fake_wechat_app(), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()


# Path parameters and where real values for them are found: the fuzzer uses one of these most of
# the time (and its own inventions otherwise), so requests reach real zones, bases, notices and
# campaigns instead of stopping at 404.
KNOWN_IDS = {
    "zone_id": "SELECT id FROM zones",
    "base_id": "SELECT id FROM zones WHERE is_education_base",
    "school_id": "SELECT id FROM zones WHERE type = 'school'",
    "notice_id": "SELECT id FROM publicity_notices",
    "campaign_id": "SELECT id FROM campaigns",
    "slot_id": "SELECT id FROM visit_slots",
    # The fuzzer's citizen sees only its own bookings and objections (others' are 404 by design).
    "booking_id": "SELECT id FROM bookings WHERE user_id = (SELECT id FROM users WHERE openid = 'o_fake_fuzzer')",
    "checkin_id": "SELECT id FROM campaign_checkins",
    "objection_id": "SELECT id FROM objections",
    "receipt_no": "SELECT receipt_no FROM objections WHERE user_id = (SELECT id FROM users WHERE openid = 'o_fake_fuzzer')",
    "user_id": "SELECT id FROM users",
    "district_id": "SELECT id FROM districts",
    "article_id": "SELECT id FROM articles",
    "key": "SELECT slug FROM articles",
}


def write_config(database_url: str, path: Path) -> int:
    """A schemathesis.toml whose dictionaries hold the demo data's real identifiers."""
    import json

    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    lines, bound = [], []
    with engine.connect() as conn:
        for name, query in KNOWN_IDS.items():
            values = [row[0] for row in conn.execute(text(query + " ORDER BY 1 LIMIT 50"))]
            if values:
                lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values, ensure_ascii=False)}", ""]
                bound.append(f'"path.{name}" = {{ dictionary = "{name}", probability = 0.8 }}')
    engine.dispose()
    # A body over MAX_CONTENT_LENGTH (a 200,000-character article made longer still) is refused with
    # the documented 413 before it is read: as much a rejection as the schemathesis defaults.
    rejections = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]
    checks = ["[checks.negative_data_rejection]", f"expected-statuses = {json.dumps(rejections)}", ""]
    # GET /zones/{id}/follow and /schools/{id}/follow answer whether the caller follows: after the
    # DELETE they say `following: false`, by design, which the stateful phase reads as a deleted
    # resource still there (ST301). The check stays on for every other operation.
    following = ["[[operations]]", 'include-path-regex = "/follow$"', "checks.use_after_free.enabled = false", ""]
    path.write_text("\n".join([*lines, *checks, "[parameters]", *bound, "", *following]), encoding="utf-8")
    return len(bound)


def own_records(base: str, token: str) -> list[str]:
    """A booking and an objection of the fuzzer's own citizen, so the operations on "my" records
    reach their logic. Uses the documented examples with real slots and notices of the demo data."""
    from datetime import date, timedelta

    from app.publicity.schemas import OBJECTION_EXAMPLE
    from app.visits.schemas import BOOKING_EXAMPLE

    made, headers = [], {"Authorization": f"Bearer {token}"}
    for place in requests.get(f"{base}/api/mp/v1/bases", timeout=30).json()["items"]:
        today = date.today()
        slots = requests.get(
            f"{base}/api/mp/v1/bases/{place['id']}/slots",
            params={"from": today.isoformat(), "to": (today + timedelta(days=13)).isoformat()},
            timeout=30,
        ).json()["items"]
        for slot in slots:
            booked = requests.post(
                f"{base}/api/mp/v1/bookings",
                json={**BOOKING_EXAMPLE, "slot_id": slot["id"]},
                headers={**headers, "Idempotency-Key": f"fuzz-own-{slot['id']}"},
                timeout=30,
            )
            if booked.status_code == 201:
                made.append(f"booking {booked.json()['id']}")
                break
        if made:
            break
    for notice in requests.get(f"{base}/api/mp/v1/publicity", timeout=30).json()["items"]:
        detail = requests.get(f"{base}/api/mp/v1/publicity/{notice['id']}", timeout=30).json()
        for zone in detail.get("zones", []):
            raised = requests.post(
                f"{base}/api/mp/v1/publicity/{notice['id']}/objections",
                headers=headers,
                json={**OBJECTION_EXAMPLE, "zone_id": zone["id"]},
                timeout=30,
            )
            if raised.status_code == 201:
                made.append(f"objection {raised.json()['receipt_no']}")
                break
        if len(made) == 2:
            break
    return made


def tokens(base: str, admin_password: str) -> dict[str, str]:
    citizen = requests.post(f"{base}/api/mp/v1/auth/login", json={"code": "fuzzer:1"}, timeout=30)
    citizen.raise_for_status()
    # As the mini-program does first: accept the privacy policy in effect, or bookings, objections and
    # check-ins answer 428 consent_required.
    policy = requests.get(f"{base}/api/mp/v1/policies/privacy", timeout=30)
    if policy.status_code == 200:
        requests.post(
            f"{base}/api/mp/v1/me/consents",
            json={"document": "privacy", "version": policy.json()["version"]},
            headers={"Authorization": f"Bearer {citizen.json()['token']}"},
            timeout=30,
        ).raise_for_status()
    staff = requests.post(
        f"{base}/api/admin/v1/auth/login", json={"username": "fuzz-admin", "password": admin_password}, timeout=30
    )
    staff.raise_for_status()
    return {"mp": citizen.json()["token"], "admin": staff.json()["token"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("FUZZ_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/lowcarbon_fuzz"),
    )
    parser.add_argument("--redis-url", default=os.environ.get("FUZZ_REDIS_URL", "redis://127.0.0.1:6379/13"))
    parser.add_argument(
        "--max-examples",
        type=int,
        default=int(os.environ.get("FUZZ_MAX_EXAMPLES", "25")),
        help="test cases per operation and phase",
    )
    parser.add_argument(
        "--time-limit",
        type=int,
        default=int(os.environ.get("FUZZ_TIME_LIMIT", "480")),
        help="seconds per API before the run is stopped and failed",
    )
    parser.add_argument("--api", choices=(*APIS, "both"), default="both")
    parser.add_argument("--seed", type=int, default=None, help="reproduce an earlier run")
    parser.add_argument("--log-level", default="WARNING", help="the service's; INFO writes every request to server.log")
    args = parser.parse_args()

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    if args.database_url.startswith("sqlite:///"):
        Path(args.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    recreate_database(args.database_url)
    if args.database_url.startswith("postgresql"):
        # A throwaway database: its commits need not wait for the WAL flush (nothing else changes).
        from sqlalchemy import create_engine, text

        engine = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            name = conn.scalar(text("SELECT current_database()"))
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        engine.dispose()
    wechat_port, port = free_port(), free_port()
    start_fake_wechat(wechat_port)
    admin_password = "Fuzz-admin-2026!"
    env = dict(
        os.environ,
        DATABASE_URL=args.database_url,
        SECRET_KEY="fuzz-secret",
        LOG_LEVEL=args.log_level,
        WECHAT_API_BASE_URL=f"http://127.0.0.1:{wechat_port}",
        WEB_CONCURRENCY="2",
        # One caller sends thousands of writes here; the limits themselves are tested in tests/.
        RATELIMIT_WRITE="100000 per minute",
        RATELIMIT_LOGIN_PER_CODE="100000 per minute",
        RATELIMIT_LOGIN_PER_USERNAME="100000 per minute",
    )
    env.pop("REDIS_URL", None)
    if args.redis_url:
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()
        env["REDIS_URL"] = args.redis_url
    else:
        env["WEB_CONCURRENCY"] = "1"
    for command in (
        ["db", "upgrade"],
        ["seed", "demo"],
        ["users", "create-admin", "--username", "fuzz-admin", "--password", admin_password],
    ):
        flask(env, *command)

    server_log = ARTIFACTS / "server.log"
    with server_log.open("w") as log:
        service = start(env, None, port, log=log)
        base = f"http://127.0.0.1:{port}"
        failed = False
        try:
            keys = tokens(base, admin_password)
            print(f"the fuzzer's own records: {', '.join(own_records(base, keys['mp'])) or 'none'}", flush=True)
            config = ARTIFACTS / "schemathesis.toml"
            print(f"real identifiers for {write_config(args.database_url, config)} kinds of path parameter", flush=True)
            for api in APIS if args.api == "both" else (args.api,):
                command = [
                    sys.executable,
                    "-m",
                    "schemathesis.cli",
                    "--config-file",
                    str(config),
                    "run",
                    f"{base}/api/openapi.json",
                    "--include-path-regex",
                    APIS[api],
                    "--exclude-path-regex",
                    EXCLUDED,
                    "--header",
                    f"Authorization: Bearer {keys[api]}",
                    "--checks",
                    "all",
                    "--exclude-checks",
                    "positive_data_acceptance",
                    "--max-examples",
                    str(args.max_examples),
                    "--workers",
                    "1",
                    "--request-timeout",
                    "30",
                    "--no-shrink",
                    "--report",
                    "junit",
                    "--report-junit-path",
                    str(ARTIFACTS / f"{api}.xml"),
                ]
                if args.seed is not None:
                    command += ["--seed", str(args.seed)]
                print(
                    f"== fuzzing the {'mini-program' if api == 'mp' else 'staff'} API ({args.max_examples} examples "
                    f"per operation and phase, at most {args.time_limit} s)",
                    flush=True,
                )
                try:
                    code = subprocess.run(command, cwd=ROOT, env=env, timeout=args.time_limit, check=False).returncode
                except subprocess.TimeoutExpired:
                    print(f"fuzzing the {api} API took longer than {args.time_limit} s", file=sys.stderr)
                    code = 1
                failed = failed or code != 0
        finally:
            service.terminate()
            service.wait(timeout=30)
    errors = [line for line in server_log.read_text().splitlines() if "Traceback" in line]
    if errors:
        print(f"the server logged {len(errors)} traceback(s): see {server_log}", file=sys.stderr)
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
