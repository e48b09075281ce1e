#!/usr/bin/env bash
# `flask --app app …` of the installed release with the service's environment: for cron lines and
# for operators at a shell.   deploy/flask.sh publicity close-due
set -euo pipefail
cd "${LOWCARBON_HOME:-/opt/lowcarbon/current}"
set -a
# shellcheck disable=SC1090
. "${LOWCARBON_ENV:-/etc/lowcarbon/lowcarbon.env}"
set +a
exec .venv/bin/flask --app app "$@"
