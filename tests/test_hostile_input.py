"""Hostile input is a 4xx, never a 500, and leaves no trace where it could do harm (logs, cache,
served files, spreadsheets)."""

import io
import logging

from app.extensions import db
from app.web.logging import MaskingFormatter
from app.wechat.fake import png_qr
from tests.factories import make_zone, open_notice
from tests.helpers import assert_error


def test_json_nested_a_thousand_deep_is_400(client):
    deep = "[" * 1000 + "]" * 1000
    response = client.post("/api/mp/v1/auth/login", data='{"code": ' + deep + "}", content_type="application/json")
    assert_error(response, 400, "invalid_json")


def test_a_lone_surrogate_is_422_naming_the_field(client):
    response = client.post("/api/mp/v1/auth/login", data='{"code": "\\ud800"}', content_type="application/json")
    error = assert_error(response, 422, "validation_error")
    assert "code" in error["details"]


def test_a_lone_surrogate_in_an_objection_is_422(client, auth, app):
    notice = open_notice(app)
    zone_id = notice["zone_ids"][0]
    body = (
        '{"zone_id": '
        + str(zone_id)
        + ', "name": "张三", "phone": "13812345678", "reason": "理由理由理由理由理由\\udfff"}'
    )
    response = client.post(
        f"/api/mp/v1/publicity/{notice['id']}/objections",
        data=body,
        content_type="application/json",
        headers=auth.wechat_headers("surrogate"),
    )
    error = assert_error(response, 422, "validation_error")
    assert "reason" in error["details"]


def test_a_newline_in_the_path_cannot_forge_a_log_line(client):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(MaskingFormatter("%(message)s"))
    access = logging.getLogger("app.access")
    access.addHandler(handler)
    try:
        client.get("/api/mp/v1/zones%0a2026-11-25 INFO app.access GET /forged 200")
    finally:
        access.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert [line for line in lines if line.startswith("2026-11-25")] == []


def test_junk_query_parameters_do_not_make_cache_entries(app, client):
    for i in range(20):
        assert client.get(f"/api/mp/v1/zones?junk={i}").status_code == 200
        assert client.get(f"/api/mp/v1/meta?x{i}=1").status_code == 200
    with app.app_context():
        from app.extensions import kv

        keys = kv.redis.keys("cache:*:*:*")
    # One entry per page whatever its generation: a bump made meanwhile (a listener of an earlier
    # app paying an owed bump) may store the same page twice, which is not what this is about.
    pages = {(key.split(b":")[1], key.split(b":")[3]) for key in keys}
    assert len(pages) == 2


def test_equivalent_queries_share_one_cache_entry(app, client):
    assert client.get("/api/mp/v1/zones?page=1").status_code == 200
    assert client.get("/api/mp/v1/zones?page=01&per_page=20").status_code == 200
    with app.app_context():
        from app.extensions import kv

        assert len(kv.redis.keys("cache:zones:*:*")) == 1


def _upload(client, headers, content):
    return client.post("/api/mp/v1/uploads", data={"file": (io.BytesIO(content), "a.png")}, headers=headers)


def test_a_truncated_image_is_refused(client, auth):
    whole = png_qr("evidence")
    assert_error(_upload(client, auth.wechat_headers("u1"), whole[: len(whole) // 2]), 422, "not_an_image")


def test_an_image_header_glued_to_something_else_is_refused(client, auth):
    fake = b"\x89PNG\r\n\x1a\n" + b"<html><script>alert(1)</script></html>" * 20
    assert_error(_upload(client, auth.wechat_headers("u2"), fake), 422, "not_an_image")


def test_served_uploads_say_nosniff(client, auth):
    uploaded = _upload(client, auth.wechat_headers("u3"), png_qr("evidence"))
    served = client.get(uploaded.json["url"])
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    served.close()


def test_api_answers_say_nosniff(client):
    assert client.get("/api/mp/v1/meta").headers["X-Content-Type-Options"] == "nosniff"


def test_csv_exports_neutralise_formulas(app, client, auth):
    make_zone(app, "publicity", name='=HYPERLINK("http://evil","点我")', applicant_name="@SUM(A1)")
    staff_export = client.get("/api/admin/v1/zones/export.csv", headers=auth.staff("admin")).get_data(as_text=True)
    assert "'=HYPERLINK" in staff_export
    assert "'@SUM(A1)" in staff_export
    public = client.get("/api/mp/v1/opendata/zones.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in public


def test_csv_keeps_negative_numbers_as_numbers():
    from app.csvsafe import safe_row

    assert safe_row(["-0.5", "-12", "+3", "=1+2", "-cmd"]) == ["-0.5", "-12", "+3", "'=1+2", "'-cmd"]


def test_nothing_was_half_written_by_the_hostile_requests(app, client):
    client.post("/api/mp/v1/auth/login", data='{"code": "\\ud800"}', content_type="application/json")
    with app.app_context():
        from sqlalchemy import func, select

        from app.accounts.models import User

        assert db.session.scalar(select(func.count()).select_from(User)) == 0


# ---- found by fuzzing from the OpenAPI document (scripts/fuzz.py) ----------------------------


def test_zero_is_no_boolean_in_a_json_body(client, auth):
    institute = auth.staff("institute_staff")
    response = client.post(
        "/api/admin/v1/districts", json={"name": "零区", "kind": "district", "is_active": 0}, headers=institute
    )
    error = assert_error(response, 422, "validation_error")
    assert error["details"] == {"is_active": ["须为 true 或 false"]}


def test_a_fraction_is_no_id_in_a_json_list(client, auth):
    admin = auth.staff("admin")
    response = client.post("/api/admin/v1/schools/1/students/confirm", json={"user_ids": [2.5e-42]}, headers=admin)
    error = assert_error(response, 422, "validation_error")
    assert error["details"] == {"user_ids": {"0": ["须为整数"]}}


def test_a_number_in_a_string_is_no_integer_in_a_json_body(client, auth):
    admin = auth.staff("admin")
    response = client.post("/api/admin/v1/schools/1/students/confirm", json={"user_ids": ["3"]}, headers=admin)
    assert_error(response, 422, "validation_error")


def test_a_query_string_integer_is_still_read_from_text(client):
    assert client.get("/api/mp/v1/zones?page=1&per_page=5").status_code == 200


def test_a_date_before_2000_is_422_not_a_local_mean_time_offset(client, auth):
    institute = auth.staff("institute_staff")
    response = client.get("/api/admin/v1/calendar/working-days?from=0192-03-16&days=2", headers=institute)
    error = assert_error(response, 422, "validation_error")
    assert "from" in error["details"]


def test_an_empty_patch_changes_nothing_and_is_200(client, auth):
    headers = auth.wechat_headers("empty-patch")
    before = client.get("/api/mp/v1/me", headers=headers).json
    response = client.patch("/api/mp/v1/me", headers=headers)
    assert response.status_code == 200
    assert response.json == before


# ---- an integer longer than Python converts (4,300 digits) --------------------------------------

HUGE = "9" * 5000


def test_a_5000_digit_integer_in_a_mini_program_body_is_422(client, auth):
    body = '{"slot_id": ' + HUGE + ', "visitors": []}'
    response = client.post(
        "/api/mp/v1/bookings",
        data=body,
        content_type="application/json",
        headers={**auth.wechat_headers("huge"), "Idempotency-Key": "huge-1"},
    )
    assert_error(response, 422, "validation_error")


def test_a_5000_digit_integer_in_the_mini_program_login_is_422(client):
    response = client.post("/api/mp/v1/auth/login", data='{"code": ' + HUGE + "}", content_type="application/json")
    assert_error(response, 422, "validation_error")


def test_a_5000_digit_integer_in_a_staff_body_is_422(client, auth):
    response = client.post(
        "/api/admin/v1/zones",
        data='{"batch_year": -' + HUGE + "}",
        content_type="application/json",
        headers=auth.staff("admin"),
    )
    assert_error(response, 422, "validation_error")


def test_a_5000_digit_integer_in_the_staff_login_is_422(client):
    body = '{"username": "admin", "password": ' + HUGE + "}"
    assert_error(
        client.post("/api/admin/v1/auth/login", data=body, content_type="application/json"), 422, "validation_error"
    )


def test_a_5000_digit_integer_says_what_is_wrong(client):
    response = client.post("/api/mp/v1/auth/login", data='{"code": ' + HUGE + "}", content_type="application/json")
    assert "4300" in assert_error(response, 422, "validation_error")["details"]["_schema"][0]


def test_a_4300_digit_integer_is_still_read_and_judged_by_its_field(client):
    response = client.post(
        "/api/mp/v1/auth/login", data='{"code": ' + "9" * 4300 + "}", content_type="application/json"
    )
    assert "code" in assert_error(response, 422, "validation_error")["details"]


def test_a_5000_digit_headcount_at_the_console_door_is_no_server_error(app):
    from tests.factories import make_base
    from tests.test_console import signed_in, text

    console = signed_in(app, "base_operator", "door-huge", base_id=make_base(app))
    console.get("/console/door")
    response = console.post("/console/door", {"code": "1.abc", "headcount": HUGE})
    assert 'class="result bad"' in text(response)


# "²".isdigit() is true but int("²") fails: where a value may be a number or a name, only ASCII
# digits are read as a number (validators.is_ascii_number). Before, each of these was a 500.


def test_a_superscript_digit_as_a_district_is_an_unknown_district(client):
    assert_error(client.get("/api/mp/v1/zones?district=²"), 422, "validation_error")


def test_a_superscript_digit_as_an_article_is_no_article(client):
    assert_error(client.get("/api/mp/v1/articles/²"), 404, "not_found")


def test_a_superscript_digit_as_a_category_finds_no_article(client):
    assert client.get("/api/mp/v1/articles?category=²").json["total"] == 0


def test_a_superscript_digit_in_a_door_code_is_an_invalid_code(client, auth):
    from tests.factories import make_base

    operator = auth.wechat_operator(make_base(client.application), "op-superscript")
    assert_error(
        client.post("/api/mp/v1/checkins", json={"code": "².abc"}, headers=operator), 400, "invalid_checkin_code"
    )
