#!/usr/bin/env bash
# The mini-program front end's checks (miniprogram/): install (npm ci when node_modules is missing or
# package-lock.json changed), typecheck, lint, unit tests, the weapp and h5 builds, the weapp main
# package's size (printed; over 2 MB fails), and the browser journeys against the real service
# (scripts/frontend_server.py: SQLite, or PostgreSQL + Redis when TEST_DATABASE_URL / TEST_REDIS_URL are set).
# Without Node 18+ it is skipped with a message, unless CI=true (then it fails).
# Every step runs even when an earlier one failed (the browser tests need the h5 build); exit 1 if any failed.
# Reports: test-artifacts/frontend-unit.xml, frontend-e2e.xml, frontend-screens/*.png.
# --install-only: only the npm ci (scripts/test.sh runs it before pytest, whose
# tests/test_frontend_contract.py needs openapi-typescript from node_modules).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
MAIN_PACKAGE_LIMIT=$((2 * 1024 * 1024))

if ! command -v node >/dev/null 2>&1 || ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)'; then
    if [ "${CI:-}" = "true" ]; then
        echo "front end: Node 18 or newer is needed in CI, and it is missing" >&2
        exit 1
    fi
    echo "== front end skipped: Node 18 or newer is not installed (https://nodejs.org; then scripts/frontend.sh)"
    exit 0
fi

if [ -x "$ROOT/.venv/bin/python" ]; then
    export PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
fi
cd miniprogram
FAILED=()
timed() {
    local name="$1"
    shift
    local started=$SECONDS
    echo "== front end: $name"
    if "$@"; then
        echo "   $name: ok ($((SECONDS - started)) s)"
    else
        echo "   $name: FAILED ($((SECONDS - started)) s)"
        FAILED+=("$name")
        return 1
    fi
}

# npm ci again only when the lock file changed since the last install.
lock_sum="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -d node_modules ] || [ "$(cat node_modules/.lock-sha256 2>/dev/null)" != "$lock_sum" ]; then
    timed "npm ci" npm ci --prefer-offline --no-audit --no-fund --loglevel=error && echo "$lock_sum" >node_modules/.lock-sha256
fi
if [ "${1:-}" = "--install-only" ]; then
    [ "${#FAILED[@]}" -eq 0 ] || exit 1
    exit 0
fi

mkdir -p "$ROOT/test-artifacts"
rm -f "$ROOT"/test-artifacts/frontend-*.xml
rm -rf "$ROOT/test-artifacts/frontend-screens"
timed "typecheck (tsc)" npm run --silent typecheck
timed "lint (eslint)" npm run --silent lint
timed "unit tests (vitest)" npm run --silent test

weapp_size() {
    npm run --silent build:weapp >/tmp/frontend-weapp-$$.log 2>&1 || { tail -n 40 /tmp/frontend-weapp-$$.log; return 1; }
    # The main package is everything outside the subpackage roots (src/packages/*).
    local total sub main
    total=$(du -sb dist | cut -f1)
    sub=$(du -sb dist/packages 2>/dev/null | cut -f1)
    main=$((total - ${sub:-0}))
    echo "   weapp main package: $((main / 1024)) KB of $((MAIN_PACKAGE_LIMIT / 1024)) KB; subpackages: $((${sub:-0} / 1024)) KB"
    for dir in dist/packages/*/; do
        [ -d "$dir" ] && echo "     subpackage $(basename "$dir"): $(($(du -sb "$dir" | cut -f1) / 1024)) KB"
    done
    if [ "$main" -gt "$MAIN_PACKAGE_LIMIT" ]; then
        echo "   the weapp main package is over WeChat's 2 MB limit: move pages into a subpackage (miniprogram/README.md)" >&2
        return 1
    fi
}
timed "weapp build and main-package size" weapp_size
h5_build() {
    npm run --silent build:h5 >/tmp/frontend-h5-$$.log 2>&1 || { tail -n 40 /tmp/frontend-h5-$$.log; return 1; }
}
if timed "h5 build" h5_build; then
    timed "browser journeys (Playwright + axe, 375x812)" npm run --silent test:e2e
else
    FAILED+=("browser journeys (no h5 build)")
fi
rm -f /tmp/frontend-weapp-$$.log /tmp/frontend-h5-$$.log

if [ "${#FAILED[@]}" -gt 0 ]; then
    echo "front end: failed: ${FAILED[*]}" >&2
    exit 1
fi
echo "front end: all checks passed"
