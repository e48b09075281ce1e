"""A dropped PostgreSQL connection: before the commit a clear 503 in the error shape with nothing
stored, after the commit the write is still answered as committed, and the pool recovers."""

import pytest
from flask import request
from sqlalchemy import create_engine, func, select, text

from app import uow
from app.extensions import db
from app.visits.models import Booking
from tests.factories import citizen_tokens, id_number, make_base, make_slot
from tests.helpers import assert_error, backend_pid, terminate_backend

pytestmark = pytest.mark.postgres


def _kill_own_connection(database_url):
    terminate_backend(database_url, backend_pid())


@pytest.fixture
def fragile_app(make_app, database_url):
    """An app of its own (hooks cannot be added to one that has served requests, as a reused `app`
    may have), with a test header that kills the request's own database connection before the view
    runs (`before`) or right after its commit (`after`)."""
    app = make_app()

    @app.before_request
    def maybe_kill():
        when = request.headers.get("X-Test-Drop-Connection")
        if when == "before":
            _kill_own_connection(database_url)
        elif when == "after":
            uow.after_commit(_kill_own_connection, database_url)

    return app


def _book(client, headers, slot_id, person, key, drop):
    visitor = {"name": "张三", "id_number": id_number(f"2201021990030712{person}"), "phone": "13812345678"}
    return client.post(
        "/api/mp/v1/bookings",
        json={"slot_id": slot_id, "visitors": [visitor]},
        headers={**headers, "Idempotency-Key": key, "X-Test-Drop-Connection": drop},
    )


def _bookings(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Booking))


def test_connection_dropped_before_commit_is_503_and_nothing_is_stored(fragile_app):
    base_id = make_base(fragile_app)
    slot_id = make_slot(fragile_app, base_id)
    headers = citizen_tokens(fragile_app, 1)[0]
    client = fragile_app.test_client()
    error = assert_error(_book(client, headers, slot_id, 1, "k1", "before"), 503, "database_unavailable")
    assert "request_id" in error["details"]
    assert _bookings(fragile_app) == 0


def test_pool_recovers_after_a_dropped_connection(fragile_app):
    base_id = make_base(fragile_app)
    slot_id = make_slot(fragile_app, base_id)
    headers = citizen_tokens(fragile_app, 1)[0]
    client = fragile_app.test_client()
    _book(client, headers, slot_id, 1, "k1", "before")
    assert _book(client, headers, slot_id, 1, "k2", "").status_code == 201


def test_connection_dropped_after_commit_still_answers_201(fragile_app):
    base_id = make_base(fragile_app)
    slot_id = make_slot(fragile_app, base_id, capacity=2)  # the booking crosses 50 %: an alert check follows
    headers = citizen_tokens(fragile_app, 1)[0]
    response = _book(fragile_app.test_client(), headers, slot_id, 1, "k1", "after")
    assert response.status_code == 201, response.get_data(as_text=True)
    assert _bookings(fragile_app) == 1


def test_every_pooled_connection_killed_at_once_is_survived(app, client, database_url):
    """A database restart or failover drops every connection of the pool (the kill waits until each
    server process has gone, as a restart has): the next requests get fresh ones instead of errors
    (a connection the server closed is replaced at checkout, app.pg_connections)."""
    for _ in range(3):
        assert client.get("/api/mp/v1/zones?page=1&per_page=5").status_code == 200
    killer = create_engine(database_url)
    with killer.begin() as conn:
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    killer.dispose()
    assert killed >= 1
    assert [client.get(f"/api/mp/v1/zones?page={p}").status_code for p in (1, 2, 3)] == [200, 200, 200]


# ---- a connection lost inside an idempotent write: a JSON answer, and the key is free again ----------


@pytest.fixture
def booking_scene(app):
    base_id = make_base(app)
    return {"slot_id": make_slot(app, base_id), "headers": citizen_tokens(app, 1)[0], "client": app.test_client()}


def _dying_once(monkeypatch, database_url, module, name, *, after=False, then_raise=None):
    """Replace module.name with a version that kills the request's connection once: before the real
    call, or `after` it; `then_raise` an application error instead of calling it."""
    real, calls = getattr(module, name), []

    def dying(*args, **kwargs):
        if calls:
            return real(*args, **kwargs)
        calls.append(1)
        if after:
            result = real(*args, **kwargs)
            _kill_own_connection(database_url)
            return result
        db.session.execute(text("SELECT 1"))  # the transaction has a connection: the one killed
        _kill_own_connection(database_url)
        if then_raise is not None:
            raise then_raise
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, dying)


def _lose_connection(where, monkeypatch, database_url):
    """`work`: before the booking's first write; `commit`: after the whole answer is written, as the
    stored answer and the booking are about to commit."""
    from app.visits import booking
    from miniprogram_api import visits

    if where == "work":
        _dying_once(monkeypatch, database_url, booking, "stage")
    else:
        _dying_once(monkeypatch, database_url, visits.BOOKING_OUT, "dump", after=True)


@pytest.mark.parametrize("where", ["work", "commit"])
def test_a_connection_lost_in_an_idempotent_write_is_the_json_503(app, database_url, monkeypatch, booking_scene, where):
    _lose_connection(where, monkeypatch, database_url)
    s = booking_scene
    response = _book(s["client"], s["headers"], s["slot_id"], 1, "lost-1", "")
    assert (response.status_code, response.json["error"]["code"]) == (503, "database_unavailable")


@pytest.mark.parametrize("where", ["work", "commit"])
def test_a_retry_after_a_lost_connection_is_done(app, database_url, monkeypatch, booking_scene, where):
    _lose_connection(where, monkeypatch, database_url)
    s = booking_scene
    _book(s["client"], s["headers"], s["slot_id"], 1, "lost-1", "")
    assert _book(s["client"], s["headers"], s["slot_id"], 1, "lost-1", "").status_code == 201


def test_a_retry_after_a_lost_connection_books_once(app, database_url, monkeypatch, booking_scene):
    _lose_connection("commit", monkeypatch, database_url)
    s = booking_scene
    for _ in range(3):
        _book(s["client"], s["headers"], s["slot_id"], 1, "lost-1", "")
    assert _bookings(app) == 1


def test_a_refusal_whose_rollback_meets_a_dead_connection_is_still_answered_in_json(
    app, database_url, monkeypatch, booking_scene
):
    from app.visits import booking

    _dying_once(monkeypatch, database_url, booking, "stage", then_raise=booking._slot_full(booking_scene["slot_id"]))
    s = booking_scene
    assert_error(_book(s["client"], s["headers"], s["slot_id"], 1, "lost-1", ""), 409, "slot_full")


def test_a_retry_after_a_rollback_on_a_dead_connection_is_done(app, database_url, monkeypatch, booking_scene):
    from app.visits import booking

    _dying_once(monkeypatch, database_url, booking, "stage", then_raise=booking._slot_full(booking_scene["slot_id"]))
    s = booking_scene
    _book(s["client"], s["headers"], s["slot_id"], 1, "lost-1", "")
    assert _book(s["client"], s["headers"], s["slot_id"], 1, "lost-1", "").status_code == 201


def test_a_cancel_retried_after_a_lost_connection_is_done(app, database_url, monkeypatch, booking_scene):
    """The same through @replayable: the connection dies after the cancel's writes, before its commit."""
    from app.visits import cancelling

    s = booking_scene
    booked = _book(s["client"], s["headers"], s["slot_id"], 1, "book-1", "").json
    _dying_once(monkeypatch, database_url, cancelling, "promote_waitlist", after=True)
    path, headers = f"/api/mp/v1/bookings/{booked['id']}/cancel", {**s["headers"], "Idempotency-Key": "cancel-1"}
    assert_error(s["client"].post(path, headers=headers), 503, "database_unavailable")
    assert s["client"].post(path, headers=headers).json["status"] == "cancelled"
