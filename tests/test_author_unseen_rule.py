"""Why a post's author is unseen is said in Python (moderation._author_unseen, words for the author);
whether others may see them is one SQL rule (lookups.others_may_see, for boards and post lists). The
two must agree for every kind of author in every kind of campaign: each case below is one fact."""

from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.campaigns import lookups, moderation
from app.campaigns.models import AgeBand, Audience, Campaign, StudentProfile
from app.db_types import utcnow
from app.extensions import db
from tests.factories import make_zone

# Each author: None (declared no school), or a profile's fields; "other" means another school.
AUTHORS = {
    "no school declared": None,
    "unconfirmed": {"confirmed": False},
    "opted out": {"public_board": False},
    "under 14 without consent": {"age_band": AgeBand.UNDER_14},
    "under 14 with consent": {"age_band": AgeBand.UNDER_14, "consent": True},
    "14 to 17, confirmed": {},
    "adult, confirmed": {"age_band": AgeBand.ADULT},
    "another school's student": {"school": "other"},
}


@pytest.fixture
def world(app):
    """Two schools, a school-only and an open campaign of the first, and one user per kind of author."""
    home, other = make_zone(app, "publicity", type="school"), make_zone(app, "publicity", type="school")
    with app.app_context():
        campaigns = {}
        for audience in Audience:
            campaign = Campaign(
                school_id=home,
                title="绿色出行周",
                starts_on=date(2026, 11, 1),
                ends_on=date(2026, 12, 31),
                audience=audience,
                actions=["walk"],
            )
            db.session.add(campaign)
            db.session.flush()
            campaigns[audience] = campaign.id
        authors = {}
        for n, (kind, made) in enumerate(AUTHORS.items()):
            user = User(openid=f"o_unseen_rule_{n}")
            db.session.add(user)
            db.session.flush()
            authors[kind] = user.id
            if made is None:
                continue
            db.session.add(
                StudentProfile(
                    user_id=user.id,
                    school_id=other if made.get("school") == "other" else home,
                    age_band=made.get("age_band", AgeBand.FROM_14_TO_17),
                    public_board=made.get("public_board", True),
                    confirmed_at=utcnow() if made.get("confirmed", True) else None,
                    guardian_consent_at=utcnow() if made.get("consent") else None,
                )
            )
        db.session.commit()
    return {"campaigns": campaigns, "authors": authors}


@pytest.mark.parametrize("audience", list(Audience))
@pytest.mark.parametrize("kind", list(AUTHORS))
def test_the_words_and_the_rule_agree(app, world, kind, audience):
    user_id, campaign_id = world["authors"][kind], world["campaigns"][audience]
    with app.app_context():
        seen_by_rule = db.session.scalar(
            select(lookups.others_may_see(user_id)).select_from(Campaign).where(Campaign.id == campaign_id)
        )
        said = moderation._author_unseen(SimpleNamespace(user_id=user_id, campaign_id=campaign_id))
    assert (said is None) == bool(seen_by_rule)
