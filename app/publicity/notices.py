"""Publicity notices: drafting, publishing, reading them (public and staff), and how a notice and
its zones are shown (docs/domain.md: Publicity and objections)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select, true

from app import cache, uow
from app.accounts.models import User
from app.accounts.scope import zone_types_handled_by
from app.audit import services as audit
from app.db_types import utcnow
from app.errors import AppError, NotFound, ValidationFailed
from app.extensions import db
from app.publicity import calendar
from app.publicity.constants import (
    DEFAULT_OFFICE,
    DEFAULT_POLICY,
    NoticeState,
    ObjectionStatus,
)
from app.publicity.models import NoticeZone, Objection, PublicityNotice
from app.times import app_timezone, local_iso, local_today
from app.zones import lifecycle, registry, scope
from app.zones.constants import Status
from app.zones.models import Zone

log = logging.getLogger(__name__)


CACHE_NAMESPACE = "publicity"


def create_notice(data: dict[str, Any], actor: User) -> PublicityNotice:
    """A draft notice for zones of one batch that have passed site check; the window ends at
    `ends_at`, or after `working_days` China working days from the start day."""
    if "working_days" in data:
        data = dict(data)
        start_day = data["starts_at"].astimezone(app_timezone()).date()
        _, data["ends_at"] = calendar.window(start_day, data.pop("working_days"))
    batch_year = data["batch_year"]
    if data["ends_at"] <= data["starts_at"]:
        raise ValidationFailed(details={"ends_at": ["结束时间须晚于开始时间"]})
    stmt = select(Zone).where(Zone.batch_year == batch_year, Zone.status == Status.SITE_CHECK.value)
    if data.get("zone_ids"):
        stmt = stmt.where(Zone.id.in_(data["zone_ids"]))
    candidates = {z.id: z for z in db.session.scalars(stmt)}
    if data.get("zone_ids"):
        wrong = [i for i in data["zone_ids"] if i not in candidates]
        if wrong:
            raise ValidationFailed(
                details={"zone_ids": [f"以下项目不属于 {batch_year} 年批次或尚未通过现场核查：{wrong}"]}
            )
    if not candidates:
        raise ValidationFailed(details={"zone_ids": [f"{batch_year} 年批次没有已通过现场核查的项目"]})
    if _start_gone_by(data["starts_at"]):
        # It could never be published (publicity_start_passed): said now, on the field (before its
        # end, which a start long past has passed too).
        raise ValidationFailed(details={"starts_at": ["公示开始日期不能早于今天"]})
    if data["ends_at"] <= utcnow():  # it could never be published (publish_notice refuses it)
        raise ValidationFailed(details={"ends_at": ["公示结束时间已过，请重新选择公示期"]})
    busy = set(
        db.session.scalars(
            select(NoticeZone.zone_id)
            .join(PublicityNotice)
            .where(NoticeZone.zone_id.in_(candidates), NoticeZone.outcome.is_(None), holds_zones(utcnow()))
        )
    )
    if busy:
        names = "、".join(f"「{candidates[i].name}」" for i in sorted(busy))
        raise AppError(
            f"部分项目已在其他公示中：{names}",
            code="zone_in_other_notice",
            status=409,
            details={"zone_ids": sorted(busy)},
        )
    calendar.ensure_loaded(data["starts_at"], data["ends_at"])
    notice = PublicityNotice(
        title=data.get("title") or f"{batch_year} 年度长春市低碳排放示范区项目公示",
        batch_year=batch_year,
        starts_at=data["starts_at"],
        ends_at=data["ends_at"],
        office_name=data.get("office_name") or DEFAULT_OFFICE,
        office_phone=data.get("office_phone"),
        office_address=data.get("office_address"),
        policy=data.get("policy") or DEFAULT_POLICY,
        state=NoticeState.DRAFT,
        created_by_id=actor.id,
    )
    notice.entries = [NoticeZone(zone_id=zone_id) for zone_id in sorted(candidates)]
    db.session.add(notice)
    db.session.flush()
    audit.record(
        actor,
        "publicity.create",
        "publicity_notice",
        notice.id,
        None,
        {
            "batch_year": batch_year,
            "zone_ids": sorted(candidates),
            "starts_at": notice.starts_at,
            "ends_at": notice.ends_at,
        },
    )
    invalidate_cache()
    uow.commit()
    return notice


def holds_zones(now: datetime):
    """The notices that keep their zones from another notice: published ones (until settled, by
    their entries' outcome) and drafts that may still be published. A draft whose window has
    ended can never be published: it holds nothing (staff withdraw it with withdraw_draft)."""
    return (PublicityNotice.state == NoticeState.PUBLISHED) | (PublicityNotice.ends_at > now)


def withdraw_draft(notice_id: int, actor: User) -> None:
    """Use case: staff withdraw (delete) a draft notice, its zones free for another one; audited.
    A published notice is the public record: never withdrawn (409 `already_published`)."""
    notice = locked_notice(notice_id)
    if notice.state != NoticeState.DRAFT:
        raise AppError("公示已发布，不能撤回", code="already_published", status=409)
    before = {
        "state": notice.state,
        "title": notice.title,
        "batch_year": notice.batch_year,
        "zone_ids": [entry.zone_id for entry in notice.entries],
        "starts_at": notice.starts_at,
        "ends_at": notice.ends_at,
    }
    db.session.delete(notice)
    audit.record(actor, "publicity.withdraw", "publicity_notice", notice_id, before, None)
    invalidate_cache()
    uow.commit()


def publish_notice(notice_id: int, actor: User) -> PublicityNotice:
    """Publishing moves every listed zone to `publicity`, in one transaction."""
    notice = locked_notice(notice_id)
    if notice.state != NoticeState.DRAFT:
        raise AppError("公示已发布", code="already_published", status=409)
    if notice.ends_at <= utcnow():
        raise ValidationFailed(details={"ends_at": ["公示结束时间已过，不能发布"]})
    _refuse_a_start_gone_by(notice)
    calendar.ensure_loaded(notice.starts_at, notice.ends_at)
    for entry in notice.entries:
        lifecycle.apply_transition(entry.zone_id, Status.PUBLICITY.value, f"进入公示：{notice.title}", actor)
    notice.state = NoticeState.PUBLISHED
    notice.published_at = utcnow()
    audit.record(
        actor,
        "publicity.publish",
        "publicity_notice",
        notice.id,
        {"state": NoticeState.DRAFT},
        {"state": NoticeState.PUBLISHED},
    )
    invalidate_cache()
    uow.commit()
    return notice


def _start_gone_by(starts_at: datetime) -> date | None:
    """The window's first day (China time) when it is already over, else None."""
    first_day = starts_at.astimezone(app_timezone()).date()
    return first_day if first_day < local_today() else None


def _refuse_a_start_gone_by(notice: PublicityNotice) -> None:
    """The public is owed the whole window it is told of: a notice whose first day (China time) is
    already over is not published late with a shorter window. Published on its first day (the
    console's windows open at 00:00 of a day) it still is."""
    first_day = _start_gone_by(notice.starts_at)
    if first_day:
        raise AppError(
            f"公示开始日期（{first_day.month} 月 {first_day.day} 日）已过，发布后公众的异议期将不足所公示的期限；"
            "请撤回此草稿，重新设定公示期后再发布",
            code="publicity_start_passed",
            status=409,
            details={"starts_at": local_iso(notice.starts_at)},
        )


def locked_notice(notice_id: int) -> PublicityNotice:
    notice = db.session.scalar(
        select(PublicityNotice)
        .where(PublicityNotice.id == notice_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if notice is None:
        raise NotFound("公示不存在")
    return notice


def get_notice(notice_id: int, *, public: bool) -> PublicityNotice:
    notice = db.session.get(PublicityNotice, notice_id)
    if notice is None or (public and notice.state != NoticeState.PUBLISHED):
        raise NotFound("公示不存在")
    return notice


def staff_notice_scope(user: User):
    """The notices a staff member may see, as a condition on PublicityNotice: every published one
    (its zones are public), and a draft only where it lists a zone of the caller's scope (a draft
    names applications not yet public). Institute staff and admins: all."""
    if zone_types_handled_by(user) is None:
        return true()
    return (PublicityNotice.state == NoticeState.PUBLISHED) | PublicityNotice.entries.any(
        NoticeZone.zone.has(scope.staff_scope(user))
    )


def staff_notices_query(user: User, state: str | None, now: datetime | None = None):
    """The staff list of notices (the staff API and the console alike), within the caller's scope."""
    return notices_query(state, public=False, now=now).where(staff_notice_scope(user))


def staff_notice(user: User, notice_id: int) -> PublicityNotice:
    """A notice's staff page; one the caller may not see is not found, as one that does not exist."""
    notice = db.session.scalar(select(PublicityNotice).where(PublicityNotice.id == notice_id, staff_notice_scope(user)))
    if notice is None:
        raise NotFound("公示不存在")
    return notice


def notices_query(state: str | None, *, public: bool, now: datetime | None = None):
    now = now or utcnow()
    stmt = select(PublicityNotice).order_by(PublicityNotice.starts_at.desc(), PublicityNotice.id.desc())
    if public:
        stmt = stmt.where(PublicityNotice.state == NoticeState.PUBLISHED)
    if state == "open":  # objections are taken now (an upcoming notice is not open yet)
        stmt = stmt.where(
            PublicityNotice.state == NoticeState.PUBLISHED,
            PublicityNotice.starts_at <= now,
            PublicityNotice.ends_at > now,
        )
    elif state == "upcoming":
        stmt = stmt.where(PublicityNotice.state == NoticeState.PUBLISHED, PublicityNotice.starts_at > now)
    elif state == "closed":
        stmt = stmt.where(PublicityNotice.state == NoticeState.PUBLISHED, PublicityNotice.ends_at <= now)
    elif state == "draft":
        stmt = stmt.where(PublicityNotice.state == NoticeState.DRAFT)
    return stmt


def latest_notice_of(zone_id: int) -> dict[str, Any] | None:
    """The published notice a zone is, or last was, listed in, with the zone's outcome there."""
    row = db.session.execute(
        select(PublicityNotice, NoticeZone.outcome)
        .join(NoticeZone, NoticeZone.notice_id == PublicityNotice.id)
        .where(NoticeZone.zone_id == zone_id, PublicityNotice.state == NoticeState.PUBLISHED)
        .order_by(PublicityNotice.starts_at.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    notice, outcome = row
    return {
        "id": notice.id,
        "title": notice.title,
        "starts_at": notice.starts_at,
        "ends_at": notice.ends_at,
        "outcome": outcome,
    }


def window_state(notice: PublicityNotice, now: datetime | None = None) -> str:
    now = now or utcnow()
    if notice.state == NoticeState.DRAFT:
        return "draft"
    if now < notice.starts_at:
        return "upcoming"
    return "open" if now < notice.ends_at else "closed"


def zone_counts(notice_id: int) -> dict[int, dict[str, int]]:
    """Per zone: objections received and upheld (no personal data)."""
    rows = db.session.execute(
        select(
            Objection.zone_id,
            func.count(Objection.id),
            func.sum(case((Objection.status == ObjectionStatus.UPHELD.value, 1), else_=0)),
        )
        .where(Objection.notice_id == notice_id)
        .group_by(Objection.zone_id)
    )
    return {zone_id: {"objections": total, "upheld": int(upheld or 0)} for zone_id, total, upheld in rows}


def invalidate_cache() -> None:
    """Notices and zone pages are rebuilt once this change commits."""
    uow.after_commit(cache.invalidate, CACHE_NAMESPACE, registry.CACHE_NAMESPACE)


def notice_view(notice: PublicityNotice, now: datetime | None = None, viewer: User | None = None) -> dict[str, Any]:
    """A notice as the public reads it: after closing, per-zone counts (never personal data). For a
    staff `viewer`, only the zones they may know of (a draft's other applications are left out)."""
    state = window_state(notice, now)
    counts = zone_counts(notice.id) if state == "closed" else {}
    zone_views = []
    for entry in notice.entries:
        if viewer is not None and scope.hidden_from(viewer, entry.zone):
            continue
        tally = counts.get(entry.zone_id, {"objections": 0, "upheld": 0}) if state == "closed" else {}
        zone_views.append(
            _EntryView(entry.zone, entry.zone_id, entry.outcome, tally.get("objections"), tally.get("upheld"))
        )
    return {
        "id": notice.id,
        "title": notice.title,
        "batch_year": notice.batch_year,
        "starts_at": notice.starts_at,
        "ends_at": notice.ends_at,
        "window_state": state,
        "zone_count": len(zone_views),
        "office_name": notice.office_name,
        "office_phone": notice.office_phone,
        "office_address": notice.office_address,
        "policy": notice.policy,
        "how_to_object": HOW_TO_OBJECT,
        "closed_at": notice.closed_at,
        "zones": zone_views,
        "state": notice.state,
        "published_at": notice.published_at,
    }


HOW_TO_OBJECT = {
    "channel": "微信小程序“我要提异议”",
    "real_name_required": True,
    "required_fields": ["zone_id", "name", "phone", "reason"],
    "organisation_requires_contact_person": True,
    "max_evidence_images": 9,
    "replies_at": "小程序“我的异议”（凭受理回执编号查询），并以订阅消息通知",
}


@dataclass(frozen=True)
class _EntryView:
    zone: Zone
    zone_id: int
    outcome: str | None
    objections: int | None
    upheld: int | None
