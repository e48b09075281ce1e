"""Moderation of what students share (a check-in's note and photo), as schools need it: anyone may
report a post once, with a reason; after MODERATION_HIDE_AFTER reports (Decidim hides at 3) it is
hidden until a school admin or staff reviews it; a school admin hides at once. Hidden, never
deleted; the author sees why; unhiding keeps the count."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import uow
from app.accounts.models import User
from app.audit import services as audit
from app.campaigns.models import ActionCheckin, Campaign, PostReport
from app.campaigns.services import ensure_school_admin, get_campaign
from app.db_types import utcnow
from app.errors import AppError, Conflict, NotFound
from app.extensions import db

HIDDEN_BY_REPORTS = "多名用户举报，待学校审核"


def _post(checkin_id: int) -> ActionCheckin:
    post = db.session.scalar(select(ActionCheckin).where(ActionCheckin.id == checkin_id).with_for_update(of=ActionCheckin))
    if post is None or not post.is_post:
        raise NotFound("内容不存在")
    return post


def report(user: User, checkin_id: int, reason: str) -> ActionCheckin:
    """Use case: a user reports a post (once); enough reports hide it."""
    post = _post(checkin_id)
    if post.user_id == user.id:
        raise AppError("不能举报自己的内容", code="own_post", status=422)
    db.session.add(PostReport(checkin_id=post.id, user_id=user.id, reason=reason))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("你已经举报过这条内容", code="already_reported") from None
    post.report_count += 1
    if post.hidden_at is None and post.report_count >= current_app.config["MODERATION_HIDE_AFTER"]:
        post.hidden_at, post.hidden_reason = utcnow(), HIDDEN_BY_REPORTS
    uow.commit()
    return post


def hide(checkin_id: int, reason: str, actor: User) -> ActionCheckin:
    """Use case: the school's admin (or staff) hides a post at once, saying why to its author."""
    post = _post(checkin_id)
    ensure_school_admin(actor, get_campaign(post.campaign_id).school_id)
    post.hidden_at, post.hidden_reason = utcnow(), reason
    audit.record(actor, "post.hide", "campaign_checkin", post.id, None, {"reason": reason})
    uow.commit()
    return post


def unhide(checkin_id: int, actor: User) -> ActionCheckin:
    """Use case: after review the post is shown again; its report count stays."""
    post = _post(checkin_id)
    ensure_school_admin(actor, get_campaign(post.campaign_id).school_id)
    before = {"hidden_reason": post.hidden_reason}
    post.hidden_at = post.hidden_reason = None
    audit.record(actor, "post.unhide", "campaign_checkin", post.id, before, {"report_count": post.report_count})
    uow.commit()
    return post


def posts_query(campaign_id: int, viewer: User | None):
    """A campaign's posts others may see: not hidden, by students who may appear publicly; the
    viewer's own posts too, hidden ones included (with the reason)."""
    from app.campaigns.models import StudentProfile

    get_campaign(campaign_id)
    visible = (ActionCheckin.hidden_at.is_(None)) & (
        ~ActionCheckin.user_id.in_(select(StudentProfile.user_id).where(~StudentProfile.may_appear))
    )
    if viewer is not None:
        visible = visible | (ActionCheckin.user_id == viewer.id)
    return (
        select(ActionCheckin)
        .where(ActionCheckin.campaign_id == campaign_id, (ActionCheckin.note.is_not(None)) | (ActionCheckin.photo_url.is_not(None)))
        .where(visible)
        .order_by(ActionCheckin.created_at.desc(), ActionCheckin.id.desc())
    )  # fmt: skip


def queue_query(school_id: int, actor: User):
    """Hidden posts of the school's campaigns, for review."""
    ensure_school_admin(actor, school_id)
    return (
        select(ActionCheckin).join(Campaign, Campaign.id == ActionCheckin.campaign_id)
        .where(Campaign.school_id == school_id, ActionCheckin.hidden_at.is_not(None))
        .order_by(ActionCheckin.hidden_at.desc())
    )  # fmt: skip


def author_name(post: ActionCheckin) -> str:
    from app.campaigns.boards import display_name
    from app.campaigns.models import StudentProfile

    return display_name(post.user_id, db.session.get(StudentProfile, post.user_id))

