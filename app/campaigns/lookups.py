"""Lookups every campaigns module shares: a school, a campaign and its state, a student and the
school's admins, and who others may see (names on boards and posts). Boards, moderation and
statistics read campaigns through this module only, so none of them imports the use cases."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import lazyload

from app.accounts.models import User
from app.accounts.roles import Role
from app.accounts.scope import schools_read_by, schools_run_by
from app.campaigns.models import (
    Audience,
    Campaign,
    StudentProfile,
)
from app.errors import Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.times import local_today
from app.zones.constants import ZoneType
from app.zones.models import Zone

today = local_today


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


def student_of(user: User) -> StudentProfile | None:
    return student_of_id(user.id)


def student_of_id(user_id: int) -> StudentProfile | None:
    return db.session.get(StudentProfile, user_id)


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


def campaigns_query(school_id: int | None = None, schools: list[int] | None = None):
    stmt = select(Campaign).order_by(Campaign.starts_on.desc(), Campaign.id.desc())
    if school_id is not None:
        stmt = stmt.where(Campaign.school_id == school_id)
    if schools is not None:
        stmt = stmt.where(Campaign.school_id.in_(schools))
    return stmt


def get_campaign(campaign_id: int, *, with_school: bool = True) -> Campaign:
    """A campaign or 404; `with_school=False` leaves its school (a zone, with its district and
    indicators) to be loaded only if used: a check-in needs its id alone."""
    options = () if with_school else (lazyload(Campaign.school),)
    campaign = db.session.get(Campaign, campaign_id, options=options)
    if campaign is None:
        raise NotFound("活动不存在")
    return campaign


def campaign_state(campaign: Campaign, day: date | None = None) -> str:
    day = day or today()
    return "upcoming" if day < campaign.starts_on else "ended" if day > campaign.ends_on else "running"


def others_may_see(user_id):
    """SQL, in a statement with the campaign (Campaign) among its tables: whether others than the
    school may see this user in the campaign — their nickname, their place on a public board, their
    posts. A declared student only if they may appear (confirmed by the school, not opted out, under
    14 only with a guardian's consent), and in a school-only campaign only as a student of that
    school; in a campaign open to anyone also someone who never declared a school. The one rule of
    the boards, the posts and every endpoint that names a post."""
    profile = select(StudentProfile.user_id).where(StudentProfile.user_id == user_id)
    appears = profile.where(
        StudentProfile.may_appear,
        or_(Campaign.audience != Audience.SCHOOL, StudentProfile.school_id == Campaign.school_id),
    )
    return or_(exists(appears), and_(Campaign.audience != Audience.SCHOOL, ~exists(profile)))


def display_name(user_id: int, profile: StudentProfile | None) -> str:
    """The name boards and posts show: the student's nickname, else 同学 + a number (never a real name)."""
    if profile is not None and profile.nickname:
        return profile.nickname
    return f"同学{user_id % 10000:04d}"


def reads_every_nickname(user: User, school_id: int) -> bool:
    """Whether a staff reader sees every nickname of the students of `school_id` (the STUDENT's
    school, not the campaign's: an open campaign has students of other schools): only that school's
    own admins (a school_admin grant for it). Everyone else — another school's admins, the education
    department, the institute and system admins — gets no nickname of an under-14 without a
    guardian's consent (PIPL art. 31; docs/privacy.md)."""
    return any(g.role == Role.SCHOOL_ADMIN.value and g.school_id == school_id for g in user.grants)


def reads_nickname_of(user: User, profile: StudentProfile | None) -> bool:
    """reads_every_nickname for this student's own school (someone who declared none: no school's)."""
    return profile is not None and reads_every_nickname(user, profile.school_id)


def staff_nickname(profile: StudentProfile | None, *, school_admin: bool) -> str | None:
    """A student's nickname as a staff reader may see it (`school_admin`: reads_every_nickname): none
    for an under-14 without a guardian's consent unless the reader is one of the school's admins."""
    if profile is None or (profile.minor_without_consent and not school_admin):
        return None
    return profile.nickname


def staff_display_name(user_id: int, profile: StudentProfile | None, *, school_admin: bool) -> str:
    """A student's name for staff: their nickname as staff_nickname allows, else the anonymous name."""
    nickname = staff_nickname(profile, school_admin=school_admin)
    return nickname or display_name(user_id, None)


class StaffView:
    """A row naming a student (a check-in, a post, a student's profile) as one staff reader may see
    it: the row's own attributes, with `nickname` (staff_nickname) and `author` (staff_display_name)."""

    def __init__(self, row: Any, nickname: str | None, author: str) -> None:
        self._row, self.nickname, self.author = row, nickname, author

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)


def as_staff_sees(rows: Iterable[Any], actor: User) -> list[StaffView]:
    """Rows with a `user_id` of students, named as `actor` may see them, each by the rule of the
    student's own school (reads_nickname_of): the one rule of every staff list, answer, export and
    console page that names a student."""
    rows = list(rows)
    ids = sorted({row.user_id for row in rows})
    profiles = (
        {p.user_id: p for p in db.session.scalars(select(StudentProfile).where(StudentProfile.user_id.in_(ids)))}
        if ids
        else {}
    )
    views = []
    for row in rows:
        profile = profiles.get(row.user_id)
        school_admin = reads_nickname_of(actor, profile)
        views.append(
            StaffView(
                row,
                staff_nickname(profile, school_admin=school_admin),
                staff_display_name(row.user_id, profile, school_admin=school_admin),
            )
        )
    return views
