"""Column types shared by every model."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import DateTime, String, Text
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in and out, on PostgreSQL (timestamptz) and SQLite (naive text) alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class EncryptedString(TypeDecorator):
    """Personal data encrypted at rest with the app's PersonalDataCipher (app.privacy)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return current_app.extensions["cipher"].encrypt(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return current_app.extensions["cipher"].decrypt(value)


__all__ = ["EncryptedString", "String", "UTCDateTime", "utcnow"]
