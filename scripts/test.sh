#!/usr/bin/env bash
# Install everything into .venv and run the whole test suite:
#   pass 1 on the embedded defaults (SQLite, in-process Redis stand-in), as any newcomer has;
#   pass 2 on PostgreSQL and Redis (TEST_DATABASE_URL / TEST_REDIS_URL, default: the standard local
#   ports), when they answer. With CI=true pass 2 is required: stopped services are started if
#   installed, and unreachable ones fail the run.
# Extra arguments go to pytest (e.g. scripts/test.sh -k login).
# Every step runs even when an earlier one failed; the last line sums them all: `N passed, M failed`.
source "$(dirname "$0")/_venv.sh" "[test]"

REPORTS=test-artifacts
rm -f "$REPORTS"/pytest-*.xml "$REPORTS"/fuzz/*.xml "$REPORTS"/frontend-*.xml
mkdir -p "$REPORTS"
FAILED_STEPS=()
# step NAME[@REPORT,...] COMMAND...: run it, remember it failed (with the reports that tell how).
step() {
    local name="$1"
    shift
    if ! "$@"; then
        FAILED_STEPS+=(--failed-step "$name")
    fi
}
finish() {
    echo "== summary"
    shopt -s nullglob
    python scripts/summary.py "$REPORTS"/pytest-sqlite.xml "$REPORTS"/pytest-postgres.xml "$REPORTS"/fuzz/*.xml \
        "$REPORTS"/frontend-*.xml "${FAILED_STEPS[@]}"
    if [ "${#FAILED_STEPS[@]}" -eq 0 ]; then exit 0; fi
    exit 1
}
# The mini-program front end (scripts/frontend.sh): checks, both builds, browser journeys against the
# real service on the databases of the pass that ran last. Skipped (with a message) without Node 18+,
# unless CI=true; skipped when pytest was asked for a subset.
frontend() {
    if [ "$#" -eq 0 ]; then
        step "front end@$REPORTS/frontend-unit.xml,$REPORTS/frontend-e2e.xml" "${FRONTEND_ENV[@]}" scripts/frontend.sh
    fi
}
# Two worker processes by default (TEST_WORKERS=1 for one); a test file stays on one worker.
PYTEST=(python -m pytest --durations=15 --durations-min=1 -n "${TEST_WORKERS:-2}" --dist loadfile)

PG_URL="${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/lowcarbon_test}"
REDIS_URL_FOR_TESTS="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"

echo "== lint and layout (ruff)"
step "ruff check" ruff check .
step "ruff format --check (the formatter owns the layout)" ruff format --check .

# The front end's packages first: tests/test_frontend_contract.py generates its API types with them.
step "front end install (npm ci)" scripts/frontend.sh --install-only

echo "== pass 1: SQLite and in-process fallbacks"
step "pass 1 (SQLite)@$REPORTS/pytest-sqlite.xml" env -u DATABASE_URL -u REDIS_URL -u TEST_DATABASE_URL -u TEST_REDIS_URL \
    "${PYTEST[@]}" --junitxml="$REPORTS/pytest-sqlite.xml" "$@"

start_local_services() {
    # The same commands the machine uses at boot; harmless when already running.
    if command -v pg_ctlcluster >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 2>/dev/null; then
        echo "starting PostgreSQL"
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
    fi
    if command -v redis-server >/dev/null 2>&1 && ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
        echo "starting Redis"
        mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
        redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
            --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
    fi
    for _ in $(seq 1 30); do
        python scripts/services.py "$PG_URL" "$REDIS_URL_FOR_TESTS" 2>/dev/null && return 0
        sleep 1
    done
}

if [ "${CI:-}" = "true" ]; then
    start_local_services
    if ! python scripts/services.py "$PG_URL" "$REDIS_URL_FOR_TESTS"; then
        echo "CI needs PostgreSQL and Redis for pass 2, and they are unreachable: failing." >&2
        FAILED_STEPS+=(--failed-step "PostgreSQL and Redis unreachable in CI")
        finish
    fi
elif ! python scripts/services.py "$PG_URL" "$REDIS_URL_FOR_TESTS" 2>/dev/null; then
    echo "== pass 2 not run: PostgreSQL or Redis not reachable ($PG_URL, $REDIS_URL_FOR_TESTS)."
    echo "   Set TEST_DATABASE_URL and TEST_REDIS_URL to run it."
    if [ "$#" -eq 0 ]; then
        echo "== fuzzing both APIs from the OpenAPI document (SQLite, one process)"
        step "fuzzing (SQLite)@$REPORTS/fuzz/mp.xml,$REPORTS/fuzz/admin.xml" \
            python scripts/fuzz.py --database-url "sqlite:///$PWD/instance/fuzz.sqlite3" --redis-url ''
    fi
    FRONTEND_ENV=(env -u DATABASE_URL -u REDIS_URL -u TEST_DATABASE_URL -u TEST_REDIS_URL)
    frontend "$@"
    finish
fi

echo "== pass 2: PostgreSQL and Redis"
step "pass 2 (PostgreSQL + Redis)@$REPORTS/pytest-postgres.xml" \
    env -u DATABASE_URL -u REDIS_URL TEST_DATABASE_URL="$PG_URL" TEST_REDIS_URL="$REDIS_URL_FOR_TESTS" \
    "${PYTEST[@]}" --junitxml="$REPORTS/pytest-postgres.xml" "$@"

# The running service (gunicorn, PostgreSQL, Redis) against its own OpenAPI document: no 5xx, every
# answer as documented. Skipped when pytest was asked for a subset (extra arguments).
if [ "$#" -eq 0 ]; then
    echo "== fuzzing both APIs from the OpenAPI document (PostgreSQL + Redis)"
    step "fuzzing (PostgreSQL + Redis)@$REPORTS/fuzz/mp.xml,$REPORTS/fuzz/admin.xml" \
        python scripts/fuzz.py --database-url "${PG_URL%/*}/lowcarbon_fuzz" --redis-url "${REDIS_URL_FOR_TESTS%/*}/13"
fi
# The browser journeys' service on PostgreSQL + Redis: database <name>_e2e, Redis db 12 (scripts/frontend_server.py).
FRONTEND_ENV=(env -u DATABASE_URL -u REDIS_URL TEST_DATABASE_URL="$PG_URL" TEST_REDIS_URL="$REDIS_URL_FOR_TESTS")
frontend "$@"
finish
