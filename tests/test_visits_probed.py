"""Defects a tester found against the running service: the door list's status column, bulk slots
with repeated or overlapping times, and the waitlist's slot taken from its path."""

import csv
import io
from datetime import time, timedelta

import pytest

from app.errors import ValidationFailed
from app.visits import calendar
from tests.factories import factory_admin, make_base, make_slot
from tests.helpers import assert_error
from tests.test_visits import book, visitors
from tests.test_visits_staff import local_today

GROUP = {
    "organisation": "长春市第一实验小学",
    "leader_name": "李老师",
    "leader_phone": "13912345678",
    "headcount": 11,
    "minors": 10,
}


# ---- the door list ----------------------------------------------------------------------------


def door_rows(client, auth, app, body, key):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id)
    made = book(client, auth.wechat_headers(f"door-{key}"), {"slot_id": slot_id, **body}, key).json
    operator = auth.staff("base_operator", base_id=base_id)
    answer = client.get(f"/api/admin/v1/bases/{base_id}/door-list.csv?date={made['visit_date']}", headers=operator)
    return list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))


def test_the_door_list_shows_an_individuals_status_as_the_api_labels_it(client, auth, app):
    rows = door_rows(client, auth, app, {"visitors": visitors(1)}, "door-status-1")
    assert rows[1][7] == "已预约"


def test_the_door_list_shows_a_groups_status_as_the_api_labels_it(client, auth, app):
    rows = door_rows(client, auth, app, {"group": GROUP}, "door-status-2")
    assert rows[1][7] == "已预约"


# ---- bulk slots ---------------------------------------------------------------------------------


def bulk(client, auth, app, times):
    base_id = make_base(app)
    day = (local_today() + timedelta(days=3)).isoformat()
    body = {"from": day, "to": day, "weekdays": list(range(1, 8)), "times": times, "capacity": 5}
    operator = auth.staff("base_operator", base_id=base_id)
    answer = client.post(f"/api/admin/v1/bases/{base_id}/slots/bulk", json=body, headers=operator)
    return base_id, day, answer


REPEATED = [{"start": "13:00", "end": "14:00"}, {"start": "13:00", "end": "14:00"}]
OVERLAPPING = [{"start": "09:00", "end": "10:00"}, {"start": "09:30", "end": "10:30"}]


def test_the_same_time_twice_in_a_bulk_request_is_a_422(client, auth, app):
    assert_error(bulk(client, auth, app, REPEATED)[2], 422, "validation_error")


def test_the_same_time_twice_in_a_bulk_request_names_times(client, auth, app):
    assert "times" in bulk(client, auth, app, REPEATED)[2].json["error"]["details"]


def test_overlapping_times_in_a_bulk_request_are_a_422(client, auth, app):
    assert_error(bulk(client, auth, app, OVERLAPPING)[2], 422, "validation_error")


def test_overlapping_times_in_a_bulk_request_name_times(client, auth, app):
    assert "times" in bulk(client, auth, app, OVERLAPPING)[2].json["error"]["details"]


def test_a_refused_bulk_request_creates_no_slot(client, auth, app):
    base_id, day, _ = bulk(client, auth, app, OVERLAPPING)
    assert client.get(f"/api/mp/v1/bases/{base_id}/slots?from={day}&to={day}").json["items"] == []


def service_spec(times):
    day = local_today() + timedelta(days=3)
    return {"from": day, "to": day, "weekdays": list(range(1, 8)), "times": times, "capacity": 5}


def test_the_calendar_service_refuses_a_time_that_ends_before_it_starts(app):
    """The rule is the service's, so every caller (the staff API, the demo, a console form) keeps it."""
    base_id = make_base(app)
    with app.app_context(), pytest.raises(ValidationFailed):
        calendar.create_slots(base_id, service_spec([{"start": time(11), "end": time(10)}]), factory_admin())


def test_the_calendar_service_refuses_overlapping_times(app):
    base_id = make_base(app)
    spec = service_spec([{"start": time(9), "end": time(10)}, {"start": time(9, 30), "end": time(10, 30)}])
    with app.app_context(), pytest.raises(ValidationFailed):
        calendar.create_slots(base_id, spec, factory_admin())


# ---- the waitlist -------------------------------------------------------------------------------


def join(client, headers, slot_id, body, key):
    return client.post(f"/api/mp/v1/slots/{slot_id}/waitlist", json=body, headers={**headers, "Idempotency-Key": key})


def test_a_waitlist_request_takes_its_slot_from_the_path(client, auth, app):
    # A full slot (not one without individual places: a request for it could never be booked, 422).
    slot_id = make_slot(app, make_base(app), capacity=1)
    book(client, auth.wechat_headers("wait-path-0"), {"slot_id": slot_id, "visitors": visitors(1, 5)}, "w0")
    answer = join(client, auth.wechat_headers("wait-path"), slot_id, {"visitors": visitors(1)}, "wait-path")
    assert answer.status_code == 201


def test_a_waitlist_request_naming_another_slot_is_a_422(client, auth, app):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, capacity=0)
    other = make_slot(app, base_id, hour=14, capacity=0)
    body = {"slot_id": other, "visitors": visitors(1)}
    answer = join(client, auth.wechat_headers("wait-other"), slot_id, body, "wait-other")
    assert "slot_id" in assert_error(answer, 422, "validation_error")["details"]


def test_a_waitlist_request_for_a_slot_of_another_base_is_a_422(client, auth, app):
    slot_id = make_slot(app, make_base(app), capacity=0)
    body = {"slot_id": slot_id, "base_id": make_base(app), "visitors": visitors(1)}
    answer = join(client, auth.wechat_headers("wait-base"), slot_id, body, "wait-base")
    assert "slot_id" in assert_error(answer, 422, "validation_error")["details"]


def test_a_waitlist_request_for_a_slot_not_yet_released_is_refused_as_a_booking_is(client, auth, app):
    slot_id = make_slot(app, make_base(app), days_ahead=10)
    body = {"slot_id": slot_id, "visitors": visitors(1)}
    answer = join(client, auth.wechat_headers("wait-early"), slot_id, body, "wait-early")
    assert_error(answer, 422, "slot_not_released")


@pytest.mark.parametrize("example", ["WAITLIST_EXAMPLE", "GROUP_WAITLIST_EXAMPLE"])
def test_the_documented_waitlist_examples_are_valid_requests(app, example):
    """The OpenAPI document's waitlist examples leave the slot to the path, and pass validation."""
    from app.visits import schemas

    with app.app_context():
        assert schemas.WaitlistIn().validate(getattr(schemas, example)) == {}


def test_someone_who_runs_no_base_is_refused_at_the_door_before_the_code_is_read(client, auth):
    # Not "不是本基地的预约" (not_this_base), which says the code was a valid one of another base.
    response = client.post("/api/mp/v1/checkins", json={"code": "1.forged"}, headers=auth.wechat_headers("visitor"))
    assert_error(response, 403, "forbidden")


def test_a_group_on_a_slot_without_group_places_is_told_the_slot_takes_no_groups(client, auth, app):
    slot_id = make_slot(app, make_base(app), group_capacity=0)
    group = {"organisation": "长春市示例小学", "leader_name": "刘老师", "leader_phone": "13911112222", "headcount": 5}
    error = assert_error(
        book(client, auth.wechat_headers("nogroup"), {"slot_id": slot_id, "group": group}, "ng"),
        422,
        "validation_error",
    )
    assert error["details"]["group"]["headcount"] == ["该时段不接受团体预约"]
