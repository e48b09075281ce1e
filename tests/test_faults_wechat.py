"""A slow or hanging WeChat never loses a write and never holds a request for long.

The fake WeChat is made slow (token fetches that hang, calls that hang); every WeChat call, the
token fetch included, must give up within WECHAT_TIMEOUT, writes that need WeChat keep their data
(flagged for staff) or answer 503 wechat_unavailable, and after a few timeouts the circuit breaker
answers at once instead of waiting again.
"""

import time

import pytest
from sqlalchemy import select

from app.extensions import db
from app.publicity.models import Objection
from app.wechat.client import get_client
from tests.factories import make_base, make_slot, open_notice
from tests.helpers import assert_error

REASON = "该项目申报材料中的能耗数据与实际情况不符，请核实。"
HANG = 8  # seconds the fake holds a request: far longer than the 1 s timeout below


@pytest.fixture
def slow_app(make_app):
    return make_app(WECHAT_TIMEOUT=1)


def _objection(client, notice, headers, n):
    body = {"zone_id": notice["zone_ids"][0], "name": "张三", "phone": "13812345678", "reason": f"{REASON}（{n}）"}
    return client.post(f"/api/mp/v1/publicity/{notice['id']}/objections", json=body, headers=headers)


def test_hanging_token_fetch_keeps_objections_and_flags_them(slow_app, fake_wechat):
    from tests.factories import citizen_tokens

    notice = open_notice(slow_app)
    headers = citizen_tokens(slow_app, 1)[0]
    client = slow_app.test_client()
    fake_wechat.configure(token_fetch_delay=HANG)
    started = time.monotonic()
    statuses = [_objection(client, notice, headers, n).status_code for n in range(3)]
    elapsed = time.monotonic() - started
    assert statuses == [201, 201, 201]
    assert elapsed < 15
    with slow_app.app_context():
        flags = db.session.scalars(select(Objection.needs_review)).all()
    assert flags == [True, True, True]


def test_hanging_calls_trip_the_breaker_so_later_writes_answer_at_once(slow_app, fake_wechat):
    from tests.factories import citizen_tokens

    notice = open_notice(slow_app)
    headers = citizen_tokens(slow_app, 1)[0]
    client = slow_app.test_client()
    with slow_app.app_context():
        get_client(slow_app).access_token  # a live token first: the calls themselves hang  # noqa: B018
    fake_wechat.configure(call_delay=HANG)
    for n in range(3):  # each waits for its 1 s timeout
        assert _objection(client, notice, headers, n).status_code == 201
    started = time.monotonic()
    assert _objection(client, notice, headers, 3).status_code == 201
    assert time.monotonic() - started < 0.8


def test_login_with_hanging_wechat_is_503_within_the_timeout(slow_app, fake_wechat):
    fake_wechat.configure(token_fetch_delay=HANG)
    started = time.monotonic()
    response = slow_app.test_client().post("/api/mp/v1/auth/login", json={"code": "alice:1"})
    assert_error(response, 503, "wechat_unavailable")
    assert time.monotonic() - started < 5


def test_phone_check_with_hanging_wechat_is_503(slow_app, fake_wechat):
    from tests.factories import citizen_tokens

    headers = citizen_tokens(slow_app, 1)[0]
    fake_wechat.configure(token_fetch_delay=HANG)
    response = slow_app.test_client().post("/api/mp/v1/me/phone", json={"code": "phone:13812345678"}, headers=headers)
    assert_error(response, 503, "wechat_unavailable")


def test_checkin_code_with_hanging_wechat_falls_back_to_a_local_qr(slow_app, fake_wechat):
    from tests.factories import citizen_tokens, id_number

    base_id = make_base(slow_app)
    slot_id = make_slot(slow_app, base_id)
    headers = citizen_tokens(slow_app, 1)[0]
    client = slow_app.test_client()
    visitor = {"name": "张三", "id_number": id_number(), "phone": "13812345678"}
    booked = client.post(
        "/api/mp/v1/bookings",
        json={"slot_id": slot_id, "visitors": [visitor]},
        headers={**headers, "Idempotency-Key": "k1"},
    )
    assert booked.status_code == 201
    fake_wechat.configure(token_fetch_delay=HANG)
    code = client.get(f"/api/mp/v1/bookings/{booked.json['id']}/checkin-code", headers=headers)
    assert code.status_code == 200
    assert code.json["qr_source"] == "local"


def test_upload_with_hanging_wechat_is_kept_unchecked(slow_app, fake_wechat):
    import io

    from app.media.models import Upload
    from app.wechat.fake import png_qr
    from tests.factories import citizen_tokens

    headers = citizen_tokens(slow_app, 1)[0]
    fake_wechat.configure(token_fetch_delay=HANG)
    response = slow_app.test_client().post(
        "/api/mp/v1/uploads", data={"file": (io.BytesIO(png_qr("evidence")), "a.png")}, headers=headers
    )
    assert response.status_code == 201
    with slow_app.app_context():
        assert db.session.scalars(select(Upload.content_check)).all() == ["unchecked"]


def test_reads_keep_answering_while_writes_wait_for_wechat(slow_app, fake_wechat):
    import threading

    from tests.factories import citizen_tokens

    notice = open_notice(slow_app)
    headers = citizen_tokens(slow_app, 1)[0]
    fake_wechat.configure(token_fetch_delay=HANG)
    writers = [threading.Thread(target=_objection, args=(slow_app.test_client(), notice, headers, n)) for n in range(3)]
    for writer in writers:
        writer.start()
    started = time.monotonic()
    read = slow_app.test_client().get("/api/mp/v1/zones")
    elapsed = time.monotonic() - started
    for writer in writers:
        writer.join()
    assert read.status_code == 200
    assert elapsed < 0.9  # well under the 1 s WeChat timeout the writers are waiting out


def test_a_check_in_note_with_hanging_wechat_is_kept_for_review_within_the_timeout(
    slow_app, client, auth, school, catalogue_synced, fake_wechat
):
    from app.campaigns.models import ActionCheckin
    from tests.campaign_helpers import _campaign, _checkin, _student

    # Signed in and enrolled through the usual app (its sign-in must not race the 1 s timeout on a
    # busy machine); the same database and Redis serve slow_app, where WeChat hangs.
    campaign_id = _campaign(client, auth, school)
    headers = _student(client, auth, school, "slow-note")
    client.post(f"/api/mp/v1/campaigns/{campaign_id}/join", headers=headers)
    fake_wechat.configure(call_delay=HANG)
    started = time.monotonic()
    response = _checkin(slow_app.test_client(), headers, campaign_id, note="今天光盘行动")
    elapsed = time.monotonic() - started
    with slow_app.app_context():
        flagged = db.session.scalars(select(ActionCheckin.needs_review)).all()
    assert (response.status_code, elapsed < 5, flagged) == (201, True, [True])


def test_a_nickname_while_wechat_hangs_is_503(slow_app, fake_wechat, auth):
    from tests.factories import make_zone

    client = slow_app.test_client()
    headers = auth.wechat_headers("hangkid")
    school_id = make_zone(slow_app, "titled", type="school")
    client.patch("/api/mp/v1/me", json={"school_id": school_id, "class_name": "一班"}, headers=headers)
    with slow_app.app_context():
        get_client(slow_app).access_token  # a live token first: the check itself hangs  # noqa: B018
    fake_wechat.configure(call_delay=HANG)
    assert_error(client.patch("/api/mp/v1/me", json={"nickname": "小明"}, headers=headers), 503, "wechat_unavailable")
