from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, utcnow
from app.extensions import db


class MessageStatus(StrEnum):
    PENDING = "pending"  # waiting for its first or next attempt (next_attempt_at)
    SENDING = "sending"  # claimed by one sender; a claim older than STALE_CLAIM is taken again
    SENT = "sent"
    SKIPPED = "skipped"  # no template configured or the user has no openid: nothing to send
    REFUSED = "refused"  # WeChat said no for good (the user did not subscribe): not retried
    DEAD = "dead"  # gave up after MAX_ATTEMPTS; listed for staff as a dead letter


class OutboxMessage(db.Model):
    """One subscribe message to one user. Holds no personal data: the recipient is a user id (the
    openid is looked up when sending) and the content is what the message shows (place, time, status)."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    template_id: Mapped[str] = mapped_column(String(128))
    data: Mapped[dict] = mapped_column(JSON)
    page: Mapped[str | None] = mapped_column(String(255))
    # What the message is about, e.g. ("objection_event", 12): its delivery is reported there too.
    ref_type: Mapped[str | None] = mapped_column(String(32))
    ref_id: Mapped[int | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(8), default=MessageStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# Where a message's subject records its delivery, by ref_type (e.g. an objection decision's
# notify_status). The area that queues such messages registers its handler next to its models, which
# create_app always imports, so the outbox imports no area and every sender (request or job) reports.
DELIVERY_REPORTS: dict[str, Callable[[OutboxMessage], None]] = {}


def reports_delivery(ref_type: str):
    """Registers `handler(message)`, called after each attempt at a message about a `ref_type`."""

    def register(handler: Callable[[OutboxMessage], None]) -> Callable[[OutboxMessage], None]:
        DELIVERY_REPORTS[ref_type] = handler
        return handler

    return register
