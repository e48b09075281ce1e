"""Checking in green actions and how they score. The school's side (a teacher confirming or voiding
check-ins, whole-class actions) is app.campaigns.school_checkins."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import lazyload, load_only
from sqlalchemy.orm.attributes import set_committed_value

from app import uow
from app.accounts.models import User
from app.campaigns import boards, catalogue
from app.campaigns.campaigns import ensure_may_take_part
from app.campaigns.lookups import get_campaign, today
from app.campaigns.models import (
    ActionCheckin,
    ActionFactor,
    Campaign,
    Evidence,
    Participation,
    StudentProfile,
)
from app.db_types import insert_unless_conflict, utcnow
from app.errors import AppError, Conflict, ValidationFailed, WeChatUnavailable
from app.extensions import db
from app.media.services import own_uploads, public_hosts, sha256_of
from app.policies import services as policies
from app.publicity.calendar import is_working_day, kind_on
from app.times import app_timezone, local_today
from app.validators import shows_a_personal_number, strip_invisible
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


def factor_in_force(code: str, day: date):
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
    .execution_options(populate_existing=True)
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


def action_day(campaign: Campaign, day: date | None) -> date:
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


def smallest_quantity(factor: ActionFactor) -> Decimal:
    """The least quantity a check-in can record: one of a counted unit, else 0.01 (two decimals kept)."""
    return Decimal(1) if factor.unit_kind == "count" else Decimal("0.01")


def plain(number: Decimal) -> str:
    """A quantity as people write it: 10, 2.5 (Decimal's normalize() alone gives 1E+1)."""
    return f"{number.normalize():f}"


def score(quantity: Decimal, factor: ActionFactor, evidence: Evidence) -> tuple[Decimal, Decimal]:
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
        action_day(get_campaign(campaign_id, with_school=False), data.get("day"))
        raise Conflict("请先参加活动", code="not_joined")
    campaign, factor, consent_missing = found.Campaign, found.ActionFactor, found.consent_missing
    if consent_missing:
        policies.refuse_without_consent()
    # The day the read was bound to (its factor and calendar): not a second today() across midnight.
    day = action_day(campaign, asked_day)
    ensure_may_take_part(user, campaign)  # e.g. a student who has since moved school
    if data["action"] not in campaign.actions:
        raise ValidationFailed(details={"action": ["本活动不含这项行动"]})
    if factor is None:
        raise ValidationFailed(details={"day": [NO_FACTOR_YET]})
    quantity: Decimal = data["quantity"]
    if quantity <= 0:
        # The schema kept two decimals: 0.003 arrives as 0, and "greater than 0" would puzzle whoever typed it.
        raise ValidationFailed(details={"quantity": [f"数量至少为 {plain(smallest_quantity(factor))}"]})
    if factor.unit_kind == "count" and quantity != quantity.to_integral_value():
        raise ValidationFailed(details={"quantity": [f"“{factor.unit_label}”须为整数"]})
    if quantity > factor.daily_cap:
        raise ValidationFailed(details={"quantity": [f"每天最多 {plain(factor.daily_cap)} {factor.unit_label}"]})
    if factor.commuting and not is_working_day(day, {day: found.calendar_kind}):
        raise ValidationFailed(details={"day": ["上学出行只在上学日计入"]})

    needs_review = False
    photo = None
    if data.get("photo_url"):
        hosts = public_hosts(request_host)
        (photo,), checked = own_uploads(user.id, [data["photo_url"]], hosts, field="photo_url", single=True)
        needs_review = not checked
    # A note of nothing visible is no note: stored as none, so the check-in is no post.
    note = strip_invisible(data.get("note") or "") or None
    if note and shows_a_personal_number(note):  # the school's students read it (同学分享)
        raise ValidationFailed(details={"note": ["打卡备注会被本校同学看到，不能含电话号码、证件号等个人信息"]})
    if note:
        try:
            verdict = wechat.check_text(note, user.openid or "", scene=4) if user.openid else ContentCheck.UNCHECKED
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
        co2, points = score(quantity, factor, evidence)
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
            "note": note,
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
            said = "今天" if day == local_today() else f"{day.month} 月 {day.day} 日"
            raise Conflict(
                f"这项行动{said}已经打过卡了",
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
