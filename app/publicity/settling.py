"""Settling publicity windows (each zone's outcome once the window has closed and every objection is
decided), the scheduled close, and purging objectors' personal data after its retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from app import retention, uow
from app.accounts.models import User
from app.audit import services as audit
from app.db_types import utcnow
from app.errors import AppError
from app.extensions import db
from app.publicity.constants import (
    OPEN,
    NoticeState,
    ObjectionStatus,
)
from app.publicity.models import NoticeZone, Objection, PublicityNotice
from app.publicity.notices import invalidate_cache, locked_notice
from app.times import local_iso
from app.zones import lifecycle
from app.zones.constants import Status
from app.zones.models import Zone


@dataclass
class CloseReport:
    notice_id: int
    confirmed: list[int]
    rejected: list[int]
    waiting: list[int]


def close_notice(notice_id: int, actor: User | None, now: datetime | None = None) -> CloseReport:
    """Settle a notice whose window has ended. Idempotent, and safe when several processes run it at
    once: the notice row is locked, and each zone is settled at most once."""
    now = now or utcnow()
    notice = locked_notice(notice_id)
    if notice.state != NoticeState.PUBLISHED:
        raise AppError("公示尚未发布", code="not_published", status=409)
    if now < notice.ends_at:
        raise AppError(
            "公示期尚未结束", code="publicity_not_ended", status=409, details={"ends_at": local_iso(notice.ends_at)}
        )
    report = CloseReport(notice.id, [], [], [])
    for entry in notice.entries:
        if entry.outcome is not None:
            (report.confirmed if entry.outcome == "confirmed" else report.rejected).append(entry.zone_id)
            continue
        outcome = settle_entry(entry.id, actor, now)
        {"confirmed": report.confirmed, "rejected": report.rejected, None: report.waiting}[outcome].append(
            entry.zone_id
        )
    if notice.closed_at is None:
        notice.closed_at = now
        audit.record(
            actor,
            "publicity.close",
            "publicity_notice",
            notice.id,
            None,
            {"confirmed": report.confirmed, "rejected": report.rejected, "waiting": report.waiting},
        )
    invalidate_cache()
    uow.commit()
    return report


def settle_entry(entry_id: int, actor: User | None, now: datetime) -> str | None:
    """confirmed / rejected when the zone's objections allow it, else None (it waits)."""
    entry = db.session.scalar(
        select(NoticeZone).where(NoticeZone.id == entry_id).with_for_update().execution_options(populate_existing=True)
    )
    if entry.outcome is not None:
        return entry.outcome
    statuses = set(
        db.session.scalars(
            select(Objection.status).where(Objection.notice_id == entry.notice_id, Objection.zone_id == entry.zone_id)
        )
    )
    if ObjectionStatus.UPHELD.value in statuses:
        outcome, note = "rejected", "公示期间异议经核实成立"
    elif statuses & {s.value for s in OPEN}:
        return None
    else:
        outcome, note = "confirmed", _confirmed_note(statuses)
    # Settled first: the zone's publicity hold (lifecycle.publicity_hold) is this entry being open.
    entry.outcome = outcome
    entry.settled_at = now
    db.session.flush()
    zone = db.session.get(Zone, entry.zone_id)
    if zone.status == Status.PUBLICITY.value:
        # Recorded as the staff member whose step settled it (closing, the last decision); the
        # scheduled close has none: the system's.
        lifecycle.apply_transition(zone.id, outcome, note, actor, at=now)
    return outcome


def _confirmed_note(statuses: set[str]) -> str:
    """The public timeline's words for a confirmation: what the objections' rulings actually were
    (不予受理 is no finding on the facts, unlike 不成立)."""
    if not statuses:
        return "公示期满无异议"
    if statuses == {ObjectionStatus.NOT_ACCEPTED.value}:
        return "公示期满，异议不予受理"
    if statuses == {ObjectionStatus.NOT_UPHELD.value}:
        return "公示期满，异议经核实不成立"
    return "公示期满，异议不予受理或经核实不成立"


def close_due(now: datetime | None = None) -> list[CloseReport]:
    """Every published notice whose window has ended and that still has unsettled zones."""
    now = now or utcnow()
    due = db.session.scalars(
        select(PublicityNotice.id)
        .where(PublicityNotice.state == NoticeState.PUBLISHED, PublicityNotice.ends_at <= now)
        .where(PublicityNotice.entries.any(NoticeZone.outcome.is_(None)) | PublicityNotice.closed_at.is_(None))
        .order_by(PublicityNotice.id)
    ).all()
    return [close_notice(notice_id, None, now) for notice_id in due]


def purge_personal_data(retention_days: int, upload_root: Path, now: datetime | None = None) -> int:
    """Objections settled more than `retention_days` ago, and those of deleted accounts as soon as they
    are settled (kept until then: the programme owes them a decision), lose everything that may
    identify the objector: name, phone, organisation, contact person, ID number, the text of the
    reason and the evidence images (their files too, so they are no longer served). The rows (receipt
    number, zone, ruling), and so the public counts and the decisions, stay. In batches, each its own
    transaction (app.retention)."""
    now = now or utcnow()
    return retention.in_batches(
        lambda limit: due_objections(retention_days, now, limit), lambda oid: purge_objection(oid, now), upload_root
    )


def due_objections(retention_days: int, now: datetime, limit: int) -> list[int]:
    cutoff = now - timedelta(days=retention_days)
    gone = select(User.id).where(User.deleted_at.is_not(None))
    return list(
        db.session.scalars(
            select(Objection.id)
            .where(
                Objection.purged_at.is_(None),
                Objection.settled_at.is_not(None),
                (Objection.settled_at <= cutoff) | Objection.user_id.in_(gone),
            )
            .order_by(Objection.id)
            .limit(limit)
        )
    )


def purge_objection(objection_id: int, now: datetime) -> list[str] | None:
    """One objection's personal data, in the caller's transaction; returns its evidence URLs (None:
    already purged)."""
    objection = db.session.scalar(
        select(Objection)
        .where(Objection.id == objection_id)
        .with_for_update(of=Objection)
        .execution_options(populate_existing=True)
    )
    if objection is None or objection.purged_at is not None:
        return None
    return forget_objection(objection, now)


def forget_objection(objection: Objection, now: datetime) -> list[str]:
    evidence = list(objection.evidence_urls or [])
    objection.name = objection.phone = objection.organisation = None
    objection.contact_person = objection.id_number = objection.reason = None
    objection.evidence_urls = []
    objection.purged_at = now
    return evidence
