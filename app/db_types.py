"""Column types shared by every model."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import DateTime, Index, String, Text, text
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


def partial_index(name: str, *columns: str, where: str, unique: bool = False) -> Index:
    """An index over the rows where `where` (SQL) holds, on PostgreSQL and SQLite alike."""
    return Index(name, *columns, unique=unique, postgresql_where=text(where), sqlite_where=text(where))


def insert_unless_conflict(entity):
    """INSERT … ON CONFLICT DO NOTHING for the database in use (PostgreSQL and SQLite say it alike):
    with RETURNING, no row back means a unique constraint refused it, with no error to catch."""
    from app.extensions import db

    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(entity).on_conflict_do_nothing()


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
