"""A transaction that only read ends with COMMIT, not ROLLBACK, on PostgreSQL.

psycopg prepares a statement on a connection once it has run five times there (the server then
parses and plans it once, not on every execution: about two thirds of the database's time on a
check-in). But `Connection.rollback()` throws away every prepared statement of the connection, and
SQLAlchemy ends every transaction it did not commit with a rollback: the read a request makes after
its commit, a refused write, the end of every read-only request. Statements were then never
prepared at all. Ending a transaction that ran nothing but SELECTs with COMMIT is the same for the
data (it wrote nothing) and keeps them.

"Only read" is what SQLAlchemy executed on the connection since its last commit or rollback: every
statement a SELECT. Anything else (a write, a SAVEPOINT, a SET, text SQL that does not start with
SELECT) and a transaction in error still roll back as before.
"""

from __future__ import annotations

from typing import Any

from psycopg import pq
from sqlalchemy import event
from sqlalchemy.engine import Engine

_WROTE = "_lowcarbon_wrote"  # on the DBAPI connection: something other than a SELECT ran in this transaction


def _unwrapped(dbapi_connection: Any) -> Any:
    """The psycopg connection (the pool's reset hands over a proxy of it)."""
    return getattr(dbapi_connection, "dbapi_connection", dbapi_connection)


def install(engine: Engine) -> None:
    """For a PostgreSQL (psycopg) engine: read-only transactions end with COMMIT."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return
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
