"""Revealing an objector's personal data is one rule in the service, used by the staff API and the
console alike: the reveal is audited with the reason given, or says explicitly that none was given."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.publicity.objections import NO_REASON
from tests.factories import open_notice
from tests.helpers import assert_error
from tests.kept import kept
from tests.test_console import signed_in, text
from tests.test_objection_handling import objection_id, raise_objections

PHONE = "13812345678"  # the objector's phone in tests.test_objection_handling's objection


@pytest.fixture
def objection(request, app, client, auth):
    """An objection to a building zone in an open notice: its id. Kept (tests/kept.py)."""
    return kept(
        request, "reveal.objection", lambda: _objection(app, client, auth, request.getfixturevalue("fake_wechat"))
    )


def _objection(app, client, auth, fake_wechat):
    notice = open_notice(app, zone_types=("building",))
    _, receipts = raise_objections(client, auth, notice)
    return objection_id(app, receipts[0])


@pytest.fixture
def housing(auth):
    return auth.staff("department_officer", department="housing_construction")


def reveal_reasons(app) -> list:
    from app.audit.models import AuditEntry

    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "objection.reveal"))
        return [entry.after.get("reason") for entry in entries]


@pytest.mark.parametrize("path", ["/api/admin/v1/objections?reveal=1", "/api/admin/v1/objections/{id}?reveal=1"])
def test_a_reveal_without_a_reason_still_reveals(client, housing, objection, path):
    body = client.get(path.format(id=objection), headers=housing).json
    item = body["items"][0] if "items" in body else body
    assert item["personal"]["phone"] == PHONE


@pytest.mark.parametrize("path", ["/api/admin/v1/objections?reveal=1", "/api/admin/v1/objections/{id}?reveal=1"])
def test_a_reveal_without_a_reason_is_audited_as_such(app, client, housing, objection, path):
    client.get(path.format(id=objection), headers=housing)
    assert reveal_reasons(app) == [NO_REASON]


@pytest.mark.parametrize("path", ["/api/admin/v1/objections", "/api/admin/v1/objections/{id}"])
def test_a_reveal_with_a_reason_reveals(client, housing, objection, path):
    body = client.get(path.format(id=objection), query_string={"reveal": 1, "reason": "核实身份"}, headers=housing)
    item = body.json["items"][0] if "items" in body.json else body.json
    assert item["personal"]["phone"] == PHONE


@pytest.mark.parametrize("path", ["/api/admin/v1/objections", "/api/admin/v1/objections/{id}"])
def test_a_reveal_with_a_reason_keeps_it_in_the_audit(app, client, housing, objection, path):
    client.get(path.format(id=objection), query_string={"reveal": 1, "reason": " 核实身份 "}, headers=housing)
    assert reveal_reasons(app) == ["核实身份"]


@pytest.mark.parametrize("path", ["/api/admin/v1/objections", "/api/admin/v1/objections/{id}"])
def test_a_reason_over_200_characters_is_a_422_naming_it(client, housing, objection, path):
    response = client.get(path.format(id=objection), query_string={"reveal": 1, "reason": "因" * 201}, headers=housing)
    assert list(assert_error(response, 422, "validation_error")["details"]) == ["reason"]


def test_a_reason_over_200_characters_reveals_nothing(app, client, housing, objection):
    client.get("/api/admin/v1/objections", query_string={"reveal": 1, "reason": "因" * 201}, headers=housing)
    assert reveal_reasons(app) == []


def test_a_reason_of_200_characters_is_taken(app, client, housing, objection):
    client.get(
        f"/api/admin/v1/objections/{objection}", query_string={"reveal": 1, "reason": "因" * 200}, headers=housing
    )
    assert reveal_reasons(app) == ["因" * 200]


def test_a_reason_without_reveal_reveals_nothing(client, housing, objection):
    body = client.get(f"/api/admin/v1/objections/{objection}", query_string={"reason": "核实身份"}, headers=housing)
    assert body.json["personal"]["phone"] != PHONE


def test_the_reason_is_documented_beside_reveal(client):
    spec = client.get("/api/openapi.json").json
    parameters = spec["paths"]["/api/admin/v1/objections/{objection_id}"]["get"]["parameters"]
    reason = next(p for p in parameters if p["name"] == "reason")
    assert (reason["required"], reason["schema"]["maxLength"], "理由" in reason["description"]) == (False, 200, True)


def test_the_list_documents_the_reason_too(client):
    spec = client.get("/api/openapi.json").json
    names = [p["name"] for p in spec["paths"]["/api/admin/v1/objections"]["get"]["parameters"]]
    assert "reason" in names


# ---- the console: the same service, asking for a reason -----------------------------------------


def console_of(app, objection, username):
    console = signed_in(app, "department_officer", username, department="housing_construction")
    console.get(f"/console/objections/{objection}")
    return console


def test_the_console_keeps_its_reason_in_the_same_audit(app, objection):
    console_of(app, objection, "reveal-c1").post(f"/console/objections/{objection}/reveal", {"reason": "核实身份"})
    assert reveal_reasons(app) == ["核实身份"]


def test_the_console_asks_for_a_reason(app, objection):
    response = console_of(app, objection, "reveal-c2").post(f"/console/objections/{objection}/reveal", {"reason": ""})
    assert (response.status_code, PHONE in text(response), reveal_reasons(app)) == (422, False, [])


def test_the_console_says_so_beside_the_reason(app, objection):
    response = console_of(app, objection, "reveal-c3").post(f"/console/objections/{objection}/reveal", {"reason": " "})
    assert "请填写查看理由" in text(response).split('id="error-reason"', 1)[1].split("</p>", 1)[0]


def test_the_console_reason_field_is_required(app, objection):
    page = text(console_of(app, objection, "reveal-c4").get(f"/console/objections/{objection}"))
    assert '<input id="reason" name="reason" required' in page
