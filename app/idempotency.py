"""Idempotent writes: a retried request with the same Idempotency-Key gets the first answer and
stores nothing twice, even when the retries arrive at the same moment on different workers.

The key is claimed with an INSERT (unique per user, scope and key) committed before the work; the
work's writes and the stored answer then commit together. A second request with the key finds the
claim: a stored answer is replayed, a claim still in progress is 409, a different body is 422.

Answers hold personal data (visitors' names), so the stored answer is encrypted like every other
personal field, the request is kept only as a keyed hash, and records expire after
IDEMPOTENCY_TTL_HOURS (24 h by default, what payment APIs keep): a retry after that is a new
request, and `flask --app app privacy purge` (daily) deletes the expired rows.
"""

from __future__ import annotations

import json
import logging
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

log = logging.getLogger(__name__)

# A claim older than this whose work never finished (a crashed worker) may be taken over.
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


def run_once(user_id: int, scope: str, key: str, body: Any, work: Callable[[], tuple[int, Any]]) -> Outcome:
    """Run `work` (which returns (status, JSON-able body)) at most once for (user, scope, key). The
    use case's own `uow.commit()` inside `work` only flushes: its writes and the stored answer
    commit together, here."""
    digest = request_hash(body)
    record = _claim(user_id, scope, key, digest)
    if isinstance(record, Outcome):
        metrics.note_replayed()
        return record
    try:
        with uow.deferred():
            status, response = work()
        stored = db.session.get(IdempotencyRecord, record)
        stored.response_status = status
        stored.response_body = json.dumps(response, ensure_ascii=False, default=str)
        uow.commit()  # the work's writes and the stored answer together, then their after-commit steps
    except Exception:
        uow.rollback()  # survives a dead connection (the pool hands out a new one)
        _release(record)
        raise
    return Outcome(status, response, replayed=False)


def once(user_id: int, scope: str, key: str | None, body: Any, work: Callable[[], tuple[int, Any]]) -> Outcome:
    """`run_once` when the request has an Idempotency-Key; without one, the work runs and commits."""
    if key:
        return run_once(user_id, scope, key, body, work)
    status, response = work()
    uow.commit()
    return Outcome(status, response, replayed=False)


def _release(record_id: int) -> None:
    """Free the key of a failed attempt: it stored nothing, so a retry (or a corrected request) may
    run. A record that holds an answer stays: its commit landed although the connection broke."""
    try:
        unanswered = IdempotencyRecord.response_status.is_(None)
        db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id, unanswered))
        db.session.commit()  # the key's own bookkeeping, not the use case's commit
    except Exception:  # noqa: BLE001 - the failure being answered matters more; the claim goes stale
        uow.rollback()
        log.warning("could not free an idempotency key; a retry is refused for up to %ss", STALE_AFTER.seconds)


def seen(user_id: int, scope: str, key: str):
    """An SQL condition: this key was used before (finished or in progress). Callers add it to a
    read they make anyway, to answer obvious refusals without claiming the key and without
    breaking replays."""
    return exists().where(
        IdempotencyRecord.user_id == user_id,
        IdempotencyRecord.scope == scope,
        IdempotencyRecord.key == key,
        IdempotencyRecord.created_at >= utcnow() - _ttl(),
    )


def _claim(user_id: int, scope: str, key: str, digest: str) -> int | Outcome:
    for _ in range(2):
        db.session.add(IdempotencyRecord(user_id=user_id, scope=scope, key=key, request_hash=digest))
        try:
            db.session.commit()  # the key's own bookkeeping, not the use case's commit
        except IntegrityError:
            db.session.rollback()
        else:
            return db.session.scalar(
                select(IdempotencyRecord.id).where(
                    IdempotencyRecord.user_id == user_id, IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
                )
            )
        existing = db.session.scalar(
            select(IdempotencyRecord).where(
                IdempotencyRecord.user_id == user_id, IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
            )
        )
        if existing is None:
            continue  # the other attempt failed and freed the key: try again
        if utcnow() - existing.created_at >= _ttl():
            db.session.delete(existing)  # expired: the key starts afresh
            db.session.commit()  # the key's own bookkeeping, not the use case's commit
            continue
        if existing.request_hash != digest:
            raise IdempotencyKeyReused()
        if existing.response_status is not None:
            return Outcome(existing.response_status, json.loads(existing.response_body), replayed=True)
        if utcnow() - existing.created_at < STALE_AFTER:
            raise IdempotencyInProgress()
        db.session.delete(existing)  # abandoned by a crashed worker
        db.session.commit()  # the key's own bookkeeping, not the use case's commit
    raise IdempotencyInProgress()
