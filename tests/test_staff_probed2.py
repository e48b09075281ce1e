"""What a tester found probing the staff API and the console as a department officer (housing:
buildings and communities) and as institute staff: notices naming other departments' applications,
refusals that tell a hidden zone from a made-up id, the console's notice counts and forms, the
working-day calendar past its loaded years, the settling's words and actor, late publishing."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.factories import make_zone, set_window, zone_data
from tests.helpers import assert_error
from tests.test_console import signed_in, text
from tests.test_publicity import objection_body, post

ADMIN = "/api/admin/v1"
MISSING = 999999


def staff(auth, role, username, **scope):
    return auth.staff(role, username=username, **scope)


def housing(auth, username="housing"):
    return staff(auth, "department_officer", username, department="housing_construction")


def user_id(app, username):
    from app.accounts.models import User

    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def load_calendar(client, institute, first: date, last: date):
    """The set-up a notice needs (calendar_not_loaded otherwise): the years its window touches entered
    in the working-day calendar, where a year has no day yet (near a year's end, the next one)."""
    for year in range(first.year, last.year + 1):
        if not client.get(f"{ADMIN}/calendar/days?year={year}", headers=institute).json["total"]:
            day = {"day": f"{year}-01-01", "kind": "holiday", "note": "元旦"}
            assert client.put(f"{ADMIN}/calendar/days", json=day, headers=institute).status_code == 200


def draft(client, institute, zone_ids, batch_year=2025, **window):
    """A draft notice (through the staff API) over `zone_ids`, its window from tomorrow by default."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    load_calendar(client, institute, start.date(), (start + timedelta(days=3)).date())
    body = {
        "batch_year": batch_year,
        "zone_ids": zone_ids,
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=2)).isoformat(),
        **window,
    }
    response = client.post(f"{ADMIN}/publicity", json=body, headers=institute)
    assert response.status_code == 201, response.json
    return response.json["id"]


def published(app, client, institute, zone_ids, *, starts_in=-3600, ends_in=86400):
    """A published notice over `zone_ids` (published before its start), then its window moved."""
    notice_id = draft(client, institute, zone_ids)
    assert client.post(f"{ADMIN}/publicity/{notice_id}/publish", headers=institute).status_code == 200
    set_window(app, notice_id, starts_in=starts_in, ends_in=ends_in)
    return notice_id


def objection_on(client, auth, notice_id, zone_id, who="objector"):
    from app.publicity.models import Objection

    response = post(client, notice_id, objection_body(zone_id), auth.wechat_headers(who))
    assert response.status_code == 201, response.json
    with auth.app.app_context():
        return db.session.scalar(select(Objection.id).where(Objection.receipt_no == response.json["receipt_no"]))


def decide(client, headers, objection_id, status, reply="已核实，答复如下。"):
    return client.post(
        f"{ADMIN}/objections/{objection_id}/decision", json={"status": status, "reply": reply}, headers=headers
    )


# ---- 1. notices name only the zones the caller may know of ---------------------------------------


def test_the_staff_notice_list_leaves_out_another_departments_application(app, client, auth):
    park = make_zone(app, "site_check", type="park")
    draft(client, staff(auth, "institute_staff", "institute"), [park])
    listed = client.get(f"{ADMIN}/publicity", headers=housing(auth)).json["items"]
    assert park not in {z["zone_id"] for n in listed for z in n["zones"]}


def test_a_draft_of_another_departments_applications_is_not_found(app, client, auth):
    park = make_zone(app, "site_check", type="park")
    notice_id = draft(client, staff(auth, "institute_staff", "institute"), [park])
    assert_error(client.get(f"{ADMIN}/publicity/{notice_id}", headers=housing(auth)), 404, "not_found")


def test_a_mixed_draft_shows_an_officer_only_their_departments_zones(app, client, auth):
    park = make_zone(app, "site_check", type="park")
    building = make_zone(app, "site_check", type="building")
    notice_id = draft(client, staff(auth, "institute_staff", "institute"), [park, building])
    shown = client.get(f"{ADMIN}/publicity/{notice_id}", headers=housing(auth)).json
    assert [z["zone_id"] for z in shown["zones"]] == [building]


def test_the_console_notice_page_leaves_out_another_departments_application(app, client, auth):
    park = make_zone(app, "site_check", type="park", name="探针园区甲")
    building = make_zone(app, "site_check", type="building")
    notice_id = draft(client, staff(auth, "institute_staff", "institute"), [park, building])
    console = signed_in(app, "department_officer", "housing-c", department="housing_construction")
    assert "探针园区甲" not in text(console.get(f"/console/notices/{notice_id}"))


def test_the_console_notice_list_leaves_out_a_draft_of_another_departments_applications(app, client, auth):
    park = make_zone(app, "site_check", type="park")
    notice_id = draft(client, staff(auth, "institute_staff", "institute"), [park])
    console = signed_in(app, "department_officer", "housing-c", department="housing_construction")
    assert f'/console/notices/{notice_id}"' not in text(console.get("/console/notices"))


def test_a_duplicate_of_a_hidden_application_does_not_give_its_id(app, client, auth):
    make_zone(app, "applied", type="park", name="探针同名项目", batch_year=2026)
    with app.app_context():
        body = zone_data(type="building", name="探针同名项目", batch_year=2026)
    error = assert_error(client.post(f"{ADMIN}/zones", json=body, headers=housing(auth)), 409, "duplicate_zone")
    assert "zone_id" not in error["details"]


# ---- 2. a zone the caller may not see is not found, as a made-up id -------------------------------


def test_a_transition_of_a_hidden_zone_answers_as_a_made_up_id(app, client, auth):
    park = make_zone(app, "applied", type="park")
    officer = housing(auth)
    body = {"to": "expert_review"}
    hidden = client.post(f"{ADMIN}/zones/{park}/transitions", json=body, headers=officer)
    made_up = client.post(f"{ADMIN}/zones/{MISSING}/transitions", json=body, headers=officer)
    assert (hidden.status_code, hidden.json) == (made_up.status_code, made_up.json)


def test_an_edit_of_a_hidden_zone_answers_as_a_made_up_id(app, client, auth):
    park = make_zone(app, "applied", type="park")
    officer = housing(auth)
    hidden = client.patch(f"{ADMIN}/zones/{park}", json={"summary": "探针"}, headers=officer)
    made_up = client.patch(f"{ADMIN}/zones/{MISSING}", json={"summary": "探针"}, headers=officer)
    assert (hidden.status_code, hidden.json) == (made_up.status_code, made_up.json)


def test_designating_a_hidden_zone_answers_as_a_made_up_id(app, client, auth):
    park = make_zone(app, "applied", type="park")
    officer = housing(auth)
    body = {"is_education_base": True}
    hidden = client.put(f"{ADMIN}/zones/{park}/education-base", json=body, headers=officer)
    made_up = client.put(f"{ADMIN}/zones/{MISSING}/education-base", json=body, headers=officer)
    assert (hidden.status_code, hidden.json) == (made_up.status_code, made_up.json)


def test_a_re_review_of_a_hidden_zone_answers_as_a_made_up_id(app, client, auth):
    park = make_zone(app, "applied", type="park")
    officer = housing(auth)
    body = {"reviewed_on": "2026-01-05", "outcome": "passed"}
    hidden = client.post(f"{ADMIN}/zones/{park}/re-reviews", json=body, headers=officer)
    made_up = client.post(f"{ADMIN}/zones/{MISSING}/re-reviews", json=body, headers=officer)
    assert (hidden.status_code, hidden.json) == (made_up.status_code, made_up.json)


def test_a_public_zone_of_another_department_is_refused_without_its_type(app, client, auth):
    park = make_zone(app, "confirmed", type="park")
    response = client.post(f"{ADMIN}/zones/{park}/transitions", json={"to": "acceptance_review"}, headers=housing(auth))
    assert assert_error(response, 403, "department_scope")["details"] == {}


def test_a_decision_on_another_departments_objection_is_answered_as_a_made_up_id(app, client, auth):
    # Their objection list and an objection's page hide it (404): deciding it says the same, word for word.
    institute = staff(auth, "institute_staff", "institute")
    park = make_zone(app, "site_check", type="park")
    notice_id = published(app, client, institute, [park])
    objection = objection_on(client, auth, notice_id, park)
    officer = housing(auth)
    hidden = decide(client, officer, objection, "accepted")
    made_up = decide(client, officer, MISSING, "accepted")
    assert (hidden.status_code, hidden.json) == (made_up.status_code, made_up.json)


def test_a_decision_on_another_departments_objection_is_a_404(app, client, auth):
    institute = staff(auth, "institute_staff", "institute")
    park = make_zone(app, "site_check", type="park")
    notice_id = published(app, client, institute, [park])
    objection = objection_on(client, auth, notice_id, park)
    assert_error(decide(client, housing(auth), objection, "accepted"), 404, "not_found")


# ---- 3. the console's notice page: no objection counts while the window is open -----------------


def test_the_console_shows_no_objection_count_while_the_notice_is_open(app, client, auth):
    institute = staff(auth, "institute_staff", "institute")
    building = make_zone(app, "site_check", type="building")
    notice_id = published(app, client, institute, [building])
    objection_on(client, auth, notice_id, building)
    console = signed_in(app, "department_officer", "housing-c", department="housing_construction")
    row = text(console.get(f"/console/notices/{notice_id}")).split(f'data-zone="{building}"')[1].split("</tr>")[0]
    assert "<td>1</td>" not in row


# ---- 4. zone ids past the database's integer ----------------------------------------------------


def _notice_body(zone_id):
    return {"batch_year": 2025, "zone_ids": [zone_id], "starts_at": "2026-12-07T00:00:00+08:00", "working_days": 5}


def test_a_zone_id_past_the_database_integer_is_refused_by_the_schema(app, client, auth):
    response = client.post(f"{ADMIN}/publicity", json=_notice_body(2147483648), headers=auth.staff("institute_staff"))
    assert assert_error(response, 422, "validation_error")["details"]["zone_ids"] == {
        "0": ["须在 1 到 2147483647 之间"]
    }


def test_a_zone_id_past_a_64_bit_integer_is_refused_naming_the_field(app, client, auth):
    body = _notice_body(99999999999999999999)
    response = client.post(f"{ADMIN}/publicity", json=body, headers=auth.staff("institute_staff"))
    assert "zone_ids" in assert_error(response, 422, "validation_error")["details"]


def _console_notice_form(zone_ids):
    return {"batch_year": "2025", "starts_on": "2026-12-07", "working_days": "5", "zone_ids": zone_ids}


def test_the_console_refuses_a_zone_id_past_a_64_bit_integer_with_a_422(app):
    make_zone(app, "site_check")
    console = signed_in(app, "institute_staff", "institute-c")
    console.get("/console/notices/new")
    assert console.post("/console/notices/new", _console_notice_form("99999999999999999999")).status_code == 422


def test_the_console_says_a_zone_id_is_out_of_range(app):
    console = signed_in(app, "institute_staff", "institute-c")
    console.get("/console/notices/new")
    page = text(console.post("/console/notices/new", _console_notice_form("2147483648")))
    assert "须在 1 到 2147483647 之间" in page


# ---- 5. the re-review form's default day is China's today ----------------------------------------


def test_the_re_review_form_offers_chinas_today(app, monkeypatch):
    import console.views_zones
    from app.times import local_today

    zone_id = make_zone(app, "titled", type="building")
    console_client = signed_in(app, "department_officer", "housing-c", department="housing_construction")
    with app.app_context():
        today = local_today()

    class ServerDate(date):
        """The server's own date.today() between 00:00 and 08:00 China time: still yesterday in UTC."""

        @classmethod
        def today(cls):
            return today - timedelta(days=1)

    monkeypatch.setattr(console.views_zones, "date", ServerDate, raising=False)
    page = text(console_client.get(f"/console/zones/{zone_id}"))
    assert f'name="reviewed_on" type="date" required value="{today.isoformat()}"' in page


# ---- 6. counting working days through a year whose holidays are not entered ---------------------


def working_days(client, auth, start, days):
    return client.get(
        f"{ADMIN}/calendar/working-days?from={start}&days={days}", headers=auth.staff("institute_staff")
    ).json


def test_working_days_name_a_year_whose_holidays_are_not_entered(client, auth):
    assert working_days(client, auth, "2098-12-28", 5)["unloaded_years"] == [2098, 2099]


def test_working_days_warn_in_words_about_a_year_not_entered(client, auth):
    assert "2098、2099 年的法定节假日" in working_days(client, auth, "2098-12-28", 5)["warning"]


def test_a_notice_counted_into_a_year_not_entered_is_refused(app, client, auth):
    zone_id = make_zone(app, "site_check", batch_year=2026)
    body = {"batch_year": 2026, "zone_ids": [zone_id], "starts_at": "2098-12-28T00:00:00+08:00", "working_days": 5}
    response = client.post(f"{ADMIN}/publicity", json=body, headers=auth.staff("institute_staff"))
    assert_error(response, 409, "calendar_not_loaded")


def test_publishing_a_notice_that_reaches_a_year_not_entered_is_refused(app, client, auth):
    from app.publicity.models import PublicityNotice

    institute = staff(auth, "institute_staff", "institute")
    notice_id = draft(client, institute, [make_zone(app, "site_check")])
    with app.app_context():  # a draft of an earlier version, or of a year since removed from the calendar
        db.session.get(PublicityNotice, notice_id).ends_at = datetime(2099, 1, 6, tzinfo=UTC)
        db.session.commit()
    assert_error(client.post(f"{ADMIN}/publicity/{notice_id}/publish", headers=institute), 409, "calendar_not_loaded")


def test_the_console_says_why_a_notice_into_a_year_not_entered_is_refused(app):
    make_zone(app, "site_check", batch_year=2026)
    console = signed_in(app, "institute_staff", "institute-c")
    console.get("/console/notices/new")
    form = {"batch_year": "2026", "starts_on": "2098-12-28", "working_days": "5"}
    assert "请先在工作日历中录入该年的节假日" in text(console.post("/console/notices/new", form))


def test_the_console_calculator_warns_about_a_year_not_entered(app):
    console = signed_in(app, "institute_staff", "institute-c")
    page = text(console.get("/console/notices/new?starts_on=2098-12-28&working_days=5"))
    assert "2098、2099 年的法定节假日" in page


# ---- 7. the console says a zone is already in another notice, in words ---------------------------


def test_the_console_says_a_zone_is_already_in_another_notice(app, client, auth):
    zone_id = make_zone(app, "site_check")
    draft(client, staff(auth, "institute_staff", "institute"), [zone_id])
    console = signed_in(app, "institute_staff", "institute-c")
    console.get("/console/notices/new")
    form = {"batch_year": "2025", "starts_on": (date.today() + timedelta(days=3)).isoformat(), "working_days": "5"}
    assert "部分项目已在其他公示中" in text(console.post("/console/notices/new", {**form, "zone_ids": str(zone_id)}))


# ---- 8. the console's zone list with an unknown district -----------------------------------------


def test_the_console_zone_list_refuses_an_unknown_district(app):
    console = signed_in(app, "institute_staff", "institute-c")
    assert console.get("/console/zones?district=bogus").status_code == 422


def test_the_console_zone_list_says_what_is_wrong_with_the_district(app):
    console = signed_in(app, "institute_staff", "institute-c")
    assert "未知的县（市）区或开发区" in text(console.get("/console/zones?district=bogus"))


# ---- 9. the settling's words and who it is recorded as ------------------------------------------


def _confirmed_entry(client, auth, zone_id):
    timeline = client.get(f"{ADMIN}/zones/{zone_id}", headers=auth.staff("admin")).json["timeline"]
    return next(t for t in timeline if t["to_status"] == "confirmed")


def test_a_confirmation_after_an_objection_not_accepted_says_so(app, client, auth):
    institute = staff(auth, "institute_staff", "institute")
    building = make_zone(app, "site_check", type="building")
    notice_id = published(app, client, institute, [building])
    decide(client, housing(auth), objection_on(client, auth, notice_id, building), "not_accepted", "未提供具体事实。")
    set_window(app, notice_id, starts_in=-7200, ends_in=-60)
    client.post(f"{ADMIN}/publicity/{notice_id}/close", headers=institute)
    timeline = client.get(f"/api/mp/v1/zones/{building}").json["timeline"]
    assert next(t for t in timeline if t["to_status"] == "confirmed")["note"] == "公示期满，异议不予受理"


def test_closing_a_notice_records_the_staff_member_who_closed_it(app, client, auth):
    institute = staff(auth, "institute_staff", "institute")
    building = make_zone(app, "site_check", type="building")
    notice_id = published(app, client, institute, [building], starts_in=-7200, ends_in=-60)
    client.post(f"{ADMIN}/publicity/{notice_id}/close", headers=institute)
    assert _confirmed_entry(client, auth, building)["actor_id"] == user_id(app, "institute")


def test_a_decision_that_settles_a_zone_records_the_officer(app, client, auth):
    institute = staff(auth, "institute_staff", "institute")
    officer = housing(auth)
    building = make_zone(app, "site_check", type="building")
    notice_id = published(app, client, institute, [building])
    objection = objection_on(client, auth, notice_id, building)
    set_window(app, notice_id, starts_in=-7200, ends_in=-60)
    client.post(f"{ADMIN}/publicity/{notice_id}/close", headers=institute)  # the zone waits for its objection
    decide(client, officer, objection, "not_accepted", "未提供具体事实。")
    assert _confirmed_entry(client, auth, building)["actor_id"] == user_id(app, "housing")


# ---- 10. a notice whose first day is over is not published ----------------------------------------


def _late_draft(app, client, institute):
    from app.publicity.models import PublicityNotice

    notice_id = draft(client, institute, [make_zone(app, "site_check")])
    with app.app_context():  # drafted in time, left until its first day had gone by
        notice = db.session.get(PublicityNotice, notice_id)
        notice.starts_at = datetime.now(UTC) - timedelta(days=8)
        db.session.commit()
    return notice_id


def test_a_notice_starting_before_today_is_not_even_drafted(app, client, auth):
    """It could never be published: the refusal comes at once, on the field."""
    institute = staff(auth, "institute_staff", "institute")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    body = {
        "batch_year": 2025,
        "zone_ids": [make_zone(app, "site_check")],
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=5)).isoformat(),
    }
    response = client.post(f"{ADMIN}/publicity", json=body, headers=institute)
    assert "starts_at" in assert_error(response, 422, "validation_error")["details"]


def test_a_notice_whose_start_has_passed_is_not_published(app, client, auth):
    institute = staff(auth, "institute_staff", "institute")
    notice_id = _late_draft(app, client, institute)
    response = client.post(f"{ADMIN}/publicity/{notice_id}/publish", headers=institute)
    assert_error(response, 409, "publicity_start_passed")


def test_the_console_refuses_publishing_a_notice_whose_start_has_passed(app, client, auth):
    notice_id = _late_draft(app, client, staff(auth, "institute_staff", "institute"))
    console = signed_in(app, "institute_staff", "institute-c")
    console.get(f"/console/notices/{notice_id}")
    assert "重新设定公示期" in text(console.post(f"/console/notices/{notice_id}/publish"))


# ---- a zone's public text holds no control or direction characters ---------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("applicant_name", "探针\u202e管委会"),
        ("applicant_name", "探针\x07管委会"),
        ("address", "地址\x1b[31m红色"),
        ("summary", "概况\u202e倒序"),
        ("description", "介绍\x00空字符"),
    ],
)
def test_a_zones_public_text_refuses_control_characters(app, client, auth, field, value):
    with app.app_context():
        body = zone_data(**{field: value})
    response = client.post("/api/admin/v1/zones", json=body, headers=auth.staff("admin"))
    assert field in assert_error(response, 422, "validation_error")["details"]


def test_a_zones_description_keeps_its_line_breaks(app, client, auth):
    with app.app_context():
        body = zone_data(description="第一段\n\n第二段")
    response = client.post("/api/admin/v1/zones", json=body, headers=auth.staff("admin"))
    assert response.json["description"] == "第一段\n\n第二段"


@pytest.mark.parametrize("path", ["transitions", "re-reviews"])
def test_a_note_in_the_public_timeline_refuses_a_direction_override(app, client, auth, path):
    zone_id = make_zone(app, "titled" if path == "re-reviews" else "applied")
    body = (
        {"to": "expert_review", "note": "备注\u202e倒序"}
        if path == "transitions"
        else {"reviewed_on": date.today().isoformat(), "outcome": "passed", "note": "复核\u202e备注"}
    )
    response = client.post(f"/api/admin/v1/zones/{zone_id}/{path}", json=body, headers=auth.staff("admin"))
    assert "note" in assert_error(response, 422, "validation_error")["details"]
