"""A new campaign is announced to the followers of its school by subscribe message, once each:
every (campaign, follower) is a row claimed with a conditional update before its message, so a
retry (`flask --app app campaigns send-announcements`, or two runs at once) never sends twice, and a
failure is retried a few times."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update

from app import uow
from app.accounts.models import User
from app.campaigns.models import AnnouncementStatus, Campaign, CampaignAnnouncement, SchoolFollow
from app.db_types import utcnow
from app.extensions import db
from app.wechat import services as wechat

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
STALE_CLAIM = timedelta(minutes=10)


def queue_announcements(campaign_id: int) -> int:
    """After a campaign is created: one pending announcement per follower of its school."""
    campaign = db.session.get(Campaign, campaign_id)
    followers = set(db.session.scalars(select(SchoolFollow.user_id).where(SchoolFollow.school_id == campaign.school_id)))
    queued = set(db.session.scalars(select(CampaignAnnouncement.user_id).where(
        CampaignAnnouncement.campaign_id == campaign_id)))  # fmt: skip
    for user_id in sorted(followers - queued):
        db.session.add(CampaignAnnouncement(campaign_id=campaign_id, user_id=user_id))
    uow.commit()
    return len(followers - queued)


def announce(campaign_id: int) -> int:
    """After-commit step of create_campaign: queue, then send what is due."""
    queue_announcements(campaign_id)
    return send_due(campaign_id)


def send_due(campaign_id: int | None = None) -> int:
    """Send every pending or failed announcement (fewer than MAX_ATTEMPTS tries); returns how many were sent."""
    template = current_app.config.get("WECHAT_TEMPLATE_CAMPAIGN_NEW")
    stmt = select(CampaignAnnouncement.id).where(_due(), CampaignAnnouncement.attempts < MAX_ATTEMPTS)
    if campaign_id is not None:
        stmt = stmt.where(CampaignAnnouncement.campaign_id == campaign_id)
    sent = 0
    for announcement_id in list(db.session.scalars(stmt)):
        claimed = db.session.execute(
            update(CampaignAnnouncement)
            .where(CampaignAnnouncement.id == announcement_id, _due())
            .values(status=AnnouncementStatus.SENDING, attempts=CampaignAnnouncement.attempts + 1, claimed_at=utcnow())
        ).rowcount  # fmt: skip
        uow.commit()
        if claimed != 1:
            continue  # another run took it
        announcement = db.session.get(CampaignAnnouncement, announcement_id)
        announcement.status = _send(announcement, template)
        sent += announcement.status == AnnouncementStatus.SENT
        uow.commit()
    return sent


def _due():
    """Pending, failed, or claimed by a run that died more than STALE_CLAIM ago."""
    return or_(
        CampaignAnnouncement.status.in_([AnnouncementStatus.PENDING, AnnouncementStatus.FAILED]),
        and_(CampaignAnnouncement.status == AnnouncementStatus.SENDING, CampaignAnnouncement.claimed_at < utcnow() - STALE_CLAIM),
    )


def _send(announcement: CampaignAnnouncement, template: str | None) -> AnnouncementStatus:
    user = db.session.get(User, announcement.user_id)
    if not template or user is None or not user.openid:
        return AnnouncementStatus.SKIPPED
    campaign = db.session.get(Campaign, announcement.campaign_id)
    try:
        wechat.send_subscribe_message(
            user.openid, template,
            {"thing1": {"value": campaign.title[:20]}, "thing2": {"value": campaign.school.name[:20]},
             "date3": {"value": campaign.starts_on.isoformat()}},
            page=f"pages/campaigns/detail?id={campaign.id}",
        )  # fmt: skip
    except wechat.SubscribeMessageFailed as exc:
        log.warning("campaign %s announcement to user %s failed: %s", campaign.id, user.id, exc)
        return AnnouncementStatus.FAILED
    return AnnouncementStatus.SENT
