"""Publicity notices, objections and settling (docs/domain.md: Publicity and objections)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import case, func, select

from app import cache, idempotency, uow
from app.accounts.models import User
from app.accounts.roles import Role
from app.accounts.services import zone_types_handled_by
from app.audit import services as audit
from app.db_types import utcnow
from app.errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed, WeChatUnavailable
from app.extensions import db
from app.outbox import services as outbox
from app.privacy import mask_id_number, mask_name, mask_phone
from app.publicity import calendar
from app.publicity.constants import (
    DECISIONS,
    DEFAULT_OFFICE,
    DEFAULT_POLICY,
    OBJECTION_LABELS,
    OPEN,
    SETTLED,
    NoticeState,
    ObjectionStatus,
)
from app.publicity.models import NoticeZone, Objection, ObjectionEvent, PublicityNotice
from app.times import app_timezone, local_iso, period_words
from app.validators import IdType
from app.wechat import services as wechat
from app.wechat.services import ContentCheck
from app.zones import services as zones
from app.zones.constants import Status
from app.zones.models import Zone

log = logging.getLogger(__name__)
CACHE_NAMESPACE = "publicity"


# ---- errors -------------------------------------------------------------------------------


class PublicityWindowError(AppError):
    status = 422


class ContentRisky(AppError):
    status = 422
    code = "content_risky"
    message = "内容未通过微信内容安全检测，请修改后重新提交"


class InvalidDecision(Conflict):
    code = "invalid_decision"
    message = "不允许的处理状态变更"


# ---- notices ------------------------------------------------------------------------------


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
    busy = set(
        db.session.scalars(
            select(NoticeZone.zone_id)
            .join(PublicityNotice)
            .where(NoticeZone.zone_id.in_(candidates), NoticeZone.outcome.is_(None))
        )
    )
    if busy:
        raise AppError(
            "部分项目已在其他公示中", code="zone_in_other_notice", status=409, details={"zone_ids": sorted(busy)}
        )
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
    audit.record(actor, "publicity.create", "publicity_notice", notice.id, None,
                 {"batch_year": batch_year, "zone_ids": sorted(candidates), "starts_at": notice.starts_at,
                  "ends_at": notice.ends_at})  # fmt: skip
    _changed()
    uow.commit()
    return notice


def publish_notice(notice_id: int, actor: User) -> PublicityNotice:
    """Publishing moves every listed zone to `publicity`, in one transaction."""
    notice = _locked_notice(notice_id)
    if notice.state != NoticeState.DRAFT:
        raise AppError("公示已发布", code="already_published", status=409)
    if notice.ends_at <= utcnow():
        raise ValidationFailed(details={"ends_at": ["公示结束时间已过，不能发布"]})
    for entry in notice.entries:
        zones.apply_transition(entry.zone_id, Status.PUBLICITY.value, f"进入公示：{notice.title}", actor)
    notice.state = NoticeState.PUBLISHED
    notice.published_at = utcnow()
    audit.record(actor, "publicity.publish", "publicity_notice", notice.id, {"state": NoticeState.DRAFT}, {"state": NoticeState.PUBLISHED})
    _changed()
    uow.commit()
    return notice


def _locked_notice(notice_id: int) -> PublicityNotice:
    notice = db.session.scalar(select(PublicityNotice).where(PublicityNotice.id == notice_id).with_for_update())
    if notice is None:
        raise NotFound("公示不存在")
    return notice


def get_notice(notice_id: int, *, public: bool) -> PublicityNotice:
    notice = db.session.get(PublicityNotice, notice_id)
    if notice is None or (public and notice.state != NoticeState.PUBLISHED):
        raise NotFound("公示不存在")
    return notice


def notices_query(state: str | None, *, public: bool, now: datetime | None = None):
    now = now or utcnow()
    stmt = select(PublicityNotice).order_by(PublicityNotice.starts_at.desc(), PublicityNotice.id.desc())
    if public:
        stmt = stmt.where(PublicityNotice.state == NoticeState.PUBLISHED)
    if state == "open":
        stmt = stmt.where(PublicityNotice.state == NoticeState.PUBLISHED, PublicityNotice.ends_at > now)
    elif state == "closed":
        stmt = stmt.where(PublicityNotice.state == NoticeState.PUBLISHED, PublicityNotice.ends_at <= now)
    elif state == "draft":
        stmt = stmt.where(PublicityNotice.state == NoticeState.DRAFT)
    return stmt


def latest_notice_of(zone_id: int) -> dict[str, Any] | None:
    """The published notice a zone is, or last was, listed in, with the zone's outcome there."""
    row = db.session.execute(
        select(PublicityNotice, NoticeZone.outcome).join(NoticeZone, NoticeZone.notice_id == PublicityNotice.id)
        .where(NoticeZone.zone_id == zone_id, PublicityNotice.state == NoticeState.PUBLISHED)
        .order_by(PublicityNotice.starts_at.desc()).limit(1)
    ).first()  # fmt: skip
    if row is None:
        return None
    notice, outcome = row
    return {"id": notice.id, "title": notice.title, "starts_at": notice.starts_at, "ends_at": notice.ends_at,
            "outcome": outcome}  # fmt: skip


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


# ---- objections ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectionLimits:
    per_notice: int
    public_hosts: set[str]
    timezone: str

    @classmethod
    def from_config(cls, config, request_host: str | None) -> ObjectionLimits:
        from app.media.services import public_hosts

        return cls(config["OBJECTIONS_PER_NOTICE"], public_hosts(request_host), config["APP_TIMEZONE"])


def submit_objection(user: User, notice_id: int, data: dict[str, Any], idempotency_key: str | None,
                     present: Callable[[Objection], Any], request_host: str | None = None) -> idempotency.Outcome:  # fmt: skip
    """Use case: raise an objection, once per Idempotency-Key when one is given (a retry gets the
    first answer, `present(objection)`). One commit: the objection and its stored answer."""
    limits = ObjectionLimits.from_config(current_app.config, request_host)

    def work():
        objection = raise_objection(user, notice_id, data, limits)
        return 201, present(objection)

    if idempotency_key:
        return idempotency.run_once(user.id, f"objection:{notice_id}", idempotency_key, data, work)
    status, answer = work()
    uow.commit()
    return idempotency.Outcome(status, answer, replayed=False)


def raise_objection(user: User, notice_id: int, data: dict[str, Any], limits: ObjectionLimits) -> Objection:
    """Step (no commit): checks the window, the zone, the limit and the content, then stores the
    objection with its receipt number."""
    from app.media.services import own_uploads

    notice = get_notice(notice_id, public=True)
    now = utcnow()
    window = {"starts_at": local_iso(notice.starts_at, limits.timezone), "ends_at": local_iso(notice.ends_at, limits.timezone)}
    # People read the window in words; clients get its ISO stamps in details.
    period = period_words(notice.starts_at, notice.ends_at, limits.timezone)
    if now < notice.starts_at:
        raise PublicityWindowError(
            f"公示尚未开始，公示期为 {period}，请在公示期内提出异议",
            code="publicity_not_started", details=window,
        )  # fmt: skip
    if now >= notice.ends_at:
        raise PublicityWindowError(
            f"公示期已结束（公示期为 {period}），不再受理异议",
            code="publicity_closed", details=window,
        )  # fmt: skip
    if data["zone_id"] not in {e.zone_id for e in notice.entries}:
        raise ValidationFailed(details={"zone_id": ["该项目不在本次公示名单中"]})
    if data.get("organisation") and not data.get("contact_person"):
        raise ValidationFailed(details={"contact_person": ["单位提出异议须填写联系人"]})
    evidence, images_checked = own_uploads(user.id, data.get("evidence_urls") or [], limits.public_hosts)
    already = db.session.scalar(
        select(func.count(Objection.id)).where(Objection.user_id == user.id, Objection.notice_id == notice.id)
    )
    if already >= limits.per_notice:
        raise AppError(
            f"每人对同一公示最多提出 {limits.per_notice} 条异议",
            code="objection_limit_reached", status=409, details={"limit": limits.per_notice},
        )  # fmt: skip

    text = "\n".join(filter(None, [data["reason"], data.get("organisation"), data.get("contact_person")]))
    try:
        suggest = wechat.check_text(text, user.openid or "", scene=2) if user.openid else ContentCheck.UNCHECKED
    except WeChatUnavailable:
        # Never lose an objection because WeChat is down: keep it, and flag it for staff.
        suggest = ContentCheck.UNCHECKED
    if suggest == ContentCheck.RISKY:
        raise ContentRisky()

    objection = Objection(
        user_id=user.id,
        notice_id=notice.id,
        zone_id=data["zone_id"],
        name=data["name"],
        phone=data["phone"],
        organisation=data.get("organisation"),
        contact_person=data.get("contact_person"),
        id_type=(data.get("id_type") or IdType.RESIDENT_ID.value) if data.get("id_number") else None,
        id_number=data.get("id_number") or None,
        reason=data["reason"],
        evidence_urls=evidence,
        status=ObjectionStatus.RECEIVED.value,
        content_check=suggest,
        needs_review=suggest != ContentCheck.PASS or not images_checked,
        created_at=now,
        updated_at=now,
    )
    db.session.add(objection)
    db.session.flush()
    # Unique and human-readable: the year and the row id (no second counter to keep in step).
    objection.receipt_no = f"YY{now.astimezone(ZoneInfo(limits.timezone)).year}-{objection.id:06d}"
    objection.events.append(
        ObjectionEvent(
            from_status=None, to_status=ObjectionStatus.RECEIVED.value, reply="异议已收到，将依法依规处理。", at=now
        )
    )
    return objection


def my_objections_query(user: User):
    return select(Objection).where(Objection.user_id == user.id).order_by(Objection.id.desc())


def my_objection(user: User, receipt_no: str) -> Objection:
    objection = db.session.scalar(
        select(Objection).where(Objection.receipt_no == receipt_no, Objection.user_id == user.id)
    )
    if objection is None:
        raise NotFound("未找到该异议")
    return objection


# ---- staff handling -----------------------------------------------------------------------


def ensure_may_handle(user: User, zone_type: str) -> None:
    zones.ensure_may_handle(user, zone_type)


def may_reveal(user: User, zone_type: str) -> bool:
    """Personal data is for the officers handling the zone's type (and admins)."""
    if user.has_role(Role.ADMIN):
        return True
    types = zone_types_handled_by(user)
    return (
        any(g.role == Role.DEPARTMENT_OFFICER.value for g in user.grants) and types is not None and zone_type in types
    )


def staff_objections_query(user: User, notice_id=None, zone_id=None, status=None, needs_review=None):
    """Objections on the zones the caller may see (zones.staff_scope), newest first. A `zone_id` outside
    that scope is refused as one that does not exist."""
    stmt = select(Objection).join(Zone, Zone.id == Objection.zone_id).where(zones.staff_scope(user))
    stmt = stmt.order_by(Objection.id.desc())
    if notice_id is not None:
        stmt = stmt.where(Objection.notice_id == notice_id)
    if zone_id is not None:
        if db.session.scalar(select(Zone.id).where(Zone.id == zone_id, zones.staff_scope(user))) is None:
            raise ValidationFailed(details={"zone_id": ["项目不存在"]})
        stmt = stmt.where(Objection.zone_id == zone_id)
    if status:
        stmt = stmt.where(Objection.status == status)
    if needs_review is not None:
        stmt = stmt.where(Objection.needs_review.is_(needs_review))
    return stmt


def personal_view(objection: Objection, reveal: bool) -> dict[str, Any]:
    if reveal:
        return {
            "name": objection.name,
            "phone": objection.phone,
            "organisation": objection.organisation,
            "contact_person": objection.contact_person,
            "id_number": objection.id_number,
        }
    return {
        "name": mask_name(objection.name),
        "phone": mask_phone(objection.phone),
        "organisation": objection.organisation,
        "contact_person": mask_name(objection.contact_person),
        "id_number": mask_id_number(objection.id_number),
    }


def reveal(user: User, objections: list[Objection], reason: str | None = None) -> None:
    """Check the right to see personal data and audit that it was seen (and why, when given)."""
    for objection in objections:
        if not may_reveal(user, objection.zone.type):
            raise Forbidden(
                "仅负责该类型项目的主管部门可查看异议人个人信息",
                code="reveal_forbidden",
                details={"objection_id": objection.id},
            )
    for objection in objections:
        audit.record(user, "objection.reveal", "objection", objection.id, None,
                     {"receipt_no": objection.receipt_no, **({"reason": reason} if reason else {})})  # fmt: skip
    uow.commit()


def get_objection(objection_id: int, user: User) -> Objection:
    """An objection's staff page; on a zone outside the caller's scope it is not found, as if it did
    not exist."""
    objection = db.session.scalar(
        select(Objection).join(Zone, Zone.id == Objection.zone_id)
        .where(Objection.id == objection_id, zones.staff_scope(user))
    )  # fmt: skip
    if objection is None:
        raise NotFound("异议不存在")
    return objection


def decide(objection_id: int, status: str, reply: str, actor: User) -> Objection:
    """Record a decision with its written reply; tell the objector; settle the zone if its window has
    ended and this was its last open objection."""
    objection = db.session.scalar(select(Objection).where(Objection.id == objection_id).with_for_update())
    if objection is None:
        raise NotFound("异议不存在")
    ensure_may_handle(actor, objection.zone.type)
    current, target = ObjectionStatus(objection.status), ObjectionStatus(status)
    if target not in DECISIONS[current]:
        raise InvalidDecision(
            f"不能从「{OBJECTION_LABELS[current]}」变更为「{OBJECTION_LABELS[target]}」",
            details={"from": current.value, "to": target.value, "allowed": [s.value for s in DECISIONS[current]]},
        )
    now = utcnow()
    event = ObjectionEvent(from_status=current.value, to_status=target.value, reply=reply, actor_id=actor.id, at=now)
    objection.events.append(event)
    objection.status = target.value
    objection.updated_at = now
    if target in SETTLED:
        objection.settled_at = now
    audit.record(actor, "objection.decision", "objection", objection.id, {"status": current.value},
                 {"status": target.value, "reply": reply})  # fmt: skip
    db.session.flush()
    entry = db.session.scalar(
        select(NoticeZone).where(NoticeZone.notice_id == objection.notice_id, NoticeZone.zone_id == objection.zone_id)
    )
    if target in SETTLED and entry is not None and entry.notice.ends_at <= now:
        _settle_entry(entry.id, actor, now)
    _notify(objection, event, current_app.config["WECHAT_TEMPLATE_OBJECTION_RESULT"])
    _changed()
    uow.commit()
    return objection


def _notify(objection: Objection, event: ObjectionEvent, template_id: str | None) -> None:
    """The decision's message, queued in the decision's transaction (app.outbox): a WeChat that is
    down delays it, never loses it, never undoes the decision. Its delivery shows on the event."""
    message = outbox.queue(
        "objection.result", objection.user_id, template_id,
        {
            "character_string1": {"value": objection.receipt_no},
            "phrase2": {"value": OBJECTION_LABELS[ObjectionStatus(objection.status)]},
            "thing3": {"value": (event.reply or "")[:20]},
        },
        page=f"pages/objections/detail?receipt_no={objection.receipt_no}", ref=("objection_event", event.id),
    )  # fmt: skip
    event.notify_status = "queued" if message is not None else "skipped"


# ---- settling -----------------------------------------------------------------------------


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
    notice = _locked_notice(notice_id)
    if notice.state != NoticeState.PUBLISHED:
        raise AppError("公示尚未发布", code="not_published", status=409)
    if now < notice.ends_at:
        raise AppError("公示期尚未结束", code="publicity_not_ended", status=409,
                       details={"ends_at": local_iso(notice.ends_at)})  # fmt: skip
    report = CloseReport(notice.id, [], [], [])
    for entry in notice.entries:
        if entry.outcome is not None:
            (report.confirmed if entry.outcome == "confirmed" else report.rejected).append(entry.zone_id)
            continue
        outcome = _settle_entry(entry.id, actor, now)
        {"confirmed": report.confirmed, "rejected": report.rejected, None: report.waiting}[outcome].append(
            entry.zone_id
        )
    if notice.closed_at is None:
        notice.closed_at = now
        audit.record(actor, "publicity.close", "publicity_notice", notice.id, None,
                     {"confirmed": report.confirmed, "rejected": report.rejected, "waiting": report.waiting})  # fmt: skip
    _changed()
    uow.commit()
    return report


def _settle_entry(entry_id: int, actor: User | None, now: datetime) -> str | None:
    """confirmed / rejected when the zone's objections allow it, else None (it waits)."""
    entry = db.session.scalar(select(NoticeZone).where(NoticeZone.id == entry_id).with_for_update())
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
        outcome = "confirmed"
        note = "公示期满无异议" if not statuses else "公示期满，异议经核实不成立"
    # Settled first: the zone's publicity hold (zones.publicity_hold) is this entry being open.
    entry.outcome = outcome
    entry.settled_at = now
    db.session.flush()
    zone = db.session.get(Zone, entry.zone_id)
    if zone.status == Status.PUBLICITY.value:
        zones.apply_transition(zone.id, outcome, note, None, at=now)
    return outcome


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
    """Objections settled more than `retention_days` ago lose everything that may identify the
    objector: name, phone, organisation, contact person, ID number, the text of the reason and the
    evidence images (their files too, so they are no longer served). The rows, and so the public
    counts and the decisions, stay."""
    from app.media.services import delete_uploads

    now = now or utcnow()
    cutoff = now - timedelta(days=retention_days)
    due = db.session.scalars(
        select(Objection).where(Objection.settled_at <= cutoff, Objection.purged_at.is_(None)).with_for_update()
    ).all()
    evidence: list[str] = []
    for objection in due:
        evidence += objection.evidence_urls or []
        objection.name = objection.phone = objection.organisation = None
        objection.contact_person = objection.id_number = objection.reason = None
        objection.evidence_urls = []
        objection.purged_at = now
    files = delete_uploads(evidence)
    uow.after_commit(_remove_files, upload_root, files)  # only once the rows no longer point at them
    uow.commit()
    return len(due)


def _remove_files(root: Path, relative_paths: list[str]) -> None:
    from app.media.services import resolve

    for relative in relative_paths:
        target = resolve(root, relative)
        if target is not None:
            target.unlink(missing_ok=True)


def _changed() -> None:
    """Notices and zone pages are rebuilt once this change commits."""
    uow.after_commit(cache.invalidate, CACHE_NAMESPACE, zones.CACHE_NAMESPACE)


# ---- views --------------------------------------------------------------------------------


def notice_view(notice: PublicityNotice, now: datetime | None = None) -> dict[str, Any]:
    """A notice as the public reads it: after closing, per-zone counts (never personal data)."""
    state = window_state(notice, now)
    counts = zone_counts(notice.id) if state == "closed" else {}
    zone_views = []
    for entry in notice.entries:
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
