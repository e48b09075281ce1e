from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, utcnow
from app.extensions import db


class Upload(db.Model):
    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Relative to UPLOAD_ROOT, e.g. "2026/11/Xb3…k.jpg"; the name is random, not guessable.
    path: Mapped[str] = mapped_column(String(200), unique=True)
    mimetype: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # WeChat's image check: pass, or unchecked when WeChat was unavailable (staff review it).
    content_check: Mapped[str] = mapped_column(String(16), default="pass", server_default="pass")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
