"""A guardian's consent for a student under 14, given in the guardian's own WeChat through a one-time
link the student shares; withdrawn at any time; the school's recorded statement as the other way."""

import hashlib
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.campaigns import boards
from app.campaigns.models import Campaign, GuardianLink
from app.db_types import utcnow
from app.extensions import db
from tests.campaign_helpers import _checkin, _school_admin, _student
from tests.helpers import assert_error, written_log
from tests.kept import kept
from tests.test_console import signed_in


def _link(client, headers):
    response = client.post("/api/mp/v1/me/guardian-link", headers=headers)
    assert response.status_code == 201, response.json
    return response.json["code"]


def _consent(client, headers, code, relationship="mother"):
    return client.post(
        "/api/mp/v1/guardian-consents", json={"code": code, "relationship": relationship}, headers=headers
    )


def _board_names(client, campaign_id):
    return [e["name"] for e in client.get(f"/api/mp/v1/campaigns/{campaign_id}/leaderboard?by=student").json["items"]]


def _students(client, auth, school_id):
    response = client.get(f"/api/admin/v1/schools/{school_id}/students", headers=_school_admin(auth, school_id))
    return {s["nickname"]: s for s in response.json["items"]}


@pytest.fixture
def child(request, app, client, auth):
    """An under-14 student, confirmed, in the running campaign with a check-in: on no public board yet.
    Kept (tests/kept.py)."""
    return kept(request, "guardian.child", lambda: _child(app, client, auth, request.getfixturevalue("running")))


def _child(app, client, auth, running):
    headers = _student(client, auth, running["school"], "小明", age_band="under_14")
    client.post(f"/api/mp/v1/campaigns/{running['campaign']}/join", headers=headers)
    points = _checkin(client, headers, running["campaign"], quantity=2).json["points"]
    user_id = client.get("/api/mp/v1/me", headers=headers).json["id"]
    return {**running, "child": headers, "child_id": user_id, "points": points}


@pytest.fixture
def consented(request, client, auth):
    """The child's guardian `mum` has consented: {**child, "guardian", "consent"}. Kept (tests/kept.py)."""
    return kept(request, "guardian.consented", lambda: _consented(client, auth, request.getfixturevalue("child")))


def _consented(client, auth, child):
    guardian = auth.wechat_headers("mum")
    response = _consent(client, guardian, _link(client, child["child"]))
    assert response.status_code == 201, response.json
    return {**child, "guardian": guardian, "consent": response.json}


# ---- the link -------------------------------------------------------------------------------


def test_the_link_is_valid_for_seven_days(client, child):
    from datetime import datetime

    body = client.post("/api/mp/v1/me/guardian-link", headers=child["child"]).json
    left = datetime.fromisoformat(body["expires_at"]) - utcnow()
    assert timedelta(days=6, hours=23) < left <= timedelta(days=7)


def test_the_link_is_stored_only_as_a_hash(app, client, child):
    code = _link(client, child["child"])
    with app.app_context():
        stored = db.session.scalar(select(GuardianLink.code_hash))
    assert stored == hashlib.sha256(code.encode()).hexdigest()


def test_a_student_of_14_or_more_needs_no_link(client, running):
    assert_error(
        client.post("/api/mp/v1/me/guardian-link", headers=running["headers"]), 409, "guardian_consent_not_needed"
    )


def test_someone_not_a_student_gets_no_link(client, auth):
    assert_error(client.post("/api/mp/v1/me/guardian-link", headers=auth.wechat_headers("adult")), 403, "not_a_student")


def test_the_guardian_sees_what_will_be_public(client, auth, child):
    preview = client.get(
        f"/api/mp/v1/guardian-links/{_link(client, child['child'])}", headers=auth.wechat_headers("dad")
    )
    student = preview.json["student"]
    assert (student["nickname"], student["class_name"], student["points"]) == ("小明", "一班", child["points"])


def test_the_code_is_not_in_the_access_log(client, auth, child):
    code = _link(client, child["child"])
    with written_log() as buffer:
        client.get(f"/api/mp/v1/guardian-links/{code}", headers=auth.wechat_headers("dad"))
    assert "/guardian-links/***" in buffer.getvalue() and code not in buffer.getvalue()


def test_the_guardian_sees_the_school(app, client, auth, child):
    preview = client.get(
        f"/api/mp/v1/guardian-links/{_link(client, child['child'])}", headers=auth.wechat_headers("dad")
    )
    assert preview.json["student"]["school"]["id"] == child["school"]


def test_the_guardian_sees_what_is_never_public(client, auth, child):
    preview = client.get(
        f"/api/mp/v1/guardian-links/{_link(client, child['child'])}", headers=auth.wechat_headers("dad")
    )
    assert "真实姓名" in preview.json["never_public"]


def test_a_code_is_four_groups_a_parent_can_read_out(client, child):
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", _link(client, child["child"]))


@pytest.mark.parametrize(
    "typed", [lambda c: c.lower(), lambda c: c.replace("-", " "), lambda c: c.replace("-", ""), lambda c: f" {c} "]
)
def test_a_code_typed_in_lower_case_or_spaced_opens_the_link(client, auth, child, typed):
    code = _link(client, child["child"])
    preview = client.get(f"/api/mp/v1/guardian-links/{typed(code)}", headers=auth.wechat_headers("dad"))
    assert preview.status_code == 200, preview.json


def test_a_code_made_before_codes_were_grouped_still_opens_its_link(app, client, auth, child):
    from app.campaigns import guardians

    code = _link(client, child["child"])
    old = "EqHBn0bbJb8FyW8nfJK-vo4N"  # secrets.token_urlsafe(18), as made until 2026-11-28
    with app.app_context():
        link = db.session.scalar(select(GuardianLink).where(GuardianLink.code_hash == guardians._hash(code)))
        link.code_hash = guardians._hash(old)
        db.session.commit()
    preview = client.get(f"/api/mp/v1/guardian-links/{old}", headers=auth.wechat_headers("dad"))
    assert preview.status_code == 200, preview.json


def test_the_guardian_is_told_schoolmates_see_the_childs_posts(client, auth, child):
    preview = client.get(
        f"/api/mp/v1/guardian-links/{_link(client, child['child'])}", headers=auth.wechat_headers("dad")
    )
    assert any("照片" in line for line in preview.json["schoolmates"])


def test_the_guardian_is_not_told_photos_are_never_shown(client, auth, child):
    # Posts with photos are shown to schoolmates once a guardian consents (moderation.shown_to).
    preview = client.get(
        f"/api/mp/v1/guardian-links/{_link(client, child['child'])}", headers=auth.wechat_headers("dad")
    )
    assert [line for line in preview.json["never_public"] if "照片" in line] == []


def test_the_relationships_are_offered_with_chinese_labels(client, auth, child):
    preview = client.get(
        f"/api/mp/v1/guardian-links/{_link(client, child['child'])}", headers=auth.wechat_headers("dad")
    )
    assert {r["code"]: r["label"] for r in preview.json["relationships"]} == {
        "father": "父亲",
        "mother": "母亲",
        "grandparent": "祖父母/外祖父母",
        "other_guardian": "其他监护人",
    }


def test_an_unknown_code_is_404(client, auth):
    assert_error(
        client.get("/api/mp/v1/guardian-links/not-a-code", headers=auth.wechat_headers("dad")),
        404,
        "guardian_link_not_found",
    )


def test_the_link_needs_a_sign_in(client, child):
    assert_error(client.get(f"/api/mp/v1/guardian-links/{_link(client, child['child'])}"), 401, "unauthorized")


def test_the_students_own_wechat_cannot_open_the_link(client, child):
    code = _link(client, child["child"])
    assert_error(client.get(f"/api/mp/v1/guardian-links/{code}", headers=child["child"]), 403, "guardian_link_own")


def test_the_students_own_wechat_cannot_consent(client, child):
    assert_error(_consent(client, child["child"], _link(client, child["child"])), 403, "guardian_link_own")


def test_another_under_14_student_cannot_consent(client, auth, child):
    classmate = _student(client, auth, child["school"], "同桌", age_band="under_14")
    assert_error(_consent(client, classmate, _link(client, child["child"])), 403, "guardian_is_a_minor")


# ---- consenting -----------------------------------------------------------------------------


def test_a_consent_says_who_and_how(consented):
    consent = consented["consent"]
    assert (consent["method"], consent["relationship"], consent["relationship_label"]) == ("wechat", "mother", "母亲")


def test_the_consent_puts_the_child_on_the_public_board(client, consented):
    assert "小明" in _board_names(client, consented["campaign"])


def test_before_consent_the_child_is_not_on_the_public_board(client, child):
    assert "小明" not in _board_names(client, child["campaign"])


def test_the_school_admin_sees_method_wechat_with_the_date(client, auth, consented):
    student = _students(client, auth, consented["school"])["小明"]
    assert (student["guardian_consent_method"], student["guardian_consent_at"]) == (
        "wechat",
        consented["consent"]["consented_at"],
    )


def test_a_link_used_once_is_410(client, auth, child):
    code = _link(client, child["child"])
    _consent(client, auth.wechat_headers("mum"), code)
    assert_error(_consent(client, auth.wechat_headers("dad"), code, "father"), 410, "guardian_link_used")


def test_a_used_link_cannot_be_opened_again(client, auth, child):
    code = _link(client, child["child"])
    _consent(client, auth.wechat_headers("mum"), code)
    assert_error(
        client.get(f"/api/mp/v1/guardian-links/{code}", headers=auth.wechat_headers("dad")), 410, "guardian_link_used"
    )


def test_two_guardians_racing_on_one_link_give_one_consent(app, auth, child):
    code = _link(app.test_client(), child["child"])
    guardians = [auth.wechat_headers(f"racer{i}") for i in range(4)]
    statuses = []
    barrier = threading.Barrier(len(guardians))

    def race(headers):
        client = app.test_client()
        barrier.wait()
        statuses.append(_consent(client, headers, code).status_code)

    threads = [threading.Thread(target=race, args=(h,)) for h in guardians]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 410, 410, 410]


def test_an_expired_link_is_410(app, client, auth, child):
    code = _link(client, child["child"])
    with app.app_context():
        db.session.execute(update(GuardianLink).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert_error(_consent(client, auth.wechat_headers("mum"), code), 410, "guardian_link_expired")


def test_a_second_link_per_parent_lets_both_consent(client, auth, child):
    _consent(client, auth.wechat_headers("mum"), _link(client, child["child"]))
    assert _consent(client, auth.wechat_headers("dad"), _link(client, child["child"]), "father").status_code == 201


def test_the_same_guardian_twice_for_the_same_child_is_409(client, auth, consented):
    response = _consent(client, consented["guardian"], _link(client, consented["child"]))
    assert_error(response, 409, "guardian_already_consented")


def test_the_same_guardian_may_consent_for_a_second_child(client, auth, consented):
    sibling = _student(client, auth, consented["school"], "小红", age_band="under_14")
    assert _consent(client, consented["guardian"], _link(client, sibling), "mother").status_code == 201


def test_consents_are_recorded_per_child(client, auth, consented):
    sibling = _student(client, auth, consented["school"], "小红", age_band="under_14")
    _consent(client, consented["guardian"], _link(client, sibling))
    mine = client.get("/api/mp/v1/guardian-consents", headers=consented["guardian"]).json
    assert sorted(c["student"]["nickname"] for c in mine["items"]) == ["小明", "小红"]


@pytest.mark.parametrize("relationship", ["uncle", "", "父亲"])
def test_a_relationship_outside_the_list_is_422(client, auth, child, relationship):
    response = _consent(client, auth.wechat_headers("mum"), _link(client, child["child"]), relationship)
    assert "relationship" in assert_error(response, 422, "validation_error")["details"]


def test_a_consent_without_a_code_is_422(client, auth):
    response = client.post(
        "/api/mp/v1/guardian-consents", json={"relationship": "mother"}, headers=auth.wechat_headers()
    )
    assert "code" in assert_error(response, 422, "validation_error")["details"]


# ---- withdrawing ----------------------------------------------------------------------------


def _withdraw(client, consented):
    return client.delete(f"/api/mp/v1/guardian-consents/{consented['consent']['id']}", headers=consented["guardian"])


def test_withdrawing_takes_the_child_off_the_public_board_at_once(client, consented):
    _withdraw(client, consented)
    assert "小明" not in _board_names(client, consented["campaign"])


@pytest.mark.parametrize(("by", "metric"), [("student", "per_student"), ("class", "per_student")])
def test_after_withdrawing_during_a_running_campaign_the_live_board_equals_a_rebuild(
    app, client, consented, by, metric
):
    _withdraw(client, consented)
    with app.app_context():
        campaign = db.session.get(Campaign, consented["campaign"])
        live = boards.from_redis(campaign, by, None, metric, 100)
        database = boards.from_database(campaign, by, None, metric, 100)
    assert live == database


def test_a_withdrawn_consent_says_when(client, consented):
    assert _withdraw(client, consented).json["withdrawn_at"] is not None


def test_withdrawing_twice_changes_nothing(client, consented):
    first = _withdraw(client, consented).json
    assert _withdraw(client, consented).json == first


def test_nobody_else_can_withdraw_a_consent(client, auth, consented):
    response = client.delete(
        f"/api/mp/v1/guardian-consents/{consented['consent']['id']}", headers=auth.wechat_headers("stranger")
    )
    assert_error(response, 404, "not_found")


def test_the_school_admin_sees_the_withdrawal(client, auth, consented):
    _withdraw(client, consented)
    student = _students(client, auth, consented["school"])["小明"]
    assert (student["guardian_consent"], student["guardian_consent_withdrawn_at"] is not None) == (False, True)


def test_with_the_other_parents_consent_left_the_child_stays_on_the_board(client, auth, consented):
    _consent(client, auth.wechat_headers("dad"), _link(client, consented["child"]), "father")
    _withdraw(client, consented)
    assert "小明" in _board_names(client, consented["campaign"])


def test_a_consent_again_after_withdrawing_puts_the_child_back(client, consented):
    _withdraw(client, consented)
    _consent(client, consented["guardian"], _link(client, consented["child"]))
    assert "小明" in _board_names(client, consented["campaign"])


# ---- the school's recorded statement ----------------------------------------------------------


def _statement(client, auth, child):
    return client.post(
        f"/api/admin/v1/schools/{child['school']}/students/{child['child_id']}/guardian-consent",
        headers=_school_admin(auth, child["school"]),
    )


def test_a_recorded_statement_is_method_statement(client, auth, child):
    assert _statement(client, auth, child).json["guardian_consent_method"] == "statement"


def test_the_school_cannot_record_a_wechat_consent(client, auth, child):
    response = client.post(
        f"/api/admin/v1/schools/{child['school']}/students/{child['child_id']}/guardian-consent",
        json={"method": "wechat"},
        headers=_school_admin(auth, child["school"]),
    )
    assert "method" in assert_error(response, 422, "validation_error")["details"]


def test_withdrawing_in_wechat_leaves_a_statement_recorded_since(client, auth, consented):
    _statement(client, auth, consented)
    _withdraw(client, consented)
    assert "小明" in _board_names(client, consented["campaign"])


def test_a_statement_recorded_before_stays_when_a_wechat_consent_is_withdrawn(app, client, auth, running):
    """The school's statement is withdrawn by nobody in WeChat: a grandparent consenting and then
    withdrawing must not take the child off the boards."""
    own = _child(app, client, auth, running)
    _statement(client, auth, own)
    grandparent = auth.wechat_headers("grandpa-statement")
    consent = _consent(client, grandparent, _link(client, own["child"]), "grandparent").json
    client.delete(f"/api/mp/v1/guardian-consents/{consent['id']}", headers=grandparent)
    assert client.get("/api/mp/v1/me", headers=own["child"]).json["student"]["guardian_consent"] is True


# ---- the console ------------------------------------------------------------------------------


def _console_school_page(app, child):
    console = signed_in(app, "school_admin", "teacher-c", school_id=child["school"])
    return console.get(f"/console/schools/{child['school']}").get_data(as_text=True)


def test_the_console_shows_a_wechat_consent(app, consented):
    assert "监护人微信同意" in _console_school_page(app, consented)


def test_the_console_shows_a_withdrawal(app, client, consented):
    _withdraw(client, consented)
    assert "监护人已撤回同意" in _console_school_page(app, consented)


def test_the_console_shows_a_statement(app, client, auth, child):
    _statement(client, auth, child)
    assert "签字同意书" in _console_school_page(app, child)


# ---- accounts deleted ---------------------------------------------------------------------------


def _delete_account(client, headers):
    response = client.post("/api/mp/v1/me/deletion", json={"confirm": True}, headers=headers)
    assert response.status_code == 200, response.json


def test_a_guardian_who_deletes_their_account_withdraws_the_consent(client, consented):
    _delete_account(client, consented["guardian"])
    assert "小明" not in _board_names(client, consented["campaign"])


def test_a_guardian_who_deletes_their_account_leaves_the_withdrawal_with_the_school(client, auth, consented):
    _delete_account(client, consented["guardian"])
    student = _students(client, auth, consented["school"])["小明"]
    assert student["guardian_consent_withdrawn_at"] is not None


def test_a_child_who_deletes_their_account_leaves_no_link_or_consent(app, client, consented):
    from app.campaigns.models import GuardianConsent

    _link(client, consented["child"])
    _delete_account(client, consented["child"])
    with app.app_context():
        left = (
            db.session.scalar(select(func.count(GuardianLink.id))),
            db.session.scalar(select(func.count(GuardianConsent.id))),
        )
    assert left == (0, 0)


def test_the_guardians_copy_of_their_data_holds_their_consents(client, consented):
    export = client.get("/api/mp/v1/me/export", headers=consented["guardian"]).json
    assert [c["student_id"] for c in export["guardian_consents"]] == [consented["child_id"]]


def test_a_code_typed_in_full_width_on_a_chinese_keyboard_is_the_code(client, auth, child):
    """A parent copying the code by hand may type it in full-width letters and digits, with spaces."""
    code = _link(client, child["child"])
    typed = " " + "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in code) + " "
    assert _consent(client, auth.wechat_headers("dad"), typed).status_code == 201
