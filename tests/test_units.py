"""Unit tests of the services and rules, beside the HTTP scenarios: each names one rule."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from app import uow
from app.db_types import utcnow
from app.extensions import db
from app.privacy import PersonalDataCipher, mask_id_number, mask_phone
from app.validators import (
    IdType,
    document_problem,
    normalise_phone,
    person_key,
    validate_person_name,
    validate_phone,
)
from app.visits.calendar import SlotState, slot_state
from app.visits.models import SlotStatus

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


# ---- the unit of work -----------------------------------------------------------------------


def test_after_commit_steps_run_after_the_commit(app):
    ran = []
    with app.app_context():
        uow.after_commit(ran.append, "bumped")
        uow.commit()
    assert ran == ["bumped"]


def test_after_commit_steps_are_forgotten_on_rollback(app):
    ran = []
    with app.app_context():
        uow.after_commit(ran.append, "bumped")
        uow.discard()
        uow.commit()
    assert ran == []


def test_a_failing_step_does_not_undo_the_commit(app):
    from app.accounts.models import User

    def boom():
        raise RuntimeError("cache down")

    with app.app_context():
        db.session.add(User(openid="o_unit"))
        uow.after_commit(boom)
        uow.commit()  # must not raise
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_the_same_step_is_registered_once(app):
    ran = []
    with app.app_context():
        uow.after_commit(ran.append, "zones")
        uow.after_commit(ran.append, "zones")
        uow.commit()
    assert ran == ["zones"]


# ---- slot states ------------------------------------------------------------------------------


def _slot(**overrides):
    values = {
        "status": SlotStatus.OPEN,
        "starts_at": NOW + timedelta(days=1),
        "ends_at": NOW + timedelta(days=1, hours=1),
        "remaining": 5,
        "group_remaining": 0,
    }
    return SimpleNamespace(**{**values, **overrides})


@pytest.mark.parametrize(
    "overrides,opens_at,state",
    [
        ({}, NOW - timedelta(hours=1), SlotState.OPEN),
        ({}, NOW + timedelta(hours=1), SlotState.NOT_RELEASED),
        ({"remaining": 0}, NOW - timedelta(hours=1), SlotState.FULL),
        ({"starts_at": NOW - timedelta(minutes=1)}, NOW - timedelta(days=2), SlotState.STARTED),
        (
            {"starts_at": NOW - timedelta(hours=2), "ends_at": NOW - timedelta(hours=1)},
            NOW - timedelta(days=2),
            SlotState.ENDED,
        ),
        ({"status": SlotStatus.CLOSED}, NOW - timedelta(hours=1), SlotState.CLOSED),
    ],
)
def test_slot_state(overrides, opens_at, state):
    assert slot_state(_slot(**overrides), opens_at, NOW) == state


# ---- people and documents -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["张三", "王䶮", "𠮷田", "阿依古丽·买买提", "María José García", "Zoë Smith-Jones"])
def test_real_names_pass(name):
    validate_person_name(name)


@pytest.mark.parametrize("name", ["123", "张", "张" * 21, "A" * 51, "张三3", "Robert'); DROP"])
def test_names_that_are_not_names_fail(name):
    import marshmallow as ma

    with pytest.raises(ma.ValidationError):
        validate_person_name(name)


@pytest.mark.parametrize(
    "phone,ok",
    [
        ("13812345678", True),
        ("+85291234567", True),
        ("85291234567", False),
        ("+0123456789", False),
        ("12812345678", False),
        ("+861390000444", False),  # +86 and a mobile a digit short: not "some international number"
        ("+8643188888888", False),  # a mainland landline with the country code: mobiles only, as without it
    ],
)
def test_phones(phone, ok):
    import marshmallow as ma

    try:
        validate_phone(phone)
        passed = True
    except ma.ValidationError:
        passed = False
    assert passed is ok


@pytest.mark.parametrize(
    "phone",
    ["13８１２３４５６７８", "13٨١٢٣٤٥٦٧٨", "+852٩١٢٣٤٥٦٧"],  # full-width, Arabic-Indic digits as sent, not normalised
)
def test_phones_with_digits_other_than_ascii_fail(phone):
    import marshmallow as ma

    with pytest.raises(ma.ValidationError):
        validate_phone(phone)


@pytest.mark.parametrize(
    "typed,kept",
    [
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("0086-13812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("+852 9123 4567", "+85291234567"),
        ("00852 9123 4567", "+85291234567"),
        ("(+852) 9123-4567", "+85291234567"),
    ],
)
def test_phones_are_kept_as_people_mean_them(typed, kept):
    assert normalise_phone(typed) == kept


def test_a_number_in_other_digits_stays_refused_after_normalising():
    import marshmallow as ma

    with pytest.raises(ma.ValidationError):
        validate_phone(normalise_phone("13٨١٢٣٤٥٦٧٨"))


def test_a_document_typed_in_full_width_is_the_same_document():
    assert person_key("resident_id", "２２０１０２１９９００３０７１２３ｘ") == "22010219900307123X"


def test_a_hong_kong_permit_in_other_digits_fails():
    assert document_problem(IdType.HK_MACAO_PERMIT, "H١٢٣٤٥٦٧٨")


@pytest.mark.parametrize(
    "id_type,number",
    [
        ("hk_macao_permit", "M12345678"),
        ("taiwan_permit", "87654321"),
        ("passport", "G12345678"),
        ("foreign_permanent_resident", "CAN123456789012"),
    ],
)
def test_documents_of_each_type_pass(id_type, number):
    assert document_problem(id_type, number) is None


def test_a_foreign_permanent_resident_card_of_2023_needs_its_check_character():
    from tests.factories import id_number

    good = id_number("91011019900101123")
    assert document_problem(IdType.FOREIGN_PERMANENT_RESIDENT, good) is None
    assert document_problem(IdType.FOREIGN_PERMANENT_RESIDENT, good[:-1] + ("0" if good[-1] != "0" else "1"))


def test_the_same_number_on_two_document_types_is_two_people():
    assert person_key("passport", "H12345678") != person_key("hk_macao_permit", "H12345678")


def test_resident_ids_keep_their_bare_number_as_key():
    assert person_key("resident_id", "22010219900307123x") == "22010219900307123X"


# ---- privacy --------------------------------------------------------------------------------------


def test_blind_index_does_not_change_when_the_keys_rotate():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = PersonalDataCipher.from_settings(old, "secret", "index-key")
    after = PersonalDataCipher.from_settings(f"{new},{old}", "secret", "index-key")
    assert before.blind_index("220102199003071235") == after.blind_index("220102199003071235")


def test_rotated_values_decrypt_with_the_new_key_alone():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = PersonalDataCipher.from_settings(old, "s").encrypt("张三")
    rotated = PersonalDataCipher.from_settings(f"{new},{old}", "s").rotate(token)
    assert PersonalDataCipher.from_settings(new, "s").decrypt(rotated) == "张三"


@pytest.mark.parametrize("number,masked", [("220102199003071235", "2201**********1235"), ("E12345678", "E******78")])
def test_document_numbers_are_masked(number, masked):
    assert mask_id_number(number) == masked


def test_international_phones_are_masked():
    assert mask_phone("+85291234567") == "+85*****4567"


# ---- booking rules ----------------------------------------------------------------------------------


def test_booking_at_a_zone_that_is_no_longer_a_base_is_refused(app):
    from app.visits.booking import BaseNotOpen, book
    from app.visits.rules import rules
    from app.zones.models import Zone
    from tests.factories import citizen_tokens, id_number, make_base, make_slot

    base_id = make_base(app)
    slot_id = make_slot(app, base_id)
    citizen_tokens(app, 1, prefix="unit")
    with app.app_context():
        from app.accounts.models import User

        db.session.get(Zone, base_id).is_education_base = False
        user = db.session.scalar(select(User).where(User.openid == "o_unit_0"))
        visitor = {"name": "张三", "id_type": "resident_id", "id_number": id_number(), "phone": "13812345678"}
        with pytest.raises(BaseNotOpen):
            book(user, {"slot_id": slot_id, "visitors": [visitor]}, rules())


def test_latest_notice_of_a_zone(app):
    from app.publicity.notices import latest_notice_of
    from tests.factories import open_notice

    notice = open_notice(app)
    with app.app_context():
        assert latest_notice_of(notice["zone_ids"][0])["id"] == notice["id"]


def test_idempotent_work_runs_once(app):
    from app.idempotency import run_once
    from tests.factories import citizen_tokens

    citizen_tokens(app, 1, prefix="idem")
    calls = []
    with app.app_context():
        from app.accounts.models import User

        user_id = db.session.scalar(select(User.id).where(User.openid == "o_idem_0"))

        def work():
            calls.append(1)
            return 201, {"ok": True}

        first = run_once(user_id, "unit", "k", {"a": 1}, work)
        again = run_once(user_id, "unit", "k", {"a": 1}, work)
    assert (first.replayed, again.replayed, len(calls)) == (False, True, 1)


def test_now_is_aware():
    assert utcnow().tzinfo is not None


# ---- digits are ASCII digits --------------------------------------------------------------------------
# Python's \d also matches full-width and other scripts' digits: a code or a period typed that way
# would be stored as typed, beside the same value in ASCII.


def test_a_district_code_in_full_width_digits_is_refused():
    import marshmallow as ma

    from app.zones.schemas import DistrictIn

    with pytest.raises(ma.ValidationError):
        DistrictIn().load({"name": "测试区", "code": "２２０１０２"}, partial=True)


def test_a_reporting_period_in_full_width_digits_is_not_a_period():
    from app.progress.tracking import PERIOD_PATTERN

    assert PERIOD_PATTERN.fullmatch("２０２６Q1") is None


def test_an_attendance_month_in_full_width_digits_is_refused():
    import marshmallow as ma

    from app.visits.schemas import AttendanceArgs

    with pytest.raises(ma.ValidationError):
        AttendanceArgs().load({"month": "20２６-01"})
