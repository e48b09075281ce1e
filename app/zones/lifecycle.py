"""A zone's lifecycle: status transitions (held while its publicity is unsettled), re-reviews, and
the education-base designation."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from app import uow
from app.accounts.models import User
from app.accounts.roles import Role
from app.audit import services as audit
from app.db_types import utcnow
from app.errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.times import app_timezone, local_iso, local_today, period_words
from app.visits.calendar import slots_changed
from app.visits.cancelling import close_base, reopen_base
from app.zones.constants import (
    NOTE_REQUIRED,
    NOTICE_STEPS,
    STATUS_LABELS,
    TRANSITIONS,
    Status,
)
from app.zones.follows import tell_followers
from app.zones.models import ReReview, Zone, ZoneTransition
from app.zones.registry import ZONE_NOT_FOUND, invalidate_cache
from app.zones.scope import ensure_may_act_on


class InvalidTransition(Conflict):
    code = "invalid_transition"
    message = "不允许的状态变更"


class PublicityNotSettled(Conflict):
    """A zone under publicity leaves it only when its notice is closed (docs/domain.md: Publicity and objections)."""

    code = "publicity_window_open"


def locked_zone(zone_id: int) -> Zone:
    """The zone with its row locked until commit, so two officers cannot both move it."""
    zone = db.session.scalar(
        select(Zone).where(Zone.id == zone_id).with_for_update().execution_options(populate_existing=True)
    )
    if zone is None:  # the same words as for a zone outside the caller's scope (scope.ensure_may_act_on)
        raise NotFound(ZONE_NOT_FOUND)
    return zone


class NoticeStep(Conflict):
    """Into publicity and on to confirmed: the publicity notice's steps (publishing, closing), not a hand's."""

    code = "publicity_by_notice"


def transition(zone_id: int, to: str, note: str | None, actor: User | None) -> Zone:
    """Use case: a staff member moves a zone one step along its lifecycle (not the notice's steps:
    a zone the public never had a window to object to is never confirmed). Without an actor, the
    system's step (the demo data, the benchmarks' and the tests' set-up)."""
    zone = apply_transition(zone_id, to, note, actor, by_hand=actor is not None)
    uow.commit()
    return zone


def apply_transition(
    zone_id: int, to: str, note: str | None, actor: User | None, *, at: datetime | None = None, by_hand: bool = False
) -> Zone:
    """Step (no commit): move a zone one step along the lifecycle (docs/domain.md), recording who,
    when and why. Also used by publicity (publishing, settling) inside its own unit of work; `by_hand`
    (a staff member's transition) refuses the notice's own steps (NOTICE_STEPS)."""
    zone = locked_zone(zone_id)
    if actor is not None:
        ensure_may_act_on(actor, zone)
    current = Status(zone.status)
    target = Status(to)
    allowed = TRANSITIONS[current]
    if target not in allowed:
        raise InvalidTransition(
            f"不能从「{STATUS_LABELS[current]}」变更为「{STATUS_LABELS[target]}」",
            details={
                "from": current.value,
                "to": target.value,
                "allowed": [s.value for s in allowed],
                **({"hint": "撤销称号须通过复核（re-review）"} if target is Status.REVOKED else {}),
            },
        )
    if target in NOTE_REQUIRED and not (note and note.strip()):
        raise ValidationFailed(details={"note": ["变更为此状态须填写理由"]})
    if current is Status.PUBLICITY and (hold := publicity_hold(zone.id, at or utcnow())) is not None:
        raise hold
    if by_hand and (current, target) in NOTICE_STEPS:
        raise NoticeStep(
            "项目须列入公示并发布后才进入公示（公示管理中新建公示并发布），不能手动变更"
            if target is Status.PUBLICITY
            else "公示结果在公示期满、办结公示时由系统确定，不能手动确认",
            details={"from": current.value, "to": target.value},
        )
    # The plan: the responsible departments grant the title.
    if target is Status.TITLED and actor is not None and not actor.has_role(Role.DEPARTMENT_OFFICER, Role.ADMIN):
        raise Forbidden("称号由主管部门授予", code="department_only")
    _move(zone, target, note, actor, at or utcnow())
    return zone


def publicity_hold(zone_id: int, now: datetime) -> PublicityNotSettled | None:
    """Why a zone in publicity may not leave it yet, or None. Settling is the job of closing the
    window (app.publicity.settling.close_notice), which marks the entry settled before it moves the
    zone: so while a published notice lists the zone unsettled, or its objections are still open,
    no one moves it by hand."""
    from app.publicity.constants import OPEN, NoticeState
    from app.publicity.models import NoticeZone, Objection, PublicityNotice

    notice = db.session.scalar(
        select(PublicityNotice)
        .join(NoticeZone, NoticeZone.notice_id == PublicityNotice.id)
        .where(NoticeZone.zone_id == zone_id, NoticeZone.outcome.is_(None))
        .where(PublicityNotice.state == NoticeState.PUBLISHED)
        .order_by(PublicityNotice.ends_at.desc())
        .limit(1)
    )
    window = None
    if notice is not None:
        window = {
            "notice_id": notice.id,
            "starts_at": local_iso(notice.starts_at),
            "ends_at": local_iso(notice.ends_at),
        }
        if now < notice.ends_at:
            return PublicityNotSettled(
                f"公示期尚未结束（公示期为 {period_words(notice.starts_at, notice.ends_at)}），"
                "公示期满后由系统根据异议处理结果确定",
                details=window,
            )
    pending = db.session.scalar(
        select(func.count(Objection.id)).where(
            Objection.zone_id == zone_id, Objection.status.in_([s.value for s in OPEN])
        )
    )
    if pending:
        return PublicityNotSettled(
            f"该项目尚有 {pending} 条异议未办结，办结后由系统确定公示结果",
            code="objections_pending",
            details={"pending_objections": pending, **(window or {})},
        )
    if notice is not None:
        return PublicityNotSettled(
            "公示期已满，待办结公示时统一确定结果（公示页面“办结公示”）",
            code="publicity_not_settled",
            details=window,
        )
    return None


def _move(zone: Zone, target: Status, note: str | None, actor: User | None, at: datetime) -> None:
    before = audit.snapshot(zone, ("status", "is_education_base"))
    entry = ZoneTransition(
        zone_id=zone.id,
        from_status=zone.status,
        to_status=target.value,
        note=(note or "").strip() or None,
        actor_id=actor.id if actor else None,
        occurred_at=at,
    )
    db.session.add(entry)
    zone.status = target.value
    zone.status_changed_at = at
    zone.updated_at = at
    if target is Status.PUBLICITY and zone.published_at is None:
        zone.published_at = at
    if target in (Status.REVOKED, Status.REJECTED) and zone.is_education_base:
        zone.is_education_base = False  # a base must be a titled zone
        close_base(zone.id)  # its visits cancelled, visitors told; its cached slot pages emptied
    audit.record(
        actor,
        "zone.transition",
        "zone",
        zone.id,
        before,
        {**audit.snapshot(zone, ("status", "is_education_base")), "note": entry.note},
    )
    if target in (Status.TITLED, Status.REVOKED):
        tell_followers(zone, target.value)  # queued with the transition, sent after it commits
    invalidate_cache()


def record_re_review(zone_id: int, reviewed_on: date, outcome: str, note: str | None, actor: User | None) -> ReReview:
    """Use case: a dated re-review of a titled zone."""
    review = add_re_review(zone_id, reviewed_on, outcome, note, actor)
    uow.commit()
    return review


def add_re_review(zone_id: int, reviewed_on: date, outcome: str, note: str | None, actor: User | None) -> ReReview:
    """Step (no commit): a dated re-review; a failed one revokes the title (timeline entry too)."""
    zone = locked_zone(zone_id)
    if actor is not None:
        ensure_may_act_on(actor, zone)
    if zone.status != Status.TITLED.value:
        raise InvalidTransition(
            "只有已授予称号的示范区可以复核",
            code="not_titled",
            details={"status": zone.status},
        )
    if reviewed_on > local_today():  # China's today, not UTC's (08:00 earlier)
        raise ValidationFailed(details={"reviewed_on": ["复核日期不能晚于今天"]})
    if actor is not None:  # a staff member's record; the system's set-up (demo data, tests) dates its own
        _check_review_order(zone, reviewed_on)
    if outcome == "failed" and not (note and note.strip()):
        raise ValidationFailed(details={"note": ["复核不通过须填写理由"]})
    review = ReReview(
        zone_id=zone.id,
        reviewed_on=reviewed_on,
        outcome=outcome,
        note=(note or "").strip() or None,
        actor_id=actor.id if actor else None,
    )
    db.session.add(review)
    db.session.flush()
    audit.record(
        actor,
        "zone.re_review",
        "zone",
        zone.id,
        None,
        {"re_review_id": review.id, "reviewed_on": reviewed_on, "outcome": outcome, "note": review.note},
    )
    if outcome == "failed":
        _move(zone, Status.REVOKED, f"复核未通过：{review.note}", actor, utcnow())
    invalidate_cache()
    return review


def _check_review_order(zone: Zone, reviewed_on: date) -> None:
    """A re-review is of a title already granted: not dated before the day (China time) the zone was
    titled, nor before the re-review recorded last."""
    titled_at = db.session.scalar(
        select(func.max(ZoneTransition.occurred_at)).where(
            ZoneTransition.zone_id == zone.id, ZoneTransition.to_status == Status.TITLED.value
        )
    )
    if titled_at is not None:
        titled_on = titled_at.astimezone(app_timezone()).date()
        if reviewed_on < titled_on:
            raise ValidationFailed(
                details={"reviewed_on": [f"复核日期不能早于授予称号的日期（{titled_on.isoformat()}）"]}
            )
    last = db.session.scalar(select(func.max(ReReview.reviewed_on)).where(ReReview.zone_id == zone.id))
    if last is not None and reviewed_on < last:
        raise ValidationFailed(details={"reviewed_on": [f"复核日期不能早于上一次复核的日期（{last.isoformat()}）"]})


def set_education_base(zone_id: int, designated: bool, actor: User) -> Zone:
    zone = locked_zone(zone_id)
    ensure_may_act_on(actor, zone)
    if designated and zone.status != Status.TITLED.value:
        raise AppError(
            "只有已授予称号的示范区可以设为宣传教育基地", code="not_titled", status=409, details={"status": zone.status}
        )
    before = audit.snapshot(zone, ("is_education_base",))
    zone.is_education_base = designated
    zone.updated_at = utcnow()
    audit.record(actor, "zone.education_base", "zone", zone.id, before, {"is_education_base": designated})
    if designated and not before["is_education_base"]:
        tell_followers(zone, "education_base")  # opened to visitors: once, not on a repeated PUT
    invalidate_cache()
    if before["is_education_base"] and not designated:
        close_base(zone.id)  # its visits cancelled, visitors told
    elif designated and not before["is_education_base"]:
        reopen_base(zone.id)  # the slots close_base closed are offered again
    slots_changed(zone.id)  # its cached slot pages said bookable (or not) by the designation
    uow.commit()
    return zone
