"""Checking in green actions and how they score; the school confirming or voiding check-ins and
recording whole-class actions."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload, load_only
from sqlalchemy.orm.attributes import set_committed_value

from app import uow
from app.accounts.models import User
from app.audit import services as audit
from app.campaigns import boards, catalogue
from app.campaigns.campaigns import ensure_may_take_part
from app.campaigns.lookups import ensure_school_admin, get_campaign, today
from app.campaigns.models import (
    ActionCheckin,
    ActionFactor,
    Campaign,
    ClassAction,
    Evidence,
    Participation,
    StudentProfile,
)
from app.db_types import insert_unless_conflict, utcnow
from app.errors import AppError, Conflict, NotFound, ValidationFailed, WeChatUnavailable
from app.extensions import db
from app.media.services import own_uploads, public_hosts, sha256_of
from app.policies import services as policies
from app.publicity.calendar import is_working_day, kind_on
from app.times import app_timezone, local_today
from app.wechat import services as wechat
from app.wechat.services import ContentCheck

# A self-reported unit scores 1×; a photo or a teacher's confirmation is stronger evidence. A photo
# counts only on the day itself (a back-filled day scores as self-reported) and only once per campaign.
EVIDENCE_WEIGHT = {Evidence.SELF: Decimal("1"), Evidence.PHOTO: Decimal("1.5"), Evidence.TEACHER: Decimal("2")}


BACKFILL_DAYS = 7  # a student may fill in the last 7 days, not older


# One trip budget per school day: a commuting action's daily_cap is the longest round trip to school
# (there and back) by that mode, and the commuting actions of a day together count at most one round
# trip, as the sum of quantity ÷ daily_cap over the modes (2 km walked of 10 leaves 32 km of metro of
# 40). A student goes to school and back once a day, so every mode at its cap on one day is no commute.
COMMUTE_ROUND_TRIPS_PER_DAY = Decimal(1)


# A day before the catalogue's first version of the action has no factor: 422, never a 500.
NO_FACTOR_YET = "这一天这项行动尚无可用的排放因子，请选择其他日期"


def _factor_in_force(code: str, day: date):
    """The factor a check-in on `day` is scored with (NO_FACTOR_YET when there is none)."""
    factor = catalogue.factor_on(code, day)
    if factor is None:
        raise ValidationFailed(details={"day": [NO_FACTOR_YET]})
    return factor


# Built once (bound: campaign_id, user_id, action, day, today): what a check-in reads before it writes,
# the calendar's word on the day included.
_FACTOR_IN_FORCE = (
    catalogue.factor_in_force_query(bindparam("action"), bindparam("day"))
    .with_only_columns(ActionFactor.id)
    .scalar_subquery()
)
_LOOK = (
    select(
        Campaign,
        Participation.id,
        StudentProfile,
        ActionFactor,
        policies.consent_missing(bindparam("user_id"), policies.PRIVACY, bindparam("today")).label("consent_missing"),
        kind_on(bindparam("day")).label("calendar_kind"),  # whether the day is a school day
    )
    .join(Participation, and_(Participation.campaign_id == Campaign.id, Participation.user_id == bindparam("user_id")))
    .outerjoin(StudentProfile, StudentProfile.user_id == Participation.user_id)
    .outerjoin(ActionFactor, ActionFactor.id == _FACTOR_IN_FORCE)
    .where(Campaign.id == bindparam("campaign_id"))
    # Only the columns a check-in reads (the driver builds an object per column returned); the others
    # load on first use, should anything in the request want them.
    .options(
        lazyload(Campaign.school),
        load_only(Campaign.school_id, Campaign.starts_on, Campaign.ends_on, Campaign.audience, Campaign.actions),
        load_only(StudentProfile.school_id, StudentProfile.confirmed_at),
    )
    .with_for_update(of=Participation)
)


# The check-in's INSERT … ON CONFLICT DO NOTHING RETURNING id on the table (Core, not the ORM's bulk
# insert: that path was nearly half of a check-in's statement time), built once per kind of database; its
# values are the parameters, keyed by column, so its cache key is the same every time. Only the id
# comes back: the driver builds an object per column returned, and the rest is what was sent.
_INSERT_CHECKIN: dict[str, Any] = {}


def _insert_checkin():
    dialect = db.engine.dialect.name
    statement = _INSERT_CHECKIN.get(dialect)
    if statement is None:
        table = ActionCheckin.__table__
        statement = _INSERT_CHECKIN[dialect] = insert_unless_conflict(table).returning(table.c.id)
    return statement


def _action_day(campaign: Campaign, day: date | None) -> date:
    """The day an action is recorded for: today, or one of the last 7 days, within the campaign."""
    day = day or today()
    now_day = today()
    if day > now_day:
        raise ValidationFailed(details={"day": ["不能为将来的日期打卡"]})
    if (now_day - day).days > BACKFILL_DAYS:
        raise ValidationFailed(details={"day": [f"只能补记最近 {BACKFILL_DAYS} 天"]})
    if day < campaign.starts_on:
        raise AppError(
            f"活动 {campaign.starts_on.isoformat()} 开始",
            code="campaign_not_started",
            status=422,
            details={"starts_on": campaign.starts_on.isoformat()},
        )
    if day > campaign.ends_on:
        raise AppError(
            f"活动已于 {campaign.ends_on.isoformat()} 结束",
            code="campaign_ended",
            status=422,
            details={"ends_on": campaign.ends_on.isoformat()},
        )
    return day


def plain(number: Decimal) -> str:
    """A quantity as people write it: 10, 2.5 (Decimal's normalize() alone gives 1E+1)."""
    return f"{number.normalize():f}"


def _score(quantity: Decimal, factor: ActionFactor, evidence: Evidence) -> tuple[Decimal, Decimal]:
    """CO2 avoided (kg) and points: the factor in force that day; stronger evidence scores more."""
    co2 = (quantity * factor.kg_co2e_per_unit).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    points = (quantity * factor.points_per_unit * EVIDENCE_WEIGHT[evidence]).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return co2, points


# Built once: the day's commuting check-ins of a student (quantity and the cap of its factor).
_COMMUTES_OF_DAY = (
    select(ActionCheckin.quantity, ActionFactor.daily_cap)
    .join(ActionFactor, ActionFactor.id == ActionCheckin.factor_id)
    .where(
        ActionCheckin.campaign_id == bindparam("campaign_id"),
        ActionCheckin.user_id == bindparam("user_id"),
        ActionCheckin.day == bindparam("day"),
        ActionFactor.commuting,
    )
)


def _commute_left(campaign_id: int, user_id: int, day: date, factor: ActionFactor) -> Decimal:
    """How much of this commuting action the day's trip budget still takes, in its unit. Voided
    check-ins still use it: voiding takes points away, it does not reopen a day for other claims."""
    # Columns, not entities: on the session's connection, past the ORM's statement handling.
    rows = (
        db.session.connection()
        .execute(_COMMUTES_OF_DAY, {"campaign_id": campaign_id, "user_id": user_id, "day": day})
        .all()
    )
    used = sum((quantity / cap for quantity, cap in rows if cap), Decimal(0))
    left = ((COMMUTE_ROUND_TRIPS_PER_DAY - used) * factor.daily_cap).quantize(Decimal("0.000001"), ROUND_HALF_UP)
    step = Decimal(1) if factor.unit_kind == "count" else Decimal("0.01")
    return max(left.quantize(step, ROUND_DOWN), Decimal(0))


def _photo_counted(campaign_id: int, sha256: str) -> bool:
    """Whether this picture (by content hash) already earned the photo weight in the campaign."""
    return (
        db.session.scalar(
            select(ActionCheckin.id)
            .where(ActionCheckin.campaign_id == campaign_id, ActionCheckin.photo_sha256 == sha256)
            .limit(1)
        )
        is not None
    )


def check_in(user: User, campaign_id: int, data: dict[str, Any], request_host: str | None = None) -> ActionCheckin:
    """Use case: a green action done on a day (today, or one of the last 7 days within the campaign),
    once per action and day, within the action's daily cap and, for commuting, the day's trip budget;
    CO2 and points from the factor in force that day. A photo weighs only on the day itself and once
    per campaign. Notes and photos pass WeChat's checks before they are kept; a photo is one's own
    upload, its URL as the upload answered it (absolute on `request_host` or a public host). Not
    before the current privacy policy is accepted (428)."""
    asked_day = data.get("day") or today()
    # The campaign, the student's participation (locked to the commit: one student's check-ins in a
    # campaign queue here, so a burst cannot overrun the trip budget), their profile, the action's
    # factor in force that day, whether the privacy policy still needs accepting and whether the day is
    # a working day (holidays and make-up days): one statement.
    found = db.session.execute(
        _LOOK,
        {
            "campaign_id": campaign_id,
            "user_id": user.id,
            "action": data["action"],
            "day": asked_day,
            "today": local_today(),
        },
    ).first()  # kept: the identity map holds the profile only while something refers to it
    if found is None:
        # No such campaign, or not joined: the checks one by one, in their order, say which.
        policies.ensure_consented(user)
        _action_day(get_campaign(campaign_id, with_school=False), data.get("day"))
        raise Conflict("请先参加活动", code="not_joined")
    campaign, factor, consent_missing = found.Campaign, found.ActionFactor, found.consent_missing
    if consent_missing:
        policies.refuse_without_consent()
    # The day the read was bound to (its factor and calendar): not a second today() across midnight.
    day = _action_day(campaign, asked_day)
    ensure_may_take_part(user, campaign)  # e.g. a student who has since moved school
    if data["action"] not in campaign.actions:
        raise ValidationFailed(details={"action": ["本活动不含这项行动"]})
    if factor is None:
        raise ValidationFailed(details={"day": [NO_FACTOR_YET]})
    quantity: Decimal = data["quantity"]
    if quantity <= 0:
        raise ValidationFailed(details={"quantity": ["数量须大于 0"]})
    if factor.unit_kind == "count" and quantity != quantity.to_integral_value():
        raise ValidationFailed(details={"quantity": [f"“{factor.unit_label}”须为整数"]})
    if quantity > factor.daily_cap:
        raise ValidationFailed(details={"quantity": [f"每天最多 {plain(factor.daily_cap)} {factor.unit_label}"]})
    if factor.commuting and not is_working_day(day, {day: found.calendar_kind}):
        raise ValidationFailed(details={"day": ["上学出行只在上学日计入"]})

    needs_review = False
    photo = None
    if data.get("photo_url"):
        (photo,), checked = own_uploads(user.id, [data["photo_url"]], public_hosts(request_host))
        needs_review = not checked
    if data.get("note"):
        try:
            verdict = (
                wechat.check_text(data["note"], user.openid or "", scene=4) if user.openid else ContentCheck.UNCHECKED
            )
        except WeChatUnavailable:
            verdict = ContentCheck.UNCHECKED
        if verdict == ContentCheck.RISKY:
            raise AppError("内容未通过微信内容安全检测，请修改后再提交", code="content_risky", status=422)
        needs_review = needs_review or verdict != ContentCheck.PASS

    if factor.commuting:
        left = _commute_left(campaign_id, user.id, day, factor)
        if quantity > left:
            raise AppError(
                f"上学出行每天合计最多按 {plain(COMMUTE_ROUND_TRIPS_PER_DAY)} 次往返计分：{day.isoformat()} "
                f"还能记“{factor.name}”{plain(left)} {factor.unit_label}",
                code="commute_budget_exceeded",
                status=422,
                details={"day": day.isoformat(), "action": factor.code, "remaining": float(left)},
            )
    evidence, photo_sha256 = Evidence.SELF, None
    if photo is not None and day == today():
        digest = sha256_of(photo)
        if digest is not None and not _photo_counted(campaign_id, digest):
            evidence, photo_sha256 = Evidence.PHOTO, digest

    while True:
        co2, points = _score(quantity, factor, evidence)
        # One INSERT … ON CONFLICT DO NOTHING RETURNING: no row back means a unique rule said no (the
        # action already checked in that day, or the picture's weight taken), without the savepoint
        # and its two round trips that catching the IntegrityError needed.
        now = utcnow()
        values = {
            "campaign_id": campaign_id,
            "user_id": user.id,
            "action": data["action"],
            "day": day,
            "quantity": quantity,
            "factor_id": factor.id,
            "co2_kg": co2,
            "points": points,
            "evidence": evidence,
            "note": data.get("note"),
            "photo_url": photo,
            "photo_sha256": photo_sha256,
            "needs_review": needs_review,
            "created_at": now,
            "scored_at": now,
        }
        checkin_id = db.session.execute(_insert_checkin(), values).scalar()
        if checkin_id is not None:
            # The answer: the row as written, outside the session (nothing more is written to it).
            checkin = ActionCheckin(id=checkin_id, **values)
            set_committed_value(checkin, "factor", factor)
            break
        if photo_sha256 is None or not _photo_counted(campaign_id, photo_sha256):
            raise Conflict(
                "这项行动今天已经打过卡了",
                code="already_checked_in",
                details={"action": data["action"], "day": day.isoformat()},
            )
        # Another student's check-in earned this picture's weight a moment ago: this one is self-reported.
        evidence, photo_sha256 = Evidence.SELF, None
    uow.after_commit(boards.refresh_students, campaign_id, (user.id,))
    uow.commit(expire=False)  # the answer is the row just written: no reload after the commit
    return checkin


def evidence_note(checkin: ActionCheckin) -> str | None:
    """Why a check-in that carries a photo scored as self-reported (the student is told)."""
    if checkin.photo_url is None or checkin.evidence != Evidence.SELF:
        return None
    if checkin.day < checkin.created_at.astimezone(app_timezone()).date():
        return "补记的打卡按自报计分，照片不加分"
    return "这张照片已在本活动加过一次分，本次按自报计分"


def _checkin_of_school(checkin_id: int, actor: User) -> ActionCheckin:
    return school_checkin(checkin_id, actor, lock=True)


def school_checkin(checkin_id: int, actor: User, *, lock: bool = False) -> ActionCheckin:
    """A check-in of a school the actor runs (404 if there is none, 403 for another school's)."""
    stmt = select(ActionCheckin).where(ActionCheckin.id == checkin_id)
    checkin = db.session.scalar(stmt.with_for_update(of=ActionCheckin) if lock else stmt)
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
        checkin.co2_kg, checkin.points = _score(checkin.quantity, checkin.factor, Evidence.TEACHER)
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
    day = _action_day(campaign, data.get("day"))
    if data["action"] not in campaign.actions:
        raise ValidationFailed(details={"action": ["本活动不含这项行动"]})
    factor = _factor_in_force(data["action"], day)
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
    co2, points = _score(quantity, factor, Evidence.TEACHER)
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
        note=data.get("note"),
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
