"""School-campaign fixtures and helpers shared by the campaign tests (a pytest plugin of conftest)."""

from datetime import timedelta

import pytest

from app.campaigns import catalogue
from tests.factories import make_zone
from tests.kept import kept


@pytest.fixture
def school(request, app):
    """A public school zone (in publicity): its id. Kept (tests/kept.py)."""
    return kept(request, "school", lambda: make_zone(app, "publicity", type="school"))


@pytest.fixture
def catalogue_synced(request, app):
    """The green-action catalogue of content/ published. Kept."""
    from pathlib import Path

    from app import uow

    def sync():
        with app.app_context():
            catalogue.sync_catalogue(Path(app.config["CONTENT_ROOT"]))
            uow.commit()

    return kept(request, "catalogue_synced", sync)


def _school_admin(auth, school_id):
    """The school's admin: one account per school and test (signing staff in hashes a password: slow)."""
    admins = vars(auth).setdefault("school_admins", {})
    if school_id not in admins:
        admins[school_id] = auth.staff("school_admin", school_id=school_id)
    return admins[school_id]


def _campaign(client, auth, school_id, **overrides):
    today = _today()
    body = {
        "title": "绿色出行周",
        "starts_on": (today - timedelta(days=3)).isoformat(),
        "ends_on": (today + timedelta(days=3)).isoformat(),
        "actions": ["walk", "clean_plate", "lights_off", "double_sided"],
        **overrides,
    }
    response = client.post(
        f"/api/admin/v1/schools/{school_id}/campaigns", json=body, headers=_school_admin(auth, school_id)
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


def _today():
    from zoneinfo import ZoneInfo

    from app.db_types import utcnow

    return utcnow().astimezone(ZoneInfo("Asia/Shanghai")).date()


def _student(client, auth, school_id, name, age_band="14_17", confirm=True, **extra):
    """A student who declared school, class and age band; confirmed by the school's list unless
    `confirm` is false (until then the declared band waits and they take part in no school-only campaign)."""
    headers = auth.wechat_headers(name)
    response = client.patch(
        "/api/mp/v1/me",
        json={"school_id": school_id, "class_name": "一班", "age_band": age_band, "nickname": name[:20], **extra},
        headers=headers,
    )
    assert response.status_code == 200, response.json
    if confirm:
        _confirm(client, auth, school_id, response.json["id"])
    return headers


def _confirm(client, auth, school_id, *user_ids):
    response = client.post(
        f"/api/admin/v1/schools/{school_id}/students/confirm",
        json={"user_ids": list(user_ids)},
        headers=_school_admin(auth, school_id),
    )
    assert response.status_code == 200, response.json
    return response.json["confirmed"]


def _checkin(client, headers, campaign_id, **body):
    return client.post(
        f"/api/mp/v1/campaigns/{campaign_id}/checkins",
        json={"action": "clean_plate", "quantity": 1, **body},
        headers=headers,
    )


@pytest.fixture
def running(request, app, client, auth):
    """The school's campaign, running since three days ago, joined by a confirmed student `stu`
    (14–17): {"school", "campaign", "headers"}. Kept."""

    def build():
        school = request.getfixturevalue("school")
        request.getfixturevalue("catalogue_synced")
        campaign_id = _campaign(client, auth, school)
        headers = _student(client, auth, school, "stu")
        assert client.post(f"/api/mp/v1/campaigns/{campaign_id}/join", headers=headers).status_code == 204
        return {"school": school, "campaign": campaign_id, "headers": headers}

    return kept(request, "running", build)
