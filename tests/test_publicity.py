"""Publicity notices and objections: the window, real names, content checks, idempotency, privacy."""

import io
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.privacy import mask_id_number
from app.publicity.models import Objection
from app.wechat.fake import REVIEW_MARKER, RISKY_MARKER, png_qr
from tests.factories import id_number, make_zone, open_notice, set_window
from tests.helpers import assert_error

REASON = "该项目申报材料中的能耗数据与实际情况不符，请核实。"


def objection_body(zone_id, **overrides):
    body = {"zone_id": zone_id, "name": "张三", "phone": "13812345678", "reason": REASON}
    body.update(overrides)
    return body


def post(client, notice_id, body, headers, key=None):
    headers = dict(headers, **({"Idempotency-Key": key} if key else {}))
    return client.post(f"/api/mp/v1/publicity/{notice_id}/objections", json=body, headers=headers)


# ---- working days and notices ----------------------------------------------------------------


@pytest.mark.parametrize(
    "start,days,last",
    [
        ("2026-11-23", 5, "2026-11-27"),  # Monday to Friday
        ("2026-11-26", 5, "2026-12-02"),  # over a weekend
        ("2026-09-30", 5, "2026-10-12"),  # National Day, and Saturday 10 October is a make-up working day
        ("2026-02-13", 3, "2026-02-24"),  # Spring Festival, Saturday 14 February worked
        ("2026-11-28", 1, "2026-11-30"),  # a Saturday start counts from Monday
    ],
)
def test_working_days(client, auth, start, days, last):
    institute = auth.staff("institute_staff")
    answer = client.get(f"/api/admin/v1/calendar/working-days?from={start}&days={days}", headers=institute).json
    assert answer["last_working_day"] == last
    assert answer["starts_at"] == f"{start}T00:00:00+08:00"


def test_calendar_is_editable_data(client, auth):
    institute = auth.staff("institute_staff")
    assert (
        client.get("/api/admin/v1/calendar/working-days?from=2026-12-07&days=1", headers=institute).json[
            "last_working_day"
        ]
        == "2026-12-07"
    )
    put = client.put(
        "/api/admin/v1/calendar/days", json={"day": "2026-12-07", "kind": "holiday", "note": "测试"}, headers=institute
    )
    assert put.status_code == 200
    assert (
        client.get("/api/admin/v1/calendar/working-days?from=2026-12-07&days=1", headers=institute).json[
            "last_working_day"
        ]
        == "2026-12-08"
    )
    days = client.get("/api/admin/v1/calendar/days?year=2026", headers=institute).json["items"]
    assert {"day": "2026-10-10", "kind": "workday", "note": "国庆节调休"} in days


def test_create_and_publish_a_notice(client, auth, app):
    institute = auth.staff("institute_staff")
    ready = [make_zone(app, "site_check", type=t, batch_year=2026) for t in ("park", "scenic")]
    make_zone(app, "expert_review", batch_year=2026)  # not ready: left out
    other_batch = make_zone(app, "site_check", batch_year=2025)
    assert_error(
        client.post(
            "/api/admin/v1/publicity",
            headers=institute,
            json={
                "batch_year": 2026,
                "zone_ids": [ready[0], other_batch],
                "starts_at": "2026-11-30T00:00:00+08:00",
                "working_days": 5,
            },
        ),
        422,
        "validation_error",
    )
    created = client.post(
        "/api/admin/v1/publicity",
        headers=institute,
        json={
            "batch_year": 2026,
            "starts_at": "2026-11-30T00:00:00+08:00",
            "working_days": 5,
            "office_phone": "0431-12345678",
        },
    )
    assert created.status_code == 201, created.json
    notice = created.json
    assert notice["state"] == "draft"
    assert sorted(z["zone_id"] for z in notice["zones"]) == sorted(ready)
    assert notice["ends_at"] == "2026-12-05T00:00:00+08:00"  # five working days, Mon–Fri
    assert "实名" in notice["policy"] or "真实姓名" in notice["policy"]
    assert_error(client.get(f"/api/mp/v1/publicity/{notice['id']}"), 404, "not_found")  # drafts are not public
    # the same zones cannot go into a second notice
    assert_error(
        client.post(
            "/api/admin/v1/publicity",
            headers=institute,
            json={"batch_year": 2026, "starts_at": "2026-11-30T00:00:00+08:00", "working_days": 5},
        ),
        409,
        "zone_in_other_notice",
    )
    published = client.post(f"/api/admin/v1/publicity/{notice['id']}/publish", headers=institute)
    assert published.status_code == 200
    assert published.json["state"] == "published"
    for zone_id in ready:
        assert client.get(f"/api/mp/v1/zones/{zone_id}").json["status"] == "publicity"
    public = client.get(f"/api/mp/v1/publicity/{notice['id']}").json
    assert public["window_state"] == "upcoming"
    assert public["office_phone"] == "0431-12345678"
    assert public["how_to_object"]["real_name_required"] is True
    assert all(z["objections"] is None for z in public["zones"])
    assert_error(
        client.post(f"/api/admin/v1/publicity/{notice['id']}/publish", headers=institute), 409, "already_published"
    )


def test_public_lists_open_and_closed(client, app):
    open_id = open_notice(app)["id"]
    closed_id = open_notice(app, ("park",), starts_in=-7200, ends_in=-10)["id"]
    open_ids = [n["id"] for n in client.get("/api/mp/v1/publicity?state=open").json["items"]]
    closed_ids = [n["id"] for n in client.get("/api/mp/v1/publicity?state=closed").json["items"]]
    assert open_ids == [open_id]
    assert closed_ids == [closed_id]
    assert_error(client.get("/api/mp/v1/publicity?state=OPEN"), 422, "validation_error")
    assert_error(client.get("/api/mp/v1/publicity/99999"), 404, "not_found")


def _upcoming_and_open(app):
    upcoming_id = open_notice(app, ("park",), starts_in=3600, ends_in=7200)["id"]
    open_id = open_notice(app)["id"]
    return upcoming_id, open_id


def test_a_notice_not_started_is_not_listed_as_open(client, app):
    upcoming_id, open_id = _upcoming_and_open(app)
    assert [n["id"] for n in client.get("/api/mp/v1/publicity?state=open").json["items"]] == [open_id]


def test_a_notice_not_started_is_listed_as_upcoming(client, app):
    upcoming_id, open_id = _upcoming_and_open(app)
    assert [n["id"] for n in client.get("/api/mp/v1/publicity?state=upcoming").json["items"]] == [upcoming_id]


def test_staff_see_the_same_open_notices(client, app, auth):
    upcoming_id, open_id = _upcoming_and_open(app)
    listed = client.get("/api/admin/v1/publicity?state=open", headers=auth.staff("institute_staff")).json["items"]
    assert [n["id"] for n in listed] == [open_id]


# ---- objections --------------------------------------------------------------------------


def test_objection_gets_a_receipt_and_the_objector_sees_it(client, auth, app, fake_wechat):
    notice = open_notice(app)
    headers = auth.wechat_headers("objector")
    response = post(
        client,
        notice["id"],
        objection_body(notice["zone_ids"][0], id_number=id_number(), organisation="某环保协会", contact_person="李四"),
        headers,
    )
    assert response.status_code == 201, response.json
    receipt = response.json["receipt_no"]
    assert re.fullmatch("YY20\\d\\d-\\d{6}", receipt)
    assert response.json["status"] == "received"
    check = fake_wechat.state()["content_checks"][0]
    assert check["openid"] == "o_fake_objector"
    assert check["version"] == 2
    assert REASON in check["content"]
    mine = client.get("/api/mp/v1/me/objections", headers=headers).json
    assert mine["total"] == 1  # the objector's own data
    assert mine["items"][0]["phone"] == "138****5678"  # masked, as a booking's (the export has it in full)
    detail = client.get(f"/api/mp/v1/me/objections/{receipt}", headers=headers).json
    assert detail["id_number"] == mask_id_number(id_number())
    assert detail["events"][0]["to_status"] == "received"
    other = auth.wechat_headers("someone-else")
    assert_error(client.get(f"/api/mp/v1/me/objections/{receipt}", headers=other), 404, "not_found")
    assert client.get("/api/mp/v1/me/objections", headers=other).json["total"] == 0
    assert_error(post(client, notice["id"], objection_body(notice["zone_ids"][0]), {}), 401, "unauthorized")
    # encrypted at rest
    with app.app_context():
        raw = db.session.execute(db.text("SELECT name, phone, id_number FROM objections")).one()
    assert "13812345678" not in str(raw)
    assert "张三" not in str(raw)
    assert id_number() not in str(raw)


@pytest.mark.parametrize(
    "change,field",
    [
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"name": "    "}, "name"),
        ({"name": "匿名用户1"}, "name"),
        ({"phone": "12345678901"}, "phone"),
        ({"phone": "0431-8888888"}, "phone"),
        ({"phone": "1381234567"}, "phone"),
        ({"id_number": "220102199003071230"}, "id_number"),  # wrong check digit
        ({"id_number": "22010219901307123X"}, "id_number"),  # month 13
        ({"reason": "太短"}, "reason"),
        ({"reason": "长" * 2001}, "reason"),
        ({"organisation": "某协会"}, "contact_person"),  # an organisation names a contact person
        ({"evidence_urls": ["https://evil.example.com/a.png"]}, "evidence_urls"),
        ({"evidence_urls": ["/media/uploads/2026/11/not-mine.png"]}, "evidence_urls"),
        ({"evidence_urls": ["/media/uploads/x.png"] * 10}, "evidence_urls"),
        ({"zone_id": "abc"}, "zone_id"),
    ],
)
def test_bad_objections(client, auth, app, change, field):
    notice = open_notice(app)
    body = objection_body(notice["zone_ids"][0])
    body.update(change)
    headers = auth.wechat_headers("bad-input")
    error = assert_error(post(client, notice["id"], body, headers), 422, "validation_error")
    assert field in error["details"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Objection.id))) == 0


def test_zone_not_in_notice_and_missing_notice(client, auth, app):
    notice = open_notice(app)
    outsider = make_zone(app, "titled")
    headers = auth.wechat_headers("z")
    error = assert_error(post(client, notice["id"], objection_body(outsider), headers), 422, "validation_error")
    assert "zone_id" in error["details"]
    assert_error(post(client, 98765, objection_body(outsider), headers), 404, "not_found")


def test_window_closed_by_a_second_or_not_started(client, auth, app):
    notice = open_notice(app)
    headers = auth.wechat_headers("late")
    set_window(app, notice["id"], starts_in=-86400, ends_in=-1)
    error = assert_error(
        post(client, notice["id"], objection_body(notice["zone_ids"][0]), headers), 422, "publicity_closed"
    )
    assert error["details"]["ends_at"].endswith("+08:00")
    assert error["details"]["starts_at"]
    assert "公示期已结束" in error["message"]
    set_window(app, notice["id"], starts_in=1, ends_in=86400)
    error = assert_error(
        post(client, notice["id"], objection_body(notice["zone_ids"][0]), headers), 422, "publicity_not_started"
    )
    assert error["details"]["starts_at"]


def test_content_check_risky_refused_review_flagged(client, auth, app):
    notice = open_notice(app)
    headers = auth.wechat_headers("writer")
    zone_id = notice["zone_ids"][0]
    assert_error(
        post(client, notice["id"], objection_body(zone_id, reason=f"这是{RISKY_MARKER}的内容，共十个字以上"), headers),
        422,
        "content_risky",
    )
    flagged = post(
        client, notice["id"], objection_body(zone_id, reason=f"这是{REVIEW_MARKER}的内容，共十个字以上"), headers
    )
    assert flagged.status_code == 201
    assert flagged.json["needs_review"] is True
    clean = post(client, notice["id"], objection_body(zone_id), headers)
    assert clean.json["needs_review"] is False


def test_wechat_down_keeps_the_objection_for_review(client, auth, app, make_app):
    from tests.conftest import Auth, free_port

    notice = open_notice(app)
    headers = Auth(app, client).wechat_headers("while-down")
    down = make_app(WECHAT_API_BASE_URL=f"http://127.0.0.1:{free_port()}").test_client()
    response = post(down, notice["id"], objection_body(notice["zone_ids"][0]), headers)
    assert response.status_code == 201
    assert response.json["needs_review"] is True


def test_limit_per_user_per_notice(client, auth, app, make_app):
    notice = open_notice(app)
    limited = make_app(OBJECTIONS_PER_NOTICE=2).test_client()
    headers = auth.wechat_headers("frequent")
    for _ in range(2):
        assert post(limited, notice["id"], objection_body(notice["zone_ids"][0]), headers).status_code == 201
    error = assert_error(
        post(limited, notice["id"], objection_body(notice["zone_ids"][1]), headers), 409, "objection_limit_reached"
    )
    assert error["details"]["limit"] == 2
    # another citizen is not affected
    assert (
        post(limited, notice["id"], objection_body(notice["zone_ids"][0]), auth.wechat_headers("calm")).status_code
        == 201
    )


def test_idempotent_retries(client, auth, app):
    notice = open_notice(app)
    headers = auth.wechat_headers("retrier")
    body = objection_body(notice["zone_ids"][0])
    first = post(client, notice["id"], body, headers, key="retry-1")
    second = post(client, notice["id"], body, headers, key="retry-1")
    assert first.status_code == second.status_code == 201
    assert first.json == second.json
    with app.app_context():
        assert db.session.scalar(select(func.count(Objection.id))) == 1
    assert_error(
        post(client, notice["id"], {**body, "reason": REASON + "补充"}, headers, key="retry-1"),
        422,
        "idempotency_key_reused",
    )
    # a failed attempt frees its key
    assert post(client, notice["id"], {**body, "phone": "123"}, headers, key="retry-2").status_code == 422
    assert post(client, notice["id"], body, headers, key="retry-2").status_code == 201
    # keys are per user
    assert post(client, notice["id"], body, auth.wechat_headers("other"), key="retry-1").status_code == 201


@pytest.mark.postgres
def test_concurrent_retries_store_one_objection(app, auth, client):
    import threading

    notice = open_notice(app)
    headers = auth.wechat_headers("hammer")
    body = objection_body(notice["zone_ids"][0])
    results = []
    barrier = threading.Barrier(10)

    def fire():
        local = app.test_client()
        barrier.wait()
        results.append(post(local, notice["id"], body, headers, key="same-key"))

    threads = [threading.Thread(target=fire) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status_code for r in results)
    assert set(statuses) <= {201, 409}
    assert 201 in statuses
    receipts = {r.json["receipt_no"] for r in results if r.status_code == 201}
    assert len(receipts) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(Objection.id))) == 1


# ---- uploads -----------------------------------------------------------------------------


def upload(client, headers, content, filename="a.png"):
    return client.post(
        "/api/mp/v1/uploads",
        data={"file": (io.BytesIO(content), filename)},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_evidence_images(client, auth, app):
    notice = open_notice(app)
    headers = auth.wechat_headers("photographer")
    uploaded = upload(client, headers, png_qr("evidence"))
    assert uploaded.status_code == 201
    assert uploaded.json["mimetype"] == "image/png"
    url = uploaded.json["url"]
    served = client.get(url)
    assert served.status_code == 200
    assert served.data.startswith(b"\x89PNG")
    assert "max-age" in served.headers["Cache-Control"]
    served.close()
    response = post(
        client,
        notice["id"],
        objection_body(notice["zone_ids"][0], evidence_urls=[url, url.removeprefix("http://localhost")]),
        headers,
    )
    assert response.status_code == 201, response.json
    # somebody else's upload is not evidence for me
    assert_error(
        post(
            client,
            notice["id"],
            objection_body(notice["zone_ids"][0], evidence_urls=[url]),
            auth.wechat_headers("thief"),
        ),
        422,
        "validation_error",
    )


def test_uploads_only_images_and_not_too_big(client, auth, make_app):
    headers = auth.wechat_headers("uploader")
    assert_error(upload(client, headers, b"#!/bin/sh\necho not an image\n", "evil.png"), 422, "not_an_image")
    assert_error(upload(client, headers, b"%PDF-1.4 ...", "doc.pdf"), 422, "not_an_image")
    small = make_app(UPLOAD_MAX_BYTES=1000).test_client()
    assert upload(small, headers, b"\x89PNG\r\n\x1a\n" + b"0" * 5000).status_code == 413
    assert_error(
        client.post("/api/mp/v1/uploads", data={}, headers=headers, content_type="multipart/form-data"),
        422,
        "validation_error",
    )
    assert_error(upload(client, {}, png_qr("x")), 401, "unauthorized")


def test_media_paths_cannot_escape_the_upload_root(client):
    for path in (
        "/media/uploads/../../app/config.py",
        "/media/uploads/%2e%2e/%2e%2e/etc/passwd",
        "/media/uploads/..%2f..%2fetc%2fpasswd",
        "/media/uploads/nope.png",
    ):
        assert client.get(path).status_code == 404


def test_evidence_images_pass_wechats_image_check(client, auth, app, make_app, fake_wechat):
    from app.wechat.fake import risky_png

    notice = open_notice(app)
    headers = auth.wechat_headers("imager")
    assert_error(upload(client, headers, risky_png()), 422, "content_risky")
    assert any("image_bytes" in c for c in fake_wechat.state()["content_checks"])
    # WeChat down: the image is kept, and the objection using it is flagged for staff
    from tests.conftest import free_port

    down = make_app(WECHAT_API_BASE_URL=f"http://127.0.0.1:{free_port()}").test_client()
    unchecked = upload(down, headers, png_qr("unchecked"))
    assert unchecked.status_code == 201
    response = post(
        client, notice["id"], objection_body(notice["zone_ids"][0], evidence_urls=[unchecked.json["url"]]), headers
    )
    assert response.status_code == 201
    assert response.json["needs_review"] is True


# ---- the window in words: what people read ----------------------------------------------------


def _window_error(app, client, auth, *, starts_in, ends_in, code):
    notice = open_notice(app)
    set_window(app, notice["id"], starts_in=starts_in, ends_in=ends_in)
    response = post(client, notice["id"], objection_body(notice["zone_ids"][0]), auth.wechat_headers("window"))
    return assert_error(response, 422, code)


def _last_day_words(iso_end: str) -> str:
    from datetime import datetime, timedelta

    last = datetime.fromisoformat(iso_end) - timedelta(microseconds=1)
    return f"{last.month} 月 {last.day} 日"


def test_publicity_closed_says_its_window_in_words(client, auth, app):
    error = _window_error(app, client, auth, starts_in=-5 * 86400, ends_in=-3600, code="publicity_closed")
    assert _last_day_words(error["details"]["ends_at"]) in error["message"]


def test_publicity_closed_has_no_iso_stamp_in_its_message(client, auth, app):
    error = _window_error(app, client, auth, starts_in=-5 * 86400, ends_in=-3600, code="publicity_closed")
    assert "+08:00" not in error["message"]


def test_publicity_closed_keeps_the_iso_window_in_details(client, auth, app):
    error = _window_error(app, client, auth, starts_in=-5 * 86400, ends_in=-3600, code="publicity_closed")
    assert error["details"]["starts_at"].endswith("+08:00")


def test_publicity_not_started_says_its_window_in_words(client, auth, app):
    error = _window_error(app, client, auth, starts_in=86400, ends_in=6 * 86400, code="publicity_not_started")
    assert _last_day_words(error["details"]["ends_at"]) in error["message"]


def test_publicity_not_started_has_no_iso_stamp_in_its_message(client, auth, app):
    error = _window_error(app, client, auth, starts_in=86400, ends_in=6 * 86400, code="publicity_not_started")
    assert "+08:00" not in error["message"]


def _utc(text):
    from datetime import datetime

    return datetime.fromisoformat(text)


def test_a_window_of_whole_days_reads_from_first_to_last_day():
    from app.times import period_words

    words = period_words(
        _utc("2026-06-02T00:00:00+08:00"),
        _utc("2026-06-07T00:00:00+08:00"),
        "Asia/Shanghai",
        now=_utc("2026-05-20T12:00:00+08:00"),
    )
    assert words == "6 月 2 日至 6 月 6 日"


def test_a_window_of_another_year_says_the_year():
    from app.times import period_words

    words = period_words(
        _utc("2025-06-02T00:00:00+08:00"),
        _utc("2025-06-07T00:00:00+08:00"),
        "Asia/Shanghai",
        now=_utc("2026-05-20T12:00:00+08:00"),
    )
    assert words == "2025 年 6 月 2 日至 2025 年 6 月 6 日"


def test_a_window_bound_within_a_day_says_the_time():
    from app.times import period_words

    words = period_words(
        _utc("2026-06-02T09:30:00+08:00"),
        _utc("2026-06-06T17:00:00+08:00"),
        "Asia/Shanghai",
        now=_utc("2026-05-20T12:00:00+08:00"),
    )
    assert words == "6 月 2 日 09:30 至 6 月 6 日 17:00"


def test_a_window_is_read_in_china_time():
    from app.times import period_words

    words = period_words(
        _utc("2026-06-01T16:00:00+00:00"),
        _utc("2026-06-06T16:00:00+00:00"),
        "Asia/Shanghai",
        now=_utc("2026-05-20T12:00:00+08:00"),
    )
    assert words == "6 月 2 日至 6 月 6 日"


def test_an_objection_whose_reason_is_only_invisible_characters_is_refused(client, app, auth):
    notice = open_notice(app)
    body = dict(objection_body(notice["zone_ids"][0]), reason="\u200b" * 20)
    response = post(client, notice["id"], body, auth.wechat_headers("invisible"))
    assert "reason" in assert_error(response, 422, "validation_error")["details"]
