"""The lifecycle state machine through the staff API: only docs/domain.md's transitions, each recorded."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.campaign_helpers import _today as local_today
from tests.factories import make_zone, set_window, zone_data
from tests.helpers import assert_error
from tests.test_console import signed_in

# A re-review is not dated before the zone's title, which the factory grants today.
TODAY = local_today().isoformat()


def move(client, headers, zone_id, to, note=None):
    return client.post(f"/api/admin/v1/zones/{zone_id}/transitions", json={"to": to, "note": note}, headers=headers)


def test_full_path_records_every_step_with_actor(client, auth, app):
    institute = auth.staff("institute_staff")
    officer = auth.staff("department_officer", department="housing_construction")
    with app.app_context():
        body = zone_data(type="building")
    created = client.post("/api/admin/v1/zones", json=body, headers=institute)
    assert created.status_code == 201, created.json
    zone = created.json
    assert zone["status"] == "applied"
    assert zone["department"] == "housing_construction"
    assert [t["to_status"] for t in zone["timeline"]] == ["applied"]
    for to in ("expert_review", "site_check"):
        response = move(client, institute, zone["id"], to, f"到{to}")
        assert response.status_code == 200, response.json
        assert response.json["status"] == to
    # Into publicity and on to confirmed: the notice's steps (published, then closed after its window).
    now = datetime.now(UTC)
    notice = client.post(
        "/api/admin/v1/publicity",
        json={
            "batch_year": body["batch_year"],
            "zone_ids": [zone["id"]],
            "starts_at": (now + timedelta(minutes=1)).isoformat(),  # a window already begun is not published
            "ends_at": (now + timedelta(days=1)).isoformat(),
        },
        headers=institute,
    ).json
    assert client.post(f"/api/admin/v1/publicity/{notice['id']}/publish", headers=institute).status_code == 200
    set_window(app, notice["id"], starts_in=-7200, ends_in=-60)
    assert client.post(f"/api/admin/v1/publicity/{notice['id']}/close", headers=institute).status_code == 200
    response = move(client, institute, zone["id"], "acceptance_review", "到acceptance_review")
    assert response.status_code == 200, response.json
    titled = move(client, officer, zone["id"], "titled", "验收通过")
    assert titled.status_code == 200
    timeline = titled.json["timeline"]
    assert [t["to_status"] for t in timeline] == [
        "applied",
        "expert_review",
        "site_check",
        "publicity",
        "confirmed",
        "acceptance_review",
        "titled",
    ]
    assert [t["from_status"] for t in timeline][1:] == [t["to_status"] for t in timeline][:-1]
    assert all(t["actor_id"] for t in timeline)  # the settling too: the institute closed the notice
    assert timeline[-1]["note"] == "验收通过"
    assert titled.json["published_at"] is not None


def test_a_zone_is_not_put_into_publicity_by_hand(client, auth, app):
    zone_id = make_zone(app, "site_check", type="building")
    response = move(client, auth.staff("admin"), zone_id, "publicity")
    assert_error(response, 409, "publicity_by_notice")


def test_a_zone_put_into_publicity_by_hand_stays_where_it_was(client, auth, app):
    zone_id = make_zone(app, "site_check", type="building")
    move(client, auth.staff("admin"), zone_id, "publicity")
    assert client.get(f"/api/admin/v1/zones/{zone_id}", headers=auth.staff("admin")).json["status"] == "site_check"


def test_a_zone_is_not_confirmed_by_hand_even_with_no_notice_holding_it(client, auth, app):
    zone_id = make_zone(app, "publicity", type="building")
    response = move(client, auth.staff("admin"), zone_id, "confirmed")
    assert_error(response, 409, "publicity_by_notice")


def test_a_zone_in_publicity_with_no_notice_holding_it_may_be_rejected_by_hand(client, auth, app):
    zone_id = make_zone(app, "publicity", type="building")
    response = move(client, auth.staff("admin"), zone_id, "rejected", "申报单位撤回申报")
    assert response.json["status"] == "rejected"


def test_the_console_offers_no_button_into_publicity(app, auth):
    zone_id = make_zone(app, "site_check", type="building")
    page = signed_in(app, "institute_staff", "hand-steps-1").get(f"/console/zones/{zone_id}").get_data(as_text=True)
    assert 'name="to" value="publicity"' not in page


def test_the_console_says_how_a_zone_enters_publicity(app, auth):
    zone_id = make_zone(app, "site_check", type="building")
    page = signed_in(app, "institute_staff", "hand-steps-2").get(f"/console/zones/{zone_id}").get_data(as_text=True)
    assert 'data-next="publicity"' in page


def test_the_console_refuses_confirming_by_hand(app, auth):
    zone_id = make_zone(app, "publicity", type="building")
    console = signed_in(app, "institute_staff", "hand-steps-3")
    console.get(f"/console/zones/{zone_id}")
    console.post(f"/console/zones/{zone_id}/transitions", {"to": "confirmed", "from": "publicity"})
    assert app.test_client().get(f"/api/mp/v1/zones/{zone_id}").json["status"] == "publicity"


@pytest.mark.parametrize(
    "status,to",
    [
        ("applied", "site_check"),  # skipping a step
        ("applied", "titled"),
        ("expert_review", "publicity"),
        ("confirmed", "rejected"),
        ("titled", "revoked"),  # only through a failed re-review
        ("rejected", "applied"),  # final
        ("rejected", "expert_review"),
        ("revoked", "titled"),  # final
    ],
)
def test_invalid_transitions_are_409_naming_the_allowed_ones(client, auth, app, status, to):
    admin = auth.staff("admin")
    zone_id = make_zone(app, status)
    error = assert_error(move(client, admin, zone_id, to, "理由"), 409, "invalid_transition")
    assert error["details"]["from"] == status
    assert error["details"]["to"] == to
    from app.zones.constants import TRANSITIONS, Status

    assert error["details"]["allowed"] == [s.value for s in TRANSITIONS[Status(status)]]
    assert client.get(f"/api/admin/v1/zones/{zone_id}", headers=admin).json["status"] == status


def test_unknown_target_status_is_422(client, auth, app):
    admin = auth.staff("admin")
    zone_id = make_zone(app)
    assert_error(move(client, admin, zone_id, "Expert_Review"), 422, "validation_error")
    assert_error(move(client, admin, zone_id, "approved"), 422, "validation_error")
    assert_error(move(client, admin, 99999, "expert_review"), 404, "not_found")


def test_rejection_needs_a_reason(client, auth, app):
    admin = auth.staff("admin")
    zone_id = make_zone(app, "site_check")
    error = assert_error(move(client, admin, zone_id, "rejected", "  "), 422, "validation_error")
    assert "note" in error["details"]
    assert move(client, admin, zone_id, "rejected", "现场核查不合格").json["status"] == "rejected"


def test_department_officer_only_for_its_types(client, auth, app):
    education = auth.staff("department_officer", department="education")
    factory_zone = make_zone(app, "applied", type="factory")
    school_zone = make_zone(app, "applied", type="school")
    # Another department's unpublished application: not found, as an id that does not exist.
    assert_error(move(client, education, factory_zone, "expert_review"), 404, "not_found")
    assert move(client, education, school_zone, "expert_review").status_code == 200
    # Nor may it create, edit or read the other department's zones' transitions
    with app.app_context():
        other = zone_data(type="factory")
    assert_error(client.post("/api/admin/v1/zones", json=other, headers=education), 403, "department_scope")
    assert_error(
        client.patch(f"/api/admin/v1/zones/{factory_zone}", json={"summary": "x"}, headers=education),
        404,
        "not_found",
    )


def test_only_departments_grant_titles(client, auth, app):
    institute = auth.staff("institute_staff")
    zone_id = make_zone(app, "acceptance_review", type="scenic")
    assert_error(move(client, institute, zone_id, "titled"), 403, "department_only")
    tourism = auth.staff("department_officer", department="culture_tourism")
    assert move(client, tourism, zone_id, "titled").json["status"] == "titled"


def test_citizens_and_anonymous_cannot_act(client, auth, app):
    zone_id = make_zone(app)
    assert_error(move(client, {}, zone_id, "expert_review"), 401, "unauthorized")
    assert_error(move(client, auth.wechat_headers("c"), zone_id, "expert_review"), 401, "token_wrong_audience")
    assert_error(move(client, auth.staff("institute_staff"), zone_id, "titled"), 409, "invalid_transition")


def test_re_reviews_passed_and_failed(client, auth, app):
    admin = auth.staff("admin")
    zone_id = make_zone(app, "titled", type="park")
    passed = client.post(
        f"/api/admin/v1/zones/{zone_id}/re-reviews",
        json={"reviewed_on": TODAY, "outcome": "passed", "note": "年度复核通过"},
        headers=admin,
    )
    assert passed.status_code == 201
    assert passed.json["outcome"] == "passed"
    assert_error(
        client.post(
            f"/api/admin/v1/zones/{zone_id}/re-reviews",
            json={"reviewed_on": TODAY, "outcome": "failed"},
            headers=admin,
        ),
        422,
        "validation_error",
    )
    assert_error(
        client.post(
            f"/api/admin/v1/zones/{zone_id}/re-reviews",
            json={"reviewed_on": "2999-01-01", "outcome": "passed"},
            headers=admin,
        ),
        422,
        "validation_error",
    )
    client.put(f"/api/admin/v1/zones/{zone_id}/education-base", json={"is_education_base": True}, headers=admin)
    failed = client.post(
        f"/api/admin/v1/zones/{zone_id}/re-reviews",
        json={"reviewed_on": TODAY, "outcome": "failed", "note": "管理缺位"},
        headers=admin,
    )
    assert failed.status_code == 201
    zone = client.get(f"/api/mp/v1/zones/{zone_id}").json  # revoked zones stay public
    assert zone["status"] == "revoked"
    assert zone["is_education_base"] is False
    assert zone["timeline"][-1]["to_status"] == "revoked"
    assert "管理缺位" in zone["timeline"][-1]["note"]
    assert [r["outcome"] for r in zone["re_reviews"]] == ["failed", "passed"]  # newest first
    # A revoked zone cannot be re-reviewed again
    assert_error(
        client.post(
            f"/api/admin/v1/zones/{zone_id}/re-reviews",
            json={"reviewed_on": "2026-10-01", "outcome": "passed"},
            headers=admin,
        ),
        409,
        "not_titled",
    )


def test_education_base_only_for_titled_zones(client, auth, app):
    admin = auth.staff("admin")
    confirmed = make_zone(app, "confirmed", type="scenic")
    titled = make_zone(app, "titled", type="scenic")
    assert_error(
        client.put(f"/api/admin/v1/zones/{confirmed}/education-base", json={"is_education_base": True}, headers=admin),
        409,
        "not_titled",
    )
    response = client.put(
        f"/api/admin/v1/zones/{titled}/education-base", json={"is_education_base": True}, headers=admin
    )
    assert response.status_code == 200
    assert response.json["is_education_base"] is True
    assert client.get(f"/api/mp/v1/zones/{titled}").json["is_education_base"] is True


@pytest.mark.postgres
def test_two_officers_moving_one_zone_at_once(app, auth, client):
    """The row lock makes the second of two simultaneous transitions see the new state: one wins."""
    import threading

    from app.zones import lifecycle

    zone_id = make_zone(app, "applied")
    barrier = threading.Barrier(8)
    outcomes = []

    def act():
        with app.app_context():
            barrier.wait()
            try:
                lifecycle.transition(zone_id, "expert_review", None, None)
                outcomes.append("ok")
            except lifecycle.InvalidTransition:
                outcomes.append("conflict")

    threads = [threading.Thread(target=act) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * 7 + ["ok"]
    admin = auth.staff("admin")
    timeline = client.get(f"/api/admin/v1/zones/{zone_id}", headers=admin).json["timeline"]
    assert [t["to_status"] for t in timeline] == ["applied", "expert_review"]


def _refused_page(app, zone_id):
    console = signed_in(app, "institute_staff", "hand-steps-4")
    console.get(f"/console/zones/{zone_id}")
    return console.post(f"/console/zones/{zone_id}/transitions", {"to": "titled", "from": "applied"})


def test_the_console_says_why_a_transition_is_refused(app, auth):
    page = _refused_page(app, make_zone(app, "applied", type="building")).get_data(as_text=True)
    assert "不能从「已申报」变更为「已授予称号」" in page


def test_the_console_shows_no_machine_details_of_a_refusal(app, auth):
    # details.allowed is for API clients: the page had listed "expert_review rejected".
    page = _refused_page(app, make_zone(app, "applied", type="building")).get_data(as_text=True)
    assert "expert_review" not in page
