"""Assertions shared by the tests."""

import contextlib
import io
import logging
import time


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.json
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)
    return body["error"]


@contextlib.contextmanager
def written_log():
    """What the service's own log handler writes meanwhile (through its masking formatter), in a
    StringIO; the handler's stream is put back afterwards."""
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_lowcarbon", False))
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)


def poll(fetch, until, seconds, every=0.02):
    """`fetch()` again every `every` seconds until `until(value)` holds or `seconds` have passed;
    the last value, for the test to assert on (a change that travels between processes by Redis)."""
    deadline = time.monotonic() + seconds
    while True:
        value = fetch()
        if until(value) or time.monotonic() >= deadline:
            return value
        time.sleep(every)


def backend_pid() -> int:
    """The PostgreSQL server process of the current session's connection."""
    from app.extensions import db

    return db.session.connection().connection.dbapi_connection.info.backend_pid


def terminate_backend(database_url: str, pid: int, wait_ms: int = 0) -> None:
    """End a PostgreSQL server process from another connection, as a restart or an administrator
    would; `wait_ms` > 0 waits until it has gone."""
    from sqlalchemy import create_engine, text

    killer = create_engine(database_url)
    try:
        with killer.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid, :wait)"), {"pid": pid, "wait": wait_ms})
    finally:
        killer.dispose()
