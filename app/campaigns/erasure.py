"""Students' personal data going away: when their account is deleted (profile, follows, check-ins
and the posts on them; their points leave every board) and, for everyone, the notes and photos of
check-ins CHECKIN_RETENTION_DAYS after their campaign ended (the points and CO2 stay: they are
numbers, not a person)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete, or_, select

from app import uow
from app.campaigns import boards
from app.campaigns.models import (
    ActionCheckin,
    Campaign,
    Participation,
    PostReport,
    SchoolFollow,
    StudentProfile,
)
from app.extensions import db


def forget_student(user_id: int) -> list[str]:
    """Writes only (the caller commits). Returns the URLs of the photos of the student's posts, for
    the caller to delete with the rest of the account's uploads. The boards of every campaign the
    student was on are rebuilt once the commit lands: the live board equals a rebuild."""
    campaign_ids = set(db.session.scalars(select(Participation.campaign_id).where(Participation.user_id == user_id)))
    campaign_ids |= set(db.session.scalars(select(ActionCheckin.campaign_id).where(ActionCheckin.user_id == user_id)))
    photos = [
        url
        for url in db.session.scalars(
            select(ActionCheckin.photo_url).where(
                ActionCheckin.user_id == user_id, ActionCheckin.photo_url.is_not(None)
            )
        )
    ]
    mine = select(ActionCheckin.id).where(ActionCheckin.user_id == user_id).scalar_subquery()
    db.session.execute(delete(PostReport).where(or_(PostReport.user_id == user_id, PostReport.checkin_id.in_(mine))))
    db.session.execute(delete(ActionCheckin).where(ActionCheckin.user_id == user_id))
    db.session.execute(delete(Participation).where(Participation.user_id == user_id))
    db.session.execute(delete(SchoolFollow).where(SchoolFollow.user_id == user_id))
    db.session.execute(delete(StudentProfile).where(StudentProfile.user_id == user_id))
    for campaign_id in sorted(campaign_ids):
        uow.after_commit(boards.rebuild, campaign_id)
    return photos


def due_posts(retention_days: int, today: date, limit: int) -> list[int]:
    """Check-ins of campaigns that ended more than `retention_days` ago still holding a note or photo."""
    cutoff = today - timedelta(days=retention_days)
    return list(
        db.session.scalars(
            select(ActionCheckin.id)
            .join(Campaign, Campaign.id == ActionCheckin.campaign_id)
            .where(
                Campaign.ends_on < cutoff, or_(ActionCheckin.note.is_not(None), ActionCheckin.photo_url.is_not(None))
            )
            .order_by(ActionCheckin.id)
            .limit(limit)
        )
    )


def purge_post(checkin_id: int) -> list[str] | None:
    """The note and photo of one check-in (None: already gone). Returns the photo URLs to delete."""
    checkin = db.session.scalar(
        select(ActionCheckin)
        .where(ActionCheckin.id == checkin_id)
        .with_for_update(of=ActionCheckin)
        .execution_options(populate_existing=True)
    )
    if checkin is None or (checkin.note is None and checkin.photo_url is None):
        return None
    photos = [checkin.photo_url] if checkin.photo_url else []
    checkin.note = checkin.photo_url = None
    return photos
