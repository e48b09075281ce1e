"""Real visitors can book: rare characters, minority and Latin names, five identity documents each
with its own check, international phones; the same rules for objectors."""

import pytest

from tests.factories import citizen_tokens, id_number, make_base, make_slot, open_notice
from tests.helpers import assert_error
from tests.kept import kept

VALID = {
    "resident_id": id_number("22010219900307123"),
    "hk_macao_permit": "H12345678",
    "taiwan_permit": "12345678",
    "passport": "E12345678",
    "foreign_permanent_resident": "USA123456789012",
}
INVALID = {
    "resident_id": id_number("22010219900307123")[:-1] + ("0" if id_number("22010219900307123")[-1] != "0" else "1"),
    "hk_macao_permit": "X12345678",
    "taiwan_permit": "1234567",
    "passport": "E1234",
    "foreign_permanent_resident": "US1234567890123",
}


@pytest.fixture
def slot(request, app):
    """A slot tomorrow at an education base: its id. Kept (tests/kept.py)."""
    return kept(request, "documents.slot", lambda: _slot(app))


def _slot(app):
    return make_slot(app, make_base(app))


def _book(client, headers, slot_id, visitors, key="k"):
    return client.post(
        "/api/mp/v1/bookings",
        json={"slot_id": slot_id, "visitors": visitors},
        headers={**headers, "Idempotency-Key": key},
    )


def _visitor(**overrides):
    return {"name": "张三", "id_number": VALID["resident_id"], "phone": "13812345678", **overrides}


@pytest.mark.parametrize(
    "name", ["䶮", "王䶮", "𠮷野家", "买买提·艾力", "María José García", "O'Brien", "Jean-Luc Picard"]
)
def test_real_names_are_accepted(app, client, slot, name):
    if len(name) == 1:
        name = "李" + name
    response = _book(client, citizen_tokens(app, 1)[0], slot, [_visitor(name=name)])
    assert response.status_code == 201, response.json


@pytest.mark.parametrize("id_type", list(VALID))
def test_each_document_type_books(app, client, slot, id_type):
    response = _book(client, citizen_tokens(app, 1)[0], slot, [_visitor(id_type=id_type, id_number=VALID[id_type])])
    assert response.status_code == 201, response.json


@pytest.mark.parametrize("id_type", list(INVALID))
def test_each_document_type_refuses_a_wrong_format(app, client, slot, id_type):
    response = _book(client, citizen_tokens(app, 1)[0], slot, [_visitor(id_type=id_type, id_number=INVALID[id_type])])
    error = assert_error(response, 422, "validation_error")
    assert list(error["details"]["visitors"]["0"]) == ["id_number"]


def test_an_unknown_document_type_is_refused(app, client, slot):
    response = _book(client, citizen_tokens(app, 1)[0], slot, [_visitor(id_type="driving_licence")])
    error = assert_error(response, 422, "validation_error")
    assert "id_type" in error["details"]["visitors"]["0"]


@pytest.mark.parametrize(
    "name,why",
    [
        ("12345", "digits"),
        ("张" * 21, "21 Han characters"),
        ("A" + "b" * 50, "51 Latin letters"),
        ("张", "one character"),
    ],
)
def test_names_that_are_not_names_are_refused(app, client, slot, name, why):
    error = assert_error(_book(client, citizen_tokens(app, 1)[0], slot, [_visitor(name=name)]), 422, "validation_error")
    assert list(error["details"]["visitors"]["0"]) == ["name"], why


def test_an_international_phone_needs_its_plus(app, client, slot):
    error = assert_error(
        _book(client, citizen_tokens(app, 1)[0], slot, [_visitor(phone="85291234567")]), 422, "validation_error"
    )
    assert list(error["details"]["visitors"]["0"]) == ["phone"]


def test_an_international_phone_in_e164_is_accepted(app, client, slot):
    response = _book(client, citizen_tokens(app, 1)[0], slot, [_visitor(phone="+85291234567")])
    assert response.status_code == 201, response.json


def test_the_same_passport_twice_on_one_day_at_one_base_is_refused(app, client):
    base_id = make_base(app)
    morning, afternoon = make_slot(app, base_id, hour=9), make_slot(app, base_id, hour=14)
    first, second = citizen_tokens(app, 2)
    passport = _visitor(id_type="passport", id_number="E12345678", name="María José García")
    assert _book(client, first, morning, [passport]).status_code == 201
    error = assert_error(_book(client, second, afternoon, [passport], key="k2"), 409, "person_already_booked")
    assert error["details"]["visitor"] == 0


def test_the_same_number_on_another_document_type_is_another_person(app, client):
    base_id = make_base(app)
    first, second = citizen_tokens(app, 2)
    slot_id = make_slot(app, base_id)
    assert _book(client, first, slot_id, [_visitor(id_type="passport", id_number="H12345678")]).status_code == 201
    other = _book(client, second, slot_id, [_visitor(id_type="hk_macao_permit", id_number="H12345678")], key="k2")
    assert other.status_code == 201


def test_the_same_document_twice_in_one_booking_is_refused(app, client, slot):
    passport = _visitor(id_type="passport", id_number="E12345678")
    error = assert_error(
        _book(client, citizen_tokens(app, 1)[0], slot, [passport, {**passport, "name": "李四"}]),
        422,
        "validation_error",
    )
    assert "visitors" in error["details"]


def test_the_visitor_sees_the_document_type_and_a_masked_number(app, client, slot):
    response = _book(client, citizen_tokens(app, 1)[0], slot, [_visitor(id_type="passport", id_number="E12345678")])
    visitor = response.json["visitors"][0]
    assert (visitor["id_type"], visitor["id_type_label"], visitor["id_number"]) == ("passport", "护照", "E******78")


def _object(client, headers, notice, **fields):
    body = {
        "zone_id": notice["zone_ids"][0],
        "name": "张三",
        "phone": "13812345678",
        "reason": "该项目申报材料中的能耗数据与实际情况不符，请核实。",
        **fields,
    }
    return client.post(f"/api/mp/v1/publicity/{notice['id']}/objections", json=body, headers=headers)


def test_objectors_may_use_any_document_and_an_international_phone(app, client):
    notice = open_notice(app)
    response = _object(
        client,
        citizen_tokens(app, 1)[0],
        notice,
        name="María José García",
        phone="+85291234567",
        id_type="taiwan_permit",
        id_number="12345678",
    )
    assert response.status_code == 201, response.json


def test_objectors_documents_are_checked_too(app, client):
    notice = open_notice(app)
    error = assert_error(
        _object(client, citizen_tokens(app, 1)[0], notice, id_type="passport", id_number="E1"), 422, "validation_error"
    )
    assert list(error["details"]) == ["id_number"]


@pytest.mark.parametrize("write", ["booking", "objection"])
def test_an_idempotency_key_of_129_characters_is_refused_on_each_write(app, client, write):
    headers = {**citizen_tokens(app, 1)[0], "Idempotency-Key": "k" * 129}
    if write == "booking":
        slot_id = make_slot(app, make_base(app))
        response = client.post(
            "/api/mp/v1/bookings", json={"slot_id": slot_id, "visitors": [_visitor()]}, headers=headers
        )
    else:
        notice = open_notice(app)
        response = _object(client, headers, notice)
    error = assert_error(response, 400, "idempotency_key_invalid")
    assert error["details"] == {"max_length": 128}
