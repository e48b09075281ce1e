from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import EncryptedString, UTCDateTime, utcnow
from app.extensions import db
from app.outbox.models import MessageStatus, OutboxMessage, reports_delivery
from app.publicity.constants import NoticeState
from app.zones.models import Zone


class CalendarDay(db.Model):
    """Public holidays and make-up working days (调休), as the State Council publishes them."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # holiday, workday
    note: Mapped[str | None] = mapped_column(String(64))


class PublicityNotice(db.Model):
    __tablename__ = "publicity_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    batch_year: Mapped[int] = mapped_column(index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    office_name: Mapped[str] = mapped_column(String(120))
    office_phone: Mapped[str | None] = mapped_column(String(40))
    office_address: Mapped[str | None] = mapped_column(String(200))
    policy: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=NoticeState.DRAFT)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    entries: Mapped[list[NoticeZone]] = relationship(
        back_populates="notice", cascade="all, delete-orphan", lazy="selectin", order_by="NoticeZone.id"
    )


class NoticeZone(db.Model):
    """A zone listed in a notice, and how its publicity ended."""

    __tablename__ = "publicity_notice_zones"
    __table_args__ = (UniqueConstraint("notice_id", "zone_id", name="uq_publicity_notice_zones_notice_zone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("publicity_notices.id", ondelete="CASCADE"), index=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"), index=True)
    outcome: Mapped[str | None] = mapped_column(String(16))  # confirmed, rejected; None while open
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    notice: Mapped[PublicityNotice] = relationship(back_populates="entries")
    zone: Mapped[Zone] = relationship(lazy="joined", innerjoin=True)


class Objection(db.Model):
    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_no: Mapped[str | None] = mapped_column(String(20), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("publicity_notices.id"), index=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"), index=True)
    # Personal data: encrypted at rest, masked everywhere but to the objector and entitled staff,
    # emptied by the retention purge.
    name: Mapped[str | None] = mapped_column(EncryptedString())
    phone: Mapped[str | None] = mapped_column(EncryptedString())
    organisation: Mapped[str | None] = mapped_column(EncryptedString())
    contact_person: Mapped[str | None] = mapped_column(EncryptedString())
    id_type: Mapped[str | None] = mapped_column(String(32))  # app.validators.IdType
    id_number: Mapped[str | None] = mapped_column(EncryptedString())
    reason: Mapped[str | None] = mapped_column(Text)
    evidence_urls: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), index=True)
    # WeChat's content check: pass, review (stored, flagged for staff) or unchecked (WeChat was down).
    content_check: Mapped[str] = mapped_column(String(16))
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    zone: Mapped[Zone] = relationship(lazy="joined", innerjoin=True)
    events: Mapped[list[ObjectionEvent]] = relationship(
        back_populates="objection",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="(ObjectionEvent.at, ObjectionEvent.id)",
    )


class ObjectionEvent(db.Model):
    """Status history with the written reply the objector reads."""

    __tablename__ = "objection_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    objection_id: Mapped[int] = mapped_column(ForeignKey("objections.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reply: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Subscribe message to the objector: sent, failed, skipped (no subscription template configured).
    notify_status: Mapped[str | None] = mapped_column(String(16))

    objection: Mapped[Objection] = relationship(back_populates="events")


@reports_delivery("objection_event")
def _decision_message_delivered(message: OutboxMessage) -> None:
    """The objector's message about a decision (queued by app.publicity.objections): its delivery is
    the event's notify_status, which staff read on the objection."""
    event = db.session.get(ObjectionEvent, message.ref_id)
    if event is None:
        return
    if message.status == MessageStatus.PENDING:
        event.notify_status = "failed" if message.attempts else "queued"  # failed: will be retried
    else:
        event.notify_status = str(message.status)
