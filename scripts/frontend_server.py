"""The service as the front end's browser tests need it: migrated, demo data loaded, the bundled fake
WeChat answering logins, and the h5 build served at /h5/.

    python scripts/frontend_server.py --port PORT [--h5-root miniprogram/dist-h5]

Database and Redis, first found wins:
- E2E_DATABASE_URL / E2E_REDIS_URL;
- TEST_DATABASE_URL / TEST_REDIS_URL (as scripts/test.sh's second pass): a database of its own next to
  it (`<name>_e2e`) and Redis db 12, so the pytest databases are never touched;
- neither: a fresh SQLite file and the in-process Redis stand-in (one process, as a newcomer has).
The database is emptied and migrated at each start. Runs until stopped (Playwright stops it).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _urls() -> tuple[str, str | None]:
    database_url = os.environ.get("E2E_DATABASE_URL")
    redis_url = os.environ.get("E2E_REDIS_URL")
    test_database = os.environ.get("TEST_DATABASE_URL")
    test_redis = os.environ.get("TEST_REDIS_URL")
    if not database_url and test_database and test_database.startswith("postgresql"):
        from sqlalchemy.engine import make_url

        url = make_url(test_database)
        database_url = url.set(database=f"{url.database}_e2e").render_as_string(hide_password=False)
    if not redis_url and test_redis:
        redis_url = f"{test_redis.rpartition('/')[0]}/12"
    if not database_url:
        database_url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='lowcarbon-e2e-')) / 'e2e.sqlite3'}"
    return database_url, redis_url or None


def _reset(database_url: str, redis_url: str | None) -> None:
    if database_url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        from scripts.services import check_postgres

        if problem := check_postgres(database_url):
            raise SystemExit(problem)
        engine = create_engine(database_url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
            # A throwaway database: its commits need not wait for the WAL flush (nothing else changes).
            name = conn.scalar(text("SELECT current_database()"))
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        engine.dispose()
    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--h5-root", default=str(ROOT / "miniprogram" / "dist-h5"))
    args = parser.parse_args()

    from werkzeug.serving import make_server

    from app.wechat.fake import create_fake_wechat_app

    fake = make_server("127.0.0.1", 0, create_fake_wechat_app(), threaded=True)
    threading.Thread(target=fake.serve_forever, daemon=True).start()

    database_url, redis_url = _urls()
    _reset(database_url, redis_url)
    for name in ("WECHAT_APPID", "WECHAT_SECRET", "APP_ENV"):
        os.environ.pop(name, None)  # the fake WeChat, so /meta offers the development sign-in
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "WECHAT_API_BASE_URL": f"http://127.0.0.1:{fake.server_port}",
            "H5_ROOT": args.h5_root,
            "SECRET_KEY": "frontend-e2e-secret-key-not-for-production",
            # Every journey signs in afresh from one address: the production limits would slow it.
            "RATELIMIT_LOGIN": "10000 per minute",
            "RATELIMIT_LOGIN_SERVICE": "100000 per minute",
            "RATELIMIT_WRITE": "10000 per minute",
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),  # no access lines among the test output
        }
    )
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    else:
        os.environ.pop("REDIS_URL", None)

    from flask_migrate import upgrade

    from app import create_app
    from app.seed import seed_demo

    app = create_app()
    with app.app_context():
        upgrade()
        for _ in seed_demo():
            pass
    server = make_server("127.0.0.1", args.port, app, threaded=True)
    where = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    print(
        f"front-end test service on http://127.0.0.1:{args.port}/h5/ ({where}, Redis: {redis_url or 'none'})",
        flush=True,
    )
    try:
        server.serve_forever()
    finally:
        fake.shutdown()


if __name__ == "__main__":
    main()
