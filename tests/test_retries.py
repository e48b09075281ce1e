"""Retries replay: a write sent again with the same Idempotency-Key (the answer was lost on a bad
network, the button was tapped twice) gets the first answer, status and body, and is not done twice;
the same key on another request is 422 idempotency_key_reused."""

import io

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.visits.models import Slot
from tests.factories import make_base, make_slot, make_zone, move_booking_to_today
from tests.helpers import assert_error
from tests.kept import kept
from tests.test_console import signed_in, text
from tests.test_visits import book, visitors


def _key(value):
    return {"Idempotency-Key": value}


def _booked(app, slot_id):
    with app.app_context():
        return db.session.get(Slot, slot_id).booked


# ---- cancelling a booking -----------------------------------------------------------------------


@pytest.fixture
def booked(request, app, client, auth):
    """A booking of two visitors for a 5-place slot: {"headers", "booking_id", "slot_id"}. Kept (tests/kept.py)."""
    return kept(request, "retries.booked", lambda: _book_one(app, client, auth))


def _book_one(app, client, auth):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, capacity=5)
    headers = auth.wechat_headers("retrying-visitor")
    booking = book(client, headers, {"slot_id": slot_id, "visitors": visitors(2)}, "book-1").json
    return {"headers": headers, "booking_id": booking["id"], "slot_id": slot_id}


def test_a_retried_cancel_gets_the_first_status(client, booked):
    path = f"/api/mp/v1/bookings/{booked['booking_id']}/cancel"
    first = client.post(path, headers={**booked["headers"], **_key("cancel-1")})
    again = client.post(path, headers={**booked["headers"], **_key("cancel-1")})
    assert (first.status_code, again.status_code) == (200, 200)


def test_a_retried_cancel_gets_the_first_body(client, booked):
    path = f"/api/mp/v1/bookings/{booked['booking_id']}/cancel"
    first = client.post(path, headers={**booked["headers"], **_key("cancel-1")})
    again = client.post(path, headers={**booked["headers"], **_key("cancel-1")})
    assert again.get_data(as_text=True) == first.get_data(as_text=True)


def test_a_retried_cancel_frees_the_places_once(app, client, booked):
    path = f"/api/mp/v1/bookings/{booked['booking_id']}/cancel"
    for _ in range(3):
        client.post(path, headers={**booked["headers"], **_key("cancel-1")})
    assert _booked(app, booked["slot_id"]) == 0


def test_a_cancel_with_a_new_key_after_the_first_is_still_refused(client, booked):
    path = f"/api/mp/v1/bookings/{booked['booking_id']}/cancel"
    client.post(path, headers={**booked["headers"], **_key("cancel-1")})
    assert_error(client.post(path, headers={**booked["headers"], **_key("cancel-2")}), 409, "not_cancellable")


def test_the_cancel_key_on_another_booking_is_refused(app, client, booked):
    other = book(client, booked["headers"], {"slot_id": booked["slot_id"], "visitors": visitors(1, start=5)}, "book-2")
    client.post(f"/api/mp/v1/bookings/{booked['booking_id']}/cancel", headers={**booked["headers"], **_key("cancel-1")})
    reused = client.post(
        f"/api/mp/v1/bookings/{other.json['id']}/cancel", headers={**booked["headers"], **_key("cancel-1")}
    )
    assert_error(reused, 422, "idempotency_key_reused")


def test_a_refused_cancel_frees_its_key(client, booked):
    """A failed attempt stores nothing: the key may then be used for a corrected request."""
    missing = client.post("/api/mp/v1/bookings/999999/cancel", headers={**booked["headers"], **_key("cancel-1")})
    assert_error(missing, 404, "not_found")
    path = f"/api/mp/v1/bookings/{booked['booking_id']}/cancel"
    assert client.post(path, headers={**booked["headers"], **_key("cancel-1")}).status_code == 200


def test_a_blank_cancel_key_is_refused(client, booked):
    path = f"/api/mp/v1/bookings/{booked['booking_id']}/cancel"
    assert_error(client.post(path, headers={**booked["headers"], **_key("  ")}), 400, "idempotency_key_invalid")


def test_a_blank_key_leaves_the_booking_as_it_was(client, booked):
    path = f"/api/mp/v1/bookings/{booked['booking_id']}/cancel"
    client.post(path, headers={**booked["headers"], **_key("")})
    assert client.get(f"/api/mp/v1/bookings/{booked['booking_id']}", headers=booked["headers"]).json["status"] == (
        "confirmed"
    )


def test_an_overlong_cancel_key_is_refused(client, booked):
    path = f"/api/mp/v1/bookings/{booked['booking_id']}/cancel"
    assert_error(client.post(path, headers={**booked["headers"], **_key("k" * 129)}), 400, "idempotency_key_invalid")


# ---- checking in at the door ------------------------------------------------------------------


@pytest.fixture
def at_the_door(app, client, auth):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, starts_in=600)
    headers = auth.wechat_headers("door-guest")
    group = {"organisation": "示例中学", "leader_name": "王老师", "leader_phone": "13911112222", "headcount": 20}
    booking = book(client, headers, {"slot_id": slot_id, "group": group}, "door-book").json
    move_booking_to_today(app, booking["id"])
    code = client.get(f"/api/mp/v1/bookings/{booking['id']}/checkin-code", headers=headers).json["code"]
    return {
        "base_id": base_id,
        "code": code,
        "booking_id": booking["id"],
        "operator": auth.wechat_operator(base_id, "door-operator"),
    }


def _check_in(client, door, key, headcount=18):
    return client.post(
        "/api/mp/v1/checkins",
        json={"code": door["code"], "headcount": headcount},
        headers={**door["operator"], **_key(key)},
    )


def test_a_retried_door_checkin_gets_the_first_status(client, at_the_door):
    first, again = _check_in(client, at_the_door, "door-1"), _check_in(client, at_the_door, "door-1")
    assert (first.status_code, again.status_code) == (200, 200)


def test_a_retried_door_checkin_gets_the_first_body(client, at_the_door):
    first, again = _check_in(client, at_the_door, "door-1"), _check_in(client, at_the_door, "door-1")
    assert again.get_data(as_text=True) == first.get_data(as_text=True)


def test_a_new_door_checkin_after_the_first_is_still_refused(client, at_the_door):
    _check_in(client, at_the_door, "door-1")
    assert_error(_check_in(client, at_the_door, "door-2"), 409, "already_checked_in")


def test_the_door_key_with_another_headcount_is_refused(client, at_the_door):
    _check_in(client, at_the_door, "door-1")
    assert_error(_check_in(client, at_the_door, "door-1", headcount=17), 422, "idempotency_key_reused")


def test_the_console_door_form_sent_twice_shows_the_first_result(app, client, at_the_door):
    console = signed_in(app, "base_operator", "door-console", base_id=at_the_door["base_id"])
    form_key = _form_key(text(console.get("/console/door")))
    sent = {"code": at_the_door["code"], "headcount": "18", "idempotency_key": form_key}
    console.post("/console/door", sent)
    assert "核验通过" in text(console.post("/console/door", sent))


def test_a_fresh_console_door_form_says_already_checked_in(app, client, at_the_door):
    console = signed_in(app, "base_operator", "door-console", base_id=at_the_door["base_id"])
    first_key = _form_key(text(console.get("/console/door")))
    console.post("/console/door", {"code": at_the_door["code"], "headcount": "18", "idempotency_key": first_key})
    second_key = _form_key(text(console.get("/console/door")))
    answer = console.post(
        "/console/door", {"code": at_the_door["code"], "headcount": "18", "idempotency_key": second_key}
    )
    assert "已核验入馆" in text(answer)


def test_every_console_door_form_has_its_own_key(app, at_the_door):
    console = signed_in(app, "base_operator", "door-console", base_id=at_the_door["base_id"])
    assert _form_key(text(console.get("/console/door"))) != _form_key(text(console.get("/console/door")))


def _form_key(html):
    import re

    found = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert found, "the door form carries no idempotency key"
    return found.group(1)


# ---- the other retriable writes ---------------------------------------------------------------


def test_a_retried_waitlist_join_gets_the_first_answer(app, client, auth):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, capacity=1)
    book(client, auth.wechat_headers("fills-it"), {"slot_id": slot_id, "visitors": visitors(1)}, "fill")
    waiting = auth.wechat_headers("waits")
    body = {"slot_id": slot_id, "visitors": visitors(1, start=1)}
    first = client.post(f"/api/mp/v1/slots/{slot_id}/waitlist", json=body, headers={**waiting, **_key("wait-1")})
    again = client.post(f"/api/mp/v1/slots/{slot_id}/waitlist", json=body, headers={**waiting, **_key("wait-1")})
    assert (again.status_code, again.json) == (first.status_code, first.json)


def test_a_retried_zone_transition_gets_the_first_answer(app, client, auth):
    zone_id = make_zone(app, "applied")
    admin = auth.staff("admin")
    body = {"to": "expert_review", "note": "材料齐全"}
    first = client.post(f"/api/admin/v1/zones/{zone_id}/transitions", json=body, headers={**admin, **_key("t-1")})
    again = client.post(f"/api/admin/v1/zones/{zone_id}/transitions", json=body, headers={**admin, **_key("t-1")})
    assert (again.status_code, again.json) == (200, first.json)


def test_a_retried_staff_account_creation_gets_the_first_answer(client, auth):
    admin = auth.staff("admin")
    body = {"username": "new-officer", "password": "long-enough-password", "role": "institute_staff"}
    first = client.post("/api/admin/v1/users", json=body, headers={**admin, **_key("u-1")})
    again = client.post("/api/admin/v1/users", json=body, headers={**admin, **_key("u-1")})
    assert (again.status_code, again.json) == (201, first.json)


def test_a_retried_upload_stores_one_image(app, client, auth):
    from app.media.models import Upload

    headers = auth.wechat_headers("uploader")
    png = _png()
    for _ in range(2):
        client.post(
            "/api/mp/v1/uploads",
            data={"file": (io.BytesIO(png), "a.png")},
            headers={**headers, **_key("up-1")},
            content_type="multipart/form-data",
        )
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Upload)) == 1


def test_the_upload_key_with_another_image_is_refused(client, auth):
    headers = auth.wechat_headers("uploader")
    client.post(
        "/api/mp/v1/uploads",
        data={"file": (io.BytesIO(_png()), "a.png")},
        headers={**headers, **_key("up-1")},
        content_type="multipart/form-data",
    )
    other = client.post(
        "/api/mp/v1/uploads",
        data={"file": (io.BytesIO(_png(color=(0, 0, 255))), "a.png")},
        headers={**headers, **_key("up-1")},
        content_type="multipart/form-data",
    )
    assert_error(other, 422, "idempotency_key_reused")


def _png(color=(0, 128, 0)) -> bytes:
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"\x00" + bytes(color)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


# Writes that need no key: doing them again leaves the same state and gives the same answer
# (PUT/PATCH set values; follow, join and confirm return what is already there), or there is no
# signed-in caller to keep an answer for (logins, and logouts or account deletions once the token is gone).
IDEMPOTENT_BY_NATURE = {
    ("post", "/api/mp/v1/auth/login"),
    ("post", "/api/mp/v1/auth/logout"),
    ("post", "/api/mp/v1/me/deletion"),
    ("patch", "/api/mp/v1/me"),
    ("put", "/api/mp/v1/bookings/{booking_id}/members"),
    ("post", "/api/mp/v1/schools/{school_id}/follow"),
    ("delete", "/api/mp/v1/schools/{school_id}/follow"),
    ("post", "/api/mp/v1/zones/{zone_id}/follow"),
    ("delete", "/api/mp/v1/zones/{zone_id}/follow"),
    ("post", "/api/mp/v1/me/class"),
    ("post", "/api/mp/v1/campaigns/{campaign_id}/join"),
    ("post", "/api/mp/v1/me/consents"),
    ("delete", "/api/mp/v1/guardian-consents/{consent_id}"),
    ("post", "/api/admin/v1/auth/login"),
    ("post", "/api/admin/v1/auth/logout"),
    ("patch", "/api/admin/v1/users/{user_id}"),
    ("put", "/api/admin/v1/users/{user_id}/password"),
    ("patch", "/api/admin/v1/zones/{zone_id}"),
    ("put", "/api/admin/v1/zones/{zone_id}/education-base"),
    ("patch", "/api/admin/v1/districts/{district_id}"),
    ("put", "/api/admin/v1/calendar/days"),
    ("put", "/api/admin/v1/bases/{base_id}/profile"),
    ("post", "/api/admin/v1/capacity-alerts/{alert_id}/read"),
    ("patch", "/api/admin/v1/articles/{article_id}"),
    ("post", "/api/admin/v1/schools/{school_id}/students/{user_id}/guardian-consent"),
    ("post", "/api/admin/v1/posts/{checkin_id}/hide"),
    ("post", "/api/admin/v1/posts/{checkin_id}/unhide"),
    ("post", "/api/admin/v1/checkins/{checkin_id}/confirm"),
    ("patch", "/api/admin/v1/milestones/{milestone_id}"),
    ("patch", "/api/admin/v1/reports/{report_id}"),
    ("put", "/api/admin/v1/zones/{zone_id}/series/{indicator_key}"),
    ("patch", "/api/admin/v1/zones/{zone_id}/reporters/{user_id}"),
}


def test_every_other_write_takes_an_idempotency_key(client):
    """A new write must either replay (`@replayable`) or be added above with the reason it need not."""
    spec = client.get("/api/openapi.json").json
    without = {
        (method, path)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if method in ("post", "put", "patch", "delete")
        and not any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", []))
    }
    assert without == IDEMPOTENT_BY_NATURE


def test_bookings_still_refuse_a_request_without_a_key(client, booked):
    assert_error(
        client.post(
            "/api/mp/v1/bookings",
            json={"slot_id": booked["slot_id"], "visitors": visitors(1, 6)},
            headers=booked["headers"],
        ),
        400,
        "idempotency_key_required",
    )


def test_a_key_used_on_another_endpoint_is_422(client, auth, app):
    from tests.factories import make_base, make_slot
    from tests.test_visits import visitors

    headers = dict(auth.wechat_headers("two-endpoints"), **{"Idempotency-Key": "k-shared"})
    slot_id = make_slot(app, make_base(app))
    booked = client.post("/api/mp/v1/bookings", json={"slot_id": slot_id, "visitors": visitors(1)}, headers=headers)
    cancel = client.post(f"/api/mp/v1/bookings/{booked.json['id']}/cancel", headers=headers)
    assert_error(cancel, 422, "idempotency_key_reused")


def test_a_key_in_chinese_counts_its_characters(client, auth, app):
    from tests.factories import make_base, make_slot
    from tests.test_visits import visitors

    key = "键" * 100  # 100 characters, 300 bytes in UTF-8: within the 128 characters
    headers = dict(auth.wechat_headers("chinese-key"), **{"Idempotency-Key": key.encode().decode("latin-1")})
    slot_id = make_slot(app, make_base(app))
    response = client.post("/api/mp/v1/bookings", json={"slot_id": slot_id, "visitors": visitors(1)}, headers=headers)
    assert response.status_code == 201, response.json
