"""Check (and prepare) PostgreSQL and Redis for the test suite's second pass.

    python scripts/services.py DATABASE_URL REDIS_URL

Creates the test database if it is missing. Exits 0 when both answer, 1 otherwise, printing why.
"""

from __future__ import annotations

import sys


def check_postgres(url: str) -> str | None:
    import psycopg
    from sqlalchemy.engine import make_url

    target = make_url(url)
    params = {
        "host": target.host or "127.0.0.1",
        "port": target.port or 5432,
        "user": target.username or "postgres",
        "password": target.password,
        "connect_timeout": 3,
    }
    try:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (target.database,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{target.database}"')
    except psycopg.Error as exc:
        return f"PostgreSQL unreachable at {target.render_as_string(hide_password=True)}: {exc}"
    return None


def check_redis(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis unreachable at {url}: {exc}"
    return None


def main() -> int:
    database_url, redis_url = sys.argv[1], sys.argv[2]
    problems = [p for p in (check_postgres(database_url), check_redis(redis_url)) if p]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
