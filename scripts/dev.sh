#!/usr/bin/env bash
# Install into .venv, migrate, load demo data and start the service with the fake WeChat server.
# Uses DATABASE_URL / REDIS_URL when set (see README), else SQLite under instance/ and one process.
source "$(dirname "$0")/_venv.sh" ""

PORT="${PORT:-8000}"
FAKE_WECHAT_PORT="${FAKE_WECHAT_PORT:-8001}"
export FLASK_APP=app

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

if [ -z "${WECHAT_APPID:-}" ]; then
    export WECHAT_API_BASE_URL="${WECHAT_API_BASE_URL:-http://127.0.0.1:$FAKE_WECHAT_PORT}"
    flask wechat fake --port "$FAKE_WECHAT_PORT" >instance-fake-wechat.log 2>&1 &
    pids+=($!)
fi

flask db upgrade
flask seed demo

# The mini-program's h5 pages at /h5/ (app/web/h5.py serves miniprogram/dist-h5), when Node 18+ is here.
H5_STATUS="not built: Node 18 or newer is needed (then cd miniprogram && npm ci && npm run build:h5)"
if [ "${SKIP_H5:-}" != "1" ] && command -v node >/dev/null 2>&1 &&
    node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)'; then
    echo "building the mini-program's h5 pages (miniprogram/, about a minute; SKIP_H5=1 skips)"
    lock_sum="$(sha256sum miniprogram/package-lock.json | cut -d' ' -f1)"
    if [ ! -d miniprogram/node_modules ] || [ "$(cat miniprogram/node_modules/.lock-sha256 2>/dev/null)" != "$lock_sum" ]; then
        (cd miniprogram && npm ci --no-audit --no-fund --loglevel=error) && echo "$lock_sum" >miniprogram/node_modules/.lock-sha256
    fi
    if (cd miniprogram && npm run --silent build:h5 >../instance-h5-build.log 2>&1); then
        H5_STATUS="http://127.0.0.1:$PORT/h5/  (development sign-in on 我的, through the fake WeChat)"
    else
        H5_STATUS="build failed: see instance-h5-build.log"
    fi
elif [ -f miniprogram/dist-h5/index.html ]; then
    H5_STATUS="http://127.0.0.1:$PORT/h5/  (an earlier build)"
fi

# Without Redis the rate limits, cache and WeChat token live in one process: run exactly one, and
# no job worker (periodic work: `flask --app app jobs run NAME`). With Redis, a worker and the
# scheduler run beside the web server, as in production.
if [ -z "${REDIS_URL:-}" ]; then
    export WEB_CONCURRENCY=1
else
    flask jobs worker >instance-jobs-worker.log 2>&1 &
    pids+=($!)
    flask jobs scheduler >instance-jobs-scheduler.log 2>&1 &
    pids+=($!)
fi

cat <<INFO

  Service          http://127.0.0.1:$PORT
  Mini-program API http://127.0.0.1:$PORT/api/mp/v1
  Staff API        http://127.0.0.1:$PORT/api/admin/v1
  API docs         http://127.0.0.1:$PORT/api/docs  (OpenAPI: /api/openapi.json)
  Health           http://127.0.0.1:$PORT/healthz
  Mini-program h5  $H5_STATUS
  Fake WeChat      ${WECHAT_API_BASE_URL:-(real WeChat)}
  Background jobs  ${REDIS_URL:+worker and scheduler running (instance-jobs-*.log)}${REDIS_URL:-none without REDIS_URL (flask --app app jobs run NAME)}
  Try:  curl -s -X POST http://127.0.0.1:$PORT/api/mp/v1/auth/login -H 'Content-Type: application/json' -d '{"code":"alice:1"}'

INFO

GUNICORN_BIND="127.0.0.1:$PORT" gunicorn -c gunicorn.conf.py &
pids+=($!)
wait "${pids[-1]}"
