"""The console reads its forms and filters through the staff API's own schemas: the same ranges and
lengths, errors beside the fields on the form kept filled in, and bad input a clear page, never a 500."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from tests.campaign_helpers import _today as local_today
from tests.factories import make_base, make_slot, make_zone, move_booking_to_today
from tests.test_console import PASSWORD, Console, an_objection, signed_in, staff_account, text  # noqa: F401
from tests.test_visits import book, visitors


def field_error(page: str, field: str) -> bool:
    """The page shows an error for `field` beside it (the macro's marker)."""
    return f'id="error-{field}"' in page


# ---- forms load through the API's schemas ------------------------------------------------------


def notice_form(**changes):
    form = {
        "batch_year": "2025",
        "title": "2025年度示范区公示（表单测试）",
        "starts_on": (local_today() + timedelta(days=1)).isoformat(),  # a window not yet ended
        "working_days": "7",
        "office_phone": "0431-88888888",
    }
    return {**form, **changes}


def test_a_notice_of_31_working_days_is_refused_with_status_422(app):
    console = signed_in(app, "institute_staff", "form-notice-1")
    console.get("/console/notices/new")
    assert console.post("/console/notices/new", notice_form(working_days="31")).status_code == 422


def test_a_notice_of_31_working_days_shows_the_error_beside_the_field(app):
    console = signed_in(app, "institute_staff", "form-notice-2")
    console.get("/console/notices/new")
    assert field_error(text(console.post("/console/notices/new", notice_form(working_days="31"))), "working_days")


def test_a_refused_notice_form_keeps_what_was_typed(app):
    console = signed_in(app, "institute_staff", "form-notice-3")
    console.get("/console/notices/new")
    page = text(console.post("/console/notices/new", notice_form(working_days="31")))
    assert 'value="2025年度示范区公示（表单测试）"' in page


def test_a_refused_notice_form_creates_no_notice(app):
    from app.publicity.models import PublicityNotice

    console = signed_in(app, "institute_staff", "form-notice-4")
    console.get("/console/notices/new")
    console.post("/console/notices/new", notice_form(working_days="31"))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PublicityNotice)) == 0


def test_a_notice_with_a_batch_year_out_of_range_shows_the_error_beside_it(app):
    console = signed_in(app, "institute_staff", "form-notice-5")
    console.get("/console/notices/new")
    assert field_error(text(console.post("/console/notices/new", notice_form(batch_year="1999"))), "batch_year")


def test_a_valid_notice_form_creates_the_draft(app):
    make_zone(app, "site_check", type="park", batch_year=2025)
    console = signed_in(app, "institute_staff", "form-notice-6")
    console.get("/console/notices/new")
    assert console.post("/console/notices/new", notice_form()).status_code == 302


def long_reply_decision(app, an_objection, username):  # noqa: F811
    console = signed_in(app, "department_officer", username, department="housing_construction")
    console.get(f"/console/objections/{an_objection}")
    form = {"status": "accepted", "from": "received", "reply": "答" * 2001}
    return console.post(f"/console/objections/{an_objection}/decision", form)


def test_a_2001_character_decision_is_refused_with_status_422(app, an_objection):  # noqa: F811
    assert long_reply_decision(app, an_objection, "form-decide-1").status_code == 422


def test_a_2001_character_decision_shows_the_error_beside_the_reply(app, an_objection):  # noqa: F811
    assert field_error(text(long_reply_decision(app, an_objection, "form-decide-2")), "reply")


def test_a_2001_character_decision_is_not_recorded(app, an_objection):  # noqa: F811
    from app.publicity.models import Objection

    long_reply_decision(app, an_objection, "form-decide-3")
    with app.app_context():
        assert db.session.get(Objection, an_objection).status == "received"


def test_an_unknown_decision_status_is_shown_beside_the_field(app, an_objection):  # noqa: F811
    console = signed_in(app, "department_officer", "form-decide-4", department="housing_construction")
    console.get(f"/console/objections/{an_objection}")
    form = {"status": "nonsense", "from": "received", "reply": "已受理，将按期答复。"}
    assert field_error(text(console.post(f"/console/objections/{an_objection}/decision", form)), "status")


def test_a_notice_for_a_batch_without_zones_shows_the_services_reason_beside_the_field(app):
    console = signed_in(app, "institute_staff", "form-notice-7")
    console.get("/console/notices/new")
    assert field_error(text(console.post("/console/notices/new", notice_form(batch_year="2031"))), "zone_ids")


def test_a_user_with_a_short_password_is_refused_beside_the_field(app):
    console = signed_in(app, "admin", "form-user-1")
    console.get("/console/users")
    response = console.post("/console/users", {"username": "short-pass", "password": "abc", "role": "institute_staff"})
    assert (response.status_code, field_error(text(response), "new-password")) == (422, True)


def test_an_import_with_a_batch_year_out_of_range_is_refused_beside_the_field(app):
    console = signed_in(app, "institute_staff", "form-import-1")
    console.get("/console/zones/import")
    response = console.post("/console/zones/import", {"batch_year": "1999"})
    assert (response.status_code, field_error(text(response), "batch_year")) == (422, True)


def test_a_class_action_with_words_for_numbers_is_a_422(app, running):
    school_id, campaign_id = running["school"], running["campaign"]
    console = signed_in(app, "school_admin", "form-teacher-1", school_id=school_id)
    console.get(f"/console/campaigns/{campaign_id}")
    response = console.post(
        f"/console/campaigns/{campaign_id}/class-actions", {"class_name": "一班", "kw": "两", "hours": "1"}
    )
    assert response.status_code == 422


# ---- the 500s that were ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/console/zones?q=a%00b",
        "/console/zones/export.csv?q=a%00b",
        "/console/users?q=a%00b",
        "/console/articles?q=a%00b",
        "/console/audit?action=a%00b",
        "/console/audit?entity_type=a%00b",
    ],
)
def test_nul_in_a_filter_is_a_422(app, path):
    console = signed_in(app, "admin", f"form-nul-{abs(hash(path)) % 10000}")
    assert console.get(path).status_code == 422


def test_nul_in_a_filter_says_so_in_chinese(app):
    console = signed_in(app, "institute_staff", "form-nul-zh")
    assert "空字符" in text(console.get("/console/zones?q=a%00b"))


@pytest.mark.parametrize("query", ["per_page=101", "per_page=0", "page=0", "page=x", "batch_year=abc"])
def test_a_list_refuses_what_the_api_refuses(app, query):
    console = signed_in(app, "institute_staff", f"form-page-{abs(hash(query)) % 10000}")
    assert console.get(f"/console/zones?{query}").status_code == 422


def test_a_list_pages_with_the_apis_page_size(app):
    for n in range(3):
        make_zone(app, "applied", type="park", name=f"分页园区{n}")
    page = text(signed_in(app, "institute_staff", "form-page-size").get("/console/zones?per_page=2"))
    assert "第 1 / 2 页" in page


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2025-02-30"])
def test_a_far_or_invalid_day_on_a_base_calendar_is_a_422(app, day):
    base_id = make_base(app)
    console = signed_in(app, "base_operator", f"form-day-{day}", base_id=base_id)
    assert console.get(f"/console/bases/{base_id}?day={day}").status_code == 422


def test_closing_a_far_day_is_a_422(app):
    base_id = make_base(app)
    console = signed_in(app, "base_operator", "form-close-far", base_id=base_id)
    console.get(f"/console/bases/{base_id}")
    response = console.post(f"/console/bases/{base_id}/close-day", {"day": "9999-12-31", "reason": "设备检修"})
    assert response.status_code == 422


@pytest.mark.parametrize("month", ["9999-12", "2025-13", "x"])
def test_a_bad_attendance_month_is_a_422(app, month):
    base_id = make_base(app)
    console = signed_in(app, "base_operator", f"form-month-{month}", base_id=base_id)
    assert console.get(f"/console/bases/{base_id}/attendance?month={month}").status_code == 422


CRLF_NEXT = "/console/zones%0d%0aSet-Cookie:%20evil=1"


def test_crlf_in_next_on_the_sign_in_page_is_no_500(app):
    assert Console(app).get(f"/console/login?next={CRLF_NEXT}").status_code == 200


def test_crlf_in_next_for_a_signed_in_user_goes_to_the_dashboard(app):
    console = signed_in(app, "institute_staff", "form-next-1")
    assert console.get(f"/console/login?next={CRLF_NEXT}").headers["Location"] == "/console/"


def test_crlf_in_next_at_sign_in_goes_to_the_dashboard(app):
    staff_account(app, "institute_staff", "form-next-2")
    console = Console(app)
    console.get("/console/login")
    response = console.post(
        "/console/login",
        {"username": "form-next-2", "password": PASSWORD, "next": "/console/zones\r\nSet-Cookie: evil=1"},
    )
    assert response.headers["Location"] == "/console/"


def test_nul_in_the_sign_in_name_is_a_422(app):
    console = Console(app)
    console.get("/console/login")
    response = console.post("/console/login", {"username": "a\x00b", "password": PASSWORD})
    assert (response.status_code, field_error(text(response), "username")) == (422, True)


def other_bases_code(app, client, auth) -> str:
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, starts_in=600)
    headers = auth.wechat_headers("visitor-elsewhere")
    booking = book(client, headers, {"slot_id": slot_id, "visitors": visitors(1)}, "door-elsewhere").json
    move_booking_to_today(app, booking["id"])
    return client.get(f"/api/mp/v1/bookings/{booking['id']}/checkin-code", headers=headers).json["code"]


def door_with_other_bases_code(app, client, auth, username):
    code = other_bases_code(app, client, auth)
    console = signed_in(app, "base_operator", username, base_id=make_base(app))
    console.get("/console/door")
    return console.post("/console/door", {"code": code})


def test_another_bases_code_at_the_door_is_no_500(app, client, auth, fake_wechat):
    assert door_with_other_bases_code(app, client, auth, "form-door-1").status_code == 403


def test_another_bases_code_at_the_door_says_so(app, client, auth, fake_wechat):
    assert "不是本基地的预约" in text(door_with_other_bases_code(app, client, auth, "form-door-2"))


def test_a_headcount_out_of_range_at_the_door_is_shown_on_the_door_page(app):
    console = signed_in(app, "base_operator", "form-door-3", base_id=make_base(app))
    console.get("/console/door")
    response = console.post("/console/door", {"code": "1.abc", "headcount": "501"})
    assert (response.status_code, 'class="result bad"' in text(response)) == (422, True)


def test_a_notice_naming_a_superscript_digit_as_a_zone_is_shown_again_not_a_500(app):
    console = signed_in(app, "institute_staff", "form-notice-superscript")
    console.get("/console/notices/new")
    page = console.post("/console/notices/new", notice_form(batch_year="2031", zone_ids="²"))
    assert page.status_code < 500


# ---- the door says a refused code in words, and keeps a code whose headcount was wrong -------------


@pytest.fixture
def todays_code(app, client, auth, fake_wechat):
    """A base's operator at the door, and the code of an individual booking of 2 for today."""
    base_id = make_base(app)
    headers = auth.wechat_headers("door-words")
    body = {"slot_id": make_slot(app, base_id, starts_in=600), "visitors": visitors(2)}
    booking = book(client, headers, body, "door-words-1").json
    move_booking_to_today(app, booking["id"])
    code = client.get(f"/api/mp/v1/bookings/{booking['id']}/checkin-code", headers=headers).json["code"]
    console = signed_in(app, "base_operator", f"door-words-{base_id}", base_id=base_id)
    console.get("/console/door")
    return {"console": console, "code": code, "booking_id": booking["id"], "headers": headers}


def _door(todays_code, **form):
    todays_code["console"].get("/console/door")
    return text(todays_code["console"].post("/console/door", {"code": todays_code["code"], **form}))


def test_a_code_checked_in_before_says_when_in_words(todays_code):
    _door(todays_code)
    assert re.search(r"入馆时间：\d+ 月 \d+ 日 \d{2}:\d{2}", _door(todays_code))


def test_a_code_checked_in_before_shows_no_iso_time(todays_code):
    _door(todays_code)
    assert not re.search(r"\d{4}-\d{2}-\d{2}T", _door(todays_code))


def test_a_cancelled_bookings_code_names_its_status_in_chinese(app, todays_code):
    from app.visits.models import Booking

    with app.app_context():  # cancelled (by the base closing the day, say): past the visitor's own cut-off
        db.session.get(Booking, todays_code["booking_id"]).status = "cancelled"
        db.session.commit()
    page = _door(todays_code)
    assert ("预约状态：已取消" in page, "cancelled" in page) == (True, False)


def test_a_headcount_over_the_booking_keeps_the_code_typed(todays_code):
    page = _door(todays_code, headcount="5")
    assert f'value="{todays_code["code"]}"' in page


def test_a_headcount_over_the_booking_is_said_beside_the_field(todays_code):
    page = _door(todays_code, headcount="5")
    assert "实到人数须在 1 到 2 之间" in page
