"""Moderation of what students share (a check-in's note and photo), as schools need it: anyone may
report a post once, with a reason; after MODERATION_HIDE_AFTER reports (Decidim hides at 3) it is
hidden until a school admin or staff reviews it; a school admin hides at once. A post WeChat's
content check did not pass outright (`needs_review`: its verdict was "review", or WeChat could not be
asked, or its photo is not yet checked) waits in the same queue and is shown to others only once
the school approves it. Hidden, never deleted; the author sees why; unhiding keeps the count.

Who sees a post is one rule (`shown_to`): the list of a campaign's posts and every endpoint that
names a post apply it, so a post one cannot see is the same 404 as one that does not exist."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import exists, false, func, select
from sqlalchemy.exc import IntegrityError

from app import uow
from app.accounts.models import User
from app.audit import services as audit
from app.campaigns.lookups import display_name, ensure_school_admin, get_campaign, others_may_see
from app.campaigns.models import ActionCheckin, Audience, Campaign, PostReport, StudentProfile
from app.db_types import utcnow
from app.errors import AppError, Conflict, NotFound
from app.extensions import db

HIDDEN_BY_REPORTS = "多名用户举报，待学校审核"
HIDDEN_BY_SCHOOL = "已被学校隐藏"
WAITING_FOR_REVIEW = "待学校审核"
VOIDED_BY_SCHOOL = "已被学校作废"
NO_POST = "内容不存在"

IS_POST = ActionCheckin.note.is_not(None) | ActionCheckin.photo_url.is_not(None)


def shown_to(viewer: User | None):
    """SQL (Campaign joined): the posts the viewer may see. What students share is for their school
    (docs/privacy.md: the school's students and admin): a viewer who is a confirmed student of the
    campaign's school sees the posts not hidden, not waiting for review, not voided, by someone others
    may see in that campaign (lookups.others_may_see); anyone else, signed in or not, none. Everyone
    sees their own, hidden, waiting or voided ones included (with why). The school's admins read
    them in the staff API's moderation pages."""
    if viewer is None:
        return false()
    schoolmate = exists().where(
        StudentProfile.user_id == viewer.id,
        StudentProfile.school_id == Campaign.school_id,
        StudentProfile.confirmed_at.is_not(None),
    )
    visible = (
        schoolmate
        & ActionCheckin.hidden_at.is_(None)
        & ~ActionCheckin.needs_review
        & ActionCheckin.counts
        & others_may_see(ActionCheckin.user_id)
    )
    return IS_POST & (visible | (ActionCheckin.user_id == viewer.id))


# Why others do not see the author at all (others_may_see), as the author reads it.
AUTHOR_NOT_CONFIRMED = "学校确认你的身份后，同学们才能看到"
AUTHOR_OPTED_OUT = "你选择了不在公开榜单显示，同学们看不到"
AUTHOR_WITHOUT_CONSENT = "监护人同意后，同学们才能看到"
AUTHOR_OF_ANOTHER_SCHOOL = "本活动只对本校同学开放，同学们看不到"


def _author_unseen(post: ActionCheckin) -> str | None:
    """lookups.others_may_see for the post's author, in words: None when others may see them (the
    two agree case by case: tests/test_author_unseen_rule.py)."""
    profile = db.session.get(StudentProfile, post.user_id)
    campaign = db.session.get(Campaign, post.campaign_id)
    if profile is None:  # declared no school: seen in open campaigns only
        return AUTHOR_OF_ANOTHER_SCHOOL if campaign.audience == Audience.SCHOOL else None
    if profile.confirmed_at is None:
        return AUTHOR_NOT_CONFIRMED
    if not profile.public_board:
        return AUTHOR_OPTED_OUT
    if profile.minor_without_consent:
        return AUTHOR_WITHOUT_CONSENT
    if campaign.audience == Audience.SCHOOL and profile.school_id != campaign.school_id:
        return AUTHOR_OF_ANOTHER_SCHOOL
    return None


def is_hidden(post: ActionCheckin) -> bool:
    """Whether others do not see the post (shown_to): hidden, waiting for review, voided, or its
    author not to be seen."""
    return why_hidden(post) is not None


def why_hidden(post: ActionCheckin) -> str | None:
    """Why others do not see the post, as its author reads it; None when they do. Voiding comes
    first: it holds whatever a review decides."""
    if not post.counts:
        return VOIDED_BY_SCHOOL
    if post.hidden_at is not None:
        return post.hidden_reason or HIDDEN_BY_SCHOOL
    if post.needs_review:
        return WAITING_FOR_REVIEW
    return _author_unseen(post)


def _posts():
    return select(ActionCheckin).join(Campaign, Campaign.id == ActionCheckin.campaign_id)


def _post(checkin_id: int) -> ActionCheckin:
    """A post for its school's staff (who see hidden ones)."""
    post = db.session.scalar(
        select(ActionCheckin)
        .where(ActionCheckin.id == checkin_id)
        .with_for_update(of=ActionCheckin)
        .execution_options(populate_existing=True)
    )
    if post is None or not post.is_post:
        raise NotFound(NO_POST)
    return post


def visible_post(checkin_id: int, viewer: User | None, *, lock: bool = False) -> ActionCheckin:
    """A post as the viewer may see it, else 404 — the same 404 as a post that does not exist."""
    stmt = _posts().where(ActionCheckin.id == checkin_id, shown_to(viewer))
    post = db.session.scalar(
        stmt.with_for_update(of=ActionCheckin).execution_options(populate_existing=True) if lock else stmt
    )
    if post is None:
        raise NotFound(NO_POST)
    return post


def report(user: User, checkin_id: int, reason: str) -> None:
    """Use case: a user reports a post they can see (once); enough reports hide it. The answer says
    nothing about the post: reporting is not a way to read it."""
    post = visible_post(checkin_id, user, lock=True)
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


def hide(checkin_id: int, reason: str, actor: User) -> ActionCheckin:
    """Use case: the school's admin (or staff) hides a post at once, saying why to its author."""
    post = _post(checkin_id)
    ensure_school_admin(actor, get_campaign(post.campaign_id).school_id)
    post.hidden_at, post.hidden_reason = utcnow(), reason
    audit.record(actor, "post.hide", "campaign_checkin", post.id, None, {"reason": reason})
    uow.commit()
    return post


def unhide(checkin_id: int, actor: User) -> ActionCheckin:
    """Use case: after review the post is shown (again; one waiting for review, for the first time);
    its report count stays."""
    post = _post(checkin_id)
    ensure_school_admin(actor, get_campaign(post.campaign_id).school_id)
    before = {"hidden_reason": post.hidden_reason, "needs_review": post.needs_review}
    post.hidden_at = post.hidden_reason = None
    post.needs_review = False
    audit.record(actor, "post.unhide", "campaign_checkin", post.id, before, {"report_count": post.report_count})
    uow.commit()
    return post


def posts_query(campaign_id: int, viewer: User | None):
    """A campaign's posts the viewer may see (shown_to), newest first."""
    get_campaign(campaign_id)
    return (
        _posts()
        .where(ActionCheckin.campaign_id == campaign_id, shown_to(viewer))
        .order_by(ActionCheckin.created_at.desc(), ActionCheckin.id.desc())
    )


def queue_query(school_id: int, actor: User):
    """Posts of the school's campaigns waiting for review: hidden, or not yet passed by WeChat's
    content check (needs_review), newest first."""
    ensure_school_admin(actor, school_id)
    return (
        select(ActionCheckin)
        .join(Campaign, Campaign.id == ActionCheckin.campaign_id)
        .where(
            Campaign.school_id == school_id,
            IS_POST,
            ActionCheckin.hidden_at.is_not(None) | ActionCheckin.needs_review,
        )
        .order_by(func.coalesce(ActionCheckin.hidden_at, ActionCheckin.created_at).desc(), ActionCheckin.id.desc())
    )


def author_name(post: ActionCheckin) -> str:
    return display_name(post.user_id, db.session.get(StudentProfile, post.user_id))
