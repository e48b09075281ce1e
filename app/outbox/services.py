"""Queue a message inside the use case's transaction; send it after the commit; retry what failed.

Sending claims each row with a conditional UPDATE first, so two senders (the request that wrote it,
the scheduled retry on another machine) never send one message twice. A claim whose sender died is
taken again after STALE_CLAIM. WeChat down: the row waits with a growing delay; after MAX_ATTEMPTS
it becomes a dead letter for staff (app.jobs.deadletters)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update

from app import uow
from app.accounts.models import User
from app.db_types import utcnow
from app.extensions import db
from app.jobs.models import record_dead_letter
from app.outbox.models import DELIVERY_REPORTS, MessageStatus, OutboxMessage
from app.wechat import services as wechat

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
STALE_CLAIM = timedelta(minutes=5)
# After the n-th failed attempt the next one waits BACKOFF[n-1] (1 min … 6 h: about 8 hours in all).
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=1), timedelta(hours=6))


def queue(
    kind: str,
    user_id: int | None,
    template_id: str | None,
    data: dict,
    page: str | None = None,
    ref: tuple[str, int] | None = None,
    send_now: bool = True,
) -> OutboxMessage | None:
    """Add a message to the current transaction and send it once that commits (send_now=False: leave
    it to the scheduled delivery, for messages to many people at once). None when there is no
    template configured (the message is switched off)."""
    if not template_id:
        return None
    message = OutboxMessage(
        kind=kind,
        user_id=user_id,
        template_id=template_id,
        data=data,
        page=page,
        ref_type=ref[0] if ref else None,
        ref_id=ref[1] if ref else None,
    )
    db.session.add(message)
    if send_now:
        db.session.flush()
        uow.after_commit(deliver, message.id)
    return message


def deliver(message_id: int) -> str | None:
    """Claim and send one message; returns its new status (None: another sender has it, or it is not due)."""
    now = utcnow()
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, _due(now))
        .values(status=MessageStatus.SENDING, attempts=OutboxMessage.attempts + 1, claimed_at=now)
    ).rowcount
    uow.commit()
    if claimed != 1:
        return None
    message = db.session.get(OutboxMessage, message_id)
    user = db.session.get(User, message.user_id) if message.user_id else None
    if user is None or not user.openid:
        message.status = MessageStatus.SKIPPED
    else:
        try:
            wechat.send_subscribe_message(user.openid, message.template_id, message.data, page=message.page)
        except wechat.SubscribeMessageFailed as exc:
            _failed(message, exc, now)
        else:
            message.status, message.sent_at, message.last_error = MessageStatus.SENT, utcnow(), None
    _reflect(message)
    uow.commit()
    return message.status


def deliver_due(limit: int = 500) -> dict[str, int]:
    """The scheduled retry: every message whose next attempt is due (oldest first)."""
    ids = db.session.scalars(
        select(OutboxMessage.id).where(_due(utcnow())).order_by(OutboxMessage.next_attempt_at).limit(limit)
    ).all()
    outcome: dict[str, int] = {}
    for message_id in ids:
        status = deliver(message_id)
        if status:
            outcome[status] = outcome.get(status, 0) + 1
    return outcome


def retry(message: OutboxMessage) -> None:
    """Staff retry of a dead message: a fresh set of attempts, the first one now (caller commits)."""
    message.status, message.attempts, message.next_attempt_at = MessageStatus.PENDING, 0, utcnow()
    _reflect(message)
    uow.after_commit(deliver, message.id)


def _due(now: datetime):
    return or_(
        and_(OutboxMessage.status == MessageStatus.PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == MessageStatus.SENDING, OutboxMessage.claimed_at < now - STALE_CLAIM),
    )


def _failed(message: OutboxMessage, exc: wechat.SubscribeMessageFailed, now: datetime) -> None:
    message.last_error = str(exc)[:500]
    if exc.permanent:
        message.status = MessageStatus.REFUSED
    elif message.attempts >= MAX_ATTEMPTS:
        message.status = MessageStatus.DEAD
        record_dead_letter("message", message.kind, message.last_error, message.attempts, ref_id=message.id)
    else:
        message.status = MessageStatus.PENDING
        message.next_attempt_at = now + BACKOFF[min(message.attempts, len(BACKOFF)) - 1]
    log.warning(
        "outbox message %s (%s), attempt %s: %s -> %s",
        message.id,
        message.kind,
        message.attempts,
        message.last_error,
        message.status,
    )


def _reflect(message: OutboxMessage) -> None:
    """Where the message's subject records its delivery (handlers registered per ref_type)."""
    handler = DELIVERY_REPORTS.get(message.ref_type or "")
    if handler is not None and message.ref_id:
        handler(message)
