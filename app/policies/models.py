from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, utcnow
from app.extensions import db


class PolicyVersion(db.Model):
    """One published version of a policy (content/policies/<document>.md). Kept for ever: what a
    person accepted stays readable after a newer version replaces it."""

    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("document", "version", name="uq_policy_versions_document_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document: Mapped[str] = mapped_column(String(32))
    version: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(100))
    body_html: Mapped[str] = mapped_column(Text)
    effective_on: Mapped[date] = mapped_column(Date)
    content_hash: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PolicyConsent(db.Model):
    """A person accepted a version of a policy, at a moment."""

    __tablename__ = "policy_consents"
    __table_args__ = (UniqueConstraint("user_id", "document", "version", name="uq_policy_consents_user_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    document: Mapped[str] = mapped_column(String(32))
    version: Mapped[str] = mapped_column(String(32))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
