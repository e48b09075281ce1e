"""Smaller holes found by probing: bookings at a zone that stopped being a base, what a refusal
reveals about another person, and times far outside the programme's years."""

import json

from tests.factories import citizen_tokens, id_number, make_base, make_slot, make_zone
from tests.helpers import assert_error

PERSON = id_number("22010219851111123")


def _book(client, headers, slot_id, key, ids=(PERSON,)):
    visitors = [{"name": "张三", "id_number": i, "phone": "13812345678"} for i in ids]
    return client.post(
        "/api/mp/v1/bookings",
        json={"slot_id": slot_id, "visitors": visitors},
        headers={**headers, "Idempotency-Key": key},
    )


def test_a_zone_no_longer_an_education_base_takes_no_bookings(app, client, auth):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id)
    undesignated = client.put(
        f"/api/admin/v1/zones/{base_id}/education-base", json={"is_education_base": False}, headers=auth.staff("admin")
    )
    assert undesignated.status_code == 200
    headers = citizen_tokens(app, 1)[0]
    assert_error(_book(client, headers, slot_id, "k1"), 409, "base_not_open")


def test_refusal_for_someone_elses_booking_names_the_position_only(app, client):
    slot_id = make_slot(app, make_base(app))
    owner, prober = citizen_tokens(app, 2)
    assert _book(client, owner, slot_id, "k1").status_code == 201
    other = id_number("22010219900101001")
    error = assert_error(_book(client, prober, slot_id, "k2", ids=(other, PERSON)), 409, "person_already_booked")
    assert error["details"] == {"visitor": 1}


def test_refusal_for_my_own_booking_points_to_it(app, client):
    slot_id = make_slot(app, make_base(app))
    mine = citizen_tokens(app, 1)[0]
    first = _book(client, mine, slot_id, "k1")
    error = assert_error(_book(client, mine, slot_id, "k2"), 409, "person_already_booked")
    assert error["details"] == {"visitor": 0, "booking_id": first.json["id"]}


def test_trawling_other_peoples_id_numbers_is_cut_off(app, client):
    base_id = make_base(app)
    slots = [make_slot(app, base_id, hour=9 + i) for i in range(7)]
    owner, prober = citizen_tokens(app, 2)
    assert _book(client, owner, slots[0], "own").status_code == 201
    statuses = [_book(client, prober, slots[i + 1], f"p{i}").status_code for i in range(6)]
    assert statuses == [409, 409, 409, 409, 409, 429]


def test_times_outside_the_programmes_years_are_refused(app, client, auth):
    make_zone(app, "site_check", batch_year=2026)
    response = client.post(
        "/api/admin/v1/publicity",
        headers=auth.staff("institute_staff"),
        json={"batch_year": 2026, "starts_at": "1899-12-30T00:00:00", "working_days": 5},
    )
    error = assert_error(response, 422, "validation_error")
    assert "starts_at" in error["details"]


def test_openapi_bounds_are_numbers(client):
    document = client.get("/api/openapi.json").get_data(as_text=True)
    bounds = [v for k, v in _walk(json.loads(document)) if k in ("minimum", "maximum")]
    assert [b for b in bounds if not isinstance(b, int | float)] == []


def _walk(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)
