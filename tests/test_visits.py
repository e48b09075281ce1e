"""Education bases and bookings: rules, never overbooked, idempotent, cancel and waitlist, check-in."""

import base64
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.visits.models import Booking, BookingVisitor, Slot
from tests.factories import citizen_tokens, id_number, make_base, make_slot, move_booking_to_today
from tests.helpers import assert_error

IDS = [id_number(f"2201021990030712{i}") for i in range(10)]


def visitors(n, start=0):
    names = ["张三", "李四", "王五", "赵六", "孙七", "周八", "吴九", "郑十", "钱一", "陈二"]
    return [{"name": names[i], "id_number": IDS[i], "phone": f"1380000000{i}"} for i in range(start, start + n)]


def book(client, headers, body, key):
    return client.post("/api/mp/v1/bookings", json=body, headers=dict(headers, **{"Idempotency-Key": key}))


def test_bases_and_slots_views(client, app):
    base_id = make_base(app, visitor_notes="请提前 10 分钟到达", release_hour=9)
    slot_id = make_slot(app, base_id, capacity=20)
    bases = client.get("/api/mp/v1/bases").json
    assert bases["total"] == 1
    assert bases["items"][0]["profile"]["visitor_notes"] == "请提前 10 分钟到达"
    assert client.get(f"/api/mp/v1/bases/{base_id}").json["profile"]["release_hour"] == 9
    from app.db_types import utcnow

    today = utcnow().date()
    slots = client.get(f"/api/mp/v1/bases/{base_id}/slots?from={today}&to={today + timedelta(days=3)}").json["items"]
    slot = next(s for s in slots if s["id"] == slot_id)
    assert slot["capacity"] == 20
    assert slot["remaining"] == 20
    assert slot["starts_at"].endswith("+08:00")
    assert_error(client.get(f"/api/mp/v1/bases/{base_id}/slots?from={today}"), 422, "validation_error")
    assert_error(
        client.get(f"/api/mp/v1/bases/{base_id}/slots?from={today}&to={today + timedelta(days=400)}"),
        422,
        "validation_error",
    )
    assert_error(client.get("/api/mp/v1/bases/999999"), 404, "not_found")


def test_booking_individuals_and_remaining(client, auth, app):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, capacity=10)
    headers = auth.wechat_headers("visitor")
    response = book(client, headers, {"slot_id": slot_id, "visitors": visitors(3)}, "k1")
    assert response.status_code == 201, response.json
    booking = response.json
    assert booking["status"] == "confirmed"
    assert booking["headcount"] == 3
    assert booking["kind"] == "individual"
    assert booking["visitors"][0]["id_number"].startswith("2201")
    assert "*" in booking["visitors"][0]["id_number"]
    from app.db_types import utcnow

    today = utcnow().date()
    slots = client.get(f"/api/mp/v1/bases/{base_id}/slots?from={today}&to={today + timedelta(days=2)}").json["items"]
    assert next(s for s in slots if s["id"] == slot_id)["remaining"] == 7  # the cache was invalidated
    mine = client.get("/api/mp/v1/me/bookings", headers=headers).json
    assert mine["total"] == 1
    assert client.get(f"/api/mp/v1/bookings/{booking['id']}", headers=headers).status_code == 200
    assert_error(
        client.get(f"/api/mp/v1/bookings/{booking['id']}", headers=auth.wechat_headers("other")), 404, "not_found"
    )
    with app.app_context():
        raw = db.session.execute(db.text("SELECT name, id_number, phone FROM booking_visitors")).first()
    assert "张三" not in str(raw)
    assert IDS[0] not in str(raw)


def test_group_booking(client, auth, app):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, group_capacity=40)
    headers = auth.wechat_headers("teacher")
    group = {"organisation": "长春市示例小学", "leader_name": "刘老师", "leader_phone": "13911112222", "headcount": 35}
    response = book(client, headers, {"slot_id": slot_id, "group": group}, "g1")
    assert response.status_code == 201
    assert response.json["kind"] == "group"
    assert response.json["headcount"] == 35
    over = book(client, headers, {"slot_id": slot_id, "group": {**group, "headcount": 41}}, "g2")
    assert_error(over, 422, "validation_error")
    full = book(client, auth.wechat_headers("teacher2"), {"slot_id": slot_id, "group": {**group, "headcount": 6}}, "g3")
    assert_error(full, 409, "slot_full")


@pytest.mark.parametrize(
    "body,field",
    [
        ({"visitors": []}, "visitors"),
        ({"visitors": [{"name": "张三", "id_number": i, "phone": "13800000000"} for i in IDS[:6]]}, "visitors"),
        ({}, "visitors"),
        (
            {"group": {"organisation": "某校", "leader_name": "刘老师", "leader_phone": "13911112222", "headcount": 0}},
            "group",
        ),
        (
            {
                "visitors": [
                    {
                        "name": "张三",
                        "id_number": IDS[0][:-1] + ("0" if IDS[0][-1] != "0" else "1"),
                        "phone": "13800000000",
                    }
                ]
            },
            "visitors",
        ),
        ({"visitors": [{"name": "张三", "id_number": IDS[0], "phone": "13800000000"}] * 2}, "visitors"),
        ({"visitors": [{"name": "张三", "id_number": IDS[0], "phone": "123"}]}, "visitors"),
        ({"visitors": [{"name": "", "id_number": IDS[0], "phone": "13800000000"}]}, "visitors"),
    ],
)
def test_bad_booking_input(client, auth, app, body, field):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id)
    response = book(client, auth.wechat_headers("bad"), {"slot_id": slot_id, **body}, "bad-1")
    error = assert_error(response, 422, "validation_error")
    assert field in error["details"]


def test_booking_rules(client, auth, app):
    base_id = make_base(app)
    other_base = make_base(app)
    headers = auth.wechat_headers("rules")
    past = make_slot(app, base_id, starts_in=-60)
    assert_error(book(client, headers, {"slot_id": past, "visitors": visitors(1)}, "r1"), 422, "slot_started")
    far = make_slot(app, base_id, days_ahead=20)
    error = assert_error(
        book(client, headers, {"slot_id": far, "visitors": visitors(1)}, "r2"), 422, "slot_not_released"
    )
    assert error["details"]["opens_at"]
    assert_error(book(client, headers, {"slot_id": 987654, "visitors": visitors(1)}, "r3"), 404, "not_found")
    # one person once per base per day, even in another slot of that day, by another user
    morning = make_slot(app, base_id, hour=9)
    afternoon = make_slot(app, base_id, hour=14)
    assert book(client, headers, {"slot_id": morning, "visitors": visitors(2)}, "r4").status_code == 201
    assert_error(
        book(client, auth.wechat_headers("rules2"), {"slot_id": afternoon, "visitors": visitors(1, start=1)}, "r5"),
        409,
        "person_already_booked",
    )
    # a slot of another base than the page the visitor books from
    wrong = book(client, headers, {"slot_id": afternoon, "base_id": other_base, "visitors": visitors(1, 5)}, "r7")
    assert "slot_id" in assert_error(wrong, 422, "validation_error")["details"]
    # ...but another base the same day is fine
    other_slot = make_slot(app, other_base, hour=9)
    assert book(client, headers, {"slot_id": other_slot, "visitors": visitors(1)}, "r6").status_code == 201
    # missing Idempotency-Key
    assert_error(
        client.post("/api/mp/v1/bookings", json={"slot_id": afternoon, "visitors": visitors(1, 5)}, headers=headers),
        400,
        "idempotency_key_required",
    )


def test_same_key_books_once_and_other_body_is_422(client, auth, app):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, capacity=10)
    headers = auth.wechat_headers("retry")
    body = {"slot_id": slot_id, "visitors": visitors(2)}
    first, second = book(client, headers, body, "same"), book(client, headers, body, "same")
    assert first.status_code == second.status_code == 201
    assert first.json == second.json
    assert_error(
        book(client, headers, {"slot_id": slot_id, "visitors": visitors(1, 4)}, "same"), 422, "idempotency_key_reused"
    )
    with app.app_context():
        assert db.session.get(Slot, slot_id).booked == 2
        assert db.session.scalar(select(func.count(Booking.id))) == 1


def test_a_retry_after_the_slot_filled_gets_its_booking_not_slot_full(client, auth, app):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, capacity=2)
    headers = auth.wechat_headers("early-bird")
    body = {"slot_id": slot_id, "visitors": visitors(2)}
    first = book(client, headers, body, "lost-answer")
    assert first.status_code == 201
    assert_error(
        book(client, auth.wechat_headers("late"), {"slot_id": slot_id, "visitors": visitors(1, 3)}, "x"),
        409,
        "slot_full",
    )
    retry = book(client, headers, body, "lost-answer")  # the phone never saw the first answer
    assert retry.status_code == 201
    assert retry.json == first.json


def test_suspended_user_is_refused_with_the_end_date(client, auth, app):
    from datetime import date

    from app.visits.models import BookingSuspension

    base_id = make_base(app)
    slot_id = make_slot(app, base_id)
    headers = auth.wechat_headers("suspended")
    user_id = client.get("/api/mp/v1/me", headers=headers).json["id"]
    with app.app_context():
        db.session.add(
            BookingSuspension(user_id=user_id, starts_on=date(2026, 1, 1), ends_on=date(2099, 12, 31), reason="测试")
        )
        db.session.commit()
    error = assert_error(
        book(client, headers, {"slot_id": slot_id, "visitors": visitors(1)}, "s1"), 403, "booking_suspended"
    )
    assert error["details"]["suspended_until"] == "2099-12-31"
    assert "2099-12-31" in error["message"]


def test_cancel_until_cutoff_and_waitlist_promotion(client, auth, app, fake_wechat, make_app):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, capacity=3)
    first, waiting = auth.wechat_headers("early"), auth.wechat_headers("waiting")
    booking = book(client, first, {"slot_id": slot_id, "visitors": visitors(3)}, "c1").json
    full = assert_error(
        book(client, waiting, {"slot_id": slot_id, "visitors": visitors(2, start=3)}, "c2"), 409, "slot_full"
    )
    assert full["details"]["waitlist"]["path"] == f"/api/mp/v1/slots/{slot_id}/waitlist"
    joined = client.post(
        full["details"]["waitlist"]["path"], json={"slot_id": slot_id, "visitors": visitors(2, 3)}, headers=waiting
    )
    assert joined.status_code == 201
    assert joined.json["position"] == 1
    assert_error(client.post(f"/api/mp/v1/bookings/{booking['id']}/cancel", headers=waiting), 404, "not_found")
    tpl = make_app(WECHAT_TEMPLATE_BOOKING_CHANGE="tpl-change").test_client()
    cancelled = tpl.post(f"/api/mp/v1/bookings/{booking['id']}/cancel", headers=first)
    assert cancelled.status_code == 200
    assert cancelled.json["status"] == "cancelled"
    promoted = client.get("/api/mp/v1/me/bookings", headers=waiting).json["items"]
    assert len(promoted) == 1
    assert promoted[0]["status"] == "confirmed"
    assert promoted[0]["headcount"] == 2
    sent = fake_wechat.state()["sent_messages"]
    assert [m["touser"] for m in sent] == ["o_fake_waiting"]
    assert sent[0]["template_id"] == "tpl-change"
    with app.app_context():
        assert db.session.get(Slot, slot_id).booked == 2
    # cancelling twice
    assert_error(client.post(f"/api/mp/v1/bookings/{booking['id']}/cancel", headers=first), 409, "not_cancellable")


def test_cancel_after_cutoff_is_refused(client, auth, app):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, starts_in=3600)  # one hour away, cut-off is two hours
    headers = auth.wechat_headers("late")
    booking = book(client, headers, {"slot_id": slot_id, "visitors": visitors(1)}, "l1").json
    error = assert_error(
        client.post(f"/api/mp/v1/bookings/{booking['id']}/cancel", headers=headers), 422, "cancel_cutoff_passed"
    )
    assert error["details"]["cutoff"]


def test_checkin_at_the_door(client, auth, app, fake_wechat):
    base_id = make_base(app)
    other_base = make_base(app)
    slot_id = make_slot(app, base_id, starts_in=600)  # today, in ten minutes
    headers = auth.wechat_headers("guest")
    booking = book(client, headers, {"slot_id": slot_id, "visitors": visitors(2)}, "d1").json
    move_booking_to_today(app, booking["id"])
    code_answer = client.get(f"/api/mp/v1/bookings/{booking['id']}/checkin-code", headers=headers).json
    code = code_answer["code"]
    assert len(code) <= 32
    assert code_answer["qr_source"] == "wechat"
    assert base64.b64decode(code_answer["qr_png_base64"]).startswith(b"\x89PNG")
    assert fake_wechat.state()["wxacodes"][0]["scene"] == code
    assert_error(
        client.get(f"/api/mp/v1/bookings/{booking['id']}/checkin-code", headers=auth.wechat_headers("x")),
        404,
        "not_found",
    )

    operator = auth.wechat_operator(base_id, "op-244")
    wrong_operator = auth.wechat_operator(other_base, "op-245")
    assert_error(client.post("/api/mp/v1/checkins", json={"code": code}, headers=wrong_operator), 403, "not_this_base")
    # Someone who runs no base: a matter of their role (before the code is looked at).
    assert_error(client.post("/api/mp/v1/checkins", json={"code": code}, headers=headers), 403, "forbidden")
    forged = code[:-3] + ("AAA" if not code.endswith("AAA") else "BBB")
    assert_error(
        client.post("/api/mp/v1/checkins", json={"code": forged}, headers=operator), 400, "invalid_checkin_code"
    )
    assert_error(
        client.post("/api/mp/v1/checkins", json={"code": "nonsense"}, headers=operator), 400, "invalid_checkin_code"
    )
    other_id = int(code.split(".")[0]) + 1000
    assert_error(
        client.post("/api/mp/v1/checkins", json={"code": f"{other_id}.{code.split('.')[1]}"}, headers=operator),
        400,
        "invalid_checkin_code",
    )
    first = client.post("/api/mp/v1/checkins", json={"code": code}, headers=operator)
    assert first.status_code == 200
    assert first.json["status"] == "checked_in"
    assert first.json["actual_headcount"] == 2
    assert_error(client.post("/api/mp/v1/checkins", json={"code": code}, headers=operator), 409, "already_checked_in")


def test_checkin_wrong_day_and_expired(client, auth, app):
    base_id = make_base(app)
    tomorrow = make_slot(app, base_id, days_ahead=1)
    headers = auth.wechat_headers("early-bird")
    booking = book(client, headers, {"slot_id": tomorrow, "visitors": visitors(1)}, "w1").json
    code = client.get(f"/api/mp/v1/bookings/{booking['id']}/checkin-code", headers=headers).json["code"]
    operator = auth.wechat_operator(base_id, "op-269")
    assert_error(client.post("/api/mp/v1/checkins", json={"code": code}, headers=operator), 422, "wrong_day")
    # a booking of a day that is over: its code has expired
    with app.app_context():
        record = db.session.get(Booking, booking["id"])
        record.visit_date = record.visit_date - timedelta(days=3)
        db.session.commit()
    from app.visits import checkin

    with app.app_context():
        expired = checkin.checkin_code(db.session.get(Booking, booking["id"]))
    error = assert_error(client.post("/api/mp/v1/checkins", json={"code": expired}, headers=operator), 422, "wrong_day")
    assert "过期" in error["message"]


def test_group_checkin_needs_actual_headcount(client, auth, app):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, starts_in=600)
    headers = auth.wechat_headers("group-leader")
    group = {"organisation": "示例中学", "leader_name": "王老师", "leader_phone": "13911112222", "headcount": 20}
    booking = book(client, headers, {"slot_id": slot_id, "group": group}, "gc1").json
    move_booking_to_today(app, booking["id"])
    code = client.get(f"/api/mp/v1/bookings/{booking['id']}/checkin-code", headers=headers).json["code"]
    operator = auth.wechat_operator(base_id, "op-292")
    assert_error(client.post("/api/mp/v1/checkins", json={"code": code}, headers=operator), 422, "validation_error")
    assert_error(
        client.post("/api/mp/v1/checkins", json={"code": code, "headcount": 21}, headers=operator),
        422,
        "validation_error",
    )
    done = client.post("/api/mp/v1/checkins", json={"code": code, "headcount": 18}, headers=operator)
    assert done.status_code == 200
    assert done.json["actual_headcount"] == 18


def test_qr_falls_back_to_a_local_code_when_wechat_is_down(client, auth, app, make_app):
    from tests.conftest import free_port

    base_id = make_base(app)
    slot_id = make_slot(app, base_id)
    headers = auth.wechat_headers("offline")
    booking = book(client, headers, {"slot_id": slot_id, "visitors": visitors(1)}, "q1").json
    down = make_app(WECHAT_API_BASE_URL=f"http://127.0.0.1:{free_port()}").test_client()
    answer = down.get(f"/api/mp/v1/bookings/{booking['id']}/checkin-code", headers=headers).json
    assert answer["qr_source"] == "local"
    assert base64.b64decode(answer["qr_png_base64"]).startswith(b"\x89PNG")


@pytest.mark.postgres
def test_rush_of_200_never_overbooks(app):
    """200 distinct users at once at one slot of 20 places: exactly 20 booked, every other 409."""
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, capacity=20)
    tokens = citizen_tokens(app, 200)
    results: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(50)

    def attempt(indexes):
        client = app.test_client()
        barrier.wait()
        for i in indexes:
            body = {
                "slot_id": slot_id,
                "visitors": [
                    {"name": "张三", "id_number": id_number(f"{22010219900101000 + i}"), "phone": "13800000000"}
                ],
            }
            response = book(client, tokens[i], body, f"rush-{i}")
            with lock:
                results.append(response.status_code)

    threads = [threading.Thread(target=attempt, args=(range(k, 200, 50),)) for k in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 200
    assert results.count(201) == 20, sorted(set(results))
    assert results.count(409) == 180, sorted(set(results))
    with app.app_context():
        slot = db.session.get(Slot, slot_id)
        assert slot.booked == 20
        assert db.session.scalar(select(func.sum(Booking.headcount)).where(Booking.slot_id == slot_id)) == 20


@pytest.mark.postgres
def test_concurrent_retries_with_one_key_book_once(app):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, capacity=20)
    (headers,) = citizen_tokens(app, 1, prefix="retrier")
    body = {"slot_id": slot_id, "visitors": visitors(2)}
    results = []
    barrier = threading.Barrier(10)

    def attempt():
        client = app.test_client()
        barrier.wait()
        results.append(book(client, headers, body, "one-key"))

    threads = [threading.Thread(target=attempt) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status_code for r in results} <= {201, 409}
    assert len({r.json["id"] for r in results if r.status_code == 201}) == 1
    with app.app_context():
        assert db.session.get(Slot, slot_id).booked == 2
        assert db.session.scalar(select(func.count(BookingVisitor.id))) == 2


def _rush(app, slot_id, tokens, first):
    """Every token tries once for one place, 25 threads at once; the statuses."""
    results: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(25)

    def attempt(indexes):
        client = app.test_client()
        barrier.wait()
        for i in indexes:
            person = {
                "name": "张三",
                "id_number": id_number(f"{22010219900101000 + first + i}"),
                "phone": "13800000000",
            }
            response = book(client, tokens[i], {"slot_id": slot_id, "visitors": [person]}, f"trace-{i}")
            with lock:
                results.append(response.status_code)

    threads = [threading.Thread(target=attempt, args=(range(k, len(tokens), 25),)) for k in range(25)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.postgres
def test_a_rushs_losers_leave_no_idempotency_record(app):
    """The claim shares the booking's transaction: a refused attempt keeps no key (a corrected
    retry may run), only the winners' answers are stored."""
    from app.idempotency import IdempotencyRecord

    slot_id = make_slot(app, make_base(app), capacity=10)
    results = _rush(app, slot_id, citizen_tokens(app, 100, prefix="trace"), 5000)
    with app.app_context():
        stored = db.session.scalar(select(func.count(IdempotencyRecord.id)))
    assert (results.count(201), stored) == (10, 10)


@pytest.mark.postgres
def test_concurrent_retries_with_one_key_all_get_the_first_answer(app):
    """A retry arriving while the first attempt runs waits for it, then replays its answer."""
    slot_id = make_slot(app, make_base(app), capacity=20)
    (headers,) = citizen_tokens(app, 1, prefix="patient")
    body = {"slot_id": slot_id, "visitors": visitors(1)}
    results = []
    barrier = threading.Barrier(8)

    def attempt():
        client = app.test_client()
        barrier.wait()
        results.append(book(client, headers, body, "same-key"))

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {(r.status_code, r.json.get("id")) for r in results} == {(201, results[0].json.get("id"))}


def test_school_groups_one_adult_per_ten_minors_and_a_name_list(client, auth, app):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, group_capacity=60)
    headers = auth.wechat_headers("head-teacher")
    group = {"organisation": "长春市示例中学", "leader_name": "王老师", "leader_phone": "13911113333", "headcount": 22}
    too_few_adults = book(client, headers, {"slot_id": slot_id, "group": {**group, "minors": 21}}, "sg1")
    error = assert_error(too_few_adults, 422, "validation_error")
    assert "至少需 3 名成年人" in error["details"]["group"]["minors"][0]
    assert_error(
        book(client, headers, {"slot_id": slot_id, "group": {**group, "minors": 23}}, "sg2"), 422, "validation_error"
    )
    members = [{"name": "王老师"}] + [{"name": "李小明", "minor": True}] * 10
    wrong_length = book(client, headers, {"slot_id": slot_id, "group": {**group, "members": members}}, "sg3")
    assert "members" in assert_error(wrong_length, 422, "validation_error")["details"]["group"]
    ok = book(client, headers, {"slot_id": slot_id, "group": {**group, "minors": 20}}, "sg4")
    assert ok.status_code == 201
    assert ok.json["minors"] == 20
    assert ok.json["members"] is None
    booking_id = ok.json["id"]
    # the name list comes later, and must keep the ratio
    names = [{"name": "王老师"}, {"name": "张老师"}] + [{"name": "李小明", "minor": True}] * 20
    put = client.put(f"/api/mp/v1/bookings/{booking_id}/members", json={"members": names}, headers=headers)
    assert put.status_code == 200
    assert put.json["minors"] == 20
    assert put.json["members"][2]["name"] == "李小明"
    one_adult = [{"name": "王老师"}] + [{"name": "李小明", "minor": True}] * 21
    bad = client.put(f"/api/mp/v1/bookings/{booking_id}/members", json={"members": one_adult}, headers=headers)
    assert "members" in assert_error(bad, 422, "validation_error")["details"]
    assert_error(
        client.put(
            f"/api/mp/v1/bookings/{booking_id}/members",
            json={"members": names},
            headers=auth.wechat_headers("someone-else"),
        ),
        404,
        "not_found",
    )
    individual = book(client, auth.wechat_headers("solo"), {"slot_id": slot_id, "visitors": visitors(1)}, "sg5").json
    assert_error(
        client.put(
            f"/api/mp/v1/bookings/{individual['id']}/members",
            json={"members": names},
            headers=auth.wechat_headers("solo"),
        ),
        422,
        "not_a_group",
    )
    # staff see the list masked; the door list names everyone
    operator = auth.staff("base_operator", base_id=base_id)
    staff_view = client.get(f"/api/admin/v1/slots/{slot_id}/bookings", headers=operator).get_data(as_text=True)
    assert "李小明" not in staff_view
    assert "李*" in staff_view
    door = client.get(f"/api/admin/v1/bases/{base_id}/door-list.csv?date={ok.json['visit_date']}", headers=operator)
    assert door.data.decode("utf-8-sig").count("李**（未成年）") == 20  # masked there too: docs/privacy.md
    with app.app_context():
        raw = db.session.execute(db.text("SELECT member_list FROM bookings WHERE id = :i"), {"i": booking_id}).scalar()
    assert "李小明" not in raw


def test_the_checkin_code_opens_the_mini_programs_door_page(client, auth, app, fake_wechat):
    """Scanned with WeChat itself, the visitor's code opens the door page (扫码核验) with the code as its scene."""
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, starts_in=600)
    headers = auth.wechat_headers("scene")
    booking = book(client, headers, {"slot_id": slot_id, "visitors": visitors(1)}, "scene-1").json
    client.get(f"/api/mp/v1/bookings/{booking['id']}/checkin-code", headers=headers)
    assert fake_wechat.state()["wxacodes"][0]["page"] == "packages/visits/door/index"


def test_the_door_page_is_a_page_of_the_mini_program(project_root):
    """WeChat refuses a code for a page the published mini-program lacks: the door page is in its config."""
    from app.visits.checkin import CHECKIN_PAGE

    config = (project_root / "miniprogram" / "src" / "app.config.ts").read_text(encoding="utf-8")
    listed = {
        f"{root}/{page}"
        for root, pages in re.findall(r"root: '([^']+)', pages: \[([^\]]*)\]", config)
        for page in re.findall(r"'([^']+)'", pages)
    }
    assert CHECKIN_PAGE in listed


# ---- phones and documents as people type them --------------------------------------------------------


def _one_visitor(**changes):
    return {"name": "张三", "id_number": IDS[0], "phone": "13800000000", **changes}


@pytest.mark.parametrize("typed", ["+86 138 0000 0000", "１３８００００００００"], ids=["spaces", "full-width"])
def test_a_phone_as_typed_is_kept_as_its_ascii_digits(client, auth, app, typed):
    slot_id = make_slot(app, make_base(app))
    body = {"slot_id": slot_id, "visitors": [_one_visitor(phone=typed)]}
    assert book(client, auth.wechat_headers("typist"), body, "p1").status_code == 201
    with app.app_context():
        assert db.session.scalar(select(BookingVisitor.phone)) == "13800000000"


def test_a_phone_in_another_scripts_digits_is_refused(client, auth, app):
    slot_id = make_slot(app, make_base(app))
    body = {"slot_id": slot_id, "visitors": [_one_visitor(phone="13٨٠٠٠٠٠٠٠٠")]}
    error = assert_error(book(client, auth.wechat_headers("arabic"), body, "p3"), 422, "validation_error")
    assert "phone" in error["details"]["visitors"]["0"]


def test_a_resident_id_in_full_width_digits_is_the_same_person(client, auth, app):
    base_id = make_base(app)
    morning, afternoon = make_slot(app, base_id, hour=9), make_slot(app, base_id, hour=14)
    first = book(client, auth.wechat_headers("first"), {"slot_id": morning, "visitors": [_one_visitor()]}, "d1")
    assert first.status_code == 201
    full_width = IDS[0].translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})
    again = {"slot_id": afternoon, "visitors": [_one_visitor(name="李四", id_number=full_width)]}
    assert_error(book(client, auth.wechat_headers("second"), again, "d2"), 409, "person_already_booked")
