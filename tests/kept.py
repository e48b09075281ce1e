"""Test data built once per worker and put back for later tests: `kept` fixtures.

Some fixtures build a world through the API and the services (a school running a campaign, a
campaign with students others must not see): seconds on PostgreSQL, asked for by hundreds of tests.
The first test that asks, on a clean start, builds it as before; what the build left is then kept:
every table's rows as stored and the id sequences, the Redis keys with their expiry, the fake
WeChat's state, the Auth helper's counters, and the values of the kept fixtures built on the way. A
later test that asks on a clean start gets all of it put back (one round trip on PostgreSQL): the
same rows, ids, keys and tokens the build would have left, without the build.

A clean start: no rows but the reference rows the migrations load, no Redis key, the fake WeChat as
reset, Auth unused. Anything else (a test that wrote first, configured the fake, or built another
app) builds as before. A copy older than MAX_AGE seconds is built again: the data hold times set
relative to their build (a campaign running since three days ago).
"""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from sqlalchemy import text

from app.extensions import db
from tests.conftest import REFERENCE_TABLES, _config_key, filled_tables

MAX_AGE = 300.0


@dataclass
class Copy:
    made: float
    values: dict[str, Any]  # the fixture's value, and those of the kept fixtures it was built on
    rows: Any  # PostgreSQL: the copy's number in schema test_support; SQLite: {table: rows}
    keys: list[tuple[bytes, int, bytes]]  # Redis: (key, milliseconds to live or 0, DUMP)
    wechat: dict[str, Any]
    auth: dict[str, Any]


_COPIES: dict[tuple, Copy] = {}
_numbers = itertools.count(1)
_stats = {"built": 0, "restored": 0, "built, not clean": 0}


def kept(request, name: str, build: Callable[[], Any]) -> Any:
    """The fixture `name`'s value: from this test if a kept fixture already put it here, else put
    back from a copy, else built by `build()` (and kept when the build started clean)."""
    here = request.node.__dict__.setdefault("_kept_values", {})
    if name not in here:
        here.update(_restore_or_build(request, name, build, here))
    return copy.deepcopy(here[name])


def _restore_or_build(request, name, build, here) -> dict[str, Any]:
    app, auth = request.getfixturevalue("app"), request.getfixturevalue("auth")
    wechat = request.getfixturevalue("fake_wechat")
    key = (name, getattr(request, "param", None), _config_key(request.getfixturevalue("app_config")))
    clean = _not_clean(app, auth, wechat) is None
    kept_copy = _COPIES.get(key)
    if clean and kept_copy is not None and time.monotonic() - kept_copy.made < MAX_AGE:
        _put_back(app, auth, wechat, kept_copy)
        _stats["restored"] += 1
        return kept_copy.values
    value = build()
    if not clean:
        _stats["built, not clean"] += 1
        return {name: value}
    values = {**here, name: value}
    _COPIES[key] = _take(app, auth, wechat, copy.deepcopy(values))
    _stats["built"] += 1
    return values


# ---- a clean start --------------------------------------------------------------------------------


def _not_clean(app, auth, wechat) -> str | None:
    """What is not as a clean start leaves it, or None."""
    if set(vars(auth)) != {"app", "client", "_codes"} or auth._codes:
        return "the test's sign-ins"
    if app.extensions["kv"].dbsize():
        return f"Redis keys: {sorted(app.extensions['kv'].scan_iter())[:5]}"
    if requests.get(f"{wechat.url}/__fake__/export", timeout=5).json() != _reset_wechat():
        return "the fake WeChat's state"
    with app.app_context(), db.engine.begin() as conn:
        if _postgres():
            return None if conn.scalar(text("SELECT test_support.untouched()")) else "rows in the database"
        filled = filled_tables(conn, [t.name for t in db.metadata.sorted_tables if t.name not in REFERENCE_TABLES])
        return f"rows in {filled}" if filled else None


def _reset_wechat() -> dict[str, Any]:
    from app.wechat.fake import FakeWeChatState

    return FakeWeChatState().export()


def _postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


# ---- taking a copy and putting it back -----------------------------------------------------------


def _take(app, auth, wechat, values) -> Copy:
    client = app.extensions["kv"]
    keys = []
    for key in client.scan_iter(count=1000):
        ttl = client.pttl(key)
        keys.append((key, max(ttl, 0), client.dump(key)))
    with app.app_context(), db.engine.begin() as conn:
        if _postgres():
            number = next(_numbers)
            conn.execute(text("SELECT test_support.keep(:number)"), {"number": number})
            rows: Any = number
        else:
            rows = {}
            for table in (t.name for t in db.metadata.sorted_tables):
                found = conn.exec_driver_sql(f'SELECT * FROM "{table}"').fetchall()
                if found:
                    rows[table] = [tuple(row) for row in found]
    return Copy(
        made=time.monotonic(),
        values=values,
        rows=rows,
        keys=keys,
        wechat=requests.get(f"{wechat.url}/__fake__/export", timeout=5).json(),
        auth={k: copy.deepcopy(v) for k, v in vars(auth).items() if k not in ("app", "client")},
    )


def _put_back(app, auth, wechat, kept_copy: Copy) -> None:
    with app.app_context(), db.engine.begin() as conn:
        if _postgres():
            conn.execute(text("SELECT test_support.restore(:number)"), {"number": kept_copy.rows})
        else:
            # A clean start holds the reference rows only: out with them, in with the copy's tables.
            for table in reversed(db.metadata.sorted_tables):
                if table.name in REFERENCE_TABLES:
                    conn.execute(table.delete())
            for table, rows in kept_copy.rows.items():
                marks = ", ".join("?" * len(rows[0]))
                conn.exec_driver_sql(f'INSERT INTO "{table}" VALUES ({marks})', rows)
    pipe = app.extensions["kv"].pipeline(transaction=False)
    for key, ttl, dumped in kept_copy.keys:
        pipe.restore(key, ttl, dumped, replace=True)
    pipe.execute()
    requests.post(f"{wechat.url}/__fake__/restore", json=kept_copy.wechat, timeout=5).raise_for_status()
    for name, value in kept_copy.auth.items():
        setattr(auth, name, copy.deepcopy(value))


# ---- PostgreSQL: the server does it --------------------------------------------------------------


def install(conn) -> None:
    """test_support.untouched(), keep(n) and restore(n), made with the cleaner when the session's
    database fixture (tests/conftest.py) migrates the test database from nothing."""
    parents_first = [t.name for t in db.metadata.sorted_tables]
    tables = "ARRAY[" + ", ".join(f"'{t}'" for t in parents_first) + "]::text[]"
    reference = ", ".join(f"'{t}'" for t in REFERENCE_TABLES)
    references_children_first = "\n".join(
        f"    DELETE FROM public.{t};" for t in reversed(parents_first) if t in REFERENCE_TABLES
    )
    conn.execute(text("CREATE TABLE test_support.kept (number integer PRIMARY KEY, tables text[], sequences jsonb)"))
    conn.execute(
        text(f"""
CREATE FUNCTION test_support.untouched() RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    name text;
    filled boolean;
BEGIN
    FOREACH name IN ARRAY {tables} LOOP
        CONTINUE WHEN name IN ({reference});
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM public.%I)', name) INTO filled;
        IF filled THEN
            RETURN false;
        END IF;
    END LOOP;
    RETURN NOT EXISTS (
        SELECT 1 FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL
        AND sequencename NOT IN (SELECT t || '_id_seq' FROM unnest(ARRAY[{reference}]) AS t)
    );
END
$$""")
    )
    conn.execute(
        text(f"""
CREATE FUNCTION test_support.keep(n integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    name text;
    filled boolean;
    copied text[] := '{{}}';
BEGIN
    FOREACH name IN ARRAY {tables} LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM public.%I)', name) INTO filled;
        IF filled THEN
            EXECUTE format('CREATE TABLE test_support.%I AS SELECT * FROM public.%I', 'k' || n || '_' || name, name);
            copied := copied || name;
        END IF;
    END LOOP;
    INSERT INTO test_support.kept
    SELECT n, copied, coalesce(jsonb_object_agg(sequencename, last_value), '{{}}')
    FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL;
END
$$""")
    )
    conn.execute(
        text(f"""
CREATE FUNCTION test_support.restore(n integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    name text;
    sequence record;
BEGIN
{references_children_first}
    FOR name IN SELECT unnest(tables) FROM test_support.kept WHERE kept.number = n LOOP
        EXECUTE format('INSERT INTO public.%I SELECT * FROM test_support.%I', name, 'k' || n || '_' || name);
    END LOOP;
    FOR sequence IN
        SELECT key, value FROM test_support.kept, jsonb_each_text(kept.sequences) WHERE kept.number = n
    LOOP
        PERFORM setval(format('public.%I', sequence.key), sequence.value::bigint);
    END LOOP;
END
$$""")
    )
