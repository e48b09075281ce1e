"""Schools as the public and staff see them: follows, follower counts, the staff's lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import uow
from app.accounts.models import User
from app.accounts.scope import schools_read_by
from app.campaigns.lookups import campaigns_query, get_school, schools_query, today
from app.campaigns.models import (
    Campaign,
    SchoolFollow,
)
from app.extensions import db
from app.zones.models import Zone


def follower_counts(school_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(
        select(SchoolFollow.school_id, func.count())
        .where(SchoolFollow.school_id.in_(school_ids))
        .group_by(SchoolFollow.school_id)
    )
    return dict(rows.all())


def followed_by(user: User | None, school_ids: list[int]) -> set[int]:
    if user is None:
        return set()
    return set(
        db.session.scalars(
            select(SchoolFollow.school_id).where(
                SchoolFollow.user_id == user.id, SchoolFollow.school_id.in_(school_ids)
            )
        )
    )


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
    running = dict(
        db.session.execute(
            select(Campaign.school_id, func.count())
            .where(Campaign.school_id.in_(ids), Campaign.starts_on <= day, Campaign.ends_on >= day)
            .group_by(Campaign.school_id)
        ).all()
    )
    return [
        SchoolCard(s.id, s.name, s.district, counts.get(s.id, 0), s.id in mine, running.get(s.id, 0)) for s in schools
    ]


def follow(user: User, school_id: int) -> None:
    get_school(school_id)
    if (
        db.session.scalar(
            select(SchoolFollow.id).where(SchoolFollow.user_id == user.id, SchoolFollow.school_id == school_id)
        )
        is None
    ):
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


def staff_schools_query(user: User):
    """The staff list of schools: the public schools whose campaigns the caller reads."""
    schools = schools_read_by(user)
    return schools_query() if schools is None else schools_query().where(Zone.id.in_(sorted(schools)))


def staff_campaigns_query(user: User):
    """The staff list of campaigns: those of the schools the caller reads."""
    schools = schools_read_by(user)
    return campaigns_query(schools=None if schools is None else sorted(schools))
