"""Following zones: follow/unfollow (idempotent, public zones only), the caller's own state kept off
the cached zone page, the list of what one follows, the feed (campaigns and zone updates, newest
first), and the followers' messages when a zone is titled, revoked or opened to visitors."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.outbox import services as outbox
from app.outbox.models import OutboxMessage
from app.zones.models import ZoneFollow
from tests.campaign_helpers import _campaign
from tests.campaign_helpers import _today as local_today
from tests.factories import make_zone
from tests.helpers import assert_error
from tests.kept import kept

TEMPLATE = "tpl-zone-update"


@pytest.fixture
def app_config(app_config):
    app_config["WECHAT_TEMPLATE_ZONE_UPDATE"] = TEMPLATE
    return app_config


def _follow(client, zone_id, headers):
    return client.post(f"/api/mp/v1/zones/{zone_id}/follow", headers=headers)


def _follows(app, zone_id):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ZoneFollow).where(ZoneFollow.zone_id == zone_id))


def _move(client, headers, zone_id, to, note=None):
    response = client.post(f"/api/admin/v1/zones/{zone_id}/transitions", json={"to": to, "note": note}, headers=headers)
    assert response.status_code == 200, response.json
    return response


def _messages(app, kind=None):
    with app.app_context():
        stmt = select(OutboxMessage.kind, OutboxMessage.user_id).order_by(OutboxMessage.id)
        rows = db.session.execute(stmt).all()
    return [tuple(r) for r in rows if kind is None or r[0] == kind]


def _sent(fake_wechat):
    return [m for m in fake_wechat.state()["sent_messages"] if m["template_id"] == TEMPLATE]


# ---- following ----------------------------------------------------------------------------------


def test_following_a_zone_that_is_not_public_is_404(app, client, auth):
    hidden = make_zone(app, "site_check")
    assert_error(_follow(client, hidden, auth.wechat_headers("early")), 404, "not_found")


def test_the_404_is_the_one_of_the_zone_page(app, client, auth):
    hidden = make_zone(app, "site_check")
    page = client.get(f"/api/mp/v1/zones/{hidden}").json["error"]["message"]
    assert _follow(client, hidden, auth.wechat_headers("early")).json["error"]["message"] == page


def test_unfollowing_a_zone_that_is_not_public_is_404(app, client, auth):
    hidden = make_zone(app, "applied")
    response = client.delete(f"/api/mp/v1/zones/{hidden}/follow", headers=auth.wechat_headers("early"))
    assert_error(response, 404, "not_found")


def test_following_needs_a_sign_in(app, client):
    zone_id = make_zone(app, "publicity")
    assert_error(_follow(client, zone_id, {}), 401, "unauthorized")


def test_following_twice_is_fine(app, client, auth):
    zone_id = make_zone(app, "publicity")
    headers = auth.wechat_headers("twice")
    statuses = [_follow(client, zone_id, headers).status_code for _ in range(2)]
    assert statuses == [204, 204]


def test_following_twice_follows_once(app, client, auth):
    zone_id = make_zone(app, "publicity")
    headers = auth.wechat_headers("twice")
    _follow(client, zone_id, headers)
    _follow(client, zone_id, headers)
    assert _follows(app, zone_id) == 1


def test_unfollowing_twice_is_fine(app, client, auth):
    zone_id = make_zone(app, "publicity")
    headers = auth.wechat_headers("leaver")
    _follow(client, zone_id, headers)
    statuses = [client.delete(f"/api/mp/v1/zones/{zone_id}/follow", headers=headers).status_code for _ in range(2)]
    assert (statuses, _follows(app, zone_id)) == ([204, 204], 0)


def test_the_follow_state_says_whether_i_follow(app, client, auth):
    zone_id = make_zone(app, "publicity")
    headers = auth.wechat_headers("fan")
    _follow(client, zone_id, headers)
    _follow(client, zone_id, auth.wechat_headers("other-fan"))
    state = client.get(f"/api/mp/v1/zones/{zone_id}/follow", headers=headers).json
    assert (state["following"], state["followers"]) == (True, 2)


def test_the_follow_state_after_unfollowing(app, client, auth):
    zone_id = make_zone(app, "publicity")
    headers = auth.wechat_headers("fan")
    _follow(client, zone_id, headers)
    client.delete(f"/api/mp/v1/zones/{zone_id}/follow", headers=headers)
    assert client.get(f"/api/mp/v1/zones/{zone_id}/follow", headers=headers).json["following"] is False


def test_the_cached_zone_page_holds_nothing_of_the_caller(app, client, auth):
    zone_id = make_zone(app, "publicity")
    headers = auth.wechat_headers("fan")
    _follow(client, zone_id, headers)
    mine = client.get(f"/api/mp/v1/zones/{zone_id}", headers=headers).get_data()
    assert mine == client.get(f"/api/mp/v1/zones/{zone_id}").get_data()


def test_my_follows_list_zones_and_schools(app, client, auth, school):
    zone_id = make_zone(app, "publicity", type="park")
    headers = auth.wechat_headers("collector")
    _follow(client, zone_id, headers)
    client.post(f"/api/mp/v1/schools/{school}/follow", headers=headers)
    listed = client.get("/api/mp/v1/me/follows", headers=headers).json
    assert sorted((f["kind"], f["id"]) for f in listed["items"]) == [("school", school), ("zone", zone_id)]


def test_my_follows_is_the_list_envelope(app, client, auth):
    listed = client.get("/api/mp/v1/me/follows", headers=auth.wechat_headers("nobody")).json
    assert listed == {"items": [], "page": 1, "per_page": 1, "total": 0}  # never 0: total / per_page


# ---- the feed -----------------------------------------------------------------------------------


@pytest.fixture
def feed(request, app, client, auth):
    """A follower of a school with a campaign and of a confirmed zone moved on after the campaign.
    Kept (tests/kept.py)."""
    return kept(request, "zone_follow.feed", lambda: _make_feed(request, app, client, auth))


def _make_feed(request, app, client, auth):
    school = request.getfixturevalue("school")
    request.getfixturevalue("catalogue_synced")
    headers = auth.wechat_headers("reader")
    zone_id = make_zone(app, "confirmed", type="park")
    client.post(f"/api/mp/v1/schools/{school}/follow", headers=headers)
    _follow(client, zone_id, headers)
    campaign_id = _campaign(client, auth, school)
    _move(client, auth.staff("admin"), zone_id, "acceptance_review")
    return {"headers": headers, "zone": zone_id, "campaign": campaign_id}


def _feed(client, headers, **query):
    return client.get("/api/mp/v1/me/feed", headers=headers, query_string=query).json


def test_the_feed_has_both_kinds(app, client, feed):
    items = _feed(client, feed["headers"], per_page=100)["items"]
    assert {i["kind"] for i in items} == {"campaign", "zone_update"}


def test_the_feed_is_newest_first(app, client, feed):
    items = _feed(client, feed["headers"], per_page=100)["items"]
    moments = [i["occurred_at"] for i in items]
    assert moments == sorted(moments, reverse=True)


def test_the_latest_transition_heads_the_feed(app, client, feed):
    first = _feed(client, feed["headers"])["items"][0]
    assert (first["kind"], first["zone"]["id"], first["zone"]["status"]) == (
        "zone_update",
        feed["zone"],
        "acceptance_review",
    )


def test_a_campaign_item_keeps_the_campaign_card(app, client, feed):
    items = _feed(client, feed["headers"], per_page=100)["items"]
    campaign = next(i for i in items if i["kind"] == "campaign")
    assert (campaign["id"], campaign["school_name"] != "") == (feed["campaign"], True)


def test_the_feed_has_every_step_of_the_followed_zones_timeline(app, client, feed):
    items = _feed(client, feed["headers"], per_page=100)["items"]
    timeline = client.get(f"/api/mp/v1/zones/{feed['zone']}").json["timeline"]
    assert len([i for i in items if i["kind"] == "zone_update"]) == len(timeline)


def test_the_feed_total_counts_every_item(app, client, feed):
    body = _feed(client, feed["headers"], per_page=100)
    assert body["total"] == len(body["items"])


def test_the_feed_pages_add_up_to_the_whole(app, client, feed):
    whole = _feed(client, feed["headers"], per_page=100)["items"]
    pages = [item for page in (1, 2, 3, 4) for item in _feed(client, feed["headers"], page=page, per_page=2)["items"]]
    assert pages == whole


def test_the_feed_leaves_out_zones_one_does_not_follow(app, client, auth, feed):
    other = make_zone(app, "publicity", type="factory")
    ids = {i["zone"]["id"] for i in _feed(client, feed["headers"], per_page=100)["items"] if i["kind"] == "zone_update"}
    assert other not in ids


def test_the_feed_has_a_milestone_done_on_a_followed_zone(app, client, auth, feed):
    from tests.campaign_helpers import _today

    admin = auth.staff("admin")
    made = client.post(
        f"/api/admin/v1/zones/{feed['zone']}/milestones",
        json={"name": "光伏屋顶并网", "planned_on": _today().isoformat()},
        headers=admin,
    )
    assert made.status_code == 201, made.json
    done = client.patch(
        f"/api/admin/v1/milestones/{made.json['id']}", json={"done_on": _today().isoformat()}, headers=admin
    )
    assert done.status_code == 200, done.json
    items = _feed(client, feed["headers"], per_page=100)["items"]
    assert [i["zone"]["id"] for i in items if i.get("update_kind") == "milestone"] == [feed["zone"]]


# ---- followers' messages ------------------------------------------------------------------------


@pytest.fixture
def followed(request, app, client, auth):
    """A zone in acceptance review with two followers. Kept (tests/kept.py)."""
    return kept(request, "zone_follow.followed", lambda: _make_followed(app, client, auth))


def _make_followed(app, client, auth):
    zone_id = make_zone(app, "acceptance_review", type="scenic")
    for name in ("fan1", "fan2"):
        _follow(client, zone_id, auth.wechat_headers(name))
    return zone_id


def test_followers_are_messaged_when_the_zone_is_titled(app, client, auth, followed):
    _move(client, auth.staff("admin"), followed, "titled")
    assert len(_messages(app, "zone.titled")) == 2


def test_the_title_messages_reach_wechat_once(app, client, auth, followed, fake_wechat):
    _move(client, auth.staff("admin"), followed, "titled")
    with app.app_context():
        outbox.deliver_due()
        outbox.deliver_due()  # the next scheduled run finds nothing more to send
    assert sorted(m["touser"] for m in _sent(fake_wechat)) == ["o_fake_fan1", "o_fake_fan2"]


def test_the_message_names_the_zone_and_what_happened(app, client, auth, followed, fake_wechat):
    _move(client, auth.staff("admin"), followed, "titled")
    with app.app_context():
        outbox.deliver_due()
    data = _sent(fake_wechat)[0]["data"]
    assert data["phrase2"]["value"] == "已授予称号"


def test_followers_are_messaged_when_the_title_is_revoked(app, client, auth, followed):
    admin = auth.staff("admin")
    _move(client, admin, followed, "titled")
    client.post(
        f"/api/admin/v1/zones/{followed}/re-reviews",
        json={"reviewed_on": local_today().isoformat(), "outcome": "failed", "note": "复核未达标"},
        headers=admin,
    )
    assert len(_messages(app, "zone.revoked")) == 2


def test_followers_are_messaged_once_when_it_opens_to_visitors(app, client, auth, followed):
    admin = auth.staff("admin")
    _move(client, admin, followed, "titled")
    for _ in range(2):  # designating it again is no new event
        client.put(f"/api/admin/v1/zones/{followed}/education-base", json={"is_education_base": True}, headers=admin)
    assert len(_messages(app, "zone.base_opened")) == 2


def test_other_transitions_send_no_message(app, client, auth):
    zone_id = make_zone(app, "confirmed")
    _follow(client, zone_id, auth.wechat_headers("fan"))
    _move(client, auth.staff("admin"), zone_id, "acceptance_review")
    assert _messages(app) == []


def test_only_followers_are_messaged(app, client, auth, followed, fake_wechat):
    auth.wechat_login("bystander")
    _move(client, auth.staff("admin"), followed, "titled")
    with app.app_context():
        outbox.deliver_due()
    assert "o_fake_bystander" not in {m["touser"] for m in _sent(fake_wechat)}


def test_a_failure_to_queue_never_fails_the_transition(app, client, auth, followed, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("outbox broken")

    monkeypatch.setattr(outbox, "queue", broken)
    _move(client, auth.staff("admin"), followed, "titled")
    assert client.get(f"/api/mp/v1/zones/{followed}").json["status"] == "titled"


def test_no_template_no_message(app, make_app, auth, followed):
    silent = make_app(WECHAT_TEMPLATE_ZONE_UPDATE=None)
    client = silent.test_client()
    from tests.conftest import Auth

    _move(client, Auth(silent, client).staff("admin"), followed, "titled")
    assert _messages(app) == []
