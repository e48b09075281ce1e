"""Test fixtures: an app per test on a clean database, the fake WeChat server, sign-in helpers.

The database and Redis come from the environment so the same suite runs in two passes:
- TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/lowcarbon_test) and
  TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15): the real services;
- neither: an SQLite file and in-process fakeredis, as a newcomer without them has.
Tests marked `postgres` or `redis` need the real thing and are deselected without it.
With CI=true and a URL set, an unreachable service fails the run instead of skipping anything.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db

pytest_plugins = ["tests.campaign_helpers"]

IN_CI = os.environ.get("CI", "").lower() == "true"


def _per_worker(database_url: str | None, redis_url: str | None) -> tuple[str | None, str | None]:
    """With pytest-xdist each worker process gets a database and a Redis db number of its own
    (gw0 keeps the given ones; gw1 takes <database>_gw1 and the db number below), so tests never see
    each other's rows or keys. Written back to the environment: tests and tools that read it agree."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker.removeprefix("gw") or 0)
    if index and database_url and database_url.startswith("postgresql"):
        from sqlalchemy.engine import make_url

        url = make_url(database_url)
        database_url = url.set(database=f"{url.database}_{worker}").render_as_string(hide_password=False)
        os.environ["TEST_DATABASE_URL"] = database_url
    if index and redis_url:
        base, _, number = redis_url.rpartition("/")
        redis_url = f"{base}/{int(number or 0) - index}"
        os.environ["TEST_REDIS_URL"] = redis_url
    return database_url, redis_url


TEST_DATABASE_URL, TEST_REDIS_URL = _per_worker(
    os.environ.get("TEST_DATABASE_URL") or None, os.environ.get("TEST_REDIS_URL") or None
)
UPLOAD_ROOT = Path(tempfile.mkdtemp(prefix="lowcarbon-uploads-"))


def pytest_collection_modifyitems(config, items):
    on_postgres = bool(TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgresql"))
    keep, drop = [], []
    for item in items:
        if (
            ("postgres" in item.keywords and not on_postgres)
            or ("redis" in item.keywords and not TEST_REDIS_URL)
            or ("embedded" in item.keywords and (TEST_DATABASE_URL or TEST_REDIS_URL))
        ):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _check_reachable() -> None:
    problems = []
    if TEST_DATABASE_URL:
        try:
            if TEST_DATABASE_URL.startswith("postgresql"):
                # A worker's own database (see _per_worker) is made on first use, as scripts/test.sh
                # makes the first one.
                from scripts.services import check_postgres

                if problem := check_postgres(TEST_DATABASE_URL):
                    raise RuntimeError(problem)
            engine = create_engine(TEST_DATABASE_URL)
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
        except Exception as exc:
            problems.append(f"PostgreSQL at {TEST_DATABASE_URL} unreachable: {exc}")
    if TEST_REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2).ping()
        except Exception as exc:
            problems.append(f"Redis at {TEST_REDIS_URL} unreachable: {exc}")
    if problems:
        pytest.exit("\n".join(problems), returncode=3)


# ---- the database -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    _check_reachable()
    folder = None
    if TEST_DATABASE_URL:
        url = TEST_DATABASE_URL
        engine = create_engine(url)
        with engine.begin() as conn:
            # Start each session from an empty schema so the migrations run from nothing.
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
            relax_durability(conn)
        vacuum(engine)  # the catalogue rows of the last session's tables (see VACUUM_EVERY)
        engine.dispose()
    if TEST_REDIS_URL:
        # And from an empty Redis db: tests flush it after themselves, but a run stopped midway (or
        # a server still writing after the last test) leaves keys the first test would see.
        import redis

        redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    if not TEST_DATABASE_URL:
        # In memory-backed /dev/shm where there is one: a commit there is not a disk flush (20 ms).
        folder = Path(tempfile.mkdtemp(prefix="lowcarbon-db-", dir="/dev/shm")) if Path("/dev/shm").is_dir() else None
        url = f"sqlite:///{(folder or tmp_path_factory.mktemp('db')) / 'test.sqlite3'}"
    app = create_app(_base_config(url, "http://127.0.0.1:9"))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        # The privacy policy of content/, published as `flask content sync` does: the rule that writes
        # collecting personal data wait for its acceptance holds in every test (Auth accepts it).
        from app.policies import services as policies

        policies.publish(policies.read_policies(Path(app.config["CONTENT_ROOT"]))[0])
        db.session.commit()
        # Reference data the migrations load (districts); every test starts with exactly this.
        with db.engine.connect() as conn:
            for table in REFERENCE_TABLES:
                REFERENCE_ROWS[table] = [dict(r._mapping) for r in conn.execute(db.metadata.tables[table].select())]
        if db.engine.dialect.name == "postgresql":
            from tests import kept

            with db.engine.begin() as conn:
                install_cleaner(conn)
                kept.install(conn)
        db.engine.dispose()
    yield url
    if not TEST_DATABASE_URL and folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


REFERENCE_TABLES = ("districts", "calendar_days", "policy_versions")  # what the migrations load
REFERENCE_ROWS: dict[str, list[dict]] = {}


def relax_durability(conn) -> None:
    """A throwaway test database need not survive a power cut: its commits stop waiting for the
    write-ahead log to reach the disk (`synchronous_commit = off`, for every later connection to it,
    the tests' own processes and servers too). What other sessions see, and when, is unchanged: only
    the flush is deferred, which was most of a commit's time on PostgreSQL."""
    database = conn.scalar(text("SELECT current_database()"))
    conn.execute(text(f'ALTER DATABASE "{database}" SET synchronous_commit = off'))
    conn.execute(text("SET synchronous_commit = off"))


def _base_config(url: str, wechat_url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SECRET_KEY_GENERATED": False,
        "SQLALCHEMY_DATABASE_URI": url,
        "REDIS_URL": TEST_REDIS_URL,
        "RATELIMIT_STORAGE_URI": TEST_REDIS_URL or "memory://",
        "RATELIMIT_LOGIN": "1000 per minute",
        "RATELIMIT_LOGIN_PER_USERNAME": "1000 per minute",
        "RATELIMIT_LOGIN_SERVICE": "10000 per minute",
        "RATELIMIT_WRITE": "1000 per minute",
        "WECHAT_APPID": "wxtestappid0000001",
        "WECHAT_SECRET": "test-wechat-secret",
        "WECHAT_API_BASE_URL": wechat_url,
        "WECHAT_TIMEOUT": 3,
        "WECHAT_TEMPLATE_OBJECTION_RESULT": "tpl-objection-result",
        "UPLOAD_ROOT": str(UPLOAD_ROOT),
        # Signing in is in most tests: a cheap hash there (test_accounts checks scrypt is the default).
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }


def clean_database(app) -> None:
    """Empty every table the test wrote to, then put back the reference rows the migrations load.

    Only tables holding rows (or whose id sequence moved) are touched, with DELETE in dependency
    order and the sequences restarted: a TRUNCATE of all tables costs most of a second on
    PostgreSQL. There it is one call of the function `install_cleaner` made, one round trip instead
    of thirty statements; on SQLite the same steps are statements in one transaction."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("SELECT test_support.clean()"))
            _vacuum_now_and_then()
            return
        tables = db.metadata.sorted_tables
        with db.engine.begin() as conn:
            dirty = filled_tables(conn, [t.name for t in tables]) | set(REFERENCE_ROWS)
            for table in reversed(tables):
                if table.name in dirty:
                    conn.execute(table.delete())
            for table, rows in REFERENCE_ROWS.items():
                if rows:
                    conn.execute(db.metadata.tables[table].insert(), rows)


# PostgreSQL's autovacuum may be off (it is on the development machine): then every cleaning's
# deletes stay behind as dead rows, and every session's DROP SCHEMA as dead catalogue rows, so scans
# slow down test by test and run by run. The database is vacuumed when a session starts and after
# every VACUUM_EVERY cleanings (tens of milliseconds each time).
VACUUM_EVERY = 100
_cleanings = 0


def vacuum(engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM"))


def _vacuum_now_and_then() -> None:
    global _cleanings
    _cleanings += 1
    if _cleanings % VACUUM_EVERY == 0:
        vacuum(db.engine)


def filled_tables(conn, names: list[str]) -> set[str]:
    """Which of the tables `names` hold a row (one statement)."""
    probe = " UNION ALL ".join(f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {name})" for name in names)
    return set(conn.scalars(text(probe)))


def install_cleaner(conn) -> None:
    """`test_support.clean()` on PostgreSQL: what clean_database does, run by the server. The
    reference rows are copied once into schema test_support (out of public, which the tests and
    Alembic look at)."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]  # children first
    conn.execute(text("DROP SCHEMA IF EXISTS test_support CASCADE"))
    conn.execute(text("CREATE SCHEMA test_support"))
    for table in REFERENCE_ROWS:
        conn.execute(text(f"CREATE TABLE test_support.{table} AS SELECT * FROM public.{table}"))
    # Reference rows are put back only when a test changed them: deleted and inserted again after
    # every test they left a trail of dead rows that slowed every later scan of them.
    restore = "\n".join(
        f"""
    IF EXISTS (SELECT * FROM public.{table} EXCEPT ALL SELECT * FROM test_support.{table})
        OR EXISTS (SELECT * FROM test_support.{table} EXCEPT ALL SELECT * FROM public.{table}) THEN
        DELETE FROM public.{table};
        INSERT INTO public.{table} SELECT * FROM test_support.{table};
    END IF;"""
        + (
            f" PERFORM setval('public.{table}_id_seq', (SELECT max(id) FROM public.{table}));"
            if "id" in db.metadata.tables[table].c and REFERENCE_ROWS[table]
            else ""
        )
        for table in REFERENCE_ROWS
    )
    reference = ", ".join(f"'{table}'" for table in REFERENCE_ROWS)
    conn.execute(
        text(
            f"""
CREATE FUNCTION test_support.clean() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    name text;
    filled boolean;
BEGIN
    FOREACH name IN ARRAY ARRAY[{", ".join(f"'{t}'" for t in tables)}]::text[] LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM public.%I)', name) INTO filled;
        IF filled AND name NOT IN ({reference}) THEN
            EXECUTE format('DELETE FROM public.%I', name);
        END IF;
    END LOOP;
    FOR name IN SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL LOOP
        -- setval, not ALTER SEQUENCE … RESTART: that gives the sequence a new file and makes every
        -- other pooled connection reload its catalogue entry.
        PERFORM setval(format('public.%I', name), 1, false);
    END LOOP;
    {restore}
END
$$"""
        )
    )


# ---- the fake WeChat server ---------------------------------------------------------------


@dataclass
class FakeWeChat:
    url: str

    def state(self) -> dict:
        return requests.get(f"{self.url}/__fake__/state", timeout=5).json()

    def reset(self) -> None:
        requests.post(f"{self.url}/__fake__/reset", timeout=5)

    def configure(self, **settings) -> None:
        requests.post(f"{self.url}/__fake__/config", json=settings, timeout=5)

    def invalidate_tokens(self) -> None:
        requests.post(f"{self.url}/__fake__/invalidate-tokens", timeout=5)


@pytest.fixture(scope="session")
def fake_wechat_server():
    from app.wechat.fake import create_fake_wechat_app

    server = make_server("127.0.0.1", 0, create_fake_wechat_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield FakeWeChat(f"http://127.0.0.1:{server.server_port}")
    server.shutdown()


@pytest.fixture
def fake_wechat(fake_wechat_server):
    """The session's fake WeChat, reset before the test (every user of it comes through here)."""
    fake_wechat_server.reset()
    return fake_wechat_server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---- the app ------------------------------------------------------------------------------


@pytest.fixture
def app_config(database_url, fake_wechat) -> dict:
    """Tests may change this dict before asking for `app`."""
    return _base_config(database_url, fake_wechat.url)


def close_app(application, clean: bool = True) -> None:
    """Leave nothing behind: rows, Redis keys, pooled connections."""
    with application.app_context():
        if clean:
            clean_database(application)
            if TEST_REDIS_URL:
                application.extensions["kv"].flushdb()
        from app import cache

        cache.shutdown(application)
        application.extensions["kv"].close()
        db.engine.dispose()


# Building an app costs a third of a second (the OpenAPI document, the URL map): most of the suite's
# time when done for every test. A test given the default settings gets this worker's app again,
# cleaned, unless it changed the app's settings, routes or extensions, or another app replaced the
# limiter's storage meanwhile: then the app is closed and the next test builds its own.
_REUSABLE: dict[str, object] = {}


def _config_key(config: dict) -> str:
    return repr(sorted(config.items()))


_LAZY_EXTENSIONS = ("wechat_client", "cache_local")


def _fingerprint(application) -> tuple:
    from app.web.ratelimit import limiter

    return (
        repr(sorted((k, repr(v)) for k, v in application.config.items())),
        len(application.url_map._rules),
        # Built lazily on first use and reset for reuse: not a change.
        sorted((name, id(value)) for name, value in application.extensions.items() if name not in _LAZY_EXTENSIONS),
        id(getattr(limiter, "_storage", None)),
        len(application.before_request_funcs.get(None, [])),
        len(application.after_request_funcs.get(None, [])),
    )


def _reset_for_reuse(application) -> None:
    """What a test may leave in the process besides rows and keys: forgotten before the next one."""
    from app.web.ratelimit import limiter

    with application.app_context():
        clean_database(application)
        kv_client = application.extensions["kv"]
        kv_client._down_until = 0.0  # a Redis made "down" by a fault test is asked again at once
        kv_client.flushdb()
        limiter.reset()
        layer = application.extensions.get("cache_local")
        if layer is not None:
            layer.reset()
            layer.owed.clear()
        application.extensions.pop("wechat_client", None)  # its in-process token, its timeouts
        db.session.remove()
        # The pool is kept: a new connection is a new server process with cold caches (most of the
        # next cleaning's time). A connection a test killed is replaced at checkout (app.pg_connections).


@pytest.fixture
def app(app_config):
    key = _config_key(app_config)
    application = _REUSABLE.pop(key, None)
    if application is None:
        _close_reusable()
        application = create_app(app_config)
    before = _fingerprint(application)
    yield application
    if _fingerprint(application) == before:
        try:
            _reset_for_reuse(application)
        except Exception:
            close_app(application)
            raise
        _REUSABLE[key] = application
    else:
        close_app(application)


def _close_reusable() -> None:
    for application in _REUSABLE.values():
        close_app(application, clean=False)
    _REUSABLE.clear()


@pytest.fixture(scope="session", autouse=True)
def _close_reusable_at_the_end():
    yield
    _close_reusable()


@pytest.fixture
def make_app(app, app_config):
    """Another app with settings changed, closed after the test; `app` cleans the shared database."""
    made = []

    def make(**overrides):
        application = create_app({**app_config, **overrides})
        made.append(application)
        return application

    yield make
    for application in made:
        close_app(application, clean=False)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# ---- signing in ---------------------------------------------------------------------------


class Auth:
    """Sign-in helpers: WeChat users through the fake server, staff through the staff API."""

    def __init__(self, app, client) -> None:
        self.app = app
        self.client = client
        self._codes = 0

    def wechat_login(self, name: str = "alice", *, accept_privacy: bool = True) -> dict:
        """Signs in; accepts the current privacy policy too (as the mini-program asks before anything
        else) unless `accept_privacy=False`, for the tests of that rule."""
        self._codes += 1
        response = self.client.post("/api/mp/v1/auth/login", json={"code": f"{name}:{self._codes}"})
        assert response.status_code == 200, response.json
        if accept_privacy:
            self.accept_privacy(response.json["user"]["id"])
        return response.json

    def accept_privacy(self, user_id: int) -> None:
        """What `POST /me/consents` records, without a request (most tests sign in many users)."""
        from app.policies import services as policies
        from app.policies.models import PolicyConsent

        with self.app.app_context():
            policy = policies.current()
            if policy is not None and policies.needs_consent(user_id):
                db.session.add(PolicyConsent(user_id=user_id, document=policy.document, version=policy.version))
                db.session.commit()

    def wechat_headers(self, name: str = "alice", *, accept_privacy: bool = True) -> dict:
        return {"Authorization": f"Bearer {self.wechat_login(name, accept_privacy=accept_privacy)['token']}"}

    def staff(self, role: str = "admin", username: str | None = None, **scope) -> dict:
        from app.accounts import services as accounts
        from app.accounts.roles import Department, Role

        username = username or f"{role}-{self._next()}"
        password = "correct-horse-battery"
        if "department" in scope:
            scope["department"] = Department(scope["department"])
        with self.app.app_context():
            accounts.create_staff_user(username, password, Role(role), **scope)
        response = self.client.post("/api/admin/v1/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.json
        return {"Authorization": f"Bearer {response.json['token']}"}

    def wechat_operator(self, base_id: int, name: str = "door-keeper") -> dict:
        """A base operator as they work at the door: signed in through the mini-program, with the
        base_operator role granted for `base_id`."""
        from app.accounts import services as accounts
        from app.accounts.models import User
        from app.accounts.roles import Role

        login = self.wechat_login(name)
        with self.app.app_context():
            user = db.session.get(User, login["user"]["id"])
            accounts.grant_role(user, Role.BASE_OPERATOR, base_id=base_id)
            db.session.commit()
        return {"Authorization": f"Bearer {login['token']}"}

    def _next(self) -> int:
        self._codes += 1
        return self._codes


@pytest.fixture
def auth(app, client) -> Auth:
    return Auth(app, client)


@pytest.fixture
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


# ---- a Redis server of the test's own (fault tests stop and freeze it) ---------------------


class OwnRedis:
    """A redis-server process on a free port, started and stopped by the test, never the machine's."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        import subprocess
        import time

        import redis

        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("own redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def freeze(self) -> None:
        import signal

        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        import signal

        self.process.send_signal(signal.SIGCONT)


def start_own_redis(workdir: Path) -> OwnRedis:
    """A started OwnRedis (skips the test without redis-server, fails it in CI)."""
    import shutil

    binary = shutil.which("redis-server")
    if binary is None:
        if IN_CI:
            pytest.fail("redis-server is needed for the fault tests in CI")
        pytest.skip("redis-server is not installed")
    server = OwnRedis(binary, workdir)
    server.start()
    return server


@pytest.fixture
def own_redis(tmp_path):
    server = start_own_redis(tmp_path)
    yield server
    if server.process is not None:
        server.thaw()
    server.stop()
