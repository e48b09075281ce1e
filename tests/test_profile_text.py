"""What a student types into their profile, as a phone's keyboard sends it: a nickname others read
on children's public boards, a class name the school must recognise."""

import pytest

from app.wechat.fake import REVIEW_MARKER, RISKY_MARKER
from tests.factories import make_zone
from tests.helpers import assert_error


@pytest.fixture
def student(app, client, auth):
    school_id = make_zone(app, "titled", type="school")
    headers = auth.wechat_headers("textkid")
    client.patch("/api/mp/v1/me", json={"school_id": school_id, "class_name": "一班"}, headers=headers)
    return headers


def _nickname(client, headers, nickname):
    return client.patch("/api/mp/v1/me", json={"nickname": nickname}, headers=headers)


def test_a_nickname_wechat_judges_risky_is_refused(client, student):
    assert_error(_nickname(client, student, f"小{RISKY_MARKER}"), 422, "content_risky")


def test_a_nickname_wechat_wants_reviewed_is_refused(client, student):
    # No one reviews a nickname before a board shows it.
    assert_error(_nickname(client, student, f"小{REVIEW_MARKER}"), 422, "content_risky")


def test_a_refused_nickname_is_not_stored(client, student):
    _nickname(client, student, "小明")
    _nickname(client, student, f"小{RISKY_MARKER}")
    assert client.get("/api/mp/v1/me", headers=student).json["student"]["nickname"] == "小明"


@pytest.mark.parametrize(
    "nickname",
    ["   ", "\u200b", "\u200b\u200b\ufeff", "\u3000"],
    ids=["spaces", "zero-width space", "zero-width and BOM", "ideographic space"],
)
def test_a_nickname_one_cannot_see_is_refused(client, student, nickname):
    assert "nickname" in assert_error(_nickname(client, student, nickname), 422, "validation_error")["details"]


def test_a_nickname_is_stored_without_surrounding_spaces(client, student):
    assert _nickname(client, student, " 小明\u200b ").json["student"]["nickname"] == "小明"


@pytest.mark.parametrize("nickname", ["13800001234", "小明１３８００００１２３４", "220102199003071234"])
def test_a_nickname_with_a_phone_or_document_number_is_refused(client, student, nickname):
    assert "nickname" in assert_error(_nickname(client, student, nickname), 422, "validation_error")["details"]


def test_a_nickname_with_a_few_digits_is_kept(client, student):
    assert _nickname(client, student, "小明2026").json["student"]["nickname"] == "小明2026"


@pytest.mark.parametrize("class_name", ["   ", "\u200b"])
def test_a_blank_class_name_is_refused(client, student, class_name):
    response = client.patch("/api/mp/v1/me", json={"class_name": class_name}, headers=student)
    assert "class_name" in assert_error(response, 422, "validation_error")["details"]


def test_a_class_name_is_stored_without_surrounding_spaces(client, student):
    response = client.patch("/api/mp/v1/me", json={"class_name": " 三年级一班 "}, headers=student)
    assert response.json["student"]["class_name"] == "三年级一班"


# ---- a value of spaces only is said to be blank, not too short -------------------------------------


def _new_class(client, auth, school, name):
    from tests.campaign_helpers import _school_admin

    return client.post(
        f"/api/admin/v1/schools/{school}/classes", json={"name": name}, headers=_school_admin(auth, school)
    )


def test_a_class_name_of_spaces_only_is_blank(client, auth, school):
    answer = _new_class(client, auth, school, "   ")
    assert answer.json["error"]["details"]["name"] == ["不能为空"]


def test_an_empty_class_name_is_not_said_to_be_too_short_as_well(client, auth, school):
    answer = _new_class(client, auth, school, "")
    assert not any(m.startswith("长度须") for m in answer.json["error"]["details"]["name"])
