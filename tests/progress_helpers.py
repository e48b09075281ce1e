"""Zones under construction and the people around them, for the progress tests."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import select

from app.extensions import db
from app.zones.models import ZoneTransition
from tests.factories import make_zone

PASSWORD = "correct-horse-battery"
ADMIN = "/api/admin/v1"


def confirmed_zone(
    app, zone_type: str = "building", confirmed_on: date | None = None, status: str = "confirmed"
) -> int:
    """A zone moved to `status` through the lifecycle; with `confirmed_on`, its confirmation is moved
    back to that day (no service confirms in the past), so plans and quarters before today are allowed."""
    zone_id = make_zone(app, status, type=zone_type)
    if confirmed_on is not None:
        from zoneinfo import ZoneInfo

        with app.app_context():
            entry = db.session.scalar(
                select(ZoneTransition).where(ZoneTransition.zone_id == zone_id, ZoneTransition.to_status == "confirmed")
            )
            entry.occurred_at = datetime.combine(confirmed_on, time(9), ZoneInfo("Asia/Shanghai"))
            db.session.commit()
    return zone_id


def login(client, username: str) -> dict:
    response = client.post(f"{ADMIN}/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def make_reporter(client, creator: dict, zone_id: int, username: str) -> dict:
    """A zone reporter created through the staff API by `creator`, signed in."""
    response = client.post(
        f"{ADMIN}/users",
        json={"username": username, "password": PASSWORD, "role": "zone_reporter", "zone_id": zone_id},
        headers=creator,
    )
    assert response.status_code == 201, response.json
    return login(client, username)


def today(app) -> date:
    from app.times import local_today

    with app.app_context():
        return local_today()
