"""School campaigns: students and schools, campaigns, check-ins with factors, boards, minors."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.campaigns import catalogue, lookups
from app.extensions import db
from app.wechat.fake import RISKY_MARKER
from tests.campaign_helpers import _campaign, _checkin, _school_admin, _student, _today  # noqa: E402
from tests.factories import make_zone
from tests.helpers import assert_error

# ---- schools and students ---------------------------------------------------------------------


def test_schools_list_followers_and_whether_i_follow(app, client, auth, school):
    headers = auth.wechat_headers("follower")
    assert client.post(f"/api/mp/v1/schools/{school}/follow", headers=headers).status_code == 204
    listed = client.get("/api/mp/v1/schools", headers=headers).json["items"]
    mine = next(s for s in listed if s["id"] == school)
    assert (mine["followers"], mine["following"]) == (1, True)


def test_unfollow(app, client, auth, school):
    headers = auth.wechat_headers("unfollower")
    client.post(f"/api/mp/v1/schools/{school}/follow", headers=headers)
    assert client.delete(f"/api/mp/v1/schools/{school}/follow", headers=headers).status_code == 204
    assert client.get("/api/mp/v1/schools", headers=headers).json["items"][0]["following"] is False


def test_following_a_zone_that_is_not_a_school_is_422(app, client, auth):
    park = make_zone(app, "publicity", type="park")
    assert_error(
        client.post(f"/api/mp/v1/schools/{park}/follow", headers=auth.wechat_headers("f")), 422, "validation_error"
    )


def test_patch_me_sets_the_school_and_class(app, client, auth, school):
    headers = _student(client, auth, school, "me1", confirm=False)
    student = client.get("/api/mp/v1/me", headers=headers).json["student"]
    assert (student["school_id"], student["class_name"], student["confirmed"]) == (school, "一班", False)


def test_patch_me_refuses_a_zone_that_is_not_a_school(app, client, auth):
    park = make_zone(app, "publicity", type="park")
    response = client.patch("/api/mp/v1/me", json={"school_id": park}, headers=auth.wechat_headers("me2"))
    assert_error(response, 422, "validation_error")


@pytest.mark.parametrize("school_id", [999999, 2147483647])
def test_patch_me_naming_a_school_that_does_not_exist_is_a_404(app, client, auth, school_id):
    # A new student's profile had been added before the school was looked up: the look-up's flush
    # hit the foreign key on PostgreSQL (a 500).
    response = client.patch("/api/mp/v1/me", json={"school_id": school_id}, headers=auth.wechat_headers("me-none"))
    assert_error(response, 404, "not_found")


def test_a_class_join_code_confirms_the_student(app, client, auth, school):
    made = client.post(
        f"/api/admin/v1/schools/{school}/classes", json={"name": "二班"}, headers=_school_admin(auth, school)
    )
    headers = auth.wechat_headers("joiner")
    joined = client.post("/api/mp/v1/me/class", json={"join_code": made.json["join_code"]}, headers=headers)
    assert (joined.json["class_name"], joined.json["confirmed"]) == ("二班", True)


def test_an_admin_of_another_school_cannot_act(app, client, auth, school, catalogue_synced):
    other = make_zone(app, "publicity", type="school")
    response = client.post(
        f"/api/admin/v1/schools/{school}/campaigns",
        headers=_school_admin(auth, other),
        json={"title": "活动", "starts_on": "2026-12-01", "ends_on": "2026-12-05", "actions": ["walk"]},
    )
    assert_error(response, 403, "not_this_school")


# ---- campaigns and check-ins --------------------------------------------------------------------


def test_a_campaign_shows_each_action_with_its_factor_and_source(app, client, running):
    detail = client.get(f"/api/mp/v1/campaigns/{running['campaign']}").json
    walk = next(a for a in detail["actions"] if a["code"] == "walk")
    assert (walk["kg_co2e_per_unit"], walk["source"]["data_year"], "碳信用" in detail["estimate_note"]) == (
        0.129,
        2021,
        True,
    )


def test_a_check_in_answers_co2_and_points(app, client, running):
    done = _checkin(client, running["headers"], running["campaign"], action="clean_plate", quantity=2)
    assert (done.status_code, done.json["co2_kg"], done.json["points"]) == (201, 0.288, 10.0)


def test_twice_a_day_is_409(app, client, running):
    _checkin(client, running["headers"], running["campaign"])
    assert_error(_checkin(client, running["headers"], running["campaign"]), 409, "already_checked_in")


@pytest.mark.parametrize("note", ["有事打我电话13812345678", "电话 138 1234 5678", "号码１３８１２３４５６７８"])
def test_a_note_with_a_phone_number_is_refused_naming_the_note(app, client, running, note):
    # Notes are shown to the school's students (同学分享); a child had shared their phone number there.
    answer = _checkin(client, running["headers"], running["campaign"], note=note)
    assert "note" in assert_error(answer, 422, "validation_error")["details"]


def test_a_note_with_a_step_count_is_taken(app, client, running):
    answer = _checkin(client, running["headers"], running["campaign"], note="今天走了 12000 步，2026-11-28")
    assert answer.status_code == 201, answer.json


def test_twice_today_says_today(app, client, running):
    _checkin(client, running["headers"], running["campaign"])
    again = _checkin(client, running["headers"], running["campaign"])
    assert again.json["error"]["message"] == "这项行动今天已经打过卡了"


def test_twice_for_an_earlier_day_names_that_day(app, client, running):
    yesterday = _today() - timedelta(days=1)
    _checkin(client, running["headers"], running["campaign"], day=yesterday.isoformat())
    again = _checkin(client, running["headers"], running["campaign"], day=yesterday.isoformat())
    assert again.json["error"]["message"] == f"这项行动{yesterday.month} 月 {yesterday.day} 日已经打过卡了"


@pytest.mark.parametrize(
    "quantity,why", [(0, "zero"), (-1, "negative"), (1.5, "fractional count"), (4, "above the cap of 3")]
)
def test_bad_quantities_are_422(app, client, running, quantity, why):
    error = assert_error(
        _checkin(client, running["headers"], running["campaign"], quantity=quantity), 422, "validation_error"
    )
    assert "quantity" in error["details"], why


def test_an_action_not_in_the_campaign_is_422(app, client, running):
    error = assert_error(
        _checkin(client, running["headers"], running["campaign"], action="metro", quantity=3), 422, "validation_error"
    )
    assert "action" in error["details"]


def test_before_the_campaign_starts_is_422(app, client, auth, school, catalogue_synced):
    later = _campaign(
        client,
        auth,
        school,
        starts_on=(_today() + timedelta(days=2)).isoformat(),
        ends_on=(_today() + timedelta(days=9)).isoformat(),
    )
    headers = _student(client, auth, school, "early")
    client.post(f"/api/mp/v1/campaigns/{later}/join", headers=headers)
    assert_error(_checkin(client, headers, later), 422, "campaign_not_started")


def test_after_the_campaign_ends_is_422(app, client, auth, school, catalogue_synced):
    from app.campaigns.models import Campaign

    ended = _campaign(client, auth, school, starts_on=(_today() - timedelta(days=20)).isoformat(), audience="anyone")
    with app.app_context():  # a campaign is not created already ended: it ends
        db.session.get(Campaign, ended).ends_on = _today() - timedelta(days=10)
        db.session.commit()
    headers = auth.wechat_headers("late")
    assert_error(client.post(f"/api/mp/v1/campaigns/{ended}/join", headers=headers), 422, "campaign_ended")


def test_backfill_beyond_seven_days_is_422(app, client, running):
    old = (_today() - timedelta(days=8)).isoformat()
    error = assert_error(_checkin(client, running["headers"], running["campaign"], day=old), 422, "validation_error")
    assert "day" in error["details"]


def test_a_day_is_a_china_day_not_a_utc_day(app, client, running, monkeypatch):
    """00:30 in Changchun is still the previous day in UTC: the check-in belongs to the China day."""
    from datetime import UTC, datetime

    from app.campaigns import checkins

    local_half_past_midnight = datetime.combine(_today(), datetime.min.time()).replace(tzinfo=UTC) - timedelta(
        hours=7, minutes=30
    )
    monkeypatch.setattr(checkins, "utcnow", lambda: local_half_past_midnight)
    first = _checkin(client, running["headers"], running["campaign"])
    assert first.json["day"] == _today().isoformat()


def test_joining_a_school_only_campaign_from_another_school_is_403(app, client, auth, running):
    other = make_zone(app, "publicity", type="school")
    headers = _student(client, auth, other, "outsider")
    assert_error(
        client.post(f"/api/mp/v1/campaigns/{running['campaign']}/join", headers=headers), 403, "not_this_school"
    )


def test_risky_note_text_is_refused(app, client, running):
    response = _checkin(client, running["headers"], running["campaign"], note=f"今天{RISKY_MARKER}了")
    assert_error(response, 422, "content_risky")


def test_a_new_factor_applies_from_its_date_and_never_rewrites_the_past(app, catalogue_synced):
    with app.app_context():
        before = catalogue.factor_on("lights_off", date(2025, 12, 31))
        after = catalogue.factor_on("lights_off", date(2026, 1, 1))
        assert (float(before.kg_co2e_per_unit), float(after.kg_co2e_per_unit)) == (0.5366, 0.5122)


def test_my_progress_has_totals_and_streaks(app, client, running):
    for days_ago in (2, 1, 0):
        _checkin(client, running["headers"], running["campaign"], day=(_today() - timedelta(days=days_ago)).isoformat())
    progress = client.get(f"/api/mp/v1/campaigns/{running['campaign']}/me", headers=running["headers"]).json
    assert (progress["checkins"], progress["current_streak"], progress["longest_streak"]) == (3, 3, 3)


def test_the_feed_shows_campaigns_of_followed_schools(app, client, auth, running):
    headers = auth.wechat_headers("fan")
    client.post(f"/api/mp/v1/schools/{running['school']}/follow", headers=headers)
    feed = client.get("/api/mp/v1/me/feed", headers=headers).json
    assert [c["id"] for c in feed["items"]] == [running["campaign"]]


def test_a_feed_item_says_the_campaigns_days_in_words(app, client, auth, running):
    """A citizen reads 「10 月 19 日至 11 月 18 日」, not ISO dates."""
    headers = auth.wechat_headers("fan")
    client.post(f"/api/mp/v1/schools/{running['school']}/follow", headers=headers)
    item = client.get("/api/mp/v1/me/feed", headers=headers).json["items"][0]
    starts = date.fromisoformat(item["starts_on"])
    assert f"{starts.month} 月 {starts.day} 日至" in item["summary"]


# ---- boards and minors --------------------------------------------------------------------------


def test_equal_scores_share_a_place(app, client, auth, running):
    other = _student(client, auth, running["school"], "twin")
    client.post(f"/api/mp/v1/campaigns/{running['campaign']}/join", headers=other)
    _checkin(client, running["headers"], running["campaign"])
    _checkin(client, other, running["campaign"])
    board = client.get(f"/api/mp/v1/campaigns/{running['campaign']}/leaderboard?by=student").json
    assert [e["rank"] for e in board["items"]] == [1, 1]


def test_an_under_14_without_consent_is_not_on_a_public_board(app, client, auth, running):
    child = _student(client, auth, running["school"], "child", age_band="under_14")
    client.post(f"/api/mp/v1/campaigns/{running['campaign']}/join", headers=child)
    _checkin(client, child, running["campaign"], quantity=3)
    board = client.get(f"/api/mp/v1/campaigns/{running['campaign']}/leaderboard?by=student").json
    assert board["items"] == []


def test_the_child_still_sees_their_own_rank(app, client, auth, running):
    child = _student(client, auth, running["school"], "child2", age_band="under_14")
    client.post(f"/api/mp/v1/campaigns/{running['campaign']}/join", headers=child)
    _checkin(client, child, running["campaign"])
    board = client.get(f"/api/mp/v1/campaigns/{running['campaign']}/leaderboard?by=student", headers=child).json
    assert (board["me"]["rank"], board["me"]["name"]) == (1, "child2")


def test_a_guardian_consent_puts_the_child_on_the_board(app, client, auth, running):
    child = _student(client, auth, running["school"], "child3", age_band="under_14")
    user_id = client.get("/api/mp/v1/me", headers=child).json["id"]
    client.post(f"/api/mp/v1/campaigns/{running['campaign']}/join", headers=child)
    _checkin(client, child, running["campaign"])
    consent = client.post(
        f"/api/admin/v1/schools/{running['school']}/students/{user_id}/guardian-consent",
        json={"method": "signed_statement"},
        headers=_school_admin(auth, running["school"]),
    )
    assert consent.status_code == 200, consent.json
    board = client.get(f"/api/mp/v1/campaigns/{running['campaign']}/leaderboard?by=student").json
    assert [e["name"] for e in board["items"]] == ["child3"]


def test_students_who_opt_out_are_not_on_public_boards(app, client, auth, running):
    client.patch("/api/mp/v1/me", json={"public_board": False}, headers=running["headers"])
    _checkin(client, running["headers"], running["campaign"])
    assert client.get(f"/api/mp/v1/campaigns/{running['campaign']}/leaderboard").json["items"] == []


def test_only_confirmed_students_count_for_their_class(app, client, auth, school, catalogue_synced):
    campaign_id = _campaign(client, auth, school, audience="anyone")
    headers = _student(client, auth, school, "unsure", confirm=False)
    client.post(f"/api/mp/v1/campaigns/{campaign_id}/join", headers=headers)
    assert _checkin(client, headers, campaign_id).status_code == 201
    board = client.get(f"/api/mp/v1/campaigns/{campaign_id}/leaderboard?by=class").json
    assert board["items"] == []


def test_class_boards_compare_per_enrolled_student(app, client, auth, running):
    admin = _school_admin(auth, running["school"])
    with app.app_context():
        from app.campaigns.models import StudentProfile

        ids = list(db.session.scalars(select(StudentProfile.user_id)))
    client.post(f"/api/admin/v1/schools/{running['school']}/students/confirm", json={"user_ids": ids}, headers=admin)
    _checkin(client, running["headers"], running["campaign"], quantity=2)
    entry = client.get(f"/api/mp/v1/campaigns/{running['campaign']}/leaderboard?by=class").json["items"][0]
    assert (entry["enrolled"], entry["per_student"], entry["participation"]) == (1, 10.0, 1.0)


def test_a_rebuild_from_the_database_equals_the_live_board(app, client, auth, running, runner):
    _checkin(client, running["headers"], running["campaign"], quantity=3)
    live = client.get(f"/api/mp/v1/campaigns/{running['campaign']}/leaderboard").json
    assert "rebuilt" in runner.invoke(args=["campaigns", "rebuild-boards"]).output
    assert client.get(f"/api/mp/v1/campaigns/{running['campaign']}/leaderboard").json == live


def test_the_board_is_fresh_after_a_check_in(app, client, running):
    path = f"/api/mp/v1/campaigns/{running['campaign']}/leaderboard"
    assert client.get(path).json["items"] == []
    _checkin(client, running["headers"], running["campaign"])
    assert len(client.get(path).json["items"]) == 1


def test_demo_data_has_a_running_campaign(app, runner):
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    with app.app_context():
        from app.campaigns.models import Campaign

        states = [lookups.campaign_state(c) for c in db.session.scalars(select(Campaign))]
    assert sorted(states) == ["ended", "running"]


# ---- staff ----------------------------------------------------------------------------------------


def test_school_admins_read_their_campaigns_statistics(app, client, auth, running):
    _checkin(client, running["headers"], running["campaign"], quantity=2)
    stats = client.get(
        f"/api/admin/v1/campaigns/{running['campaign']}/stats", headers=_school_admin(auth, running["school"])
    ).json
    assert (stats["participants"], stats["per_action"][0]["co2_kg"]) == (1, 0.288)


def test_the_education_department_reads_statistics_too(app, client, auth, running):
    officer = auth.staff("department_officer", department="education")
    assert client.get(f"/api/admin/v1/campaigns/{running['campaign']}/stats", headers=officer).status_code == 200


def test_another_schools_admin_reads_no_statistics(app, client, auth, running):
    other = make_zone(app, "publicity", type="school")
    response = client.get(f"/api/admin/v1/campaigns/{running['campaign']}/stats", headers=_school_admin(auth, other))
    assert_error(response, 403, "not_this_school")


def test_the_checkins_export_has_no_names(app, client, auth, running):
    _checkin(client, running["headers"], running["campaign"])
    body = client.get(
        f"/api/admin/v1/campaigns/{running['campaign']}/checkins.csv", headers=_school_admin(auth, running["school"])
    ).get_data(as_text=True)
    assert body.splitlines()[1].split(",")[3] == "stu"  # the nickname, never a real name


def test_commuting_counts_on_school_days_only(app, client, auth, school, catalogue_synced):
    from app.publicity.calendar import is_working

    week = [_today() - timedelta(days=n) for n in range(7)]
    with app.app_context():
        days_off = [d for d in week if not is_working(d)]
    campaign_id = _campaign(client, auth, school, starts_on=week[-1].isoformat())
    headers = _student(client, auth, school, "commuter")
    client.post(f"/api/mp/v1/campaigns/{campaign_id}/join", headers=headers)
    response = _checkin(client, headers, campaign_id, action="walk", quantity=2, day=days_off[0].isoformat())
    error = assert_error(response, 422, "validation_error")
    assert "day" in error["details"]


def _calendar_says(app, day, kind):
    from app.extensions import db
    from app.publicity.models import CalendarDay

    with app.app_context():
        db.session.merge(CalendarDay(day=day, kind=kind, note="测试"))
        db.session.commit()


def _commute_on(client, auth, school, day, name):
    campaign_id = _campaign(client, auth, school, starts_on=(_today() - timedelta(days=6)).isoformat())
    headers = _student(client, auth, school, name)
    client.post(f"/api/mp/v1/campaigns/{campaign_id}/join", headers=headers)
    return _checkin(client, headers, campaign_id, action="walk", quantity=2, day=day.isoformat())


def test_commuting_on_a_public_holiday_that_falls_on_a_weekday_is_refused(app, client, auth, school, catalogue_synced):
    weekday = next(d for d in (_today() - timedelta(days=n) for n in range(1, 7)) if d.weekday() < 5)
    _calendar_says(app, weekday, "holiday")
    error = assert_error(_commute_on(client, auth, school, weekday, "holiday"), 422, "validation_error")
    assert "day" in error["details"]


def test_commuting_on_a_make_up_working_day_that_falls_on_a_weekend_counts(app, client, auth, school, catalogue_synced):
    weekend = next(d for d in (_today() - timedelta(days=n) for n in range(1, 7)) if d.weekday() >= 5)
    _calendar_says(app, weekend, "workday")
    assert _commute_on(client, auth, school, weekend, "makeup").status_code == 201


# ---- announcements ----------------------------------------------------------------------------------


def _deliver(app):
    from app.outbox import services as outbox

    with app.app_context():
        return outbox.deliver_due()


def test_followers_are_told_of_a_new_campaign_once(app, make_app, auth, school, catalogue_synced, fake_wechat, runner):
    announcing = make_app(WECHAT_TEMPLATE_CAMPAIGN_NEW="tpl-campaign")
    client = announcing.test_client()
    from tests.conftest import Auth

    helper = Auth(announcing, client)
    client.post(f"/api/mp/v1/schools/{school}/follow", headers=helper.wechat_headers("fan1"))
    client.post(f"/api/mp/v1/schools/{school}/follow", headers=helper.wechat_headers("fan2"))
    _campaign(client, helper, school)
    _deliver(announcing)
    _deliver(announcing)  # the next scheduled run finds nothing more to send
    sent = [m for m in fake_wechat.state()["sent_messages"] if m["template_id"] == "tpl-campaign"]
    assert sorted(m["touser"] for m in sent) == ["o_fake_fan1", "o_fake_fan2"]


def test_announcements_wait_for_the_scheduled_delivery_not_the_request(
    app, make_app, school, catalogue_synced, fake_wechat
):
    announcing = make_app(WECHAT_TEMPLATE_CAMPAIGN_NEW="tpl-campaign")
    client = announcing.test_client()
    from tests.conftest import Auth

    helper = Auth(announcing, client)
    client.post(f"/api/mp/v1/schools/{school}/follow", headers=helper.wechat_headers("patient_fan"))
    _campaign(client, helper, school)
    assert [m for m in fake_wechat.state()["sent_messages"] if m["template_id"] == "tpl-campaign"] == []


def test_a_follower_who_refused_messages_is_not_asked_again(app, make_app, school, catalogue_synced, fake_wechat):
    announcing = make_app(WECHAT_TEMPLATE_CAMPAIGN_NEW="tpl-campaign")
    client = announcing.test_client()
    from tests.conftest import Auth

    helper = Auth(announcing, client)
    client.post(f"/api/mp/v1/schools/{school}/follow", headers=helper.wechat_headers("refuse_fan"))
    _campaign(client, helper, school)  # 43101: the fake's "refuse" users refuse messages
    first, second = _deliver(announcing), _deliver(announcing)
    assert (first, second) == ({"refused": 1}, {})


# ---- moderation -------------------------------------------------------------------------------------


def _post(client, running, note="今天走路上学，空气真好"):
    done = _checkin(client, running["headers"], running["campaign"], note=note)
    assert done.status_code == 201, done.json
    return done.json["id"]


def _schoolmate(client, auth, running, name="mate"):
    """A confirmed student of the campaign's school: whom students' posts are for (docs/privacy.md)."""
    return _student(client, auth, running["school"], name)


def test_posts_are_listed_with_a_nickname(app, client, auth, running):
    _post(client, running)
    mate = _schoolmate(client, auth, running)
    posts = client.get(f"/api/mp/v1/campaigns/{running['campaign']}/posts", headers=mate).json["items"]
    assert [(p["author"], p["note"]) for p in posts] == [("stu", "今天走路上学，空气真好")]


def test_posts_are_not_shown_to_someone_signed_out(app, client, running):
    _post(client, running)
    assert client.get(f"/api/mp/v1/campaigns/{running['campaign']}/posts").json["items"] == []


def test_posts_are_not_shown_to_someone_not_of_the_school(app, client, auth, running):
    _post(client, running)
    outsider = auth.wechat_headers("passer-by")
    assert client.get(f"/api/mp/v1/campaigns/{running['campaign']}/posts", headers=outsider).json["items"] == []


def test_a_post_not_shown_is_the_404_of_one_that_does_not_exist_when_reported(app, client, auth, running):
    post = _post(client, running)
    response = client.post(
        f"/api/mp/v1/posts/{post}/reports", json={"reason": "不当内容"}, headers=auth.wechat_headers("o")
    )
    assert_error(response, 404, "not_found")


def test_reporting_ones_own_post_is_422(app, client, running):
    post = _post(client, running)
    response = client.post(f"/api/mp/v1/posts/{post}/reports", json={"reason": "测试"}, headers=running["headers"])
    assert_error(response, 422, "own_post")


def test_a_second_report_by_the_same_user_is_409(app, client, auth, running):
    post = _post(client, running)
    reporter = _schoolmate(client, auth, running, "reporter")
    client.post(f"/api/mp/v1/posts/{post}/reports", json={"reason": "不当内容"}, headers=reporter)
    assert_error(
        client.post(f"/api/mp/v1/posts/{post}/reports", json={"reason": "不当内容"}, headers=reporter),
        409,
        "already_reported",
    )


def test_three_reports_hide_a_post_but_its_author_still_sees_why(app, client, auth, running):
    post = _post(client, running)
    for n in range(3):
        client.post(
            f"/api/mp/v1/posts/{post}/reports",
            json={"reason": "不当内容"},
            headers=_schoolmate(client, auth, running, f"r{n}"),
        )
    mate = _schoolmate(client, auth, running)
    public = client.get(f"/api/mp/v1/campaigns/{running['campaign']}/posts", headers=mate).json["items"]
    own = client.get(f"/api/mp/v1/campaigns/{running['campaign']}/posts", headers=running["headers"]).json["items"]
    assert (public, own[0]["hidden"], bool(own[0]["hidden_reason"])) == ([], True, True)


def test_a_school_admin_hides_at_once_and_unhiding_keeps_the_count(app, client, auth, running):
    post = _post(client, running)
    client.post(
        f"/api/mp/v1/posts/{post}/reports", json={"reason": "不当内容"}, headers=_schoolmate(client, auth, running, "r")
    )
    admin = _school_admin(auth, running["school"])
    hidden = client.post(f"/api/admin/v1/posts/{post}/hide", json={"reason": "含有同学的照片"}, headers=admin)
    queue = client.get(f"/api/admin/v1/schools/{running['school']}/moderation", headers=admin).json
    shown = client.post(f"/api/admin/v1/posts/{post}/unhide", headers=admin)
    assert (hidden.json["hidden"], queue["total"], shown.json["hidden"], shown.json["report_count"]) == (
        True,
        1,
        False,
        1,
    )


def test_posts_of_an_under_14_without_consent_are_not_public(app, client, auth, running):
    child = _student(client, auth, running["school"], "kid", age_band="under_14")
    client.post(f"/api/mp/v1/campaigns/{running['campaign']}/join", headers=child)
    _checkin(client, child, running["campaign"], note="我今天光盘了")
    mate = _schoolmate(client, auth, running)
    assert client.get(f"/api/mp/v1/campaigns/{running['campaign']}/posts", headers=mate).json["items"] == []


def test_a_day_before_the_factors_first_version_is_a_clear_422(app, client, running):
    from sqlalchemy import update

    from app.campaigns.models import ActionFactor

    with app.app_context():
        db.session.execute(
            update(ActionFactor)
            .where(ActionFactor.code == "clean_plate")
            .values(valid_from=_today() + timedelta(days=1))
        )
        db.session.commit()
    error = assert_error(_checkin(client, running["headers"], running["campaign"]), 422, "validation_error")
    assert "day" in error["details"]
