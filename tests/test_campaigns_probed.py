"""Defects a tester probed in school campaigns: an under-14's nickname shown to staff other than the
school's own admins without a guardian's consent; a note WeChat left for review shown on the wall at
once; quantities sent as JSON strings accepted; campaigns created with duplicate actions, actions
without a factor, or already over."""

from datetime import timedelta

import pytest

from tests.campaign_helpers import _checkin, _school_admin, _student, _today
from tests.helpers import assert_error

MP = "/api/mp/v1"
ADMIN = "/api/admin/v1"
KID = "probedkid"  # an under-14 the school confirmed, without a guardian's consent
REVIEW_NOTE = "待审的笔记"  # the fake WeChat answers "review" for a text with 待审


# ---- an under-14's nickname without a guardian's consent: only the school's own admins ---------------


@pytest.fixture
def kid(client, auth, running):
    """The under-14 `KID` joined the running campaign and checked in with a note: {**running, "checkin"}."""
    headers = _student(client, auth, running["school"], KID, age_band="under_14")
    assert client.post(f"{MP}/campaigns/{running['campaign']}/join", headers=headers).status_code == 204
    done = _checkin(client, headers, running["campaign"], note="今天光盘了")
    assert done.status_code == 201, done.json
    return {**running, "checkin": done.json["id"]}


def _csv_nicknames(client, headers, campaign_id):
    body = client.get(f"{ADMIN}/campaigns/{campaign_id}/checkins.csv", headers=headers).get_data(as_text=True)
    return {line.split(",")[3] for line in body.splitlines()[1:]}


def test_the_institute_gets_no_nickname_of_a_minor_without_consent_in_the_csv(client, auth, kid):
    assert KID not in _csv_nicknames(client, auth.staff("institute_staff"), kid["campaign"])


def test_a_system_admin_gets_no_nickname_of_a_minor_without_consent_in_the_csv(client, auth, kid):
    assert KID not in _csv_nicknames(client, auth.staff("admin"), kid["campaign"])


def test_the_institute_gets_no_nickname_of_a_minor_without_consent_in_the_checkins(client, auth, kid):
    listed = client.get(f"{ADMIN}/campaigns/{kid['campaign']}/checkins", headers=auth.staff("institute_staff")).json
    assert KID not in {item["nickname"] for item in listed["items"]}


def test_confirming_a_minors_checkin_names_no_nickname_to_the_institute(client, auth, kid):
    confirmed = client.post(f"{ADMIN}/checkins/{kid['checkin']}/confirm", headers=auth.staff("institute_staff"))
    assert confirmed.json["nickname"] is None


def test_the_institute_gets_no_nickname_of_a_minor_without_consent_in_the_students(client, auth, kid):
    listed = client.get(f"{ADMIN}/schools/{kid['school']}/students", headers=auth.staff("institute_staff")).json
    assert KID not in {item["nickname"] for item in listed["items"]}


def _hidden_by_the_school(client, auth, kid):
    hidden = client.post(
        f"{ADMIN}/posts/{kid['checkin']}/hide",
        json={"reason": "请勿晒照片"},
        headers=_school_admin(auth, kid["school"]),
    )
    assert hidden.status_code == 200, hidden.json


def test_the_institute_gets_no_nickname_of_a_minor_without_consent_in_the_moderation_queue(client, auth, kid):
    _hidden_by_the_school(client, auth, kid)
    queue = client.get(f"{ADMIN}/schools/{kid['school']}/moderation", headers=auth.staff("institute_staff")).json
    assert KID not in {item["author"] for item in queue["items"]}


def test_the_console_campaign_page_shows_the_institute_no_nickname_of_a_minor_without_consent(app, kid):
    from tests.test_console import signed_in, text

    console = signed_in(app, "institute_staff", "probed-institute-1")
    assert KID not in text(console.get(f"/console/campaigns/{kid['campaign']}"))


def test_the_console_school_page_shows_the_institute_no_nickname_of_a_minor_without_consent(app, client, auth, kid):
    from tests.test_console import signed_in, text

    _hidden_by_the_school(client, auth, kid)  # in the review queue as well as in the students' list
    console = signed_in(app, "institute_staff", "probed-institute-2")
    assert KID not in text(console.get(f"/console/schools/{kid['school']}"))


# ---- a note WeChat's check left for review waits for the school ------------------------------------


@pytest.fixture
def pending(client, running):
    """The running campaign with a check-in whose note WeChat's check left for review: {**running, "checkin"}."""
    done = _checkin(client, running["headers"], running["campaign"], action="double_sided", note=REVIEW_NOTE)
    assert (done.status_code, done.json["needs_review"]) == (201, True), done.json
    return {**running, "checkin": done.json["id"]}


def _wall_notes(client, campaign_id, headers=None):
    listed = client.get(f"{MP}/campaigns/{campaign_id}/posts?per_page=100", headers=headers or {}).json
    return [item["note"] for item in listed["items"]]


def test_a_note_waiting_for_review_is_not_on_the_wall_for_the_public(client, pending):
    assert REVIEW_NOTE not in _wall_notes(client, pending["campaign"])


def test_a_note_waiting_for_review_is_not_on_the_wall_for_a_classmate(client, auth, pending):
    classmate = _student(client, auth, pending["school"], "probedmate")
    assert REVIEW_NOTE not in _wall_notes(client, pending["campaign"], classmate)


def test_the_author_sees_their_note_waiting_for_review_as_not_shown(client, pending):
    listed = client.get(f"{MP}/campaigns/{pending['campaign']}/posts", headers=pending["headers"]).json["items"]
    assert [p["hidden"] for p in listed if p["id"] == pending["checkin"]] == [True]


def test_a_note_waiting_for_review_cannot_be_reported_by_others(client, auth, pending):
    classmate = _student(client, auth, pending["school"], "probedreporter")
    response = client.post(f"{MP}/posts/{pending['checkin']}/reports", json={"reason": "不当内容"}, headers=classmate)
    assert_error(response, 404, "not_found")


def test_a_note_waiting_for_review_is_in_the_schools_review_queue(client, auth, pending):
    queue = client.get(
        f"{ADMIN}/schools/{pending['school']}/moderation", headers=_school_admin(auth, pending["school"])
    ).json
    assert pending["checkin"] in {item["id"] for item in queue["items"]}


# ---- numbers in JSON bodies are JSON numbers ------------------------------------------------------


def test_a_check_in_quantity_sent_as_a_string_is_422_naming_it(client, running):
    response = _checkin(client, running["headers"], running["campaign"], action="double_sided", quantity="2")
    assert "quantity" in assert_error(response, 422, "validation_error")["details"]


@pytest.mark.parametrize("field", ["kw", "hours"])
def test_a_class_action_number_sent_as_a_string_is_422_naming_it(client, auth, running, field):
    body = {"class_name": "一班", "action": "lights_off", "kw": 2, "hours": 1, field: "1"}
    response = client.post(
        f"{ADMIN}/campaigns/{running['campaign']}/class-actions",
        json=body,
        headers=_school_admin(auth, running["school"]),
    )
    assert field in assert_error(response, 422, "validation_error")["details"]


# ---- creating a campaign ------------------------------------------------------------------------------


def _create(client, auth, school, **overrides):
    today = _today()
    body = {
        "title": "探查活动",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=5)).isoformat(),
        "actions": ["double_sided"],
        **overrides,
    }
    return client.post(f"{ADMIN}/schools/{school}/campaigns", json=body, headers=_school_admin(auth, school))


def _refused_fields(response):
    return set(assert_error(response, 422, "validation_error")["details"])


def test_an_action_twice_is_422_naming_actions(client, auth, school, catalogue_synced):
    response = _create(client, auth, school, actions=["double_sided", "double_sided"])
    assert _refused_fields(response) == {"actions"}


def test_an_action_without_a_factor_on_the_first_day_is_422_naming_actions(client, auth, school, catalogue_synced):
    response = _create(client, auth, school, starts_on="2024-12-20")  # the catalogue's factors start in 2025
    assert _refused_fields(response) == {"actions"}


def test_a_campaign_in_2020_is_422_naming_its_actions_without_factors(client, auth, school, catalogue_synced):
    response = _create(client, auth, school, starts_on="2020-01-01", ends_on="2020-01-10")
    assert "actions" in _refused_fields(response)


def test_a_campaign_in_2020_is_422_naming_its_end(client, auth, school, catalogue_synced):
    response = _create(client, auth, school, starts_on="2020-01-01", ends_on="2020-01-10")
    assert "ends_on" in _refused_fields(response)


def test_a_campaign_that_ended_yesterday_is_422_naming_ends_on(client, auth, school, catalogue_synced):
    today = _today()
    response = _create(
        client,
        auth,
        school,
        starts_on=(today - timedelta(days=10)).isoformat(),
        ends_on=(today - timedelta(days=1)).isoformat(),
    )
    assert _refused_fields(response) == {"ends_on"}


def test_the_console_refuses_an_action_twice(app, school, catalogue_synced):
    from tests.test_console import signed_in

    console = signed_in(app, "school_admin", "probed-teacher", school_id=school)
    console.get(f"/console/schools/{school}/campaigns/new")
    today = _today().isoformat()
    form = {
        "title": "节能周",
        "starts_on": today,
        "ends_on": today,
        "audience": "school",
        "actions": ["clean_plate", "clean_plate"],
    }
    assert console.post(f"/console/schools/{school}/campaigns/new", form).status_code == 422
