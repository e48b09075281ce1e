"""Operations on personal data at rest: key rotation and the daily purge (`flask --app app privacy …`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from app import idempotency, uow
from app.accounts import services as accounts
from app.db_types import EncryptedString
from app.extensions import db
from app.publicity import settling
from app.validators import person_key
from app.visits.models import BookingVisitor


@dataclass(frozen=True)
class RotationReport:
    values: int
    indexes: int


def encrypted_columns() -> dict:
    """{table: [column, …]} for every column stored with EncryptedString."""
    found: dict = {}
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, EncryptedString)]
        if columns:
            found[table] = columns
    return found


def rotate_keys() -> RotationReport:
    """Re-encrypt every personal value with the newest of PERSONAL_DATA_KEYS (so older keys can then
    be removed) and recompute the blind indexes with PERSONAL_DATA_INDEX_KEY (needed only if that
    key itself had to change). One transaction: all or nothing."""
    cipher = current_app.extensions["cipher"]
    values = 0
    for table, columns in encrypted_columns().items():
        pk = list(table.primary_key.columns)
        for row in db.session.execute(select(*pk, *columns)).all():
            # Reading decrypts with any configured key; writing encrypts with the newest one.
            changes = {c.name: row._mapping[c] for c in columns if row._mapping[c] is not None}
            if changes:
                db.session.execute(table.update().where(*(c == row._mapping[c] for c in pk)).values(**changes))
                values += len(changes)
    indexes = 0
    for visitor in db.session.scalars(select(BookingVisitor).where(BookingVisitor.id_number.is_not(None))):
        fresh = cipher.blind_index(person_key(visitor.id_type, visitor.id_number))
        if visitor.id_index != fresh:
            visitor.id_index = fresh
            indexes += 1
    uow.commit()
    return RotationReport(values=values, indexes=indexes)


@dataclass(frozen=True)
class PurgeReport:
    idempotency_records: int
    objections: int
    login_lockouts: int


def purge(retention_days: int, upload_root: Path) -> PurgeReport:
    """The daily purge: expired idempotency records, login failures long past (keyed hashes of what was
    typed and of addresses), and objections past their retention."""
    return PurgeReport(
        idempotency_records=idempotency.purge_expired(),
        objections=settling.purge_personal_data(retention_days, upload_root),
        login_lockouts=accounts.purge_lockouts(),
    )
