"""Dead letters: record what gave up, list it for staff, retry or dismiss it (audited)."""

from __future__ import annotations

import redis
from sqlalchemy import select

from app import uow
from app.accounts.models import User
from app.audit import services as audit
from app.db_types import utcnow
from app.errors import AppError, NotFound
from app.extensions import db
from app.jobs import queue
from app.jobs.models import DeadLetter
from app.outbox import services as outbox
from app.outbox.models import OutboxMessage


def query(kind: str | None = None, unresolved: bool | None = None):
    stmt = select(DeadLetter).order_by(DeadLetter.created_at.desc(), DeadLetter.id.desc())
    if kind:
        stmt = stmt.where(DeadLetter.kind == kind)
    if unresolved is not None:
        stmt = stmt.where(DeadLetter.resolved_at.is_(None) if unresolved else DeadLetter.resolved_at.is_not(None))
    return stmt


def retry(letter_id: int, actor: User) -> DeadLetter:
    """A job is enqueued again; a message gets a fresh set of attempts, the first one now."""
    letter = _unresolved(letter_id)
    if letter.kind == "message":
        message = db.session.get(OutboxMessage, letter.ref_id)
        if message is None:
            raise AppError("该消息已不存在（用户可能已注销）", code="dead_letter_gone", status=409)
        outbox.retry(message)
    else:
        # Enqueued before the commit: a queue that is down refuses the retry (nothing changes)
        # instead of marking it retried while nothing runs. A run enqueued for a commit that then
        # fails does no harm: every job is idempotent.
        try:
            queue.enqueue_job(letter.name, "retry")
        except redis.RedisError as exc:
            raise AppError("后台任务队列暂不可用，请稍后重试", code="queue_unavailable", status=503) from exc
    _resolve(letter, "retried", actor)
    uow.commit()
    return letter


def dismiss(letter_id: int, actor: User) -> DeadLetter:
    letter = _unresolved(letter_id)
    _resolve(letter, "dismissed", actor)
    uow.commit()
    return letter


def _unresolved(letter_id: int) -> DeadLetter:
    letter = db.session.execute(
        select(DeadLetter).where(DeadLetter.id == letter_id).with_for_update().execution_options(populate_existing=True)
    ).scalar()
    if letter is None:
        raise NotFound("该失败任务不存在")
    if letter.resolved_at is not None:
        raise AppError("该失败任务已处理过", code="dead_letter_resolved", status=409)
    return letter


def _resolve(letter: DeadLetter, resolution: str, actor: User) -> None:
    letter.resolved_at, letter.resolution, letter.resolved_by_id = utcnow(), resolution, actor.id
    audit.record(
        actor, f"dead_letter.{resolution}", "dead_letter", letter.id, None, {"kind": letter.kind, "name": letter.name}
    )
