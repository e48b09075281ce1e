"""A new campaign is announced to the followers of its school by subscribe message, once each:
one outbox message per follower, written in the campaign's own transaction (so exactly once) and
sent by the outbox's scheduled delivery (`outbox.deliver`, every minute), not in the request — a
school may have thousands of followers."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.campaigns.models import Campaign, SchoolFollow
from app.extensions import db
from app.outbox import services as outbox


def queue_announcements(campaign: Campaign) -> int:
    """Inside create_campaign's unit of work: one message per follower of the school."""
    template = current_app.config.get("WECHAT_TEMPLATE_CAMPAIGN_NEW")
    if not template:
        return 0
    followers = db.session.scalars(
        select(SchoolFollow.user_id).where(SchoolFollow.school_id == campaign.school_id).order_by(SchoolFollow.user_id)
    ).all()
    data = {
        "thing1": {"value": campaign.title[:20]},
        "thing2": {"value": campaign.school.name[:20]},
        "date3": {"value": campaign.starts_on.isoformat()},
    }
    for user_id in followers:
        outbox.queue(
            "campaign.new",
            user_id,
            template,
            data,
            page=f"pages/campaigns/detail?id={campaign.id}",
            ref=("campaign", campaign.id),
            send_now=False,
        )
    return len(followers)
