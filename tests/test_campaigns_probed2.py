"""Defects a tester probed in school campaigns (second round): one guardian consenting twice for a
child at once; another school's admin reading under-14 nicknames in an open campaign; statistics
that merged two schools' classes and left class actions out of some breakdowns; a post's author not
told why it is hidden; a photo's refusal naming the wrong field; invisible notes and titles; a
quantity rounded to nothing; minors as guardians; a statement for students who need none; nicknames
with a newline or in the anonymous form."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.campaigns import guardians
from app.campaigns.models import GuardianConsent
from app.db_types import utcnow
from app.extensions import db
from tests.campaign_helpers import _campaign, _checkin, _school_admin, _student, _today
from tests.factories import make_zone
from tests.helpers import assert_error

MP = "/api/mp/v1"
ADMIN = "/api/admin/v1"
REVIEW_NOTE = "待审的笔记"  # the fake WeChat answers "review" for a text with 待审


def _me(client, headers):
    return client.get(f"{MP}/me", headers=headers).json["id"]


def _link(client, headers):
    response = client.post(f"{MP}/me/guardian-link", headers=headers)
    assert response.status_code == 201, response.json
    return response.json["code"]


def _consent(client, headers, code, relationship="father"):
    return client.post(f"{MP}/guardian-consents", json={"code": code, "relationship": relationship}, headers=headers)


@pytest.fixture
def child(client, auth, running):
    """An under-14 student of the running campaign's school, confirmed, without a guardian's consent."""
    headers = _student(client, auth, running["school"], "小明", age_band="under_14")
    return {**running, "child": headers, "child_id": _me(client, headers)}


def _active_consents(app, student_id):
    with app.app_context():
        return db.session.scalar(
            select(func.count(GuardianConsent.id)).where(
                GuardianConsent.student_id == student_id, GuardianConsent.withdrawn_at.is_(None)
            )
        )


def _school_student(client, auth, school_id, nickname):
    listed = client.get(f"{ADMIN}/schools/{school_id}/students", headers=_school_admin(auth, school_id)).json
    return next(s for s in listed["items"] if s["nickname"] == nickname)


# ---- 1. one standing consent per guardian and child, whatever the concurrency ----------------------


@pytest.fixture
def past_the_check(monkeypatch):
    """The use case's own look-up finds no earlier consent, as a request racing another one would."""
    monkeypatch.setattr(guardians, "_active", lambda student_id, guardian_id: None)


def test_a_second_consent_racing_past_the_check_is_409(client, auth, child, past_the_check):
    dad = auth.wechat_headers("dad")
    first, second = _link(client, child["child"]), _link(client, child["child"])
    _consent(client, dad, first)
    assert_error(_consent(client, dad, second), 409, "guardian_already_consented")


def test_a_second_consent_racing_past_the_check_leaves_one_consent(app, client, auth, child, past_the_check):
    dad = auth.wechat_headers("dad")
    first, second = _link(client, child["child"]), _link(client, child["child"])
    _consent(client, dad, first)
    _consent(client, dad, second)
    assert _active_consents(app, child["child_id"]) == 1


def test_a_second_consent_racing_past_the_check_leaves_its_link_unused(client, auth, child, past_the_check):
    dad = auth.wechat_headers("dad")
    first, second = _link(client, child["child"]), _link(client, child["child"])
    _consent(client, dad, first)
    _consent(client, dad, second)
    assert _consent(client, auth.wechat_headers("mum"), second, "mother").status_code == 201


def test_one_guardian_sending_two_links_at_once_gets_one_consent(app, auth, child):
    codes = [_link(app.test_client(), child["child"]) for _ in range(2)]
    dad = auth.wechat_headers("dad")
    barrier = threading.Barrier(4)

    def race(code):
        barrier.wait()
        _consent(app.test_client(), dad, code)

    threads = [threading.Thread(target=race, args=(code,)) for code in codes * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _active_consents(app, child["child_id"]) == 1


def test_withdrawing_the_later_consent_leaves_the_earlier_ones_date(app, client, auth, child):
    mum_headers, dad_headers = auth.wechat_headers("mum"), auth.wechat_headers("dad")
    mum = _consent(client, mum_headers, _link(client, child["child"]), "mother").json
    with app.app_context():  # an hour before the father's, so the two dates differ
        db.session.get(GuardianConsent, mum["id"]).consented_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    dad = _consent(client, dad_headers, _link(client, child["child"])).json
    client.delete(f"{MP}/guardian-consents/{dad['id']}", headers=dad_headers)
    earlier = client.get(f"{MP}/guardian-consents", headers=mum_headers).json["items"][0]["consented_at"]
    assert _school_student(client, auth, child["school"], "小明")["guardian_consent_at"] == earlier


def test_the_migration_keeps_the_oldest_of_duplicate_consents_standing(tmp_path, make_app):
    from flask_migrate import upgrade
    from sqlalchemy import text

    from tests.test_migrations import _insert

    fresh = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'consents.sqlite3'}")
    with fresh.app_context():
        upgrade(revision="0022_checkin_indexes")
        with db.engine.begin() as conn:
            _insert(conn, "users", id=7, openid="o_child")
            _insert(conn, "users", id=8, openid="o_dad")
            for consent_id in (1, 2):
                _insert(conn, "guardian_consents", id=consent_id, student_id=7, guardian_id=8, relationship="father")
        upgrade()
        with db.engine.connect() as conn:
            standing = conn.execute(text("SELECT id FROM guardian_consents WHERE withdrawn_at IS NULL")).scalars()
            assert list(standing) == [1]


# ---- 2. an open campaign: another school's under-14 without consent is anonymous to this school ----


OUTSIDER = "外校小红"  # an under-14 of another school, confirmed there, without a guardian's consent


@pytest.fixture
def open_campaign(app, client, auth, running):
    """An open campaign of the running school, with a check-in (a hidden post) of OUTSIDER."""
    campaign_id = _campaign(client, auth, running["school"], audience="anyone")
    other = make_zone(app, "publicity", type="school")
    outsider = _student(client, auth, other, OUTSIDER, age_band="under_14")
    assert client.post(f"{MP}/campaigns/{campaign_id}/join", headers=outsider).status_code == 204
    done = _checkin(client, outsider, campaign_id, note="今天光盘了")
    assert done.status_code == 201, done.json
    admin = _school_admin(auth, running["school"])
    hidden = client.post(f"{ADMIN}/posts/{done.json['id']}/hide", json={"reason": "请勿晒照片"}, headers=admin)
    assert hidden.status_code == 200, hidden.json
    return {**running, "open": campaign_id, "other": other, "admin": admin, "checkin": done.json["id"]}


def test_the_campaigns_school_admin_gets_no_outsider_nickname_in_the_checkins(client, open_campaign):
    listed = client.get(f"{ADMIN}/campaigns/{open_campaign['open']}/checkins", headers=open_campaign["admin"]).json
    assert OUTSIDER not in {item["nickname"] for item in listed["items"]}


def test_the_campaigns_school_admin_gets_no_outsider_nickname_in_the_csv(client, open_campaign):
    body = client.get(f"{ADMIN}/campaigns/{open_campaign['open']}/checkins.csv", headers=open_campaign["admin"])
    assert OUTSIDER not in body.get_data(as_text=True)


def test_the_campaigns_school_admin_gets_no_outsider_nickname_in_the_moderation_queue(client, open_campaign):
    queue = client.get(f"{ADMIN}/schools/{open_campaign['school']}/moderation", headers=open_campaign["admin"]).json
    assert OUTSIDER not in {item["author"] for item in queue["items"]}


def test_hiding_an_outsiders_post_names_no_nickname(client, open_campaign):
    hidden = client.post(
        f"{ADMIN}/posts/{open_campaign['checkin']}/hide", json={"reason": "再次隐藏"}, headers=open_campaign["admin"]
    )
    assert hidden.json["author"] != OUTSIDER


def test_the_console_campaign_page_shows_the_school_admin_no_outsider_nickname(app, open_campaign):
    from tests.test_console import signed_in, text

    console = signed_in(app, "school_admin", "teacher-open-1", school_id=open_campaign["school"])
    assert OUTSIDER not in text(console.get(f"/console/campaigns/{open_campaign['open']}"))


# ---- 3. statistics of an open campaign: classes per school ------------------------------------------


@pytest.fixture
def same_class_names(app, client, auth, running):
    """An open campaign of the running school with a check-in from its 三年级一班 and one from another
    school's 三年级一班: {**running, "open", "other"}."""
    campaign_id = _campaign(client, auth, running["school"], audience="anyone")
    other = make_zone(app, "publicity", type="school")
    for school_id, name in ((running["school"], "本校三一"), (other, "外校三一")):
        headers = _student(client, auth, school_id, name, class_name="三年级一班")
        assert client.post(f"{MP}/campaigns/{campaign_id}/join", headers=headers).status_code == 204
        assert _checkin(client, headers, campaign_id).status_code == 201
    return {**running, "open": campaign_id, "other": other}


def _stats(client, auth, campaign):
    return client.get(
        f"{ADMIN}/campaigns/{campaign['open']}/stats", headers=_school_admin(auth, campaign["school"])
    ).json


def test_two_schools_classes_of_one_name_are_two_rows(client, auth, same_class_names):
    rows = [c for c in _stats(client, auth, same_class_names)["per_class"] if c["class_name"] == "三年级一班"]
    assert sorted(r["school_id"] for r in rows) == sorted([same_class_names["school"], same_class_names["other"]])


def test_each_class_row_names_its_school(app, client, auth, same_class_names):
    from app.zones.models import Zone

    rows = _stats(client, auth, same_class_names)["per_class"]
    with app.app_context():
        names = {r["school_id"]: db.session.get(Zone, r["school_id"]).name for r in rows}
    assert {r["school_id"]: r["school_name"] for r in rows} == names


def test_the_csv_names_each_check_ins_school(app, client, auth, same_class_names):
    from app.zones.models import Zone

    body = client.get(
        f"{ADMIN}/campaigns/{same_class_names['open']}/checkins.csv",
        headers=_school_admin(auth, same_class_names["school"]),
    ).get_data(as_text=True)
    with app.app_context():
        other_name = db.session.get(Zone, same_class_names["other"]).name
    header, *rows = [line.split(",") for line in body.lstrip("\ufeff").splitlines()]
    assert other_name in {row[header.index("学校")] for row in rows}


def test_the_console_chart_names_the_school_of_each_class(app, client, auth, same_class_names):
    from app.zones.models import Zone
    from tests.test_console import signed_in, text

    with app.app_context():
        other_name = db.session.get(Zone, same_class_names["other"]).name
    console = signed_in(app, "school_admin", "teacher-open-2", school_id=same_class_names["school"])
    assert f"{other_name} 三年级一班" in text(console.get(f"/console/campaigns/{same_class_names['open']}"))


# ---- 4. class actions count in every breakdown -----------------------------------------------------


@pytest.fixture
def with_class_action(client, auth, running):
    """The running campaign: `stu`'s check-in and a class action of 一班 today."""
    assert _checkin(client, running["headers"], running["campaign"], quantity=2).status_code == 201
    made = client.post(
        f"{ADMIN}/campaigns/{running['campaign']}/class-actions",
        json={"class_name": "一班", "action": "lights_off", "kw": 2.5, "hours": 1},
        headers=_school_admin(auth, running["school"]),
    )
    assert made.status_code == 201, made.json
    stats = client.get(
        f"{ADMIN}/campaigns/{running['campaign']}/stats", headers=_school_admin(auth, running["school"])
    ).json
    return stats


def _total(rows):
    return round(sum(r["co2_kg"] for r in rows), 4)


def test_the_days_add_up_to_the_classes(with_class_action):
    assert _total(with_class_action["checkins_per_day"]) == _total(with_class_action["per_class"])


def test_the_actions_add_up_to_the_classes(with_class_action):
    assert _total(with_class_action["per_action"]) == _total(with_class_action["per_class"])


def test_the_days_add_up_to_the_campaigns_total(with_class_action):
    assert _total(with_class_action["checkins_per_day"]) == with_class_action["co2_kg"]


def test_a_day_counts_its_class_actions(with_class_action):
    today = _today().isoformat()
    assert next(d for d in with_class_action["checkins_per_day"] if d["day"] == today)["class_actions"] == 1


# ---- 5. the author is told why their post is hidden --------------------------------------------------


def _own_posts(client, headers, campaign_id):
    return client.get(f"{MP}/campaigns/{campaign_id}/posts", headers=headers).json["items"]


@pytest.fixture
def voided_post(client, auth, running):
    """`stu`'s post the school voided: the author's view of it."""
    done = _checkin(client, running["headers"], running["campaign"], note="今天光盘了")
    voided = client.post(
        f"{ADMIN}/checkins/{done.json['id']}/void",
        json={"reason": "照片不符"},
        headers=_school_admin(auth, running["school"]),
    )
    assert voided.status_code == 200, voided.json
    return next(p for p in _own_posts(client, running["headers"], running["campaign"]) if p["id"] == done.json["id"])


def test_the_author_sees_their_voided_post_hidden(voided_post):
    assert voided_post["hidden"] is True


def test_the_author_is_told_their_post_was_voided(voided_post):
    assert voided_post["hidden_reason"] == "已被学校作废"


def test_the_author_is_told_their_post_waits_for_review(client, running):
    done = _checkin(client, running["headers"], running["campaign"], note=REVIEW_NOTE)
    own = next(p for p in _own_posts(client, running["headers"], running["campaign"]) if p["id"] == done.json["id"])
    assert own["hidden_reason"] == "待学校审核"


@pytest.fixture
def unseen_minors_post(client, auth, running):
    """A post of an under-14 without a guardian's consent (nobody else sees it): the author's view."""
    headers = _student(client, auth, running["school"], "小雨", age_band="under_14")
    client.post(f"{MP}/campaigns/{running['campaign']}/join", headers=headers)
    done = _checkin(client, headers, running["campaign"], note="关灯一小时")
    assert done.status_code == 201, done.json
    return next(p for p in _own_posts(client, headers, running["campaign"]) if p["id"] == done.json["id"])


def test_an_unseen_authors_post_is_hidden_to_them_too(unseen_minors_post):
    """They had read hidden: false while no schoolmate could see it."""
    assert unseen_minors_post["hidden"] is True


def test_an_unseen_author_is_told_a_guardian_must_consent(unseen_minors_post):
    assert unseen_minors_post["hidden_reason"] == "监护人同意后，同学们才能看到"


def test_a_seen_authors_post_is_not_hidden(client, running):
    done = _checkin(client, running["headers"], running["campaign"], note="今天步行")
    own = next(p for p in _own_posts(client, running["headers"], running["campaign"]) if p["id"] == done.json["id"])
    assert own["hidden"] is False


# ---- 6. a photo that is not one's own upload: the refusal names photo_url ----------------------------


def test_someone_elses_photo_is_refused_naming_photo_url(client, auth, running):
    from tests.test_campaign_costs import _upload

    theirs = _upload(client, auth.wechat_headers("someone"))
    response = _checkin(client, running["headers"], running["campaign"], photo_url=theirs)
    assert "photo_url" in assert_error(response, 422, "validation_error")["details"]


# ---- 7. nothing visible is no note; campaign titles trimmed ------------------------------------------


@pytest.mark.parametrize("note", ["", "   ", "\u200b"])
def test_an_invisible_note_makes_no_post(client, running, note):
    assert _checkin(client, running["headers"], running["campaign"], note=note).status_code == 201
    assert _own_posts(client, running["headers"], running["campaign"]) == []


def _new_campaign(client, auth, school_id, **overrides):
    today = _today()
    body = {
        "title": "绿色出行周",
        "starts_on": today.isoformat(),
        "ends_on": today.isoformat(),
        "actions": ["clean_plate"],
        **overrides,
    }
    return client.post(f"{ADMIN}/schools/{school_id}/campaigns", json=body, headers=_school_admin(auth, school_id))


def test_a_title_of_zero_width_spaces_is_refused(client, auth, school, catalogue_synced):
    response = _new_campaign(client, auth, school, title="\u200b\u200b\u200b")
    assert "title" in assert_error(response, 422, "validation_error")["details"]


def test_trailing_full_width_spaces_leave_the_title(client, auth, school, catalogue_synced):
    assert _new_campaign(client, auth, school, title="光盘行动周\u3000\u3000").json["title"] == "光盘行动周"


# ---- 8. a quantity that rounds to nothing says the minimum -------------------------------------------


def test_a_quantity_rounding_to_zero_says_the_minimum(client, running):
    response = _checkin(client, running["headers"], running["campaign"], action="lights_off", quantity=0.003)
    assert assert_error(response, 422, "validation_error")["details"]["quantity"] == ["数量至少为 0.01"]


def test_a_counted_quantity_rounding_to_zero_says_the_minimum(client, running):
    response = _checkin(client, running["headers"], running["campaign"], action="clean_plate", quantity=0.003)
    assert assert_error(response, 422, "validation_error")["details"]["quantity"] == ["数量至少为 1"]


# ---- 9. a guardian is an adult --------------------------------------------------------------------


def test_a_student_of_14_to_17_cannot_consent_as_a_guardian(client, auth, child):
    teenager = _student(client, auth, child["school"], "高中生", age_band="14_17")
    assert_error(_consent(client, teenager, _link(client, child["child"])), 403, "guardian_is_a_minor")


# ---- 10. the school's statement only for an under-14 ----------------------------------------------


@pytest.mark.parametrize("band", ["14_17", "18_plus"])
def test_a_statement_for_a_student_of_14_or_more_is_409(client, auth, school, band):
    user_id = _me(client, _student(client, auth, school, f"学生{band}", age_band=band))
    response = client.post(
        f"{ADMIN}/schools/{school}/students/{user_id}/guardian-consent", headers=_school_admin(auth, school)
    )
    assert_error(response, 409, "guardian_consent_not_needed")


def test_the_console_refuses_a_statement_for_a_student_of_14_or_more(app, client, auth, running):
    from tests.test_console import signed_in

    console = signed_in(app, "school_admin", "teacher-statement", school_id=running["school"])
    console.get(f"/console/schools/{running['school']}")
    response = console.post(f"/console/schools/{running['school']}/students/{_me(client, running['headers'])}/consent")
    assert response.status_code == 409


# ---- 11. nicknames: one line, and not the anonymous 同学 + number ------------------------------------


@pytest.mark.parametrize("nickname", ["小明\n换行", "同学0008", "同学０００８", "同学 0008"])
def test_a_nickname_with_a_newline_or_in_the_anonymous_form_is_422(client, auth, school, nickname):
    response = client.patch(
        f"{MP}/me", json={"school_id": school, "nickname": nickname}, headers=auth.wechat_headers("nick")
    )
    assert "nickname" in assert_error(response, 422, "validation_error")["details"]


# ---- the catalogue as a student reads it ----------------------------------------------------------


def _catalogue_sources():
    from pathlib import Path

    from app.campaigns.catalogue import read_catalogue

    root = Path(__file__).resolve().parent.parent / "content"
    return [(r["code"], r["source"]) for r in read_catalogue(root)]


@pytest.mark.parametrize("part", ["publisher", "document"])
def test_every_factors_source_is_named_in_chinese_first(part):
    """Students read the source under each action: a name in Czech or English alone means nothing to
    them (the original may follow in brackets)."""
    import re

    def foreign(text: str) -> bool:  # two foreign words in a row outside brackets
        outside = re.sub(r"（[^）]*）|\([^)]*\)", "", text)
        return re.search(r"[A-Za-zÀ-ž-]{2,}\s+[A-Za-zÀ-ž-]{2,}", outside) is not None

    assert [code for code, source in _catalogue_sources() if foreign(source[part])] == []
