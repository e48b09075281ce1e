"""app.pg_connections on PostgreSQL: a transaction that only read ends with COMMIT (psycopg keeps
its prepared statements), one that wrote, or failed, still rolls back; a pooled connection is pinged
at checkout only when the server has spoken, and one the server closed is replaced."""

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError

from app.extensions import db
from app.zones.models import District
from tests.helpers import backend_pid, terminate_backend

pytestmark = pytest.mark.postgres

DISTRICTS = select(func.count()).select_from(District)


@pytest.fixture
def own_pool(make_app):
    """An app whose pool has not served other tests: one thread, one connection, the same each time
    (the shared app's pool holds several, handed out in turn)."""
    return make_app()


def _psycopg_connection():
    return db.session.connection().connection.dbapi_connection


def _read_six_times_then_roll_back():
    """The same SELECT six times, each in a transaction ended by a rollback (as a request's end does)."""
    for _ in range(6):
        db.session.scalar(DISTRICTS)
        db.session.rollback()


def test_a_statement_read_in_transactions_that_end_with_a_rollback_gets_prepared(own_pool):
    with own_pool.app_context():
        _read_six_times_then_roll_back()
        prepared = db.session.scalar(
            text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%FROM districts%'")
        )
        assert prepared >= 1


def test_psycopg_keeps_its_prepared_statements_across_a_read_only_rollback(own_pool):
    with own_pool.app_context():
        _read_six_times_then_roll_back()
        kept = len(_psycopg_connection()._prepared._names)
        assert kept >= 1


def test_a_rolled_back_write_is_not_kept(app):
    with app.app_context():
        before = db.session.scalar(DISTRICTS)
        db.session.rollback()
        db.session.add(District(code="990001", name="测试区990001", kind="district"))
        db.session.flush()
        db.session.rollback()
        assert db.session.scalar(DISTRICTS) == before


def test_a_rolled_back_text_write_is_not_kept(app):
    first = select(func.min(District.name))
    with app.app_context():
        before = db.session.scalar(first)
        db.session.rollback()
        db.session.execute(text("UPDATE districts SET name = name || '（改）'"))
        db.session.rollback()
        assert db.session.scalar(first) == before


def test_a_write_after_reads_in_the_same_transaction_is_rolled_back(app):
    with app.app_context():
        before = db.session.scalar(DISTRICTS)
        db.session.add(District(code="990003", name="测试区990003", kind="district"))
        db.session.flush()
        db.session.rollback()
        assert db.session.scalar(DISTRICTS) == before


def test_a_failed_transaction_still_rolls_back_and_the_connection_works_after(app):
    with app.app_context():
        db.session.scalar(DISTRICTS)
        with pytest.raises(DBAPIError):
            db.session.execute(text("SELECT 1 / 0"))
        db.session.rollback()
        assert db.session.scalar(DISTRICTS) >= 0


def _last_statement_of(database_url: str, pid: int) -> str:
    observer = create_engine(database_url)
    try:
        with observer.connect() as conn:
            return conn.execute(text("SELECT query FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}).scalar()
    finally:
        observer.dispose()


def test_a_healthy_pooled_connection_is_checked_out_without_a_ping(own_pool, database_url):
    with own_pool.app_context():
        db.session.execute(text("SELECT 1"))
        pid = backend_pid()
        db.session.remove()  # back to the pool, its read-only transaction ended with COMMIT
        assert backend_pid() == pid
        assert _last_statement_of(database_url, pid) == "COMMIT"  # and no ping since


def test_a_pooled_connection_the_server_closed_is_replaced_at_checkout(own_pool, database_url):
    with own_pool.app_context():
        db.session.execute(text("SELECT 1"))
        pid = backend_pid()
        db.session.remove()
        terminate_backend(database_url, pid, wait_ms=5000)
        assert backend_pid() != pid
