#!/usr/bin/env bash
# Install everything into .venv and run the whole test suite:
#   pass 1 on the embedded defaults (SQLite, in-process Redis stand-in), as any newcomer has;
#   pass 2 on PostgreSQL and Redis (TEST_DATABASE_URL / TEST_REDIS_URL, default: the standard local
#   ports), when they answer. With CI=true pass 2 is required: stopped services are started if
#   installed, and unreachable ones fail the run.
# Extra arguments go to pytest (e.g. scripts/test.sh -k login).
# Every step runs even when an earlier one failed; the last line sums them all: `N passed, M failed`.
# Two lanes share the machine: the pytest passes in the foreground, and beside them (output kept in
# test-artifacts/side-lane.log, printed when it ends) the fuzzing and the front end, which use
# databases and Redis dbs of their own. Each step prints its wall and CPU seconds (`step …:`).
cd "$(dirname "$0")/.."
# The whole machine's CPU over the run (every process, the database servers included), from /proc/stat.
machine_cpu() { if [ -r /proc/stat ]; then head -n 1 /proc/stat; fi; }
RUN_CPU_START="$(machine_cpu)"
REPORTS=test-artifacts
mkdir -p "$REPORTS"
# Bytecode is kept (__pycache__, ignored by git) even where the environment says not to write it:
# without it every Python process of the run (pytest workers, the services and benchmarks the tests
# start, the fuzzed server) compiles the project and rewrites the test modules again, 2 s or more each.
unset PYTHONDONTWRITEBYTECODE
rm -f "$REPORTS"/pytest-*.xml "$REPORTS"/fuzz/*.xml "$REPORTS"/frontend-*.xml "$REPORTS"/failed-steps "$REPORTS"/side-lane.log
# The front end's packages download while Python's install (neither needs the other).
scripts/frontend.sh --install-only >"$REPORTS/npm-ci.log" 2>&1 &
NPM_CI_PID=$!
INSTALL_STARTED=$SECONDS
source "$(dirname "$0")/_venv.sh" "[test]"
echo "   step install into .venv (uv, or pip): $((SECONDS - INSTALL_STARTED)) s wall"

# step NAME[@REPORT,...] COMMAND...: run it, print its wall and CPU seconds (its own and its
# children's, scripts/timed.py: the database servers' are not counted), remember it failed (with the
# reports that tell how) in $REPORTS/failed-steps, which the side lane writes too.
step() {
    local name="$1"
    shift
    local status=0
    python scripts/timed.py "${name%%@*}" "$@" || status=$?
    if [ "$status" -ne 0 ]; then
        echo "$name" >>"$REPORTS/failed-steps"
    fi
}
# The side lane (fuzzing, front end): started in the background, joined before the summary.
SIDE_PID=""
side_lane() {
    echo "== fuzzing and the front end, beside the pytest passes (output: $REPORTS/side-lane.log)"
    ( "$@" ) >"$REPORTS/side-lane.log" 2>&1 &
    SIDE_PID=$!
}
join_side_lane() {
    if [ -n "$SIDE_PID" ]; then
        wait "$SIDE_PID" || true
        echo "== fuzzing and the front end (run beside the pytest passes)"
        cat "$REPORTS/side-lane.log"
    fi
}
finish() {
    join_side_lane
    echo "== summary"
    echo "   whole run: $SECONDS s wall"
    if [ -n "$RUN_CPU_START" ]; then
        # cpu user nice system idle iowait irq softirq steal …: busy = all but idle and iowait.
        echo "$RUN_CPU_START $(machine_cpu)" | awk -v cores="$(nproc 2>/dev/null || echo 1)" '{
            t1 = 0; for (i = 2; i <= 9; i++) t1 += $i; i1 = $5 + $6
            t2 = 0; for (i = 13; i <= 20; i++) t2 += $i; i2 = $16 + $17
            if (t2 > t1) printf "   machine: %d %% busy on %d cores over the run (every process, the database servers included)\n", 100 * ((t2 - t1) - (i2 - i1)) / (t2 - t1), cores
        }'
    fi
    shopt -s nullglob
    local failed=()
    if [ -f "$REPORTS/failed-steps" ]; then
        while IFS= read -r name; do failed+=(--failed-step "$name"); done <"$REPORTS/failed-steps"
    fi
    python scripts/summary.py "$REPORTS"/pytest-sqlite.xml "$REPORTS"/pytest-postgres.xml "$REPORTS"/fuzz/*.xml \
        "$REPORTS"/frontend-*.xml "${failed[@]}"
    if [ "${#failed[@]}" -eq 0 ]; then exit 0; fi
    exit 1
}
# Two worker processes by default (TEST_WORKERS=1 for one); a test file stays on one worker.
PYTEST=(python -m pytest --durations=15 --durations-min=1 -n "${TEST_WORKERS:-2}" --dist loadfile)

PG_URL="${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/lowcarbon_test}"
REDIS_URL_FOR_TESTS="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"

echo "== lint and layout (ruff)"
step "ruff check" ruff check .
step "ruff format --check (the formatter owns the layout)" ruff format --check .

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

# Whether pass 2 runs (and the side lane uses PostgreSQL + Redis) is known before anything starts.
SERVICES=yes
if [ "${CI:-}" = "true" ]; then
    start_local_services
    if ! python scripts/services.py "$PG_URL" "$REDIS_URL_FOR_TESTS"; then
        echo "CI needs PostgreSQL and Redis for pass 2, and they are unreachable: failing." >&2
        echo "PostgreSQL and Redis unreachable in CI" >>"$REPORTS/failed-steps"
        SERVICES=no
    fi
elif ! python scripts/services.py "$PG_URL" "$REDIS_URL_FOR_TESTS" 2>/dev/null; then
    SERVICES=no
fi

# The front end's packages (npm ci, started before pip) must be there before pytest:
# tests/test_frontend_contract.py generates its API types with them.
TIMEFORMAT="   step front end install (npm ci, beside the Python install): waited %R s more"
time wait "$NPM_CI_PID" || echo "front end install (npm ci)" >>"$REPORTS/failed-steps"
cat "$REPORTS/npm-ci.log"

# The side lane: the running service (gunicorn) against its own OpenAPI document — no 5xx, every
# answer as documented — then the front end (scripts/frontend.sh). Each on a database and Redis db of
# its own: <database>_fuzz and db 13, <database>_e2e and db 12 (scripts/frontend_server.py).
# Skipped when pytest was asked for a subset (extra arguments). Sharing the cores with pytest, the
# fuzzing gets a longer bound per API (a guard against a hang, not a budget: FUZZ_TIME_LIMIT).
export FUZZ_TIME_LIMIT="${FUZZ_TIME_LIMIT:-900}"
side_work() {
    if [ "$SERVICES" = yes ]; then
        echo "== fuzzing both APIs from the OpenAPI document (PostgreSQL + Redis)"
        step "fuzzing (PostgreSQL + Redis)@$REPORTS/fuzz/mp.xml,$REPORTS/fuzz/admin.xml" \
            python scripts/fuzz.py --database-url "${PG_URL}_fuzz" --redis-url "${REDIS_URL_FOR_TESTS%/*}/13"
        FRONTEND_ENV=(env -u DATABASE_URL -u REDIS_URL TEST_DATABASE_URL="$PG_URL" TEST_REDIS_URL="$REDIS_URL_FOR_TESTS")
    else
        echo "== fuzzing both APIs from the OpenAPI document (SQLite, one process)"
        step "fuzzing (SQLite)@$REPORTS/fuzz/mp.xml,$REPORTS/fuzz/admin.xml" \
            python scripts/fuzz.py --database-url "sqlite:///$PWD/instance/fuzz.sqlite3" --redis-url ''
        FRONTEND_ENV=(env -u DATABASE_URL -u REDIS_URL -u TEST_DATABASE_URL -u TEST_REDIS_URL)
    fi
    step "front end@$REPORTS/frontend-unit.xml,$REPORTS/frontend-e2e.xml" "${FRONTEND_ENV[@]}" scripts/frontend.sh
}
# The pytest workers take Redis dbs N, N-1, … (tests/conftest.py): should they reach the side lane's
# 13 or 12 (TEST_WORKERS=3 or more with the default db 15), the side lane runs after pass 2 instead.
SIDE=no
if [ "$#" -eq 0 ] && { [ "$SERVICES" = yes ] || [ "${CI:-}" != "true" ]; }; then
    SIDE=beside
    highest="${REDIS_URL_FOR_TESTS##*/}"
    lowest=$((${highest:-0} - ${TEST_WORKERS:-2} + 1))
    if [ "$SERVICES" = yes ] && [ "$lowest" -le 13 ] && [ "${highest:-0}" -ge 12 ]; then
        SIDE=after
    else
        side_lane side_work
    fi
fi

echo "== pass 1: SQLite and in-process fallbacks"
step "pass 1 (SQLite)@$REPORTS/pytest-sqlite.xml" env -u DATABASE_URL -u REDIS_URL -u TEST_DATABASE_URL -u TEST_REDIS_URL \
    "${PYTEST[@]}" --junitxml="$REPORTS/pytest-sqlite.xml" "$@"

if [ "$SERVICES" = no ]; then
    if [ "${CI:-}" != "true" ]; then
        echo "== pass 2 not run: PostgreSQL or Redis not reachable ($PG_URL, $REDIS_URL_FOR_TESTS)."
        echo "   Set TEST_DATABASE_URL and TEST_REDIS_URL to run it."
    fi
    finish
fi

echo "== pass 2: PostgreSQL and Redis"
step "pass 2 (PostgreSQL + Redis)@$REPORTS/pytest-postgres.xml" \
    env -u DATABASE_URL -u REDIS_URL TEST_DATABASE_URL="$PG_URL" TEST_REDIS_URL="$REDIS_URL_FOR_TESTS" \
    "${PYTEST[@]}" --junitxml="$REPORTS/pytest-postgres.xml" "$@"
if [ "$SIDE" = after ]; then
    side_work
fi
finish
