"""How the service uses its PostgreSQL (psycopg) connections: two round trips a request saves.

1. A transaction that only read ends with COMMIT, not ROLLBACK. psycopg prepares a statement on a
connection once it has run five times there (the server then parses and plans it once, not on every
execution: about two thirds of the database's time on a check-in). But `Connection.rollback()`
throws away every prepared statement of the connection, and SQLAlchemy ends every transaction it
did not commit with a rollback: the read a request makes after its commit, a refused write, the end
of every read-only request. Statements were then never prepared at all. Ending a transaction that
ran nothing but SELECTs with COMMIT is the same for the data (it wrote nothing) and keeps them.

"Only read" is what SQLAlchemy executed on the connection since its last commit or rollback: every
statement a SELECT. Anything else (a write, a SAVEPOINT, a SET, text SQL that does not start with
SELECT) and a transaction in error still roll back as before.

2. A pooled connection is pinged at checkout only when its socket has something to read. A server
that restarts, fails over or kills the session sends its goodbye (an error and the end of the
stream) to the client; an idle connection the server has not spoken on has nothing to read. So the
ping (SQLAlchemy's pool_pre_ping: a round trip on every checkout, two or three per request) runs
only when there is news, and a connection whose ping fails is replaced before anyone uses it.
"""

from __future__ import annotations

import select
from typing import Any

from psycopg import pq
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import DisconnectionError

_WROTE = "_lowcarbon_wrote"  # on the DBAPI connection: something other than a SELECT ran in this transaction


def _unwrapped(dbapi_connection: Any) -> Any:
    """The psycopg connection (the pool's reset hands over a proxy of it)."""
    return getattr(dbapi_connection, "dbapi_connection", dbapi_connection)


def uses_psycopg(database_url: str | URL) -> bool:
    """Whether the URL names PostgreSQL through psycopg 3 (not psycopg2, not SQLite)."""
    url = make_url(database_url)
    return url.get_backend_name() == "postgresql" and url.get_driver_name() == "psycopg"


def install(engine: Engine) -> None:
    """For a PostgreSQL (psycopg) engine: read-only transactions end with COMMIT, and connections
    are pinged at checkout only when the server has spoken (create_app turns pool_pre_ping off for it)."""
    if not uses_psycopg(engine.url):
        return
    event.listen(engine, "checkout", _ping_if_the_server_spoke)
    dialect = engine.dialect
    roll_back, commit = dialect.do_rollback, dialect.do_commit

    @event.listens_for(engine, "before_cursor_execute")
    def _note_writes(conn, cursor, statement: str, parameters, context, executemany) -> None:
        if not statement.startswith("SELECT "):
            setattr(conn.connection.dbapi_connection, _WROTE, True)

    def do_rollback(dbapi_connection: Any) -> None:
        psycopg_connection = _unwrapped(dbapi_connection)
        wrote = getattr(psycopg_connection, _WROTE, True)
        setattr(psycopg_connection, _WROTE, False)
        if not wrote and psycopg_connection.info.transaction_status == pq.TransactionStatus.INTRANS:
            psycopg_connection.commit()
        else:
            roll_back(dbapi_connection)

    def do_commit(dbapi_connection: Any) -> None:
        setattr(_unwrapped(dbapi_connection), _WROTE, False)
        commit(dbapi_connection)

    dialect.do_rollback = do_rollback  # type: ignore[method-assign]
    dialect.do_commit = do_commit  # type: ignore[method-assign]


def _ping_if_the_server_spoke(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """Checkout: an idle connection with something to read (or known broken) must answer a ping;
    DisconnectionError makes the pool replace it with a fresh one and check that out instead."""
    if dbapi_connection.closed or dbapi_connection.broken:
        raise DisconnectionError("the database connection is closed")
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError):
        readable = [True]
    if readable and not _answers(dbapi_connection):
        raise DisconnectionError("the database closed this connection")


def _answers(dbapi_connection: Any) -> bool:
    try:
        dbapi_connection.execute("SELECT 1")
        dbapi_connection.commit()  # not rollback(): it would drop the prepared statements
    except Exception:  # noqa: BLE001 - whatever the failure, this connection is not to be used
        return False
    return True
