"""One way for the benchmarks to get their database: dropped and created again, migrated to head, and
with the demo data when asked (`fresh_database`).

With `BENCH_TEMPLATE_DIR` set (tests/test_bench.py sets it for its smoke runs), a SQLite database
without Redis is copied from a file made in that directory by the first benchmark that needed it,
migrated and seeded once, instead of being migrated and seeded again in two more Python processes
(5–8 s of CPU each time). A template is made per kind (migrated, or with the demo data), secret key
and day, which is all its contents depend on; PostgreSQL and Redis are always built afresh (the demo
data put the boards in Redis too)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def recreate_database(url: str) -> None:
    """The database dropped (a SQLite file removed) and, on PostgreSQL, created empty."""
    from sqlalchemy.engine import make_url

    target = make_url(url)
    if target.get_backend_name() == "sqlite":
        if target.database and os.path.exists(target.database):
            os.remove(target.database)
        return
    import psycopg

    with psycopg.connect(
        host=target.host,
        port=target.port or 5432,
        user=target.username,
        password=target.password,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{target.database}"')


def flask(env: dict[str, str], *command: str) -> None:
    """A `flask --app app …` command of the project, quietly (its warnings are the benchmarks' own
    choices: embedded SQLite, no Redis); when it fails, what it said is the error."""
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"flask {' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")


def _build(env: dict[str, str], demo: bool) -> None:
    flask(env, "db", "upgrade")
    if demo:
        flask(env, "seed", "demo")


def _template(url: str, env: dict[str, str], demo: bool) -> Path | None:
    from sqlalchemy.engine import make_url

    folder = os.environ.get("BENCH_TEMPLATE_DIR")
    target = make_url(url)
    if not folder or target.get_backend_name() != "sqlite" or not target.database or env.get("REDIS_URL"):
        return None
    key = hashlib.sha256(env.get("SECRET_KEY", "").encode()).hexdigest()[:12]
    return Path(folder) / f"{'demo' if demo else 'schema'}-{key}-{date.today().isoformat()}.sqlite3"


def fresh_database(url: str, env: dict[str, str], *, demo: bool = False) -> None:
    """`url` dropped, created, migrated to head and, with `demo`, seeded with the demo data, using
    `env` (DATABASE_URL among it) for the commands."""
    recreate_database(url)
    template = _template(url, env, demo)
    if template is None:
        _build(env, demo)
        return
    if not template.exists():
        template.parent.mkdir(parents=True, exist_ok=True)
        partial = template.with_suffix(f".{os.getpid()}.partial")
        partial.unlink(missing_ok=True)
        _build({**env, "DATABASE_URL": f"sqlite:///{partial}"}, demo)
        os.replace(partial, template)
    from sqlalchemy.engine import make_url

    shutil.copyfile(template, make_url(url).database)


def analyze(app) -> None:
    """Statistics for the planner, as autovacuum would have them a minute after a bulk load (a running
    service's tables have them; a benchmark's just-seeded ones do not)."""
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
