"""Idempotent writes: a retried request with the same Idempotency-Key gets the first answer and
stores nothing twice, even when the retries arrive at the same moment on different workers.

The key is claimed with an INSERT (unique per user, scope and key) in the work's own transaction:
the claim, the work's writes and the stored answer commit together, once. A second request with
the key finds the record: a stored answer is replayed, a different body is 422; one arriving while
the first is still running waits at the unique index for the first to end, then replays its
answer (or, the first having failed and rolled back, runs). A failed attempt leaves nothing.

Answers hold personal data (visitors' names), so the stored answer is encrypted like every other
personal field, the request is kept only as a keyed hash, and records expire after
IDEMPOTENCY_TTL_HOURS (24 h by default, what payment APIs keep): a retry after that is a new
request, and `flask --app app privacy purge` (daily) deletes the expired rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from app import metrics, uow
from app.db_types import EncryptedString, UTCDateTime, utcnow
from app.errors import AppError
from app.extensions import db

# A claim committed without an answer (by an earlier version, which claimed in a commit of its
# own) and older than this was abandoned by a crashed worker: it may be taken over.
STALE_AFTER = timedelta(seconds=60)


class IdempotencyRecord(db.Model):
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("user_id", "scope", "key", name="uq_idempotency_records_user_scope_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(EncryptedString())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class IdempotencyKeyReused(AppError):
    status = 422
    code = "idempotency_key_reused"
    message = "同一个 Idempotency-Key 不能用于不同的请求内容"


class IdempotencyInProgress(AppError):
    status = 409
    code = "idempotency_in_progress"
    message = "相同的请求正在处理中，请稍后重试"


@dataclass(frozen=True)
class Outcome:
    status: int
    body: Any
    replayed: bool


def request_hash(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()
    return current_app.extensions["cipher"].keyed_hash(canonical)


def _ttl() -> timedelta:
    return timedelta(hours=current_app.config["IDEMPOTENCY_TTL_HOURS"])


def purge_expired(now: datetime | None = None) -> int:
    """Delete records past their lifetime (the daily `privacy purge`)."""
    result = db.session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < (now or utcnow()) - _ttl())
    )
    uow.commit()
    return result.rowcount or 0


def run_once(
    user_id: int,
    scope: str,
    key: str,
    body: Any,
    work: Callable[[], tuple[int, Any]],
    last: Callable[[], None] | None = None,
) -> Outcome:
    """Run `work` (which returns (status, JSON-able body)) at most once for (user, scope, key). The
    claim, the work's writes and the stored answer commit together, once: the use case's own
    `uow.commit()` inside `work` only flushes. A second request with the key meanwhile waits at
    the claim's INSERT (the unique index) until the first commits, then replays its answer; if
    the first rolled back, nothing of it is left and the second runs. `last`, if given, writes
    after the answer is stored, just before the commit (a booking takes its place there)."""
    digest = request_hash(body)
    if _used_elsewhere(user_id, scope, key):
        raise IdempotencyKeyReused()  # docs/api.md: the same key on another request, another endpoint too
    for _ in range(3):
        record = IdempotencyRecord(user_id=user_id, scope=scope, key=key, request_hash=digest)
        db.session.add(record)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            earlier = _earlier(user_id, scope, key, digest)
            if earlier is not None:
                metrics.note_replayed()
                return earlier
            continue  # the other attempt failed, or the record had expired: claim again
        try:
            with uow.deferred():
                status, response = work()
            record.response_status = status
            record.response_body = json.dumps(response, ensure_ascii=False, default=str)
            if last is not None:
                db.session.flush()
                last()
            uow.commit()  # the claim, the work's writes and the answer, then their after-commit steps
        except Exception:
            uow.rollback()  # the claim goes with the rest; survives a dead connection
            raise
        return Outcome(status, response, replayed=False)
    raise IdempotencyInProgress()


def once(user_id: int, scope: str, key: str | None, body: Any, work: Callable[[], tuple[int, Any]]) -> Outcome:
    """`run_once` when the request has an Idempotency-Key; without one, the work runs and commits."""
    if key:
        return run_once(user_id, scope, key, body, work)
    status, response = work()
    uow.commit()
    return Outcome(status, response, replayed=False)


def seen(user_id, scope: str, key, since=None):
    """An SQL condition: this key was used before (finished or in progress). Callers add it to a
    read they make anyway, to answer obvious refusals without claiming the key and without
    breaking replays. `user_id`, `key` and `since` (default: the records' lifetime ago) may be
    bound parameters."""
    return exists().where(
        IdempotencyRecord.user_id == user_id,
        IdempotencyRecord.scope == scope,
        IdempotencyRecord.key == key,
        IdempotencyRecord.created_at >= (utcnow() - _ttl() if since is None else since),
    )


def _used_elsewhere(user_id: int, scope: str, key: str) -> bool:
    """Whether the caller's key is already the key of a live request to another endpoint."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    IdempotencyRecord.user_id == user_id,
                    IdempotencyRecord.key == key,
                    IdempotencyRecord.scope != scope,
                    IdempotencyRecord.created_at >= live_since(),
                )
            )
        )
    )


def live_since() -> datetime:
    """Records created before this have expired."""
    return utcnow() - _ttl()


def _earlier(user_id: int, scope: str, key: str, digest: str) -> Outcome | None:
    """What a committed record with the key says: its answer replayed, or a refusal; None when the
    key is free again (an expired record is deleted)."""
    existing = db.session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
        )
    )
    if existing is None:
        return None
    if utcnow() - existing.created_at >= _ttl():
        db.session.delete(existing)  # expired: the key starts afresh
        db.session.commit()  # the key's own bookkeeping, not the use case's commit
        return None
    if existing.request_hash != digest:
        raise IdempotencyKeyReused()
    if existing.response_status is not None:
        return Outcome(existing.response_status, json.loads(existing.response_body), replayed=True)
    # A claim without an answer was committed on its own by an earlier version of this code.
    if utcnow() - existing.created_at < STALE_AFTER:
        raise IdempotencyInProgress()
    db.session.delete(existing)  # abandoned by a crashed worker
    db.session.commit()  # the key's own bookkeeping, not the use case's commit
    return None
