"""Defects a tester found probing the running service (second round): closed days reopened by new
slots, the door's answer naming visitors in full, waiting requests that could never be booked, a
slot that said "open" to individuals it would refuse, cached slots of a base no longer designated,
a cancellation deadlocking with a closure, a same-person clash found by the database without the
visitor's position, an empty Idempotency-Key, bulk slots already over or overlapping, the door
ignoring an individual's head count, and resident ID numbers (born today; the region code)."""

import threading
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import pytest

from app import validators
from app.validators import IdType, document_problem
from app.visits import booking as booking_service
from app.visits import calendar, cancelling
from tests.factories import citizen_tokens, factory_admin, id_number, make_base, make_slot, move_booking_to_today
from tests.helpers import assert_error
from tests.test_visits import book, visitors
from tests.test_visits_staff import local_today

CHINA = ZoneInfo("Asia/Shanghai")


def group(headcount, minors=0, **more):
    return {
        "organisation": "长春市第一实验小学",
        "leader_name": "李老师",
        "leader_phone": "13912345678",
        "headcount": headcount,
        "minors": minors,
        **more,
    }


def slots_of(client, base_id, day):
    return client.get(f"/api/mp/v1/bases/{base_id}/slots?from={day}&to={day}").json["items"]


def bulk(client, headers, base_id, day, times, **more):
    body = {"from": day, "to": day, "weekdays": list(range(1, 8)), "times": times, "capacity": 5, **more}
    return client.post(f"/api/admin/v1/bases/{base_id}/slots/bulk", json=body, headers=headers)


def close(client, headers, base_id, day, reason="设备检修"):
    return client.post(f"/api/admin/v1/bases/{base_id}/closures", json={"date": day, "reason": reason}, headers=headers)


AFTERNOON = [{"start": "14:00", "end": "15:00"}]


# ---- 1. a closed day stays closed ---------------------------------------------------------------


@pytest.fixture
def closed_day(client, auth, app):
    """A base with a slot on a day that staff then closed."""
    base_id = make_base(app)
    make_slot(app, base_id, days_ahead=2)
    day = (local_today() + timedelta(days=2)).isoformat()
    operator = auth.staff("base_operator", base_id=base_id)
    close(client, operator, base_id, day)
    return {"base_id": base_id, "day": day, "operator": operator}


def test_bulk_creation_adds_no_slot_to_a_closed_day(client, closed_day):
    done = bulk(client, closed_day["operator"], closed_day["base_id"], closed_day["day"], AFTERNOON)
    assert done.json["created"] == 0


def test_bulk_creation_says_how_many_slots_a_closed_day_skipped(client, closed_day):
    done = bulk(client, closed_day["operator"], closed_day["base_id"], closed_day["day"], AFTERNOON)
    assert done.json["skipped_closed"] == 1


def test_a_closed_day_offers_nothing_bookable_after_a_bulk_request(client, closed_day):
    bulk(client, closed_day["operator"], closed_day["base_id"], closed_day["day"], AFTERNOON)
    slots = slots_of(client, closed_day["base_id"], closed_day["day"])
    assert [s["bookable"] for s in slots] == [False]


def test_a_day_without_slots_can_be_closed_in_advance(client, auth, app):
    base_id = make_base(app)
    day = (local_today() + timedelta(days=5)).isoformat()
    answer = close(client, auth.staff("base_operator", base_id=base_id), base_id, day)
    assert answer.status_code == 200, answer.json


def test_slots_for_a_day_closed_in_advance_are_skipped(client, auth, app):
    base_id = make_base(app)
    operator = auth.staff("base_operator", base_id=base_id)
    day = (local_today() + timedelta(days=5)).isoformat()
    close(client, operator, base_id, day)
    bulk(client, operator, base_id, day, AFTERNOON)
    assert slots_of(client, base_id, day) == []


def test_closing_a_day_already_past_is_a_422(client, auth, app):
    base_id = make_base(app)
    day = (local_today() - timedelta(days=1)).isoformat()
    answer = close(client, auth.staff("base_operator", base_id=base_id), base_id, day)
    assert "date" in assert_error(answer, 422, "validation_error")["details"]


def test_the_console_closes_a_day_without_slots_in_advance(app):
    from tests.test_console import signed_in

    base_id = make_base(app)
    day = local_today() + timedelta(days=4)
    console = signed_in(app, "base_operator", "ahead-closer", base_id=base_id)
    console.get(f"/console/bases/{base_id}")
    form = {"form": "close-ahead", "day": day.isoformat(), "reason": "设备检修", "confirmed": "1"}
    console.post(f"/console/bases/{base_id}/close-day", form)
    with app.app_context():
        assert calendar.closed_days(base_id, day, day) == {day: "设备检修"}


def test_the_console_refuses_a_past_day_before_asking_to_confirm(app):
    from tests.test_console import signed_in

    base_id = make_base(app)
    day = local_today() - timedelta(days=3)
    console = signed_in(app, "base_operator", "past-closer", base_id=base_id)
    console.get(f"/console/bases/{base_id}")
    form = {"form": "close-ahead", "day": day.isoformat(), "reason": "设备检修"}
    page = console.post(f"/console/bases/{base_id}/close-day", form).get_data(as_text=True)
    assert ("不能为过去的日期闭馆" in page, "确定闭馆" in page) == (True, False)


# ---- 2. the door's answer is masked -------------------------------------------------------------


def checked_in(client, auth, app, body, key, headcount=None):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, starts_in=600)
    headers = auth.wechat_headers(f"door-{key}")
    made = book(client, headers, {"slot_id": slot_id, **body}, key).json
    move_booking_to_today(app, made["id"])
    code = client.get(f"/api/mp/v1/bookings/{made['id']}/checkin-code", headers=headers).json["code"]
    operator = auth.wechat_operator(base_id, f"op-{key}")
    sent = {"code": code} if headcount is None else {"code": code, "headcount": headcount}
    return client.post("/api/mp/v1/checkins", json=sent, headers=operator)


MEMBERS = [{"name": "王小明", "minor": True}] * 10 + [{"name": "赵老师", "minor": False}]


def test_the_door_answer_masks_an_individuals_name(client, auth, app):
    answer = checked_in(client, auth, app, {"visitors": visitors(1)}, "mask-1")
    assert answer.json["visitors"][0]["name"] == "张*"


def test_the_door_answer_masks_a_group_leaders_name(client, auth, app):
    answer = checked_in(client, auth, app, {"group": group(11, 10)}, "mask-2", headcount=11)
    assert answer.json["leader_name"] == "李**"


def test_the_door_answer_masks_a_groups_childrens_names(client, auth, app):
    answer = checked_in(client, auth, app, {"group": group(11, 10, members=MEMBERS)}, "mask-3", headcount=11)
    assert {m["name"] for m in answer.json["members"]} == {"王**", "赵**"}


# ---- 3. the waitlist takes only requests a booking would take --------------------------------------


def join(client, headers, slot_id, body, key):
    return client.post(f"/api/mp/v1/slots/{slot_id}/waitlist", json=body, headers={**headers, "Idempotency-Key": key})


def test_a_group_larger_than_the_slots_group_places_cannot_wait(client, auth, app):
    slot_id = make_slot(app, make_base(app), group_capacity=30)
    answer = join(client, auth.wechat_headers("w-big"), slot_id, {"group": group(40)}, "w-big")
    assert "group" in assert_error(answer, 422, "validation_error")["details"]


def test_a_group_without_an_adult_cannot_wait(client, auth, app):
    slot_id = make_slot(app, make_base(app), group_capacity=12)
    book(client, auth.wechat_headers("w-first"), {"slot_id": slot_id, "group": group(12)}, "w-first")
    answer = join(client, auth.wechat_headers("w-kids"), slot_id, {"group": group(11, 11)}, "w-kids")
    assert "minors" in assert_error(answer, 422, "validation_error")["details"]["group"]


@pytest.fixture
def booked_elsewhere_that_day(client, auth, app):
    """A person booked at 10:00; the 14:00 slot of the same base and day full."""
    base_id = make_base(app)
    morning = make_slot(app, base_id, hour=10)
    afternoon = make_slot(app, base_id, hour=14, capacity=2)
    book(client, auth.wechat_headers("w-morning"), {"slot_id": morning, "visitors": visitors(1)}, "w-m")
    book(client, auth.wechat_headers("w-afternoon"), {"slot_id": afternoon, "visitors": visitors(2, 5)}, "w-a")
    return afternoon


def test_a_person_already_booked_that_day_cannot_wait(client, auth, booked_elsewhere_that_day):
    body = {"visitors": visitors(1)}
    answer = join(client, auth.wechat_headers("w-again"), booked_elsewhere_that_day, body, "w-again")
    assert_error(answer, 409, "person_already_booked")


def test_the_waitlists_refusal_of_a_person_names_the_visitor(client, auth, booked_elsewhere_that_day):
    body = {"visitors": [*visitors(1, 7), *visitors(1)]}
    answer = join(client, auth.wechat_headers("w-pos"), booked_elsewhere_that_day, body, "w-pos")
    assert answer.json["error"]["details"] == {"visitor": 1}


def test_an_individual_request_larger_than_the_slot_is_a_422(client, auth, app):
    slot_id = make_slot(app, make_base(app), capacity=2)
    answer = book(client, auth.wechat_headers("too-many"), {"slot_id": slot_id, "visitors": visitors(3)}, "tm")
    assert "visitors" in assert_error(answer, 422, "validation_error")["details"]


@pytest.fixture
def waiting(client, auth, app):
    """A full slot (one place, booked), and someone waiting for it."""
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, capacity=1)
    first = auth.wechat_headers("w-holder")
    held = book(client, first, {"slot_id": slot_id, "visitors": visitors(1, 5)}, "w-held").json
    headers = auth.wechat_headers("w-waiter")
    entry = join(client, headers, slot_id, {"visitors": visitors(1)}, "w-join").json
    return {"base_id": base_id, "slot_id": slot_id, "headers": headers, "entry": entry, "first": first, "held": held}


def my_waitlist(client, waiting):
    return client.get("/api/mp/v1/me/waitlist", headers=waiting["headers"]).json


def test_my_waitlist_lists_my_entry(client, waiting):
    assert [e["id"] for e in my_waitlist(client, waiting)["items"]] == [waiting["entry"]["id"]]


def test_my_waitlist_is_the_list_envelope(client, waiting):
    assert set(my_waitlist(client, waiting)) == {"items", "page", "per_page", "total"}


def test_my_waitlist_names_the_base(client, waiting):
    name = client.get(f"/api/mp/v1/bases/{waiting['base_id']}").json["name"]
    assert my_waitlist(client, waiting)["items"][0]["base_name"] == name


def test_my_waitlist_gives_the_slots_time(client, waiting):
    assert my_waitlist(client, waiting)["items"][0]["slot"]["starts_at"].endswith("T10:00:00+08:00")


def test_my_waitlist_says_the_status_in_chinese(client, waiting):
    assert my_waitlist(client, waiting)["items"][0]["status_label"] == "候补中"


def test_my_waitlist_gives_the_position_while_waiting(client, waiting):
    assert my_waitlist(client, waiting)["items"][0]["position"] == 1


def test_my_waitlist_holds_nobody_elses_entry(client, waiting):
    assert client.get("/api/mp/v1/me/waitlist", headers=waiting["first"]).json["total"] == 0


def withdraw(client, headers, entry_id):
    return client.delete(f"/api/mp/v1/waitlist/{entry_id}", headers=headers)


def test_withdrawing_a_waiting_entry_cancels_it(client, waiting):
    assert withdraw(client, waiting["headers"], waiting["entry"]["id"]).json["status"] == "cancelled"


def test_withdrawing_someone_elses_entry_is_a_404(client, waiting):
    error = withdraw(client, waiting["first"], waiting["entry"]["id"]).json["error"]
    # The waitlist's own refusal (as if the entry did not exist), not a missing route's.
    assert (error["code"], error["message"]) == ("not_found", "候补记录不存在")


def test_withdrawing_twice_is_a_409(client, waiting):
    withdraw(client, waiting["headers"], waiting["entry"]["id"])
    assert_error(withdraw(client, waiting["headers"], waiting["entry"]["id"]), 409, "not_waiting")


def test_a_withdrawn_entry_is_not_booked_when_a_place_frees_up(client, waiting):
    withdraw(client, waiting["headers"], waiting["entry"]["id"])
    client.post(f"/api/mp/v1/bookings/{waiting['held']['id']}/cancel", headers=waiting["first"])
    assert client.get("/api/mp/v1/me/bookings", headers=waiting["headers"]).json["total"] == 0


def test_the_waitlist_reads_and_withdrawal_are_documented(client):
    paths = client.get("/api/openapi.json").json["paths"]
    documented = (
        "get" in paths.get("/api/mp/v1/me/waitlist", {}),
        "delete" in paths.get("/api/mp/v1/waitlist/{entry_id}", {}),
    )
    assert documented == (True, True)


# ---- 4. a slot tells individuals the truth ------------------------------------------------------


def test_a_slot_full_for_individuals_with_group_places_left_says_so(client, auth, app):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, capacity=1, group_capacity=30)
    book(client, auth.wechat_headers("ind-full"), {"slot_id": slot_id, "visitors": visitors(1)}, "ind-full")
    day = (local_today() + timedelta(days=1)).isoformat()
    assert slots_of(client, base_id, day)[0]["status"] == "individual_full"


def test_a_slot_full_for_individuals_offers_them_the_waitlist_in_words(client, auth, app):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, capacity=1, group_capacity=30)
    book(client, auth.wechat_headers("ind-label"), {"slot_id": slot_id, "visitors": visitors(1)}, "ind-label")
    day = (local_today() + timedelta(days=1)).isoformat()
    assert slots_of(client, base_id, day)[0]["status_label"] == "个人已约满，可候补；团体可约"


def test_a_slot_without_individual_places_says_groups_only(client, app):
    base_id = make_base(app)
    make_slot(app, base_id, capacity=0, group_capacity=30)
    day = (local_today() + timedelta(days=1)).isoformat()
    assert slots_of(client, base_id, day)[0]["status"] == "groups_only"


def alerts_of(client, auth, base_id):
    listed = client.get(f"/api/admin/v1/capacity-alerts?base_id={base_id}", headers=auth.staff("institute_staff"))
    return {(a["kind"], a["slot_id"] is None, a["threshold"]) for a in listed.json["items"]}


def test_group_places_filling_raise_a_group_alert(client, auth, app):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, capacity=10, group_capacity=10)
    book(client, auth.wechat_headers("al-group"), {"slot_id": slot_id, "group": group(10)}, "al-group")
    assert ("group", False, 100) in alerts_of(client, auth, base_id)


def test_individual_places_filling_alert_apart_from_group_places(client, auth, app):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, capacity=2, group_capacity=8)
    book(client, auth.wechat_headers("al-ind"), {"slot_id": slot_id, "visitors": visitors(2)}, "al-ind")
    assert ("individual", False, 100) in alerts_of(client, auth, base_id)


# ---- 5. no longer a base: its cached slots go ------------------------------------------------------


def test_removing_the_designation_drops_the_bases_cached_slots(client, auth, app):
    base_id = make_base(app)
    make_slot(app, base_id)
    day = (local_today() + timedelta(days=1)).isoformat()
    path = f"/api/mp/v1/bases/{base_id}/slots?from={day}&to={day}"
    client.get(path)  # cached
    client.put(
        f"/api/admin/v1/zones/{base_id}/education-base", json={"is_education_base": False}, headers=auth.staff("admin")
    )
    assert client.get(path).status_code == 404


@pytest.fixture
def stranded(client, auth, app, make_app):
    """A citizen's booking at a base whose designation is then removed (by an app with the booking
    change template configured): (booking id, headers)."""
    base_id = make_base(app)
    slot_id = make_slot(app, base_id)
    headers = auth.wechat_headers("stranded")
    booked = book(client, headers, {"slot_id": slot_id, "visitors": visitors(1)}, "stranded-1")
    assert booked.status_code == 201, booked.json
    tpl = make_app(WECHAT_TEMPLATE_BOOKING_CHANGE="tpl-change").test_client()
    removed = tpl.put(
        f"/api/admin/v1/zones/{base_id}/education-base", json={"is_education_base": False}, headers=auth.staff("admin")
    )
    assert removed.status_code == 200, removed.json
    return booked.json["id"], headers


def test_removing_the_designation_cancels_the_bases_coming_visits(client, stranded):
    """Left confirmed they would be reminded, admitted by nobody and counted as no-shows."""
    booking_id, headers = stranded
    assert client.get(f"/api/mp/v1/bookings/{booking_id}", headers=headers).json["status"] == "cancelled"


def test_a_visitor_of_a_base_no_longer_open_is_told(app, stranded, fake_wechat):
    from app.jobs.schedule import PERIODIC

    with app.app_context():
        PERIODIC["outbox.deliver"].run()
    sent = [m["data"]["thing3"]["value"] for m in fake_wechat.state()["sent_messages"]]
    assert sent == [cancelling.BASE_CLOSED_MESSAGE]


# ---- 6. a cancellation and a closure of its day at once (PostgreSQL) ------------------------------


@pytest.fixture
def race(app, auth, monkeypatch):
    """A booking two days ahead; release_booking slowed for one kind of caller (by its reason), so the
    other request runs into the locks the slowed one holds."""
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, days_ahead=2)
    (citizen,) = citizen_tokens(app, 1, prefix="race")
    made = book(app.test_client(), citizen, {"slot_id": slot_id, "visitors": visitors(1)}, "race")
    holding = threading.Event()
    real = cancelling.release_booking

    def run(slowed_reason: str) -> dict[str, int]:
        def slowed(booking, reason, late):
            if reason.startswith(slowed_reason):
                holding.set()  # its locks are taken: let the other request run into them
                time.sleep(1.5)  # longer than PostgreSQL's deadlock_timeout (1 s)
            real(booking, reason, late)

        monkeypatch.setattr(cancelling, "release_booking", slowed)
        staff = auth.staff("institute_staff")
        day = (local_today() + timedelta(days=2)).isoformat()
        results: dict[str, int] = {}

        def cancel():
            if not slowed_reason.startswith("用户"):
                holding.wait(10)
            answer = app.test_client().post(f"/api/mp/v1/bookings/{made.json['id']}/cancel", headers=citizen)
            results["cancel"] = answer.status_code

        def closing():
            if slowed_reason.startswith("用户"):
                holding.wait(10)
            results["close"] = close(app.test_client(), staff, base_id, day).status_code

        threads = [threading.Thread(target=cancel), threading.Thread(target=closing)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    return run


@pytest.mark.postgres
def test_a_cancellation_holding_its_booking_lets_a_closure_of_its_day_wait(race):
    assert race("用户取消") == {"cancel": 200, "close": 200}


@pytest.mark.postgres
def test_a_cancellation_during_a_closure_of_its_day_is_told_it_was_cancelled(race):
    assert race("基地闭馆") == {"cancel": 409, "close": 200}


# ---- 7. a same-person clash found by the database names the visitor ------------------------------


@pytest.fixture
def racing_clash(app, monkeypatch):
    """Someone else holds PERSON at the base that day; the check before writing misses it, as it does
    when both accounts book at once: the partial unique index finds it."""
    base_id = make_base(app)
    slots = [make_slot(app, base_id, hour=9 + i) for i in range(7)]
    owner, prober = citizen_tokens(app, 2, prefix="clash")
    book(app.test_client(), owner, {"slot_id": slots[0], "visitors": visitors(1)}, "own")
    monkeypatch.setattr(booking_service, "_clash", lambda slot, indexes: None)
    return {"slots": slots, "prober": prober}


def test_a_clash_found_by_the_database_names_the_visitor(client, racing_clash):
    body = {"slot_id": racing_clash["slots"][1], "visitors": [*visitors(1, 3), *visitors(1)]}
    answer = book(client, racing_clash["prober"], body, "clash-1")
    assert assert_error(answer, 409, "person_already_booked")["details"] == {"visitor": 1}


def test_clashes_found_by_the_database_count_towards_the_daily_limit(client, racing_clash):
    statuses = [
        book(client, racing_clash["prober"], {"slot_id": s, "visitors": visitors(1)}, f"clash-{i}").status_code
        for i, s in enumerate(racing_clash["slots"][1:])
    ]
    assert statuses == [409, 409, 409, 409, 409, 429]


# ---- 8. an empty Idempotency-Key ------------------------------------------------------------------


def test_an_empty_idempotency_key_on_a_booking_is_invalid(client, auth, app):
    slot_id = make_slot(app, make_base(app))
    headers = {**auth.wechat_headers("empty-key"), "Idempotency-Key": ""}
    answer = client.post("/api/mp/v1/bookings", json={"slot_id": slot_id, "visitors": visitors(1)}, headers=headers)
    assert_error(answer, 400, "idempotency_key_invalid")


# ---- 9. bulk slots: times already over, overlaps with existing slots ------------------------------


def todays_spec(times):
    today = local_today()
    return {"from": today, "to": today, "weekdays": list(range(1, 8)), "times": times, "capacity": 5}


def test_bulk_creation_skips_a_time_already_over_today(app):
    base_id = make_base(app)
    noon = datetime.combine(local_today(), clock(12), CHINA)
    with app.app_context():
        done = calendar.create_calendar(
            base_id, todays_spec([{"start": clock(9), "end": clock(10)}]), factory_admin(), noon
        )
        assert done.slots == []


def test_bulk_creation_counts_the_times_already_over(app):
    base_id = make_base(app)
    noon = datetime.combine(local_today(), clock(12), CHINA)
    with app.app_context():
        done = calendar.create_calendar(
            base_id, todays_spec([{"start": clock(9), "end": clock(10)}]), factory_admin(), noon
        )
        assert done.skipped_ended == 1


def test_a_time_overlapping_an_existing_slot_is_a_422(client, auth, app):
    base_id = make_base(app)
    make_slot(app, base_id, days_ahead=3, hour=10)
    day = (local_today() + timedelta(days=3)).isoformat()
    answer = bulk(client, auth.staff("admin"), base_id, day, [{"start": "10:30", "end": "11:30"}])
    assert_error(answer, 422, "validation_error")


def test_an_overlap_with_an_existing_slot_names_both_times(client, auth, app):
    base_id = make_base(app)
    make_slot(app, base_id, days_ahead=3, hour=10)
    day = (local_today() + timedelta(days=3)).isoformat()
    answer = bulk(client, auth.staff("admin"), base_id, day, [{"start": "10:30", "end": "11:30"}])
    assert answer.json["error"]["details"]["times"] == [f"{day} 已有时段 10:00–11:00，与 10:30–11:30 重叠"]


def test_the_same_start_with_another_end_is_an_overlap_not_a_repeat(client, auth, app):
    base_id = make_base(app)
    make_slot(app, base_id, days_ahead=3, hour=10)
    day = (local_today() + timedelta(days=3)).isoformat()
    answer = bulk(client, auth.staff("admin"), base_id, day, [{"start": "10:00", "end": "11:30"}])
    assert_error(answer, 422, "validation_error")


# ---- 10. the door records the head count sent for individuals ---------------------------------------


def test_an_individual_checkin_records_the_headcount_sent(client, auth, app):
    answer = checked_in(client, auth, app, {"visitors": visitors(2)}, "hc-1", headcount=1)
    assert answer.json["actual_headcount"] == 1


def test_more_people_than_booked_at_an_individual_checkin_is_a_422(client, auth, app):
    answer = checked_in(client, auth, app, {"visitors": visitors(2)}, "hc-2", headcount=3)
    assert "headcount" in assert_error(answer, 422, "validation_error")["details"]


# ---- 11. resident ID numbers ------------------------------------------------------------------------


class _ServerStillInYesterday(date):
    """date.today() on a server in UTC between 00:00 and 08:00 China time."""

    @classmethod
    def today(cls):
        return local_today() - timedelta(days=1)


def test_a_resident_id_born_today_in_china_is_valid_on_a_server_still_in_yesterday(monkeypatch):
    monkeypatch.setattr(validators, "date", _ServerStillInYesterday)
    newborn = id_number(f"220102{local_today():%Y%m%d}123")
    assert document_problem(IdType.RESIDENT_ID, newborn) is None


@pytest.mark.parametrize("region", ["000000", "910000", "990000", "100000"])
def test_a_resident_id_outside_every_province_is_refused(region):
    assert document_problem(IdType.RESIDENT_ID, id_number(f"{region}19900101123")) is not None


@pytest.mark.parametrize("born", ["19990229", "20990101"], ids=["no-such-day", "future"])
def test_a_birth_date_that_cannot_be_is_said_as_such(born):
    """Not as the check character, which is right (a tester was sent to check it)."""
    assert "出生日期" in document_problem(IdType.RESIDENT_ID, id_number(f"220102{born}123"))


def test_a_wrong_check_character_is_still_said_as_such():
    assert "末位校验码" in document_problem(IdType.RESIDENT_ID, "220102199003071236")


def test_the_refusal_of_a_region_code_says_so(monkeypatch):
    assert "行政区划" in document_problem(IdType.RESIDENT_ID, id_number("00000019900101123"))


def test_a_booking_with_a_resident_id_of_region_000000_is_a_422(client, auth, app):
    slot_id = make_slot(app, make_base(app))
    person = {"name": "张三", "id_number": id_number("00000019900101123"), "phone": "13800000000"}
    answer = book(client, auth.wechat_headers("region"), {"slot_id": slot_id, "visitors": [person]}, "region")
    assert "visitors" in assert_error(answer, 422, "validation_error")["details"]


# ---- the cancel deadline, said before it is met ----------------------------------------------------


def test_a_booking_says_until_when_it_may_be_cancelled(client, auth, app):
    """The booking page had said only 「参观开始前的截止时间之前可以取消」."""
    base_id = make_base(app)
    slot_id = make_slot(app, base_id)
    headers = auth.wechat_headers("deadline")
    booked = book(client, headers, {"slot_id": slot_id, "visitors": visitors(1)}, "deadline-1").json
    starts = datetime.fromisoformat(booked["slot"]["starts_at"])
    cutoff = app.config["BOOKING_CANCEL_CUTOFF_MINUTES"]
    assert datetime.fromisoformat(booked["cancellable_until"]) == starts - timedelta(minutes=cutoff)


def test_a_base_designated_again_offers_its_coming_slots_again(client, auth, app, stranded):
    """close_base closed them; nothing else could reopen them, and their times could never be offered."""
    booking_id, headers = stranded
    base_id = client.get(f"/api/mp/v1/bookings/{booking_id}", headers=headers).json["base_id"]
    client.put(
        f"/api/admin/v1/zones/{base_id}/education-base", json={"is_education_base": True}, headers=auth.staff("admin")
    )
    day = (local_today() + timedelta(days=1)).isoformat()
    slots = client.get(f"/api/mp/v1/bases/{base_id}/slots?from={day}&to={day}").json["items"]
    assert [s["status"] for s in slots] == ["open"]


def test_the_door_list_says_how_many_of_a_booking_came(client, auth, app):
    """Three booked, two came: the list's three rows had all read 已入馆 beside an attendance of two."""
    answer = checked_in(client, auth, app, {"visitors": visitors(3)}, "door-count", headcount=2).json
    operator = auth.staff("base_operator", base_id=answer["base_id"])
    listed = client.get(
        f"/api/admin/v1/bases/{answer['base_id']}/door-list.csv?date={local_today().isoformat()}", headers=operator
    )
    assert "已入馆（到 2/3 人）" in listed.get_data(as_text=True)
