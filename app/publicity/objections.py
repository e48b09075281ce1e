"""Objections: a citizen raising one within the window, their own list, and staff handling them
(who may, revealing personal data with a reason, deciding and telling the objector)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from app import idempotency, uow
from app.accounts.models import User
from app.accounts.roles import Role
from app.accounts.scope import zone_types_handled_by
from app.audit import services as audit
from app.db_types import utcnow
from app.errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed, WeChatUnavailable
from app.extensions import db
from app.media.services import own_uploads, public_hosts
from app.outbox import services as outbox
from app.policies import services as policies
from app.privacy import mask_id_number, mask_name, mask_phone
from app.publicity.constants import (
    DECISIONS,
    OBJECTION_LABELS,
    SETTLED,
    ObjectionStatus,
)
from app.publicity.models import NoticeZone, Objection, ObjectionEvent
from app.publicity.notices import get_notice, invalidate_cache
from app.publicity.settling import settle_entry
from app.times import local_iso, period_words
from app.validators import ID_TYPE_LABELS, IdType
from app.wechat import services as wechat
from app.wechat.services import ContentCheck
from app.zones import scope
from app.zones.models import Zone

OBJECTION_NOT_FOUND = "异议不存在"


class PublicityWindowError(AppError):
    status = 422


class ContentRisky(AppError):
    status = 422
    code = "content_risky"
    message = "内容未通过微信内容安全检测，请修改后重新提交"


class InvalidDecision(Conflict):
    code = "invalid_decision"
    message = "不允许的处理状态变更"


@dataclass(frozen=True)
class ObjectionLimits:
    per_notice: int
    public_hosts: set[str]
    timezone: str

    @classmethod
    def from_config(cls, config, request_host: str | None) -> ObjectionLimits:
        return cls(config["OBJECTIONS_PER_NOTICE"], public_hosts(request_host), config["APP_TIMEZONE"])


def submit_objection(
    user: User,
    notice_id: int,
    data: dict[str, Any],
    idempotency_key: str | None,
    present: Callable[[Objection], Any],
    request_host: str | None = None,
) -> idempotency.Outcome:
    """Use case: raise an objection, once per Idempotency-Key when one is given (a retry gets the
    first answer, `present(objection)`). One commit: the objection and its stored answer. Not before
    the current privacy policy is accepted (428)."""
    policies.ensure_consented(user)
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
    notice = get_notice(notice_id, public=True)
    now = utcnow()
    window = {
        "starts_at": local_iso(notice.starts_at, limits.timezone),
        "ends_at": local_iso(notice.ends_at, limits.timezone),
    }
    # People read the window in words; clients get its ISO stamps in details.
    period = period_words(notice.starts_at, notice.ends_at, limits.timezone)
    if now < notice.starts_at:
        raise PublicityWindowError(
            f"公示尚未开始，公示期为 {period}，请在公示期内提出异议",
            code="publicity_not_started",
            details=window,
        )
    if now >= notice.ends_at:
        raise PublicityWindowError(
            f"公示期已结束（公示期为 {period}），不再受理异议",
            code="publicity_closed",
            details=window,
        )
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
            code="objection_limit_reached",
            status=409,
            details={"limit": limits.per_notice},
        )

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


def may_reveal(user: User, zone_type: str) -> bool:
    """Personal data is for the officers handling the zone's type (and admins)."""
    if user.has_role(Role.ADMIN):
        return True
    types = zone_types_handled_by(user)
    return (
        any(g.role == Role.DEPARTMENT_OFFICER.value for g in user.grants) and types is not None and zone_type in types
    )


def staff_objections_query(user: User, notice_id=None, zone_id=None, status=None, needs_review=None):
    """Objections on the zones the caller may see (scope.staff_scope), newest first. A `zone_id` outside
    that scope is refused as one that does not exist."""
    stmt = select(Objection).join(Zone, Zone.id == Objection.zone_id).where(scope.staff_scope(user))
    stmt = stmt.order_by(Objection.id.desc())
    if notice_id is not None:
        stmt = stmt.where(Objection.notice_id == notice_id)
    if zone_id is not None:
        if db.session.scalar(select(Zone.id).where(Zone.id == zone_id, scope.staff_scope(user))) is None:
            raise ValidationFailed(details={"zone_id": ["项目不存在"]})
        stmt = stmt.where(Objection.zone_id == zone_id)
    if status:
        stmt = stmt.where(Objection.status == status)
    if needs_review is not None:
        stmt = stmt.where(Objection.needs_review.is_(needs_review))
    return stmt


def personal_view(objection: Objection, reveal: bool) -> dict[str, Any]:
    """The objector as staff read them, masked unless revealed. The document's type is no secret and
    shows either way: an officer must know an H12345678 is a Hong Kong permit, not a mistyped ID."""
    document = {
        "id_type": objection.id_type if objection.id_number else None,
        "id_type_label": ID_TYPE_LABELS.get(objection.id_type) if objection.id_number else None,
    }
    if reveal:
        return {
            "name": objection.name,
            "phone": objection.phone,
            "organisation": objection.organisation,
            "contact_person": objection.contact_person,
            "id_number": objection.id_number,
            **document,
        }
    return {
        "name": mask_name(objection.name),
        "phone": mask_phone(objection.phone),
        "organisation": objection.organisation,
        "contact_person": mask_name(objection.contact_person),
        "id_number": mask_id_number(objection.id_number),
        **document,
    }


NO_REASON = "未说明理由"


def reveal(user: User, objections: list[Objection], reason: str | None = None) -> None:
    """Use case: check the right to see personal data and audit that it was seen, and why: the reason
    given, or NO_REASON said explicitly (the staff API's `?reveal=1` may come without one)."""
    reason = (reason or "").strip() or NO_REASON
    for objection in objections:
        if not may_reveal(user, objection.zone.type):
            raise Forbidden(
                "仅负责该类型项目的主管部门可查看异议人个人信息",
                code="reveal_forbidden",
                details={"objection_id": objection.id},
            )
    for objection in objections:
        audit.record(
            user,
            "objection.reveal",
            "objection",
            objection.id,
            None,
            {"receipt_no": objection.receipt_no, "reason": reason},
        )
    uow.commit()


def get_objection(objection_id: int, user: User) -> Objection:
    """An objection's staff page; on a zone outside the caller's scope it is not found, as if it did
    not exist."""
    objection = db.session.scalar(
        select(Objection)
        .join(Zone, Zone.id == Objection.zone_id)
        .where(Objection.id == objection_id, scope.staff_scope(user))
    )
    if objection is None:
        raise NotFound(OBJECTION_NOT_FOUND)
    return objection


def decide(objection_id: int, status: str, reply: str, actor: User) -> Objection:
    """Record a decision with its written reply; tell the objector; settle the zone if its window has
    ended and this was its last open objection."""
    # Outside the caller's scope (scope.staff_scope: what their list and an objection's page show) it
    # is not found, as an id that does not exist, whether or not its zone is public.
    objection = db.session.scalar(
        select(Objection)
        .join(Zone, Zone.id == Objection.zone_id)
        .where(Objection.id == objection_id, scope.staff_scope(actor))
        .with_for_update(of=Objection)
        .execution_options(populate_existing=True)
    )
    if objection is None:
        raise NotFound(OBJECTION_NOT_FOUND)
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
    audit.record(
        actor,
        "objection.decision",
        "objection",
        objection.id,
        {"status": current.value},
        {"status": target.value, "reply": reply},
    )
    db.session.flush()
    entry = db.session.scalar(
        select(NoticeZone).where(NoticeZone.notice_id == objection.notice_id, NoticeZone.zone_id == objection.zone_id)
    )
    if target in SETTLED and entry is not None and entry.notice.ends_at <= now:
        settle_entry(entry.id, actor, now)
    _notify(objection, event, current_app.config["WECHAT_TEMPLATE_OBJECTION_RESULT"])
    invalidate_cache()
    uow.commit()
    return objection


def _notify(objection: Objection, event: ObjectionEvent, template_id: str | None) -> None:
    """The decision's message, queued in the decision's transaction (app.outbox): a WeChat that is
    down delays it, never loses it, never undoes the decision. Its delivery shows on the event."""
    message = outbox.queue(
        "objection.result",
        objection.user_id,
        template_id,
        {
            "character_string1": {"value": objection.receipt_no},
            "phrase2": {"value": OBJECTION_LABELS[ObjectionStatus(objection.status)]},
            "thing3": {"value": (event.reply or "")[:20]},
        },
        page=f"pages/objections/detail?receipt_no={objection.receipt_no}",
        ref=("objection_event", event.id),
    )
    event.notify_status = "queued" if message is not None else "skipped"
