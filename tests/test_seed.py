import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.extensions import db
from tests.kept import kept


@pytest.fixture
def seeded(request, runner):
    """The data of `flask seed demo`, seeded once on a clean start. Kept (tests/kept.py): seeding
    takes seconds, and these tests only read what it left or seed again."""

    def seed():
        result = runner.invoke(args=["seed", "demo"])
        assert result.exit_code == 0, result.output

    return kept(request, "seed.demo", seed)


def test_seed_demo_is_idempotent(runner, app, client, seeded):
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(User))
    second = runner.invoke(args=["seed", "demo"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == count
    # The demo accounts printed by the command can sign in.
    response = client.post("/api/admin/v1/auth/login", json={"username": "admin", "password": "admin-demo-2026"})
    assert response.status_code == 200


def test_seed_demo_publicity(app, client, seeded):
    open_notices = client.get("/api/mp/v1/publicity?state=open").json["items"]
    closed_notices = client.get("/api/mp/v1/publicity?state=closed").json["items"]
    assert len(open_notices) == 1
    assert open_notices[0]["zone_count"] >= 3
    assert len(closed_notices) == 1
    closed = client.get(f"/api/mp/v1/publicity/{closed_notices[0]['id']}").json
    assert {z["outcome"] for z in closed["zones"]} == {"confirmed", "rejected"}
    assert any(z["upheld"] for z in closed["zones"])
    assert any(z["objections"] == 0 for z in closed["zones"])
    from app.publicity.models import Objection

    with app.app_context():
        states = set(db.session.scalars(select(Objection.status).where(Objection.notice_id == open_notices[0]["id"])))
    assert len(states) >= 3


def test_seed_demo_zones_in_the_open_notice_entered_publicity_when_it_opened(app, client, seeded):
    # A citizen read 状态变更为「公示中」 2025年6月3日 beside 正在公示 2026年11月25日至12月3日.
    notice = client.get("/api/mp/v1/publicity?state=open").json["items"][0]
    zone_id = client.get(f"/api/mp/v1/publicity/{notice['id']}").json["zones"][0]["zone_id"]
    entered = [e for e in client.get(f"/api/mp/v1/zones/{zone_id}").json["timeline"] if e["to_status"] == "publicity"]
    assert entered[-1]["occurred_at"][:10] == notice["starts_at"][:10]


def test_seed_demo_has_nothing_happen_after_now(app, seeded):
    from app.db_types import utcnow
    from app.publicity.models import ObjectionEvent

    with app.app_context():
        latest = db.session.scalar(select(func.max(ObjectionEvent.at)))
        assert latest <= utcnow()


def test_seed_demo_bases(app, client, seeded):
    bases = client.get("/api/mp/v1/bases").json
    assert bases["total"] >= 2
    from datetime import timedelta

    from app.db_types import utcnow

    today = utcnow().date()
    for base in bases["items"][:2]:
        slots = client.get(f"/api/mp/v1/bases/{base['id']}/slots?from={today}&to={today + timedelta(days=15)}").json[
            "items"
        ]
        days = {s["visit_date"] for s in slots}
        assert len(days) >= 10  # the next 14 days, closed on Mondays
    from app.visits.models import Booking

    with app.app_context():
        assert db.session.scalar(select(func.count(Booking.id))) >= 2


def _staff(client, username, password):
    response = client.post("/api/admin/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


@pytest.fixture
def seeded_progress(client, seeded):
    return {
        "reporter": _staff(client, "reporter", "reporter-demo-2026"),
        "housing": _staff(client, "housing", "housing-demo-2026"),
        "institute": _staff(client, "institute", "institute-demo-2026"),
    }


def test_seed_demo_tells_the_progress_story(app, client, seeded_progress):
    """One seeding (half a minute) for every fact of the progress demo; the dictionary names the fact
    that broke."""
    from app.progress.models import ZoneProgressReport
    from app.zones.constants import INDICATORS, ZoneType

    mine = client.get("/api/admin/v1/dashboard", headers=seeded_progress["reporter"]).json["my_zones"]
    reports = client.get(
        f"/api/admin/v1/zones/{mine[0]['zone_id']}/reports?per_page=50", headers=seeded_progress["reporter"]
    ).json["items"]
    returned = [r for r in reports if r["state"] == "returned"]
    with app.app_context():
        states = set(db.session.scalars(select(ZoneProgressReport.state)))
    complete, units_right = set(), True
    zones = client.get("/api/admin/v1/zones?per_page=100", headers=seeded_progress["institute"]).json["items"]
    for zone in zones:
        series = client.get(f"/api/admin/v1/zones/{zone['id']}/series", headers=seeded_progress["institute"]).json
        headline = series["indicators"][0]
        if headline["baseline"] and headline["target"] and headline["series"]:
            units_right &= headline["unit"] == INDICATORS[ZoneType(zone["type"])][0].unit
            complete.add(zone["type"])
    board = client.get("/api/admin/v1/dashboard", headers=seeded_progress["housing"]).json
    facts = {
        "the reporter has one zone, under construction": [
            z["status"] in ("confirmed", "acceptance_review") for z in mine
        ]
        == [True],
        "the reporter has a late milestone": bool(mine[0]["late_milestones"]),
        "the reporter has a returned report, each with a comment": bool(returned)
        and all(r["review_comment"] for r in returned),
        "reports of every outcome": {"accepted", "returned", "submitted"} <= states,
        "a series with baseline, target and values for every type": complete == {t.value for t in ZoneType},
        "series in their type's unit": units_right,
        "an overdue report for the housing officer": board["reports_overdue_total"] > 0,
        "an overdue problem for the housing officer": board["problems_overdue_total"] > 0,
    }
    assert facts == dict.fromkeys(facts, True)


def test_seed_demo_progress_is_idempotent(app, runner, seeded_progress):
    from app.progress.models import ZoneIndicatorValue, ZoneMilestone, ZoneProblem, ZoneProgressReport

    def counts():
        with app.app_context():
            return [
                db.session.scalar(select(func.count()).select_from(model))
                for model in (ZoneMilestone, ZoneProgressReport, ZoneIndicatorValue, ZoneProblem)
            ]

    before = counts()
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    assert counts() == before
