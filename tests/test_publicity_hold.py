"""A zone under publicity leaves it only through the closing of its window (docs/domain.md):
no officer confirms or rejects it by hand while the window is open, while its objections are
unsettled, or before the notice is closed; the console offers no button then."""

import pytest

from tests.factories import open_notice, set_window
from tests.helpers import assert_error
from tests.test_console import signed_in, text
from tests.test_objection_handling import decide, objection_id, raise_objections
from tests.test_publicity import objection_body, post


def transition(client, headers, zone_id, to, note=None):
    body = {"to": to, **({"note": note} if note else {})}
    return client.post(f"/api/admin/v1/zones/{zone_id}/transitions", json=body, headers=headers)


@pytest.mark.parametrize(("to", "note"), [("confirmed", None), ("rejected", "手工驳回")])
def test_no_transition_out_of_publicity_while_the_window_is_open(client, auth, app, to, note):
    notice = open_notice(app, ("building",))
    zone_id = notice["zone_ids"][0]
    error = assert_error(transition(client, auth.staff("admin"), zone_id, to, note), 409, "publicity_window_open")
    assert error["details"]["notice_id"] == notice["id"]


def test_the_window_message_states_the_window_in_words(client, auth, app):
    notice = open_notice(app, ("building",))
    error = assert_error(
        transition(client, auth.staff("admin"), notice["zone_ids"][0], "confirmed"), 409, "publicity_window_open"
    )
    assert "公示期为" in error["message"]
    assert error["details"]["ends_at"] not in error["message"]


def test_the_zone_stays_in_publicity_and_objections_still_reach_it(client, auth, app):
    notice = open_notice(app, ("building",))
    zone_id = notice["zone_ids"][0]
    transition(client, auth.staff("admin"), zone_id, "confirmed")
    assert client.get(f"/api/mp/v1/zones/{zone_id}").json["status"] == "publicity"
    response = post(client, notice["id"], objection_body(zone_id), auth.wechat_headers("late-objector"))
    assert response.status_code == 201


def test_open_objections_hold_the_zone_after_the_window(client, auth, app):
    notice = open_notice(app, ("building",))
    zone_id = notice["zone_ids"][0]
    _, (receipt,) = raise_objections(client, auth, notice)
    housing = auth.staff("department_officer", department="housing_construction")
    assert decide(client, housing, objection_id(app, receipt), "accepted").status_code == 200
    set_window(app, notice["id"], starts_in=-86400, ends_in=-1)
    error = assert_error(transition(client, housing, zone_id, "confirmed"), 409, "objections_pending")
    assert error["details"]["pending_objections"] == 1


def test_an_ended_window_not_yet_closed_still_holds_the_zone(client, auth, app):
    notice = open_notice(app, ("building",))
    set_window(app, notice["id"], starts_in=-86400, ends_in=-1)
    assert_error(
        transition(client, auth.staff("admin"), notice["zone_ids"][0], "confirmed"), 409, "publicity_not_settled"
    )


def test_closing_the_window_still_settles_the_zone(client, auth, app):
    notice = open_notice(app, ("building",))
    set_window(app, notice["id"], starts_in=-86400, ends_in=-1)
    report = client.post(f"/api/admin/v1/publicity/{notice['id']}/close", headers=auth.staff("institute_staff")).json
    assert report["confirmed"] == notice["zone_ids"]


def test_the_last_decision_after_the_window_still_settles_the_zone(client, auth, app):
    notice = open_notice(app, ("building",))
    zone_id = notice["zone_ids"][0]
    _, (receipt,) = raise_objections(client, auth, notice)
    housing = auth.staff("department_officer", department="housing_construction")
    oid = objection_id(app, receipt)
    decide(client, housing, oid, "accepted")
    decide(client, housing, oid, "investigating")
    set_window(app, notice["id"], starts_in=-86400, ends_in=-1)
    client.post(f"/api/admin/v1/publicity/{notice['id']}/close", headers=auth.staff("institute_staff"))
    assert decide(client, housing, oid, "upheld").status_code == 200
    assert client.get(f"/api/mp/v1/zones/{zone_id}").json["status"] == "rejected"


def test_a_settled_zone_moves_on_as_usual(client, auth, app):
    notice = open_notice(app, ("building",))
    zone_id = notice["zone_ids"][0]
    set_window(app, notice["id"], starts_in=-86400, ends_in=-1)
    client.post(f"/api/admin/v1/publicity/{notice['id']}/close", headers=auth.staff("institute_staff"))
    assert transition(client, auth.staff("admin"), zone_id, "acceptance_review").status_code == 200


def test_the_console_offers_no_button_while_the_window_holds(app, auth):
    notice = open_notice(app, ("building",))
    console = signed_in(app, "institute_staff", "hold-institute")
    page = text(console.get(f"/console/zones/{notice['zone_ids'][0]}"))
    assert "转为「已确定创建」" not in page


def test_the_console_says_why_there_is_no_button(app, auth):
    notice = open_notice(app, ("building",))
    console = signed_in(app, "institute_staff", "hold-institute-2")
    page = console.get(f"/console/zones/{notice['zone_ids'][0]}").get_data(as_text=True)
    assert 'data-hold="publicity_window_open"' in page


def test_the_console_refuses_a_posted_transition_during_the_window(app, auth):
    notice = open_notice(app, ("building",))
    zone_id = notice["zone_ids"][0]
    console = signed_in(app, "institute_staff", "hold-institute-3")
    console.get(f"/console/zones/{zone_id}")
    console.post(f"/console/zones/{zone_id}/transitions", {"to": "confirmed", "from": "publicity"})
    assert app.test_client().get(f"/api/mp/v1/zones/{zone_id}").json["status"] == "publicity"
