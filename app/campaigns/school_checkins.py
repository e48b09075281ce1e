"""The school's side of check-ins: a teacher (the school's admin) confirming or voiding students'
check-ins, recording an action the whole class did, and listing a campaign's check-ins to do so.
How an action scores is app.campaigns.checkins'."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import uow
from app.accounts.models import User
from app.audit import services as audit
from app.campaigns import boards
from app.campaigns.checkins import action_day, factor_in_force, score
from app.campaigns.lookups import ensure_school_admin, get_campaign
from app.campaigns.models import ActionCheckin, ClassAction, Evidence, Participation, StudentProfile
from app.db_types import utcnow
from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db


def _checkin_of_school(checkin_id: int, actor: User) -> ActionCheckin:
    return school_checkin(checkin_id, actor, lock=True)


def school_checkin(checkin_id: int, actor: User, *, lock: bool = False) -> ActionCheckin:
    """A check-in of a school the actor runs (404 if there is none, 403 for another school's)."""
    stmt = select(ActionCheckin).where(ActionCheckin.id == checkin_id)
    checkin = db.session.scalar(
        stmt.with_for_update(of=ActionCheckin).execution_options(populate_existing=True) if lock else stmt
    )
    if checkin is None:
        raise NotFound("打卡记录不存在")
    ensure_school_admin(actor, get_campaign(checkin.campaign_id).school_id)
    return checkin


def confirm_checkin(checkin_id: int, actor: User) -> ActionCheckin:
    """Use case: a teacher (the school's admin) confirms a student's check-in: the strongest evidence,
    it scores twice a self-reported one. Confirming again changes nothing; a voided one is refused."""
    checkin = _checkin_of_school(checkin_id, actor)
    if not checkin.counts:
        raise Conflict("这条打卡已作废，不能确认", code="checkin_voided")
    if checkin.evidence != Evidence.TEACHER:
        before = {"evidence": checkin.evidence, "points": str(checkin.points)}
        checkin.co2_kg, checkin.points = score(checkin.quantity, checkin.factor, Evidence.TEACHER)
        checkin.evidence, checkin.confirmed_by_id, checkin.scored_at = Evidence.TEACHER, actor.id, utcnow()
        audit.record(
            actor,
            "checkin.confirm",
            "campaign_checkin",
            checkin.id,
            before,
            {"evidence": checkin.evidence, "points": str(checkin.points)},
        )
        uow.after_commit(boards.refresh_students, checkin.campaign_id, (checkin.user_id,))
    uow.commit()
    return checkin


def _void(checkins: list[ActionCheckin], reason: str, actor: User) -> list[ActionCheckin]:
    """Step: mark the check-ins not yet voided as voided (kept, never deleted); returns those. The
    boards are rebuilt after the commit: a live board only adds, it cannot take points away."""
    now = utcnow()
    fresh = [c for c in checkins if c.counts]
    for checkin in fresh:
        checkin.voided_at, checkin.voided_reason, checkin.voided_by_id, checkin.scored_at = now, reason, actor.id, now
    for campaign_id in sorted({c.campaign_id for c in fresh}):
        uow.after_commit(boards.rebuild, campaign_id)
    return fresh


def void_checkin(checkin_id: int, reason: str, actor: User) -> ActionCheckin:
    """Use case: the school voids one check-in (a false or inflated claim): it keeps its row, says
    why, and counts nowhere. Voiding again changes nothing (the first reason stays)."""
    checkin = _checkin_of_school(checkin_id, actor)
    if _void([checkin], reason, actor):
        audit.record(
            actor,
            "checkin.void",
            "campaign_checkin",
            checkin.id,
            {"points": str(checkin.points), "co2_kg": str(checkin.co2_kg)},
            {"reason": reason},
        )
    uow.commit()
    return checkin


def void_student_checkins(campaign_id: int, user_id: int, reason: str, actor: User) -> int:
    """Use case: the school voids every check-in a student made in a campaign (e.g. a back-filled
    burst). Returns how many were voided now; again, nothing more is voided."""
    campaign = get_campaign(campaign_id)
    ensure_school_admin(actor, campaign.school_id)
    if (
        db.session.scalar(
            select(Participation.id).where(Participation.campaign_id == campaign_id, Participation.user_id == user_id)
        )
        is None
    ):
        raise NotFound("该学生没有参加本活动")
    checkins = list(
        db.session.scalars(
            select(ActionCheckin)
            .where(ActionCheckin.campaign_id == campaign_id, ActionCheckin.user_id == user_id, ActionCheckin.counts)
            .order_by(ActionCheckin.id)
            .with_for_update(of=ActionCheckin)
            .execution_options(populate_existing=True)
        )
    )
    voided = _void(checkins, reason, actor)
    if voided:
        audit.record(
            actor,
            "checkins.void",
            "campaign",
            campaign_id,
            None,
            {
                "user_id": user_id,
                "checkin_ids": [c.id for c in voided],
                "reason": reason,
                "points": str(sum((c.points for c in voided), Decimal(0))),
            },
        )
    uow.commit()
    return len(voided)


MAX_CLASS_KW, MAX_CLASS_HOURS = Decimal("100"), Decimal("24")


def record_class_action(campaign_id: int, data: dict[str, Any], actor: User) -> ClassAction:
    """Use case: a teacher confirms an action the whole class did, credited to the class ("lights off
    for an hour": kW × hours × the electricity factor in force that day), once per action and day."""
    campaign = get_campaign(campaign_id)
    ensure_school_admin(actor, campaign.school_id)
    day = action_day(campaign, data.get("day"))
    if data["action"] not in campaign.actions:
        raise ValidationFailed(details={"action": ["本活动不含这项行动"]})
    factor = factor_in_force(data["action"], day)
    if factor.unit != "kWh":
        raise ValidationFailed(
            details={"action": ["班级行动按“千瓦 × 小时”计算，只适用于以千瓦时计的行动（如随手关灯）"]}
        )
    class_name = data["class_name"].strip()
    enrolled = db.session.scalar(
        select(func.count())
        .select_from(StudentProfile)
        .where(
            StudentProfile.school_id == campaign.school_id,
            StudentProfile.class_name == class_name,
            StudentProfile.confirmed_at.is_not(None),
        )
    )
    if not enrolled:
        raise ValidationFailed(details={"class_name": ["本校这个班级还没有已确认的学生"]})
    kw, hours = data["kw"], data["hours"]
    if not Decimal(0) < kw <= MAX_CLASS_KW:
        raise ValidationFailed(details={"kw": [f"功率须大于 0、不超过 {MAX_CLASS_KW} 千瓦"]})
    if not Decimal(0) < hours <= MAX_CLASS_HOURS:
        raise ValidationFailed(details={"hours": [f"时长须大于 0、不超过 {MAX_CLASS_HOURS} 小时"]})
    quantity = (kw * hours).quantize(Decimal("0.001"), ROUND_HALF_UP)
    co2, points = score(quantity, factor, Evidence.TEACHER)
    action = ClassAction(
        campaign_id=campaign_id,
        school_id=campaign.school_id,
        class_name=class_name,
        action=data["action"],
        day=day,
        kw=kw,
        hours=hours,
        quantity=quantity,
        factor_id=factor.id,
        co2_kg=co2,
        points=points,
        note=data.get("note") or None,  # trimmed by the schema: nothing visible is no note
        confirmed_by_id=actor.id,
    )
    db.session.add(action)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(
            "这个班级这一天已经记录过这项行动",
            code="already_checked_in",
            details={"action": data["action"], "day": day.isoformat(), "class_name": class_name},
        ) from None
    audit.record(
        actor,
        "class_action.create",
        "campaign_class_action",
        action.id,
        None,
        {
            "class_name": class_name,
            "action": action.action,
            "day": day.isoformat(),
            "kwh": str(quantity),
            "co2_kg": str(co2),
            "points": str(points),
        },
    )
    uow.after_commit(boards.rebuild, campaign_id)  # a class total, not a student's: the board is rebuilt
    uow.commit()
    return action


def checkins_query(
    campaign_id: int,
    actor: User,
    *,
    class_name: str | None = None,
    day: date | None = None,
    evidence: str | None = None,
    voided: bool | None = None,
):
    """A campaign's check-ins for its teachers (to confirm or void), voided ones included, newest first."""
    ensure_school_admin(actor, get_campaign(campaign_id).school_id)
    stmt = select(ActionCheckin).where(ActionCheckin.campaign_id == campaign_id)
    if class_name is not None:
        stmt = stmt.join(StudentProfile, StudentProfile.user_id == ActionCheckin.user_id).where(
            StudentProfile.class_name == class_name
        )
    if day is not None:
        stmt = stmt.where(ActionCheckin.day == day)
    if evidence is not None:
        stmt = stmt.where(ActionCheckin.evidence == evidence)
    if voided is not None:
        stmt = stmt.where(~ActionCheckin.counts if voided else ActionCheckin.counts)
    return stmt.order_by(ActionCheckin.day.desc(), ActionCheckin.id.desc())


def class_actions_query(campaign_id: int):
    return (
        select(ClassAction)
        .where(ClassAction.campaign_id == campaign_id)
        .order_by(ClassAction.day.desc(), ClassAction.id.desc())
    )
