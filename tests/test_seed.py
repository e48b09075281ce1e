from sqlalchemy import func, select

from app.accounts.models import User
from app.extensions import db


def test_seed_demo_is_idempotent(runner, app, client):
    first = runner.invoke(args=["seed", "demo"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(User))
    second = runner.invoke(args=["seed", "demo"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == count
    # The demo accounts printed by the command can sign in.
    response = client.post("/api/admin/v1/auth/login", json={"username": "admin", "password": "admin-demo-2026"})
    assert response.status_code == 200


def test_seed_demo_publicity(runner, app, client):
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
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


def test_seed_demo_bases(runner, app, client):
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
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
