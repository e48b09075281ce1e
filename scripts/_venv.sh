# Sourced by the scripts: make .venv with Python 3.11+ and install the project into it.
# $1: the extras to install ("" or "[test]").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

pick_python() {
    for candidate in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return
        fi
    done
    echo "Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)" >&2
    exit 1
}

if [ ! -x .venv/bin/python ]; then
    "$(pick_python)" -m venv .venv
fi
# pip again only when pyproject.toml or the extras changed since this .venv's last install (a fresh
# clone installs; a second run of the scripts skips the minute pip takes to find nothing to do).
stamp="$(cat pyproject.toml - <<<"${1:-}" | sha256sum | cut -d' ' -f1)"
# uv installs the same packages from the same index as pip, in seconds rather than the minute and a
# half pip takes on a fresh .venv (CI builds one on every run); pip alone if uv cannot be had.
if [ "$(cat .venv/.installed-sha256 2>/dev/null)" != "$stamp" ]; then
    if ! { .venv/bin/python -m pip install --quiet --disable-pip-version-check uv &&
        .venv/bin/python -m uv pip install --quiet --python .venv/bin/python -e ".${1:-}"; }; then
        .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${1:-}"
    fi
    echo "$stamp" >.venv/.installed-sha256
fi
export PATH="$PWD/.venv/bin:$PATH"
