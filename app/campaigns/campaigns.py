"""Campaigns: creating one (its followers told by the outbox), taking part, the student's own
progress, and the feed of followed schools. Check-ins are in app.campaigns.checkins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import uow
from app.accounts.models import User
from app.audit import services as audit
from app.campaigns import catalogue
from app.campaigns.announcements import queue_announcements
from app.campaigns.lookups import (
    campaign_state,
    campaigns_query,
    ensure_school_admin,
    get_campaign,
    get_school,
    student_of,
    today,
)
from app.campaigns.models import (
    ActionCheckin,
    Audience,
    Campaign,
    Participation,
    SchoolFollow,
)
from app.errors import AppError, Forbidden, ValidationFailed
from app.extensions import db


def create_campaign(school_id: int, data: dict[str, Any], actor: User) -> Campaign:
    """Use case: the school's admin (or the institute) creates a campaign; its school's followers are told."""
    get_school(school_id)
    ensure_school_admin(actor, school_id)
    problems = campaign_problems(data)
    if problems:
        raise ValidationFailed(details=problems)
    # A description of nothing visible (trimmed by the schema) is none, as one never typed.
    data = {**data, "description": data.get("description") or None}
    campaign = Campaign(school_id=school_id, created_by_id=actor.id, **data)
    db.session.add(campaign)
    db.session.flush()
    audit.record(
        actor,
        "campaign.create",
        "campaign",
        campaign.id,
        None,
        {
            "title": campaign.title,
            "starts_on": campaign.starts_on,
            "ends_on": campaign.ends_on,
            "actions": campaign.actions,
            "audience": campaign.audience,
        },
    )
    queue_announcements(campaign)  # followers are told by the outbox, each once
    uow.commit()
    return campaign


def campaign_problems(data: dict[str, Any]) -> dict[str, list[str]]:
    """What a new campaign's dates and actions get wrong, by field: an end before the start or already
    past; an action twice, one the catalogue lacks, or one with no factor in force from the first day
    (it would drop out of the campaign's actions and refuse every check-in before its factor)."""
    problems: dict[str, list[str]] = {}
    starts_on, ends_on, actions = data["starts_on"], data["ends_on"], data["actions"]
    if ends_on < starts_on:
        problems["ends_on"] = ["结束日期不能早于开始日期"]
    elif ends_on < today():
        problems["ends_on"] = [f"活动已于 {ends_on.isoformat()} 结束，不能新建已经结束的活动"]
    messages = []
    repeated = sorted({code for code in actions if actions.count(code) > 1})
    if repeated:
        messages.append(f"行动不能重复：{', '.join(repeated)}")
    unknown = sorted(set(actions) - catalogue.known_codes())
    if unknown:
        messages.append(f"目录中没有这些行动：{', '.join(unknown)}")
    unfactored = sorted(c for c in set(actions) - set(unknown) if catalogue.factor_on(c, starts_on) is None)
    if unfactored:
        messages.append(f"这些行动在活动开始日（{starts_on.isoformat()}）尚无排放因子：{', '.join(unfactored)}")
    if messages:
        problems["actions"] = messages
    return problems


def campaign_actions(campaign: Campaign, day: date | None = None) -> list:
    """The campaign's actions with the factor in force (value, unit, baseline, source)."""
    day = min(max(day or today(), campaign.starts_on), campaign.ends_on)
    return [f for f in (catalogue.factor_on(code, day) for code in campaign.actions) if f is not None]


def join(user: User, campaign_id: int) -> Participation:
    campaign = get_campaign(campaign_id)
    if campaign_state(campaign) == "ended":
        raise AppError("活动已结束", code="campaign_ended", status=422)
    ensure_may_take_part(user, campaign)
    existing = db.session.scalar(
        select(Participation).where(Participation.campaign_id == campaign_id, Participation.user_id == user.id)
    )
    if existing is not None:
        return existing
    participation = Participation(campaign_id=campaign_id, user_id=user.id)
    db.session.add(participation)
    try:
        uow.commit()
    except IntegrityError:
        db.session.rollback()
        return db.session.scalar(
            select(Participation).where(Participation.campaign_id == campaign_id, Participation.user_id == user.id)
        )
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
        select(ActionCheckin.day, ActionCheckin.points, ActionCheckin.co2_kg).where(
            ActionCheckin.campaign_id == campaign_id, ActionCheckin.user_id == user.id, ActionCheckin.counts
        )
    ).all()
    days = sorted({r.day for r in rows})
    longest = current = run = 0
    previous = None
    for day in days:
        run = run + 1 if previous is not None and (day - previous).days == 1 else 1
        longest, previous = max(longest, run), day
    if days and (today() - days[-1]).days <= 1:
        current = run
    return MyProgress(
        campaign_id,
        len(rows),
        sum((r.points for r in rows), Decimal(0)),
        sum((r.co2_kg for r in rows), Decimal(0)),
        current,
        longest,
        days,
    )


def feed_query(user: User):
    """Campaigns of the schools the user follows (and of their own school), newest first."""
    schools = set(db.session.scalars(select(SchoolFollow.school_id).where(SchoolFollow.user_id == user.id)))
    profile = student_of(user)
    if profile is not None:
        schools.add(profile.school_id)
    return campaigns_query(schools=sorted(schools))
