"""Operations on personal data at rest: key rotation and the daily purge (`flask --app app privacy …`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from app import idempotency, retention, uow
from app.accounts import services as accounts
from app.campaigns import erasure as campaigns_erasure
from app.db_types import EncryptedString, utcnow
from app.extensions import db
from app.publicity import settling
from app.times import app_timezone
from app.validators import person_key
from app.visits import erasure as visits_erasure
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
    bookings: int = 0
    waitlist_requests: int = 0
    checkin_posts: int = 0

    def summary(self) -> str:
        """What staff read on the jobs page (the job's last run)."""
        return (
            f"删除过期幂等记录 {self.idempotency_records} 条，过期登录失败记录 {self.login_lockouts} 条，"
            f"清除异议个人信息 {self.objections} 件，预约参观人信息 {self.bookings} 个，"
            f"候补申请 {self.waitlist_requests} 个，打卡文字与照片 {self.checkin_posts} 条"
        )


def purge(
    retention_days: int,
    upload_root: Path,
    *,
    booking_days: int | None = None,
    checkin_days: int | None = None,
    now: datetime | None = None,
) -> PurgeReport:
    """The daily purge, idempotent: expired idempotency records, login failures long past (keyed
    hashes of what was typed and of addresses), objections past their retention (or settled after
    their objector deleted the account), bookings' visitors BOOKING_RETENTION_DAYS after the visit,
    waiting requests as long, check-in notes and photos CHECKIN_RETENTION_DAYS after the campaign.
    Each kind in batches, each batch its own transaction (app.retention); files go after their rows."""
    config = current_app.config
    booking_days = config["BOOKING_RETENTION_DAYS"] if booking_days is None else booking_days
    checkin_days = config["CHECKIN_RETENTION_DAYS"] if checkin_days is None else checkin_days
    now = now or utcnow()
    today = now.astimezone(app_timezone()).date()
    return PurgeReport(
        idempotency_records=idempotency.purge_expired(),
        objections=settling.purge_personal_data(retention_days, upload_root, now),
        login_lockouts=accounts.purge_lockouts(),
        bookings=retention.in_batches(
            lambda limit: visits_erasure.due_bookings(booking_days, now, limit),
            lambda booking_id: visits_erasure.purge_booking(booking_id, now),
            upload_root,
        ),
        waitlist_requests=retention.in_batches(
            lambda limit: visits_erasure.due_waitlist(booking_days, now, limit),
            visits_erasure.purge_waitlist_entry,
            upload_root,
        ),
        checkin_posts=retention.in_batches(
            lambda limit: campaigns_erasure.due_posts(checkin_days, today, limit),
            campaigns_erasure.purge_post,
            upload_root,
        ),
    )
