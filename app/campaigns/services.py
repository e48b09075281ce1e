"""School campaigns: students and their schools, follows, campaigns, joining and checking in green
actions, the student's own page, and the feed. Boards are in app.campaigns.boards."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from app import uow
from app.accounts.models import User
from app.accounts.services import schools_read_by, schools_run_by
from app.audit import services as audit
from app.campaigns import catalogue
from app.campaigns.models import (
    ActionCheckin,
    ActionFactor,
    AgeBand,
    Audience,
    Campaign,
    ClassAction,
    Evidence,
    Participation,
    SchoolClass,
    SchoolFollow,
    StudentProfile,
)
from app.db_types import utcnow
from app.errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed, WeChatUnavailable
from app.extensions import db
from app.publicity.calendar import is_working
from app.times import local_today
from app.wechat import services as wechat
from app.wechat.services import ContentCheck
from app.zones.constants import ZoneType
from app.zones.models import Zone

# A self-reported unit scores 1×; a photo or a teacher's confirmation is stronger evidence. A photo
# counts only on the day itself (a back-filled day scores as self-reported) and only once per campaign.
EVIDENCE_WEIGHT = {Evidence.SELF: Decimal("1"), Evidence.PHOTO: Decimal("1.5"), Evidence.TEACHER: Decimal("2")}
BACKFILL_DAYS = 7  # a student may fill in the last 7 days, not older
# One trip budget per school day: a commuting action's daily_cap is the longest round trip to school
# (there and back) by that mode, and the commuting actions of a day together count at most one round
# trip, as the sum of quantity ÷ daily_cap over the modes (2 km walked of 10 leaves 32 km of metro of
# 40). A student goes to school and back once a day, so every mode at its cap on one day is no commute.
COMMUTE_ROUND_TRIPS_PER_DAY = Decimal(1)


today = local_today

def _boards():
    from app.campaigns import boards  # boards read campaigns through this module

    return boards


# ---- schools and follows ------------------------------------------------------------------------


def get_school(school_id: int) -> Zone:
    """A public zone of type school, or 422 naming the field (following a park is a client error)."""
    zone = db.session.get(Zone, school_id)
    if zone is None or not zone.is_public:
        raise NotFound("学校不存在")
    if zone.type != ZoneType.SCHOOL.value:
        raise ValidationFailed("该示范区不是学校", details={"school_id": ["须为学校类示范区"]})
    return zone


def schools_query():
    return select(Zone).where(Zone.type == ZoneType.SCHOOL.value, Zone.published_at.is_not(None)).order_by(Zone.name)


def follower_counts(school_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(
        select(SchoolFollow.school_id, func.count()).where(SchoolFollow.school_id.in_(school_ids))
        .group_by(SchoolFollow.school_id)
    )  # fmt: skip
    return dict(rows.all())


def followed_by(user: User | None, school_ids: list[int]) -> set[int]:
    if user is None:
        return set()
    return set(db.session.scalars(
        select(SchoolFollow.school_id).where(SchoolFollow.user_id == user.id, SchoolFollow.school_id.in_(school_ids))
    ))  # fmt: skip


@dataclass(frozen=True)
class SchoolCard:
    id: int
    name: str
    district: Any
    followers: int
    following: bool
    campaigns_running: int


def school_cards(schools: list[Zone], user: User | None) -> list[SchoolCard]:
    ids = [s.id for s in schools]
    counts, mine = follower_counts(ids), followed_by(user, ids)
    day = today()
    running = dict(db.session.execute(
        select(Campaign.school_id, func.count()).where(Campaign.school_id.in_(ids), Campaign.starts_on <= day,
                                                       Campaign.ends_on >= day).group_by(Campaign.school_id)
    ).all())  # fmt: skip
    return [SchoolCard(s.id, s.name, s.district, counts.get(s.id, 0), s.id in mine, running.get(s.id, 0)) for s in schools]


def follow(user: User, school_id: int) -> None:
    get_school(school_id)
    if db.session.scalar(select(SchoolFollow.id).where(SchoolFollow.user_id == user.id,
                                                       SchoolFollow.school_id == school_id)) is None:  # fmt: skip
        db.session.add(SchoolFollow(user_id=user.id, school_id=school_id))
        try:
            uow.commit()
        except IntegrityError:  # the same tap twice at once: already following
            db.session.rollback()


def unfollow(user: User, school_id: int) -> None:
    get_school(school_id)
    follow_row = db.session.scalar(
        select(SchoolFollow).where(SchoolFollow.user_id == user.id, SchoolFollow.school_id == school_id)
    )
    if follow_row is not None:
        db.session.delete(follow_row)
        uow.commit()


# ---- students -----------------------------------------------------------------------------------


STUDENT_FIELDS = ("school_id", "class_name", "age_band", "nickname", "public_board")


def update_me(user: User, changes: dict[str, Any]) -> User:
    """Use case (`PATCH /me`): the profile, and for students their school and class."""
    from app.accounts import services as accounts

    accounts.apply_profile(user, changes)
    set_student(user, changes)
    uow.commit()
    return user


def student_of(user: User) -> StudentProfile | None:
    return student_of_id(user.id)


def student_of_id(user_id: int) -> StudentProfile | None:
    return db.session.get(StudentProfile, user_id)


def set_student(user: User, changes: dict[str, Any]) -> StudentProfile | None:
    """Step (PATCH /me commits): declare or change a school and class, age band, nickname, whether to
    be on public boards. Who a student is, the school says: a new school or class, and an age band
    raised from under 14, apply only when the school confirms (a class join code or the school
    admin's list); until then the student is on no public board and in no school-only campaign.
    Lowering one's age band or leaving public boards applies at once."""
    wanted = {k: v for k, v in changes.items() if k in STUDENT_FIELDS}
    if not wanted:
        return student_of(user)
    profile = student_of(user)
    if profile is None:
        if "school_id" not in wanted:
            raise ValidationFailed(details={"school_id": ["请先选择学校"]})
        profile = StudentProfile(user_id=user.id, school_id=wanted["school_id"], age_band=AgeBand.UNDER_14)
        db.session.add(profile)
    if "school_id" in wanted:
        get_school(wanted["school_id"])
        if wanted["school_id"] != profile.school_id:
            profile.confirmed_at = profile.confirmed_by_id = None
    if "class_name" in wanted and wanted["class_name"] != profile.class_name:
        profile.confirmed_at = profile.confirmed_by_id = None
    if "age_band" in wanted:
        _declare_age_band(profile, wanted.pop("age_band"))
    for field, value in wanted.items():
        setattr(profile, field, value)
    profile.updated_at = utcnow()
    # A student leaving a class or school leaves its totals: those boards are rebuilt; a change of
    # who may see them only moves the student on or off the public board.
    if "school_id" in wanted or "class_name" in wanted:
        uow.after_commit(_boards().regroup_students, (user.id,))
    if {"age_band", "public_board"} & set(changes):
        uow.after_commit(_boards().restyle_students, (user.id,))
    return profile


def _declare_age_band(profile: StudentProfile, band: str) -> None:
    """A band raised from under 14 waits for the school (it would put a child on public boards); any
    other declaration (lower, or between 14_17 and 18_plus) applies at once and drops a pending one."""
    if profile.age_band == AgeBand.UNDER_14 and band != AgeBand.UNDER_14:
        profile.pending_age_band = band
    else:
        profile.age_band, profile.pending_age_band = band, None


def _confirm(profile: StudentProfile, by: User | None) -> None:
    """The school confirms the student: their school and class, and the age band they declared."""
    profile.confirmed_at, profile.confirmed_by_id = utcnow(), by.id if by is not None else None
    if profile.pending_age_band is not None:
        profile.age_band, profile.pending_age_band = profile.pending_age_band, None


def join_class(user: User, join_code: str) -> StudentProfile:
    """Use case: a student enters the join code the class teacher gave: school and class set and
    confirmed, with the age band they declared (the teacher hands the code to their own class)."""
    school_class = db.session.scalar(select(SchoolClass).where(SchoolClass.join_code == join_code.strip().upper()))
    if school_class is None:
        raise ValidationFailed(details={"join_code": ["班级码无效"]})
    profile = student_of(user) or StudentProfile(user_id=user.id, age_band=AgeBand.UNDER_14)
    profile.school_id, profile.class_name = school_class.school_id, school_class.name
    _confirm(profile, None)
    profile.updated_at = utcnow()
    db.session.add(profile)
    uow.after_commit(_boards().regroup_students, (user.id,))
    uow.commit()
    return profile


def is_school_admin(user: User, school_id: int) -> bool:
    """The school's own admins (its teachers), and those who run every school's work (institute, admin)."""
    schools = schools_run_by(user)
    return schools is None or school_id in schools


def ensure_school_admin(user: User, school_id: int) -> None:
    if not is_school_admin(user, school_id):
        raise Forbidden("只有本校管理员可以操作", code="not_this_school")


def ensure_may_read_school(user: User, school_id: int) -> None:
    """Statistics: the school's admins, the education department (officers of school zones), the institute."""
    schools = schools_read_by(user)
    if schools is not None and school_id not in schools:
        raise Forbidden("只有本校管理员可以操作", code="not_this_school")


def staff_schools_query(user: User):
    """The staff list of schools: the public schools whose campaigns the caller reads."""
    schools = schools_read_by(user)
    return schools_query() if schools is None else schools_query().where(Zone.id.in_(sorted(schools)))


def staff_campaigns_query(user: User):
    """The staff list of campaigns: those of the schools the caller reads."""
    schools = schools_read_by(user)
    return campaigns_query(schools=None if schools is None else sorted(schools))


def create_class(school_id: int, name: str, actor: User) -> SchoolClass:
    get_school(school_id)
    ensure_school_admin(actor, school_id)
    school_class = SchoolClass(school_id=school_id, name=name.strip(), join_code=_join_code())
    db.session.add(school_class)
    try:
        db.session.flush()
        audit.record(actor, "school_class.create", "school_class", school_class.id, None,
                     {"school_id": school_id, "name": school_class.name})  # fmt: skip
        uow.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("该班级已存在", code="class_exists") from None
    return school_class


def classes_query(school_id: int, actor: User):
    """A school's classes with their join codes, by name: for the school's admins (and the institute) only."""
    get_school(school_id)
    ensure_school_admin(actor, school_id)
    return select(SchoolClass).where(SchoolClass.school_id == school_id).order_by(SchoolClass.name, SchoolClass.id)


def _join_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud in a classroom
    return "".join(secrets.choice(alphabet) for _ in range(8))


AWAITING_SCHOOL = or_(StudentProfile.confirmed_at.is_(None), StudentProfile.pending_age_band.is_not(None))


def students_query(school_id: int, actor: User, confirmed: bool | None = None, awaiting: bool | None = None):
    """The school's students; `awaiting`: those whose school or declared age band waits for the school."""
    ensure_school_admin(actor, school_id)
    stmt = select(StudentProfile).where(StudentProfile.school_id == school_id).order_by(StudentProfile.class_name,
                                                                                      StudentProfile.user_id)  # fmt: skip
    if confirmed is not None:
        stmt = stmt.where(StudentProfile.confirmed_at.is_not(None) if confirmed else StudentProfile.confirmed_at.is_(None))
    if awaiting is not None:
        stmt = stmt.where(AWAITING_SCHOOL if awaiting else ~AWAITING_SCHOOL)
    return stmt


def confirm_students(school_id: int, user_ids: list[int], actor: User) -> int:
    """Use case: the school admin confirms students from the list: their school and class, and an age
    band they declared (only confirmed students appear publicly and take part in school-only campaigns)."""
    ensure_school_admin(actor, school_id)
    newly = []
    for profile in db.session.scalars(select(StudentProfile).where(StudentProfile.school_id == school_id,
                                                                   StudentProfile.user_id.in_(user_ids))):  # fmt: skip
        if profile.confirmed_at is None or profile.pending_age_band is not None:
            _confirm(profile, actor)
            newly.append(profile.user_id)
    if newly:
        audit.record(actor, "students.confirm", "school", school_id, None, {"user_ids": newly})
        uow.after_commit(_boards().regroup_students, tuple(newly))
    uow.commit()
    return len(newly)


def record_guardian_consent(school_id: int, user_id: int, method: str, actor: User) -> StudentProfile:
    """Use case: the school admin records a guardian's signed consent for a student under 14."""
    ensure_school_admin(actor, school_id)
    profile = db.session.get(StudentProfile, user_id)
    if profile is None or profile.school_id != school_id:
        raise NotFound("该学生不在本校")
    profile.guardian_consent_at, profile.guardian_consent_method = utcnow(), method
    profile.guardian_consent_recorded_by_id = actor.id
    audit.record(actor, "student.guardian_consent", "student", user_id, None, {"method": method})
    uow.after_commit(_boards().restyle_students, (user_id,))
    uow.commit()
    return profile


# ---- campaigns ----------------------------------------------------------------------------------


def create_campaign(school_id: int, data: dict[str, Any], actor: User) -> Campaign:
    get_school(school_id)
    ensure_school_admin(actor, school_id)
    if data["ends_on"] < data["starts_on"]:
        raise ValidationFailed(details={"ends_on": ["结束日期不能早于开始日期"]})
    unknown = sorted(set(data["actions"]) - catalogue.known_codes())
    if unknown:
        raise ValidationFailed(details={"actions": [f"目录中没有这些行动：{', '.join(unknown)}"]})
    campaign = Campaign(school_id=school_id, created_by_id=actor.id, **data)
    db.session.add(campaign)
    db.session.flush()
    audit.record(actor, "campaign.create", "campaign", campaign.id, None,
                 {"title": campaign.title, "starts_on": campaign.starts_on, "ends_on": campaign.ends_on,
                  "actions": campaign.actions, "audience": campaign.audience})  # fmt: skip
    from app.campaigns.announcements import queue_announcements

    queue_announcements(campaign)  # followers are told by the outbox, each once
    uow.commit()
    return campaign


def campaigns_query(school_id: int | None = None, schools: list[int] | None = None):
    stmt = select(Campaign).order_by(Campaign.starts_on.desc(), Campaign.id.desc())
    if school_id is not None:
        stmt = stmt.where(Campaign.school_id == school_id)
    if schools is not None:
        stmt = stmt.where(Campaign.school_id.in_(schools))
    return stmt


def get_campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("活动不存在")
    return campaign


def campaign_state(campaign: Campaign, day: date | None = None) -> str:
    day = day or today()
    return "upcoming" if day < campaign.starts_on else "ended" if day > campaign.ends_on else "running"


def campaign_actions(campaign: Campaign, day: date | None = None) -> list:
    """The campaign's actions with the factor in force (value, unit, baseline, source)."""
    day = min(max(day or today(), campaign.starts_on), campaign.ends_on)
    return [f for f in (catalogue.factor_on(code, day) for code in campaign.actions) if f is not None]


def _factor_in_force(code: str, day: date):
    """The factor a check-in on `day` is scored with; a day before the catalogue's first version of
    the action has none (422, never a 500)."""
    factor = catalogue.factor_on(code, day)
    if factor is None:
        raise ValidationFailed(details={"day": ["这一天这项行动尚无可用的排放因子，请选择其他日期"]})
    return factor


def join(user: User, campaign_id: int) -> Participation:
    campaign = get_campaign(campaign_id)
    if campaign_state(campaign) == "ended":
        raise AppError("活动已结束", code="campaign_ended", status=422)
    ensure_may_take_part(user, campaign)
    existing = db.session.scalar(select(Participation).where(Participation.campaign_id == campaign_id,
                                                             Participation.user_id == user.id))  # fmt: skip
    if existing is not None:
        return existing
    participation = Participation(campaign_id=campaign_id, user_id=user.id)
    db.session.add(participation)
    try:
        uow.commit()
    except IntegrityError:
        db.session.rollback()
        return db.session.scalar(select(Participation).where(Participation.campaign_id == campaign_id,
                                                             Participation.user_id == user.id))  # fmt: skip
    return participation


def ensure_may_take_part(user: User, campaign: Campaign) -> None:
    """School-only campaigns are for the school's students it confirmed (a declared school is only
    what the student said until the school confirms it)."""
    if campaign.audience != Audience.SCHOOL:
        return
    profile = student_of(user)
    if profile is None or profile.school_id != campaign.school_id:
        raise Forbidden("本活动只面向本校学生", code="not_this_school")
    if profile.confirmed_at is None:
        raise Forbidden(
            "学校确认你是本校学生后才能参加（输入老师给的班级码，或等待学校在名单中确认）", code="not_confirmed"
        )


# ---- who others may see -------------------------------------------------------------------------


def others_may_see(user_id):
    """SQL, in a statement with the campaign (Campaign) among its tables: whether others than the
    school may see this user in the campaign — their nickname, their place on a public board, their
    posts. A declared student only if they may appear (confirmed by the school, not opted out, under
    14 only with a guardian's consent), and in a school-only campaign only as a student of that
    school; in a campaign open to anyone also someone who never declared a school. The one rule of
    the boards, the posts and every endpoint that names a post."""
    profile = select(StudentProfile.user_id).where(StudentProfile.user_id == user_id)
    appears = profile.where(StudentProfile.may_appear,
                            or_(Campaign.audience != Audience.SCHOOL, StudentProfile.school_id == Campaign.school_id))  # fmt: skip
    return or_(exists(appears), and_(Campaign.audience != Audience.SCHOOL, ~exists(profile)))


def shown_in_campaign(campaign_id: int, user_ids) -> set[int]:
    """Which of these users others may see in the campaign (others_may_see)."""
    ids = list(user_ids)
    if not ids:
        return set()
    return set(db.session.scalars(
        select(User.id).join(Campaign, Campaign.id == campaign_id).where(User.id.in_(ids), others_may_see(User.id))
    ))  # fmt: skip


def display_name(user_id: int, profile: StudentProfile | None) -> str:
    """The name boards and posts show: the student's nickname, else 同学 + a number (never a real name)."""
    if profile is not None and profile.nickname:
        return profile.nickname
    return f"同学{user_id % 10000:04d}"


def staff_display_name(user_id: int, profile: StudentProfile | None, *, school_admin: bool) -> str:
    """A student's name for staff: the school's own admins see every nickname; others (the education
    department) not that of an under-14 without a guardian's consent (PIPL art. 31): the anonymous name."""
    if profile is not None and profile.minor_without_consent and not school_admin:
        return display_name(user_id, None)
    return display_name(user_id, profile)


def _action_day(campaign: Campaign, day: date | None) -> date:
    """The day an action is recorded for: today, or one of the last 7 days, within the campaign."""
    day = day or today()
    now_day = today()
    if day > now_day:
        raise ValidationFailed(details={"day": ["不能为将来的日期打卡"]})
    if (now_day - day).days > BACKFILL_DAYS:
        raise ValidationFailed(details={"day": [f"只能补记最近 {BACKFILL_DAYS} 天"]})
    if day < campaign.starts_on:
        raise AppError(f"活动 {campaign.starts_on.isoformat()} 开始", code="campaign_not_started", status=422,
                       details={"starts_on": campaign.starts_on.isoformat()})  # fmt: skip
    if day > campaign.ends_on:
        raise AppError(f"活动已于 {campaign.ends_on.isoformat()} 结束", code="campaign_ended", status=422,
                       details={"ends_on": campaign.ends_on.isoformat()})  # fmt: skip
    return day


def plain(number: Decimal) -> str:
    """A quantity as people write it: 10, 2.5 (Decimal's normalize() alone gives 1E+1)."""
    return f"{number.normalize():f}"


def _score(quantity: Decimal, factor: ActionFactor, evidence: Evidence) -> tuple[Decimal, Decimal]:
    """CO2 avoided (kg) and points: the factor in force that day; stronger evidence scores more."""
    co2 = (quantity * factor.kg_co2e_per_unit).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    points = (quantity * factor.points_per_unit * EVIDENCE_WEIGHT[evidence]).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return co2, points


def _commute_left(campaign_id: int, user_id: int, day: date, factor: ActionFactor) -> Decimal:
    """How much of this commuting action the day's trip budget still takes, in its unit. Voided
    check-ins still use it: voiding takes points away, it does not reopen a day for other claims."""
    rows = db.session.execute(
        select(ActionCheckin.quantity, ActionFactor.daily_cap).join(ActionFactor, ActionFactor.id == ActionCheckin.factor_id)
        .where(ActionCheckin.campaign_id == campaign_id, ActionCheckin.user_id == user_id, ActionCheckin.day == day,
               ActionFactor.commuting)
    ).all()  # fmt: skip
    used = sum((quantity / cap for quantity, cap in rows if cap), Decimal(0))
    left = ((COMMUTE_ROUND_TRIPS_PER_DAY - used) * factor.daily_cap).quantize(Decimal("0.000001"), ROUND_HALF_UP)
    step = Decimal(1) if factor.unit_kind == "count" else Decimal("0.01")
    return max(left.quantize(step, ROUND_DOWN), Decimal(0))


def _photo_counted(campaign_id: int, sha256: str) -> bool:
    """Whether this picture (by content hash) already earned the photo weight in the campaign."""
    return db.session.scalar(select(ActionCheckin.id).where(ActionCheckin.campaign_id == campaign_id,
                                                            ActionCheckin.photo_sha256 == sha256).limit(1)) is not None  # fmt: skip


def check_in(user: User, campaign_id: int, data: dict[str, Any], request_host: str | None = None) -> ActionCheckin:
    """Use case: a green action done on a day (today, or one of the last 7 days within the campaign),
    once per action and day, within the action's daily cap and, for commuting, the day's trip budget;
    CO2 and points from the factor in force that day. A photo weighs only on the day itself and once
    per campaign. Notes and photos pass WeChat's checks before they are kept; a photo is one's own
    upload, its URL as the upload answered it (absolute on `request_host` or a public host)."""
    from app.media.services import own_uploads, public_hosts, sha256_of

    campaign = get_campaign(campaign_id)
    day = _action_day(campaign, data.get("day"))
    if db.session.scalar(select(Participation.id).where(Participation.campaign_id == campaign_id,
                                                        Participation.user_id == user.id)) is None:  # fmt: skip
        raise Conflict("请先参加活动", code="not_joined")
    ensure_may_take_part(user, campaign)  # e.g. a student who has since moved school
    if data["action"] not in campaign.actions:
        raise ValidationFailed(details={"action": ["本活动不含这项行动"]})
    factor = _factor_in_force(data["action"], day)
    quantity: Decimal = data["quantity"]
    if quantity <= 0:
        raise ValidationFailed(details={"quantity": ["数量须大于 0"]})
    if factor.unit_kind == "count" and quantity != quantity.to_integral_value():
        raise ValidationFailed(details={"quantity": [f"“{factor.unit_label}”须为整数"]})
    if quantity > factor.daily_cap:
        raise ValidationFailed(details={"quantity": [f"每天最多 {plain(factor.daily_cap)} {factor.unit_label}"]})
    if factor.commuting and not is_working(day):
        raise ValidationFailed(details={"day": ["上学出行只在上学日计入"]})

    needs_review = False
    photo = None
    if data.get("photo_url"):
        (photo,), checked = own_uploads(user.id, [data["photo_url"]], public_hosts(request_host))
        needs_review = not checked
    if data.get("note"):
        try:
            verdict = wechat.check_text(data["note"], user.openid or "", scene=4) if user.openid else ContentCheck.UNCHECKED
        except WeChatUnavailable:
            verdict = ContentCheck.UNCHECKED
        if verdict == ContentCheck.RISKY:
            raise AppError("内容未通过微信内容安全检测，请修改后再提交", code="content_risky", status=422)
        needs_review = needs_review or verdict != ContentCheck.PASS

    # One student's check-ins in a campaign queue here, so a burst cannot overrun the trip budget.
    db.session.scalar(select(Participation.id).where(Participation.campaign_id == campaign_id,
                                                     Participation.user_id == user.id).with_for_update())  # fmt: skip
    if factor.commuting:
        left = _commute_left(campaign_id, user.id, day, factor)
        if quantity > left:
            raise AppError(f"上学出行每天合计最多按 {plain(COMMUTE_ROUND_TRIPS_PER_DAY)} 次往返计分：{day.isoformat()} "
                           f"还能记“{factor.name}”{plain(left)} {factor.unit_label}",
                           code="commute_budget_exceeded", status=422,
                           details={"day": day.isoformat(), "action": factor.code, "remaining": float(left)})  # fmt: skip
    evidence, photo_sha256 = Evidence.SELF, None
    if photo is not None and day == today():
        digest = sha256_of(photo)
        if digest is not None and not _photo_counted(campaign_id, digest):
            evidence, photo_sha256 = Evidence.PHOTO, digest

    while True:
        co2, points = _score(quantity, factor, evidence)
        checkin = ActionCheckin(campaign_id=campaign_id, user_id=user.id, action=data["action"], day=day,
                                quantity=quantity, factor_id=factor.id, co2_kg=co2, points=points, evidence=evidence,
                                note=data.get("note"), photo_url=photo, photo_sha256=photo_sha256,
                                needs_review=needs_review)  # fmt: skip
        try:
            with db.session.begin_nested():
                db.session.add(checkin)
                db.session.flush()
            break
        except IntegrityError:
            if photo_sha256 is None or not _photo_counted(campaign_id, photo_sha256):
                raise Conflict("这项行动今天已经打过卡了", code="already_checked_in",
                               details={"action": data["action"], "day": day.isoformat()}) from None
            # Another student's check-in earned this picture's weight a moment ago: this one is self-reported.
            evidence, photo_sha256 = Evidence.SELF, None
    uow.after_commit(_boards().refresh_students, campaign_id, (user.id,))
    uow.commit()
    return checkin


def evidence_note(checkin: ActionCheckin) -> str | None:
    """Why a check-in that carries a photo scored as self-reported (the student is told)."""
    from app.times import app_timezone

    if checkin.photo_url is None or checkin.evidence != Evidence.SELF:
        return None
    if checkin.day < checkin.created_at.astimezone(app_timezone()).date():
        return "补记的打卡按自报计分，照片不加分"
    return "这张照片已在本活动加过一次分，本次按自报计分"


def _checkin_of_school(checkin_id: int, actor: User) -> ActionCheckin:
    checkin = db.session.scalar(select(ActionCheckin).where(ActionCheckin.id == checkin_id)
                                .with_for_update(of=ActionCheckin))  # fmt: skip
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
        audit.record(actor, "checkin.confirm", "campaign_checkin", checkin.id, before,
                     {"evidence": checkin.evidence, "points": str(checkin.points)})  # fmt: skip
        uow.after_commit(_boards().refresh_students, checkin.campaign_id, (checkin.user_id,))
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
        uow.after_commit(_boards().rebuild, campaign_id)
    return fresh


def void_checkin(checkin_id: int, reason: str, actor: User) -> ActionCheckin:
    """Use case: the school voids one check-in (a false or inflated claim): it keeps its row, says
    why, and counts nowhere. Voiding again changes nothing (the first reason stays)."""
    checkin = _checkin_of_school(checkin_id, actor)
    if _void([checkin], reason, actor):
        audit.record(actor, "checkin.void", "campaign_checkin", checkin.id,
                     {"points": str(checkin.points), "co2_kg": str(checkin.co2_kg)}, {"reason": reason})  # fmt: skip
    uow.commit()
    return checkin


def void_student_checkins(campaign_id: int, user_id: int, reason: str, actor: User) -> int:
    """Use case: the school voids every check-in a student made in a campaign (e.g. a back-filled
    burst). Returns how many were voided now; again, nothing more is voided."""
    campaign = get_campaign(campaign_id)
    ensure_school_admin(actor, campaign.school_id)
    if db.session.scalar(select(Participation.id).where(Participation.campaign_id == campaign_id,
                                                        Participation.user_id == user_id)) is None:  # fmt: skip
        raise NotFound("该学生没有参加本活动")
    checkins = list(db.session.scalars(
        select(ActionCheckin).where(ActionCheckin.campaign_id == campaign_id, ActionCheckin.user_id == user_id,
                                    ActionCheckin.counts).order_by(ActionCheckin.id).with_for_update(of=ActionCheckin)
    ))  # fmt: skip
    voided = _void(checkins, reason, actor)
    if voided:
        audit.record(actor, "checkins.void", "campaign", campaign_id, None,
                     {"user_id": user_id, "checkin_ids": [c.id for c in voided], "reason": reason,
                      "points": str(sum((c.points for c in voided), Decimal(0)))})  # fmt: skip
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
        raise ValidationFailed(details={"action": ["班级行动按“千瓦 × 小时”计算，只适用于以千瓦时计的行动（如随手关灯）"]})
    class_name = data["class_name"].strip()
    enrolled = db.session.scalar(select(func.count()).select_from(StudentProfile).where(
        StudentProfile.school_id == campaign.school_id, StudentProfile.class_name == class_name,
        StudentProfile.confirmed_at.is_not(None)))  # fmt: skip
    if not enrolled:
        raise ValidationFailed(details={"class_name": ["本校这个班级还没有已确认的学生"]})
    kw, hours = data["kw"], data["hours"]
    if not Decimal(0) < kw <= MAX_CLASS_KW:
        raise ValidationFailed(details={"kw": [f"功率须大于 0、不超过 {MAX_CLASS_KW} 千瓦"]})
    if not Decimal(0) < hours <= MAX_CLASS_HOURS:
        raise ValidationFailed(details={"hours": [f"时长须大于 0、不超过 {MAX_CLASS_HOURS} 小时"]})
    quantity = (kw * hours).quantize(Decimal("0.001"), ROUND_HALF_UP)
    co2, points = _score(quantity, factor, Evidence.TEACHER)
    action = ClassAction(campaign_id=campaign_id, school_id=campaign.school_id, class_name=class_name,
                         action=data["action"], day=day, kw=kw, hours=hours, quantity=quantity, factor_id=factor.id,
                         co2_kg=co2, points=points, note=data.get("note"), confirmed_by_id=actor.id)  # fmt: skip
    db.session.add(action)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("这个班级这一天已经记录过这项行动", code="already_checked_in",
                       details={"action": data["action"], "day": day.isoformat(), "class_name": class_name}) from None
    audit.record(actor, "class_action.create", "campaign_class_action", action.id, None,
                 {"class_name": class_name, "action": action.action, "day": day.isoformat(), "kwh": str(quantity),
                  "co2_kg": str(co2), "points": str(points)})  # fmt: skip
    uow.after_commit(_boards().rebuild, campaign_id)  # a class total, not a student's: the board is rebuilt
    uow.commit()
    return action


def checkins_query(campaign_id: int, actor: User, *, class_name: str | None = None, day: date | None = None,
                   evidence: str | None = None, voided: bool | None = None):
    """A campaign's check-ins for its teachers (to confirm or void), voided ones included, newest first."""
    ensure_school_admin(actor, get_campaign(campaign_id).school_id)
    stmt = select(ActionCheckin).where(ActionCheckin.campaign_id == campaign_id)
    if class_name is not None:
        stmt = stmt.join(StudentProfile, StudentProfile.user_id == ActionCheckin.user_id).where(
            StudentProfile.class_name == class_name)
    if day is not None:
        stmt = stmt.where(ActionCheckin.day == day)
    if evidence is not None:
        stmt = stmt.where(ActionCheckin.evidence == evidence)
    if voided is not None:
        stmt = stmt.where(~ActionCheckin.counts if voided else ActionCheckin.counts)
    return stmt.order_by(ActionCheckin.day.desc(), ActionCheckin.id.desc())


def class_actions_query(campaign_id: int):
    return select(ClassAction).where(ClassAction.campaign_id == campaign_id).order_by(ClassAction.day.desc(),
                                                                                      ClassAction.id.desc())  # fmt: skip


@dataclass(frozen=True)
class MyProgress:
    campaign_id: int
    checkins: int
    points: Decimal
    co2_kg: Decimal
    current_streak: int
    longest_streak: int
    days: list[date]


def my_progress(user: User, campaign_id: int) -> MyProgress:
    """A student's own page: totals, CO2 avoided, current and longest streak of days with a check-in."""
    get_campaign(campaign_id)
    rows = db.session.execute(
        select(ActionCheckin.day, ActionCheckin.points, ActionCheckin.co2_kg)
        .where(ActionCheckin.campaign_id == campaign_id, ActionCheckin.user_id == user.id, ActionCheckin.counts)
    ).all()  # fmt: skip
    days = sorted({r.day for r in rows})
    longest = current = run = 0
    previous = None
    for day in days:
        run = run + 1 if previous is not None and (day - previous).days == 1 else 1
        longest, previous = max(longest, run), day
    if days and (today() - days[-1]).days <= 1:
        current = run
    return MyProgress(campaign_id, len(rows), sum((r.points for r in rows), Decimal(0)),
                      sum((r.co2_kg for r in rows), Decimal(0)), current, longest, days)  # fmt: skip


def feed_query(user: User):
    """Campaigns of the schools the user follows (and of their own school), newest first."""
    schools = set(db.session.scalars(select(SchoolFollow.school_id).where(SchoolFollow.user_id == user.id)))
    profile = student_of(user)
    if profile is not None:
        schools.add(profile.school_id)
    return campaigns_query(schools=sorted(schools))

