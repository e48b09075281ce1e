"""People's rights over their data (PIPL arts. 45 and 47; WeChat's rule of an in-app account
deletion): deleting one's account, and a copy of everything held about oneself.

Deleting keeps what the programme must keep for public accountability, without the person: the
user row stays as a tombstone (no openid, no name, no phone, `deleted_at`), so a later login with the
same WeChat starts a new, empty account; bookings keep base, day, head count and status (attendance
counts); an objection keeps its receipt number, zone and ruling. An objection still open keeps its
objector's details until it is decided (the programme owes them an answer); the next purge then
removes them (app.publicity.settling.purge_personal_data).

Any other table holding rows of a user (a `user_id` column referring to users: zone follows,
consents, whatever later features add) loses them on deletion and is part of the export, unless it
is listed in HANDLED_TABLES with its own treatment."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import Table, delete, select

from app import retention, uow
from app.accounts.models import AuthToken, User
from app.audit import services as audit
from app.campaigns import erasure as campaigns_erasure
from app.campaigns import guardians
from app.campaigns.models import (
    ActionCheckin,
    GuardianConsent,
    Participation,
    PostReport,
    SchoolFollow,
    StudentProfile,
)
from app.db_types import utcnow
from app.errors import Conflict
from app.extensions import db
from app.media.models import Upload
from app.media.services import url_of
from app.publicity import settling
from app.publicity.constants import OPEN, SETTLED
from app.publicity.models import Objection
from app.times import local_iso
from app.visits import erasure as visits_erasure
from app.visits.models import Booking, WaitlistEntry

# Tables with a user_id that deletion treats on its own (kept without the person, or removed by an
# area's own rule) and the export shows in its own section; every other such table is handled
# generically (rows deleted, rows exported).
HANDLED_TABLES = frozenset(
    {
        "users",
        "auth_tokens",  # revoked, not deleted: the old token answers token_revoked
        "bookings",  # kept without their people (attendance counts)
        "objections",  # kept without the objector (receipt, zone, ruling)
        "uploads",  # open objections' evidence stays until they are decided
        "visit_waitlist",
        "booking_suspensions",
        "campaign_checkins",
        "campaign_participations",
        "student_profiles",
        "school_follows",
        "post_reports",
    }
)
# Deleted with the account but not exported: the service's own bookkeeping (stored answers to
# retried requests, the queue of messages being sent), not information about the person.
NOT_EXPORTED_TABLES = frozenset({"idempotency_records", "outbox_messages"})
# Never in an export: secrets of the service, not information about the person.
# The WeChat openid and unionid too: docs/privacy.md promises them in no answer (they identify the
# person to WeChat and to other apps of the same account, and the person has no use for them).
NOT_EXPORTED_COLUMNS = frozenset(
    {"token_hash", "password_hash", "request_hash", "response_body", "id_index", "openid", "unionid"}
)


@dataclass(frozen=True)
class DeletionReport:
    deleted_at: datetime
    bookings_cancelled: int
    waitlist_promoted: int
    objections_kept_open: int


def other_user_tables() -> list[Table]:
    """Tables holding rows of a user that no area handles itself (see the module's docstring)."""
    found = []
    for table in db.metadata.sorted_tables:
        column = table.columns.get("user_id")
        if table.name in HANDLED_TABLES or column is None:
            continue
        if any(fk.column.table.name == "users" for fk in column.foreign_keys):
            found.append(table)
    return found


def delete_account(user: User, now: datetime | None = None) -> DeletionReport:
    """Use case: the signed-in user deletes their account, at once and in one unit of work."""
    now = now or utcnow()
    user = db.session.scalar(
        select(User).where(User.id == user.id).with_for_update().execution_options(populate_existing=True)
    )
    if user.is_staff:
        raise Conflict("工作人员账号不能在小程序内注销，请联系系统管理员", code="staff_account")
    for token in db.session.scalars(
        select(AuthToken).where(AuthToken.user_id == user.id, AuthToken.revoked_at.is_(None))
    ):
        token.revoked_at = now  # every process forgets it as the commit lands (accounts.services)
    cancelled, promoted, _ = visits_erasure.release_account(user.id, now)
    campaigns_erasure.forget_student(user.id)  # its photos are among the account's uploads, below
    guardians.forget_account(user.id, user)
    kept_open = 0
    kept_evidence: set[str] = set()
    for objection in db.session.scalars(
        select(Objection)
        .where(Objection.user_id == user.id)
        .with_for_update(of=Objection)
        .execution_options(populate_existing=True)
    ):
        if objection.status in OPEN:
            kept_open += 1
            kept_evidence.update(objection.evidence_urls or [])
        elif objection.purged_at is None:
            settling.forget_objection(objection, now)
    uploads = db.session.scalars(select(Upload).where(Upload.user_id == user.id)).all()
    files = []
    for upload in uploads:
        if url_of(upload) not in kept_evidence:
            files.append(upload.path)
            db.session.delete(upload)
    for table in other_user_tables():
        db.session.execute(delete(table).where(table.c.user_id == user.id))
    for grant in list(user.grants):
        user.grants.remove(grant)
    user.openid = user.unionid = user.username = user.password_hash = None
    user.display_name = user.avatar_url = user.phone = None
    user.phone_verified_at = user.last_login_at = None
    user.is_active = False
    user.deleted_at = now
    # What happened, not what the account held.
    audit.record(
        user,
        "account.delete",
        "user",
        user.id,
        None,
        {"bookings_cancelled": cancelled, "waitlist_promoted": promoted, "objections_kept_open": kept_open},
    )
    uow.after_commit(retention.remove_files, Path(current_app.config["UPLOAD_ROOT"]), files)
    uow.commit()
    return DeletionReport(now, cancelled, promoted, kept_open)


# ---- a copy of one's data ----------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return local_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _row(obj: Any, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every column of a mapped row (decrypted: it is the owner reading), but the service's secrets."""
    table = obj.__table__
    return {
        c.key: _plain(getattr(obj, c.key))
        for c in table.columns
        if c.key not in NOT_EXPORTED_COLUMNS and c.key not in exclude
    }


def export(user: User) -> dict[str, Any]:
    """Everything held about the caller, and nothing about anyone else: every query below is by
    the caller's own id."""
    me = db.session.get(User, user.id)
    uid = me.id
    bookings = []
    for booking in db.session.scalars(select(Booking).where(Booking.user_id == uid).order_by(Booking.id)):
        entry = _row(booking, exclude=("member_list", "checked_in_by_id", "user_id"))
        entry["members"] = booking.members
        entry["slot"] = {"starts_at": local_iso(booking.slot.starts_at), "ends_at": local_iso(booking.slot.ends_at)}
        entry["visitors"] = [_row(v, exclude=("booking_id", "base_id", "visit_date")) for v in booking.visitors]
        bookings.append(entry)
    objections = []
    for objection in db.session.scalars(select(Objection).where(Objection.user_id == uid).order_by(Objection.id)):
        entry = _row(objection, exclude=("user_id",))
        entry["zone_name"] = objection.zone.name
        entry["settled"] = objection.status in SETTLED
        entry["events"] = [
            {"from_status": e.from_status, "to_status": e.to_status, "reply": e.reply, "at": local_iso(e.at)}
            for e in objection.events
        ]
        objections.append(entry)
    profile = db.session.get(StudentProfile, uid)
    document: dict[str, Any] = {
        "generated_at": local_iso(utcnow()),
        "user": _row(me, exclude=("deleted_at",)) | {"roles": me.roles},
        "student_profile": _row(profile, exclude=("user_id",)) if profile else None,
        "bookings": bookings,
        "waitlist": [
            _row(w, exclude=("user_id", "request")) | {"request": json.loads(w.request)}
            for w in db.session.scalars(
                select(WaitlistEntry).where(WaitlistEntry.user_id == uid).order_by(WaitlistEntry.id)
            )
        ],
        "objections": objections,
        "campaign_participations": [
            _row(p, exclude=("user_id",))
            for p in db.session.scalars(
                select(Participation).where(Participation.user_id == uid).order_by(Participation.id)
            )
        ],
        "checkins": [
            _row(c, exclude=("user_id", "photo_sha256", "confirmed_by_id", "voided_by_id"))
            for c in db.session.scalars(
                select(ActionCheckin).where(ActionCheckin.user_id == uid).order_by(ActionCheckin.id)
            )
        ],
        "school_follows": [
            _row(f, exclude=("user_id",))
            for f in db.session.scalars(
                select(SchoolFollow).where(SchoolFollow.user_id == uid).order_by(SchoolFollow.id)
            )
        ],
        # Given as a guardian (the child by id only: what the guardian saw when consenting is public anyway).
        "guardian_consents": [
            _row(c, exclude=("guardian_id",))
            for c in db.session.scalars(
                select(GuardianConsent).where(GuardianConsent.guardian_id == uid).order_by(GuardianConsent.id)
            )
        ],
        # Reports the caller made of others' posts: the post by id, the reason they gave.
        "post_reports": [
            _row(r, exclude=("user_id",))
            for r in db.session.scalars(select(PostReport).where(PostReport.user_id == uid).order_by(PostReport.id))
        ],
        "uploads": [
            {"url": url_of(u), "mimetype": u.mimetype, "size": u.size, "created_at": local_iso(u.created_at)}
            for u in db.session.scalars(select(Upload).where(Upload.user_id == uid).order_by(Upload.id))
        ],
    }
    for table in [
        t for t in other_user_tables() if t.name not in NOT_EXPORTED_TABLES
    ]:  # zone follows, consents, …: whatever else holds the caller's rows
        rows = db.session.execute(select(table).where(table.c.user_id == uid)).mappings().all()
        document[table.name] = [
            {k: _plain(v) for k, v in row.items() if k not in NOT_EXPORTED_COLUMNS and k != "user_id"} for row in rows
        ]
    return document
