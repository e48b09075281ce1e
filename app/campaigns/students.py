"""Students and their schools: declaring a school and class, joining a class by its code, the
school confirming students and recording a guardian's consent, the school's classes."""

from __future__ import annotations

import re
import secrets
import unicodedata
from typing import Any

import marshmallow as ma
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from app import uow
from app.accounts import services as accounts
from app.accounts.models import User
from app.audit import services as audit
from app.campaigns import boards
from app.campaigns.guardians import CONSENT_NOT_NEEDED
from app.campaigns.lookups import ensure_school_admin, get_school, student_of
from app.campaigns.models import (
    AgeBand,
    ConsentMethod,
    SchoolClass,
    StudentProfile,
)
from app.db_types import utcnow
from app.errors import AppError, Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.validators import as_read, no_control_characters, shows_a_personal_number
from app.wechat import services as wechat
from app.wechat.services import ContentCheck

STUDENT_FIELDS = ("school_id", "class_name", "age_band", "nickname", "public_board")


def update_me(user: User, changes: dict[str, Any]) -> User:
    """Use case (`PATCH /me`): the profile, and for students their school and class."""
    accounts.apply_profile(user, changes)
    set_student(user, changes)
    uow.commit()
    return user


def set_student(user: User, changes: dict[str, Any]) -> StudentProfile | None:
    """Step (PATCH /me commits): declare or change a school and class, age band, nickname, whether to
    be on public boards. Who a student is, the school says: a new school or class, and an age band
    raised from under 14, apply only when the school confirms (school and class: a class join code or
    the school admin's list; a raised age band: the list only); until then the student is on no public
    board and in no school-only campaign. Lowering one's age band or leaving public boards applies at
    once. A new nickname, shown on children's public boards, passes WeChat's content check first."""
    wanted = {k: v for k, v in changes.items() if k in STUDENT_FIELDS}
    if not wanted:
        return student_of(user)
    if "school_id" in wanted:
        get_school(wanted["school_id"])  # before a new profile is added: a flush would hit the foreign key
    profile = student_of(user)
    if profile is None:
        if "school_id" not in wanted:
            raise ValidationFailed(details={"school_id": ["请先选择学校"]})
        profile = StudentProfile(user_id=user.id, school_id=wanted["school_id"], age_band=AgeBand.UNDER_14)
        db.session.add(profile)
    if "school_id" in wanted and wanted["school_id"] != profile.school_id:
        profile.confirmed_at = profile.confirmed_by_id = None
    if "class_name" in wanted and wanted["class_name"] != profile.class_name:
        profile.confirmed_at = profile.confirmed_by_id = None
    if wanted.get("nickname") and wanted["nickname"] != profile.nickname:
        _check_nickname(user, wanted["nickname"])
    if "age_band" in wanted:
        _declare_age_band(profile, wanted.pop("age_band"))
    for field, value in wanted.items():
        setattr(profile, field, value)
    profile.updated_at = utcnow()
    # A student leaving a class or school leaves its totals: those boards are rebuilt; a change of
    # who may see them only moves the student on or off the public board.
    if "school_id" in wanted or "class_name" in wanted:
        uow.after_commit(boards.regroup_students, (user.id,))
    if {"age_band", "public_board"} & set(changes):
        uow.after_commit(boards.restyle_students, (user.id,))
    return profile


# The anonymous name boards give a student without a nickname (lookups.display_name: 同学 + digits):
# as a nickname it would pass for another student.
_LOOKS_LIKE_THE_FALLBACK = re.compile(r"同学\d+", re.ASCII)


def _check_nickname(user: User, nickname: str) -> None:
    """A nickname others will read on public boards: one line, no phone or document number, not the
    anonymous 同学 + number of someone else, and WeChat's content check passes it (a verdict of review
    is refused too: there is no one to review a nickname before a board shows it). WeChat
    unreachable: 503, nothing stored."""
    try:
        no_control_characters(nickname)
    except ma.ValidationError as exc:
        raise ValidationFailed(details={"nickname": exc.messages}) from None
    if _LOOKS_LIKE_THE_FALLBACK.fullmatch(as_read(nickname)):
        raise ValidationFailed(details={"nickname": ["昵称不能是“同学+数字”的形式（这是未设昵称的同学显示的名字）"]})
    if shows_a_personal_number(nickname):
        raise ValidationFailed(details={"nickname": ["昵称不能含电话号码、证件号等个人信息"]})
    if user.openid and wechat.check_text(nickname, user.openid, scene=1) != ContentCheck.PASS:
        raise AppError("昵称未通过微信内容安全检测，请换一个", code="content_risky", status=422)


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
    confirmed. Not an age band raised from under 14: the code goes to the whole class, so it says
    nothing of one child's age (an eight-year-old declaring 18_plus would be on public boards without a
    guardian); that waits for the school admin's list."""
    # As a phone types it: full-width, lower case, spaced or hyphenated in groups ("ag5c-qmbk").
    typed = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", join_code)).upper()
    school_class = db.session.scalar(select(SchoolClass).where(SchoolClass.join_code == typed))
    if school_class is None:
        raise ValidationFailed(details={"join_code": ["班级码无效"]})
    profile = student_of(user) or StudentProfile(user_id=user.id, age_band=AgeBand.UNDER_14)
    profile.school_id, profile.class_name = school_class.school_id, school_class.name
    profile.confirmed_at, profile.confirmed_by_id = utcnow(), None
    profile.updated_at = utcnow()
    db.session.add(profile)
    uow.after_commit(boards.regroup_students, (user.id,))
    uow.commit()
    return profile


def create_class(school_id: int, name: str, actor: User) -> SchoolClass:
    get_school(school_id)
    ensure_school_admin(actor, school_id)
    school_class = SchoolClass(school_id=school_id, name=name.strip(), join_code=_join_code())
    db.session.add(school_class)
    try:
        db.session.flush()
        audit.record(
            actor,
            "school_class.create",
            "school_class",
            school_class.id,
            None,
            {"school_id": school_id, "name": school_class.name},
        )
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
    stmt = (
        select(StudentProfile)
        .where(StudentProfile.school_id == school_id)
        .order_by(StudentProfile.class_name, StudentProfile.user_id)
    )
    if confirmed is not None:
        stmt = stmt.where(
            StudentProfile.confirmed_at.is_not(None) if confirmed else StudentProfile.confirmed_at.is_(None)
        )
    if awaiting is not None:
        stmt = stmt.where(AWAITING_SCHOOL if awaiting else ~AWAITING_SCHOOL)
    return stmt


def confirm_students(school_id: int, user_ids: list[int], actor: User) -> int:
    """Use case: the school admin confirms students from the list: their school and class, and an age
    band they declared (only confirmed students appear publicly and take part in school-only campaigns)."""
    ensure_school_admin(actor, school_id)
    newly = []
    for profile in db.session.scalars(
        select(StudentProfile).where(StudentProfile.school_id == school_id, StudentProfile.user_id.in_(user_ids))
    ):
        if profile.confirmed_at is None or profile.pending_age_band is not None:
            _confirm(profile, actor)
            newly.append(profile.user_id)
    if newly:
        audit.record(actor, "students.confirm", "school", school_id, None, {"user_ids": newly})
        uow.after_commit(boards.regroup_students, tuple(newly))
    uow.commit()
    return len(newly)


def record_guardian_consent(school_id: int, user_id: int, actor: User) -> StudentProfile:
    """Use case: the school admin records a guardian's signed consent statement for a student under
    14 (method `statement`; a guardian's own consent in WeChat is app.campaigns.guardians)."""
    ensure_school_admin(actor, school_id)
    profile = db.session.get(StudentProfile, user_id)
    if profile is None or profile.school_id != school_id:
        raise NotFound("该学生不在本校")
    if profile.age_band != AgeBand.UNDER_14:  # as the school confirmed it; the mini-program's link says the same
        raise Conflict(CONSENT_NOT_NEEDED, code="guardian_consent_not_needed")
    method = ConsentMethod.STATEMENT.value
    profile.guardian_consent_at, profile.guardian_consent_method = utcnow(), method
    profile.guardian_consent_recorded_by_id, profile.guardian_consent_withdrawn_at = actor.id, None
    audit.record(actor, "student.guardian_consent", "student", user_id, None, {"method": method})
    uow.after_commit(boards.restyle_students, (user_id,))
    uow.commit()
    return profile
