from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UTCDateTime, utcnow
from app.extensions import db

JSONType = JSON().with_variant(JSONB(), "postgresql")


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)  # e.g. zone.create, zone.transition
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    request_id: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    # Who acted, for the log's readers; a deleted account reads 已注销用户 (its row is a tombstone).
    actor = relationship("User", lazy="joined", viewonly=True)

    @property
    def actor_label(self) -> str:
        if self.actor_id is None:
            return "系统"
        if self.actor is None or self.actor.deleted_at is not None:
            return "已注销用户"
        return self.actor.username or self.actor.display_name or f"微信用户 #{self.actor_id}"
