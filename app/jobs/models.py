from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, utcnow
from app.extensions import db


class DeadLetter(db.Model):
    """Background work that gave up: a scheduled job that failed on every retry, or a subscribe
    message WeChat would not take after every attempt. Kept in the database (not only in Redis) so
    staff see it after any restart, and can retry or dismiss it."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # "job" | "message"
    name: Mapped[str] = mapped_column(String(64))  # the job's name, or the message's kind
    ref_id: Mapped[int | None] = mapped_column()  # the outbox message, for kind "message"
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution: Mapped[str | None] = mapped_column(String(16))  # "retried" | "dismissed"
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


def record_dead_letter(kind: str, name: str, error: str, attempts: int, ref_id: int | None = None) -> DeadLetter:
    """In the caller's transaction (the message's last failure, or the job's own session). Here, next
    to the table, so the senders (app.outbox, app.jobs.queue) need not import the staff side
    (app.jobs.deadletters), which imports them to retry."""
    letter = DeadLetter(kind=kind, name=name, error=error[:2000], attempts=attempts, ref_id=ref_id)
    db.session.add(letter)
    return letter
