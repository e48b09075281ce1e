"""Count what one booking costs: database statements and transactions, Redis calls, encryption
operations, idempotency claims, rate-limit checks and token lookups, for the winner's path (a
place taken), the loser's path (the slot full) and a retry's replay. Used by `booking_rush.py`,
which prints the table before the rush; requests go through the whole WSGI app in this process
(Flask's test client), so every hook a gunicorn worker runs is counted.

Counting only in the thread that sends the request: a process's background threads (the cache's
invalidation listener) are not the request's cost."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator

import redis as redis_lib
from sqlalchemy import event

from app.privacy import PersonalDataCipher

CIPHER_OPERATIONS = ("encrypt", "decrypt", "blind_index", "keyed_hash")


class Tally:
    def __init__(self) -> None:
        self.sql: Counter[str] = Counter()  # first word of each statement
        self.tables: Counter[str] = Counter()  # "INSERT idempotency_records", ...
        self.transactions = 0
        self.commits = 0
        self.rollbacks = 0
        self.checkouts = 0  # pool checkouts
        self.pings = 0  # checkouts that pinged the server first (pool_pre_ping; psycopg's: see app.pg_connections)
        self.redis: Counter[str] = Counter()  # by purpose
        self.crypto: Counter[str] = Counter()
        self.log: list[str] = []  # each statement's start, in order
        self.write_commits = 0  # commits of a transaction that wrote something
        self.token_selects = 0

    @property
    def statements(self) -> int:
        return sum(self.sql.values())

    @property
    def database_round_trips(self) -> int:
        """Statements, plus BEGIN and COMMIT/ROLLBACK of each transaction, plus each pre-ping."""
        return self.statements + self.transactions + self.commits + self.rollbacks + self.pings

    @property
    def claims(self) -> int:
        return self.tables["INSERT idempotency_records"]


def _purpose(args: tuple) -> str:
    name = str(args[0]).upper() if args else "?"
    key = args[1] if len(args) > 1 else b""
    if name in ("EVALSHA", "EVAL") and len(args) > 3:
        key = args[3]
    key = key.decode(errors="replace") if isinstance(key, bytes) else str(key)
    if key.startswith("LIMITS"):
        return "rate limit"
    if key.startswith("auth:"):
        return "token"
    if key.startswith("cache:") or name == "PUBLISH":
        return "cache"
    return f"other ({name} {key.split(':')[0]})"


@contextlib.contextmanager
def counting(engine) -> Iterator[Tally]:
    tally = Tally()
    me = threading.get_ident()
    in_write = threading.local()

    def mine() -> bool:
        return threading.get_ident() == me

    def sends(conn) -> bool:
        """BEGIN, COMMIT and ROLLBACK go to the server only outside autocommit."""
        return mine() and not getattr(conn.connection.dbapi_connection, "autocommit", False)

    def before_execute(conn, cursor, statement, parameters, context, executemany):
        if not mine():
            return
        words = statement.split()
        verb = words[0].upper() if words else "?"
        tally.sql[verb] += 1
        tally.log.append(" ".join(words)[:110])
        if verb in ("INSERT", "UPDATE", "DELETE"):
            table = words[2] if verb in ("INSERT", "DELETE") else words[1]
            tally.tables[f"{verb} {table.strip(chr(34))}"] += 1
            in_write.flag = True
        elif verb == "SELECT" and "auth_tokens" in statement:
            tally.token_selects += 1

    def on_begin(conn):
        if sends(conn):
            tally.transactions += 1
            in_write.flag = False

    def on_commit(conn):
        if sends(conn):
            tally.commits += 1
            if getattr(in_write, "flag", False):
                tally.write_commits += 1

    def on_rollback(conn):
        if sends(conn):
            tally.rollbacks += 1

    # SQLAlchemy's pre-ping pings at every checkout; without it (psycopg), a ping runs only when the
    # connection's socket has something to read, which a healthy idle connection never has.
    pre_ping = getattr(engine.pool, "_pre_ping", True)

    def on_checkout(dbapi_conn, record, proxy):
        if mine():
            tally.checkouts += 1
            tally.pings += 1 if pre_ping else 0

    listeners = [
        (engine, "before_cursor_execute", before_execute),
        (engine, "begin", on_begin),
        (engine, "commit", on_commit),
        (engine, "rollback", on_rollback),
        (engine.pool, "checkout", on_checkout),
    ]
    for target, name, fn in listeners:
        event.listen(target, name, fn)

    plain_execute = redis_lib.Redis.execute_command
    pipeline_execute = redis_lib.client.Pipeline.execute

    def execute_command(self, *args, **options):
        if mine() and not isinstance(self, redis_lib.client.Pipeline):
            tally.redis[_purpose(args)] += 1
        return plain_execute(self, *args, **options)

    def execute_pipeline(self, *args, **options):
        if mine():
            first = self.command_stack[0].args if self.command_stack else ()
            tally.redis[_purpose(first)] += 1
        return pipeline_execute(self, *args, **options)

    originals = {name: getattr(PersonalDataCipher, name) for name in CIPHER_OPERATIONS}
    depth = threading.local()

    def wrap(name):
        inner = originals[name]

        def counted(self, *args, **kwargs):
            outer = getattr(depth, "n", 0) == 0
            if outer and mine():
                tally.crypto[name] += 1
            depth.n = getattr(depth, "n", 0) + 1
            try:
                return inner(self, *args, **kwargs)
            finally:
                depth.n -= 1

        return counted

    redis_lib.Redis.execute_command = execute_command
    redis_lib.client.Pipeline.execute = execute_pipeline
    for name in CIPHER_OPERATIONS:
        setattr(PersonalDataCipher, name, wrap(name))
    try:
        yield tally
    finally:
        redis_lib.Redis.execute_command = plain_execute
        redis_lib.client.Pipeline.execute = pipeline_execute
        for name, fn in originals.items():
            setattr(PersonalDataCipher, name, fn)
        for target, name, fn in listeners:
            event.remove(target, name, fn)


def describe(tally: Tally, statements: bool = False) -> dict[str, str]:
    """One line per kind of cost."""
    sql = ", ".join(f"{verb} {n}" for verb, n in sorted(tally.sql.items(), key=lambda kv: -kv[1]))
    writes = ", ".join(f"{what} {n}" for what, n in sorted(tally.tables.items()))
    redis = ", ".join(f"{what} {n}" for what, n in sorted(tally.redis.items()))
    crypto = ", ".join(f"{what} {n}" for what, n in sorted(tally.crypto.items()))
    return {
        "database round trips": f"{tally.database_round_trips}",
        "  statements": f"{tally.statements} ({sql or 'none'})",
        "  writes": writes or "none",
        "  transactions": f"{tally.transactions} begun, {tally.commits} committed, {tally.rollbacks} rolled back"
        f" ({tally.write_commits} with a write)",
        "  pool checkouts": f"{tally.checkouts} ({tally.pings} pinged first)",
        "redis round trips": f"{sum(tally.redis.values())} ({redis or 'none'})",
        "encryption operations": f"{sum(tally.crypto.values())} ({crypto or 'none'})",
        "idempotency claims": f"{tally.claims}",
        "rate-limit checks": f"{tally.redis['rate limit']} Redis call(s)",
        "token lookups": f"{tally.redis['token']} in Redis, {tally.token_selects} in the database",
    } | ({f"  {i + 1:>2}": line for i, line in enumerate(tally.log)} if statements else {})
