"""Check-ins have a cost: commuting modes share one round trip a school day, back-filled days score
as self-reported, a photo earns its weight once per campaign, and a school voids check-ins (kept,
audited, counted nowhere, the boards follow)."""

import io
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.campaigns import checkins
from app.extensions import db
from app.wechat.fake import png_qr
from tests.campaign_helpers import _campaign, _checkin, _school_admin, _student, _today
from tests.factories import make_zone
from tests.helpers import assert_error
from tests.kept import kept
from tests.test_campaign_boards import BYS, _confirm_all, _live_and_database, _user_id

COMMUTING = ["walk", "cycle", "bus", "metro"]


def _join(client, headers, campaign_id):
    assert client.post(f"/api/mp/v1/campaigns/{campaign_id}/join", headers=headers).status_code == 204


def _actions(client, campaign_id):
    return {a["code"]: a for a in client.get(f"/api/mp/v1/campaigns/{campaign_id}").json["actions"]}


# ---- one trip budget per school day ---------------------------------------------------------------


@pytest.fixture
def commute(app, client, auth, school, catalogue_synced):
    """A campaign of every commuting mode over the last week, a student in it, and a school day."""
    from app.publicity.calendar import is_working

    week = [_today() - timedelta(days=n) for n in range(7)]
    with app.app_context():
        school_days = [d for d in week if is_working(d)]
    if len(school_days) < 2:
        pytest.skip("no two school days in the back-fill window (a long holiday)")
    campaign_id = _campaign(client, auth, school, starts_on=week[-1].isoformat(), actions=COMMUTING + ["clean_plate"])
    headers = _student(client, auth, school, "commuter")
    _join(client, headers, campaign_id)
    return {
        "school": school,
        "campaign": campaign_id,
        "headers": headers,
        "days": school_days,
        "caps": {code: a["daily_cap"] for code, a in _actions(client, campaign_id).items()},
    }


def _commute(client, commute, action, quantity, day=None):
    return _checkin(
        client,
        commute["headers"],
        commute["campaign"],
        action=action,
        quantity=quantity,
        day=(day or commute["days"][0]).isoformat(),
    )


def test_every_commuting_mode_at_its_cap_on_one_day_counts_one_round_trip(app, client, commute):
    statuses = [_commute(client, commute, mode, commute["caps"][mode]).status_code for mode in COMMUTING]
    assert statuses == [201, 422, 422, 422]


def test_a_check_in_beyond_the_trip_budget_is_refused_with_its_code(app, client, commute):
    _commute(client, commute, "walk", commute["caps"]["walk"])
    assert_error(_commute(client, commute, "metro", 1), 422, "commute_budget_exceeded")


def test_the_refusal_says_how_much_of_the_action_the_day_still_takes(app, client, commute):
    caps = commute["caps"]
    _commute(client, commute, "walk", caps["walk"] / 2)
    error = assert_error(_commute(client, commute, "metro", caps["metro"]), 422, "commute_budget_exceeded")
    assert error["details"]["remaining"] == caps["metro"] / 2


def test_the_refusal_message_says_the_remaining_distance_as_people_write_it(app, client, commute):
    caps = commute["caps"]
    _commute(client, commute, "walk", caps["walk"] / 2)
    error = assert_error(_commute(client, commute, "metro", caps["metro"]), 422, "commute_budget_exceeded")
    assert f"{caps['metro'] / 2:g} 人·公里" in error["message"]


def test_a_daily_cap_is_said_as_people_write_it(app, client, commute):
    error = assert_error(_commute(client, commute, "walk", commute["caps"]["walk"] + 1), 422, "validation_error")
    assert error["details"]["quantity"] == [f"每天最多 {commute['caps']['walk']:g} 公里"]


def test_a_mixed_commute_within_one_round_trip_is_accepted(app, client, commute):
    caps = commute["caps"]
    _commute(client, commute, "walk", caps["walk"] / 2)
    assert _commute(client, commute, "metro", caps["metro"] / 2).status_code == 201


def test_the_trip_budget_is_per_day(app, client, commute):
    first, second = commute["days"][:2]
    _commute(client, commute, "bus", commute["caps"]["bus"], day=first)
    assert _commute(client, commute, "bus", commute["caps"]["bus"], day=second).status_code == 201


def test_the_trip_budget_leaves_other_actions_alone(app, client, commute):
    _commute(client, commute, "metro", commute["caps"]["metro"])
    assert _commute(client, commute, "clean_plate", 1).status_code == 201


def test_a_voided_commute_still_uses_the_days_budget(app, client, auth, commute):
    walked = _commute(client, commute, "walk", commute["caps"]["walk"]).json
    client.post(
        f"/api/admin/v1/checkins/{walked['id']}/void",
        json={"reason": "虚报里程"},
        headers=_school_admin(auth, commute["school"]),
    )
    assert_error(_commute(client, commute, "cycle", 1), 422, "commute_budget_exceeded")


def _at_once(app, calls):
    """Run each call from its own thread and test client, all released together; their responses."""
    barrier = threading.Barrier(len(calls))
    responses = [None] * len(calls)

    def run(index, call):
        own = app.test_client()
        barrier.wait()
        responses[index] = call(own)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


@pytest.mark.postgres
def test_a_burst_of_every_commuting_mode_at_once_counts_one_round_trip(app, client, commute):
    """The same student's check-ins queue on their participation: all four modes at their caps sent
    at the same moment still make one round trip."""
    day = commute["days"][0].isoformat()
    calls = [
        lambda own, mode=mode: _checkin(
            own, commute["headers"], commute["campaign"], action=mode, quantity=commute["caps"][mode], day=day
        )
        for mode in COMMUTING
    ]
    assert sorted(r.status_code for r in _at_once(app, calls)) == [201, 422, 422, 422]


# ---- back-filled days and photos ------------------------------------------------------------------


def _upload(client, headers, text="evidence"):
    uploaded = client.post(
        "/api/mp/v1/uploads",
        data={"file": (io.BytesIO(png_qr(text)), "a.png")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201, uploaded.json
    return uploaded.json["url"]


BURST = ["clean_plate", "lights_off", "double_sided"]


@pytest.fixture
def burst(app, client, auth, school, catalogue_synced):
    """A new student back-fills six days of every action at its cap, one photo on every check-in."""
    campaign_id = _campaign(client, auth, school, starts_on=(_today() - timedelta(days=7)).isoformat(), actions=BURST)
    headers = _student(client, auth, school, "burster")
    _join(client, headers, campaign_id)
    photo = _upload(client, headers)
    caps = {code: a["daily_cap"] for code, a in _actions(client, campaign_id).items()}
    made = [
        _checkin(
            client,
            headers,
            campaign_id,
            action=action,
            quantity=caps[action],
            photo_url=photo,
            day=(_today() - timedelta(days=days_ago)).isoformat(),
        )
        for days_ago in range(1, 7)
        for action in BURST
    ]
    return {"campaign": campaign_id, "headers": headers, "made": made, "photo": photo}


def test_a_back_filled_burst_is_stored(app, client, burst):
    assert {r.status_code for r in burst["made"]} == {201}


def test_a_back_filled_burst_scores_as_self_reported_whatever_it_carries(app, client, burst):
    assert {r.json["evidence"] for r in burst["made"]} == {"self"}


def test_a_back_filled_burst_earns_self_reported_points_only(app, client, burst):
    actions = _actions(client, burst["campaign"])
    self_reported = (
        sum(Decimal(str(actions[a]["daily_cap"])) * Decimal(str(actions[a]["points_per_unit"])) for a in BURST) * 6
    )
    progress = client.get(f"/api/mp/v1/campaigns/{burst['campaign']}/me", headers=burst["headers"]).json
    assert Decimal(str(progress["points"])) == self_reported


def test_a_back_filled_check_in_says_why_its_photo_did_not_count(app, client, burst):
    assert "补记" in burst["made"][0].json["evidence_note"]


def test_the_photo_the_burst_carried_still_counts_once_today(app, client, burst):
    today = _checkin(
        client, burst["headers"], burst["campaign"], action="clean_plate", quantity=1, photo_url=burst["photo"]
    )
    assert today.json["evidence"] == "photo"


def test_a_photo_on_the_day_itself_earns_its_weight(app, client, running):
    photo = _upload(client, running["headers"])
    done = _checkin(client, running["headers"], running["campaign"], quantity=2, photo_url=photo)
    plain = 2 * _actions(client, running["campaign"])["clean_plate"]["points_per_unit"]
    assert (done.json["evidence"], done.json["points"]) == ("photo", plain * 1.5)


def test_a_reused_photo_scores_as_self_reported(app, client, running):
    photo = _upload(client, running["headers"])
    _checkin(client, running["headers"], running["campaign"], photo_url=photo)
    again = _checkin(client, running["headers"], running["campaign"], action="lights_off", quantity=1, photo_url=photo)
    assert (again.status_code, again.json["evidence"]) == (201, "self")


def test_a_reused_photo_scores_self_reported_points(app, client, running):
    photo = _upload(client, running["headers"])
    _checkin(client, running["headers"], running["campaign"], photo_url=photo)
    again = _checkin(client, running["headers"], running["campaign"], action="lights_off", quantity=1, photo_url=photo)
    assert again.json["points"] == _actions(client, running["campaign"])["lights_off"]["points_per_unit"]


def test_a_reused_photo_says_why_it_did_not_count(app, client, running):
    photo = _upload(client, running["headers"])
    _checkin(client, running["headers"], running["campaign"], photo_url=photo)
    again = _checkin(client, running["headers"], running["campaign"], action="lights_off", quantity=1, photo_url=photo)
    assert "已在本活动加过" in again.json["evidence_note"]


def test_the_same_picture_uploaded_again_by_another_student_is_self_reported(app, client, auth, running):
    """A photo is known by its content, not its upload: another upload of the same bytes is a reuse."""
    other = _student(client, auth, running["school"], "copier")
    _join(client, other, running["campaign"])
    _checkin(client, running["headers"], running["campaign"], photo_url=_upload(client, running["headers"], "same"))
    copied = _checkin(client, other, running["campaign"], photo_url=_upload(client, other, "same"))
    assert copied.json["evidence"] == "self"


def test_a_different_picture_earns_its_weight_too(app, client, running):
    _checkin(client, running["headers"], running["campaign"], photo_url=_upload(client, running["headers"], "one"))
    second = _checkin(
        client,
        running["headers"],
        running["campaign"],
        action="lights_off",
        quantity=1,
        photo_url=_upload(client, running["headers"], "two"),
    )
    assert second.json["evidence"] == "photo"


def test_a_photo_counted_a_moment_ago_by_another_check_in_scores_self_reported(app, client, auth, running, monkeypatch):
    """Two students' check-ins with the same picture at once: the database keeps the photo weight to
    one (unique per campaign); the later one is stored as self-reported, not refused."""
    other = _student(client, auth, running["school"], "racer")
    _join(client, other, running["campaign"])
    _checkin(client, running["headers"], running["campaign"], photo_url=_upload(client, running["headers"], "race"))
    real = checkins._photo_counted
    calls = []

    def stale_first(campaign_id, sha256):  # the first look happened before the other check-in committed
        calls.append(sha256)
        return False if len(calls) == 1 else real(campaign_id, sha256)

    monkeypatch.setattr(checkins, "_photo_counted", stale_first)
    raced = _checkin(client, other, running["campaign"], photo_url=_upload(client, other, "race"))
    assert (raced.status_code, raced.json["evidence"]) == (201, "self")


@pytest.mark.postgres
def test_the_same_picture_from_several_students_at_once_earns_its_weight_once(app, client, auth, running):
    students = [running["headers"]]
    for n in range(3):
        headers = _student(client, auth, running["school"], f"snap{n}")
        _join(client, headers, running["campaign"])
        students.append(headers)
    photos = [_upload(client, headers, "one picture") for headers in students]
    calls = [
        lambda own, headers=headers, photo=photo: _checkin(own, headers, running["campaign"], photo_url=photo)
        for headers, photo in zip(students, photos, strict=True)
    ]
    assert sorted(r.json["evidence"] for r in _at_once(app, calls)) == ["photo", "self", "self", "self"]


def test_the_same_day_twice_with_a_fresh_photo_is_still_409(app, client, running):
    _checkin(client, running["headers"], running["campaign"])
    again = _checkin(client, running["headers"], running["campaign"], photo_url=_upload(client, running["headers"]))
    assert_error(again, 409, "already_checked_in")


def test_a_fresh_photo_stays_free_after_a_refused_check_in(app, client, running):
    _checkin(client, running["headers"], running["campaign"])
    photo = _upload(client, running["headers"])
    _checkin(client, running["headers"], running["campaign"], photo_url=photo)  # 409: nothing kept
    later = _checkin(client, running["headers"], running["campaign"], action="lights_off", quantity=1, photo_url=photo)
    assert later.json["evidence"] == "photo"


# ---- voiding ----------------------------------------------------------------------------------------


@pytest.fixture
def crowd(request, app, client, auth):
    """Four confirmed students in two classes with check-ins on two days; the first back-filled a burst.
    Kept (tests/kept.py)."""
    return kept(request, "costs.crowd", lambda: _crowd(app, client, auth, request.getfixturevalue("running")))


def _crowd(app, client, auth, running):
    school_id, campaign_id = running["school"], running["campaign"]
    students = [running["headers"]]
    for name, class_name in (("amy", "一班"), ("bo", "二班"), ("di", "二班")):
        headers = _student(client, auth, school_id, name, class_name=class_name)
        _join(client, headers, campaign_id)
        students.append(headers)
    _confirm_all(app, client, auth, school_id)
    for index, headers in enumerate(students):
        for days_ago in range(2):
            _checkin(
                client,
                headers,
                campaign_id,
                quantity=1 + index % 2,
                day=(_today() - timedelta(days=days_ago)).isoformat(),
            )
    for days_ago in range(3):
        _checkin(
            client,
            students[0],
            campaign_id,
            action="lights_off",
            quantity=5,
            day=(_today() - timedelta(days=days_ago)).isoformat(),
        )
    ids = [_user_id(client, h) for h in students]
    return {**running, "students": students, "ids": ids, "admin": _school_admin(auth, school_id)}


def _void_student(client, crowd, user_id, headers=None, reason="集中补记刷分"):
    return client.post(
        f"/api/admin/v1/campaigns/{crowd['campaign']}/students/{user_id}/void",
        json={"reason": reason},
        headers=headers or crowd["admin"],
    )


def _board(client, crowd, by="student", metric="per_student"):
    return client.get(f"/api/mp/v1/campaigns/{crowd['campaign']}/leaderboard?by={by}&metric={metric}&top=100").json


def _checkins(client, crowd, **query):
    args = "&".join(f"{k}={v}" for k, v in query.items())
    return client.get(
        f"/api/admin/v1/campaigns/{crowd['campaign']}/checkins?per_page=100&{args}", headers=crowd["admin"]
    ).json


def test_voiding_a_student_answers_how_many_were_voided(app, client, crowd):
    mine = len([c for c in _checkins(client, crowd)["items"] if c["user_id"] == crowd["ids"][0]])
    assert _void_student(client, crowd, crowd["ids"][0]).json == {"voided": mine}


def test_a_voided_student_leaves_the_student_board(app, client, crowd):
    _void_student(client, crowd, crowd["ids"][0])
    assert crowd["ids"][0] not in [e["id"] for e in _board(client, crowd)["items"]]


def test_a_voided_student_leaves_their_class_total(app, client, crowd):
    before = {e["name"]: e["points"] for e in _board(client, crowd, "class", "total")["items"]}
    own = sum(c["points"] for c in _checkins(client, crowd)["items"] if c["user_id"] == crowd["ids"][0])
    _void_student(client, crowd, crowd["ids"][0])
    after = {e["name"]: e["points"] for e in _board(client, crowd, "class", "total")["items"]}
    assert after == {**before, "一班": before["一班"] - own}


@pytest.mark.parametrize(("by", "metric"), BYS)
def test_after_voiding_the_live_board_equals_the_database(app, client, crowd, by, metric):
    _void_student(client, crowd, crowd["ids"][0])
    one = next(c for c in _checkins(client, crowd)["items"] if c["user_id"] == crowd["ids"][2])
    client.post(f"/api/admin/v1/checkins/{one['id']}/void", json={"reason": "照片不符"}, headers=crowd["admin"])
    live, database = _live_and_database(app, crowd["campaign"], by, metric, crowd["ids"][2])
    assert live == database


def test_after_voiding_a_rebuild_leaves_the_live_board_as_it_was(app, client, crowd, runner):
    _void_student(client, crowd, crowd["ids"][0])
    paths = [f"/api/mp/v1/campaigns/{crowd['campaign']}/leaderboard?by={by}&metric={metric}" for by, metric in BYS]
    live = [client.get(p).json for p in paths]
    assert "rebuilt" in runner.invoke(args=["campaigns", "rebuild-boards"]).output
    assert [client.get(p).json for p in paths] == live


def test_a_voided_student_sees_no_progress(app, client, crowd):
    _void_student(client, crowd, crowd["ids"][0])
    progress = client.get(f"/api/mp/v1/campaigns/{crowd['campaign']}/me", headers=crowd["students"][0]).json
    assert (progress["checkins"], progress["points"], progress["days"]) == (0, 0.0, [])


def test_a_voided_student_sees_no_rank_of_their_own(app, client, crowd):
    _void_student(client, crowd, crowd["ids"][0])
    board = client.get(f"/api/mp/v1/campaigns/{crowd['campaign']}/leaderboard", headers=crowd["students"][0]).json
    assert board["me"] is None


def test_statistics_leave_voided_check_ins_out(app, client, crowd):
    _void_student(client, crowd, crowd["ids"][0])
    stats = client.get(f"/api/admin/v1/campaigns/{crowd['campaign']}/stats", headers=crowd["admin"]).json
    counted = [c for c in _checkins(client, crowd, voided="false")["items"]]
    assert sum(d["checkins"] for d in stats["checkins_per_day"]) == len(counted)


def test_statistics_give_the_number_voided(app, client, crowd):
    voided = _void_student(client, crowd, crowd["ids"][0]).json["voided"]
    stats = client.get(f"/api/admin/v1/campaigns/{crowd['campaign']}/stats", headers=crowd["admin"]).json
    assert stats["voided_checkins"] == voided


def test_the_export_leaves_voided_check_ins_out(app, client, crowd):
    _void_student(client, crowd, crowd["ids"][0])
    body = client.get(f"/api/admin/v1/campaigns/{crowd['campaign']}/checkins.csv", headers=crowd["admin"]).get_data(
        as_text=True
    )
    assert str(crowd["ids"][0]) not in [line.split(",")[1] for line in body.splitlines()[1:]]


def test_a_voided_check_in_keeps_its_row_with_the_reason(app, client, crowd):
    _void_student(client, crowd, crowd["ids"][0], reason="集中补记刷分")
    voided = _checkins(client, crowd, voided="true")["items"]
    assert {(c["user_id"], c["voided"], c["voided_reason"]) for c in voided} == {
        (crowd["ids"][0], True, "集中补记刷分")
    }


def test_voiding_is_audited(app, client, crowd):
    from app.audit.models import AuditEntry

    _void_student(client, crowd, crowd["ids"][0])
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "checkins.void"))
    assert entry.after["user_id"] == crowd["ids"][0]


def test_voiding_a_student_twice_voids_nothing_more(app, client, crowd):
    _void_student(client, crowd, crowd["ids"][0])
    assert _void_student(client, crowd, crowd["ids"][0]).json == {"voided": 0}


def test_voiding_twice_leaves_the_boards_as_they_were(app, client, crowd):
    _void_student(client, crowd, crowd["ids"][0])
    before = [_board(client, crowd, by, metric) for by, metric in BYS]
    _void_student(client, crowd, crowd["ids"][0], reason="再次作废")
    assert [_board(client, crowd, by, metric) for by, metric in BYS] == before


def test_voiding_one_check_in_twice_keeps_the_first_reason(app, client, crowd):
    one = _checkins(client, crowd)["items"][0]
    client.post(f"/api/admin/v1/checkins/{one['id']}/void", json={"reason": "第一次的原因"}, headers=crowd["admin"])
    again = client.post(
        f"/api/admin/v1/checkins/{one['id']}/void", json={"reason": "第二次的原因"}, headers=crowd["admin"]
    )
    assert (again.status_code, again.json["voided_reason"]) == (200, "第一次的原因")


def test_voiding_one_check_in_takes_its_points_off_the_student(app, client, crowd):
    student = crowd["ids"][1]
    before = next(e for e in _board(client, crowd)["items"] if e["id"] == student)["points"]
    one = next(c for c in _checkins(client, crowd)["items"] if c["user_id"] == student)
    client.post(f"/api/admin/v1/checkins/{one['id']}/void", json={"reason": "照片不符"}, headers=crowd["admin"])
    after = next(e for e in _board(client, crowd)["items"] if e["id"] == student)["points"]
    assert after == before - one["points"]


def test_an_admin_of_another_school_cannot_void_a_student(app, client, auth, crowd):
    other = make_zone(app, "publicity", type="school")
    assert_error(
        _void_student(client, crowd, crowd["ids"][0], headers=_school_admin(auth, other)), 403, "not_this_school"
    )


def test_an_admin_of_another_school_cannot_void_a_check_in(app, client, auth, crowd):
    other = make_zone(app, "publicity", type="school")
    one = _checkins(client, crowd)["items"][0]
    response = client.post(
        f"/api/admin/v1/checkins/{one['id']}/void", json={"reason": "越权"}, headers=_school_admin(auth, other)
    )
    assert_error(response, 403, "not_this_school")


def test_an_admin_of_another_school_leaves_the_board_alone(app, client, auth, crowd):
    before = _board(client, crowd)
    other = make_zone(app, "publicity", type="school")
    _void_student(client, crowd, crowd["ids"][0], headers=_school_admin(auth, other))
    assert _board(client, crowd) == before


def test_voiding_a_student_not_in_the_campaign_is_404(app, client, auth, crowd):
    outsider = _user_id(client, auth.wechat_headers("outsider"))
    assert_error(_void_student(client, crowd, outsider), 404, "not_found")


def test_voiding_an_unknown_check_in_is_404(app, client, crowd):
    response = client.post("/api/admin/v1/checkins/999999/void", json={"reason": "不存在"}, headers=crowd["admin"])
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 201}])
def test_voiding_without_a_reason_is_422(app, client, crowd, body):
    response = client.post(
        f"/api/admin/v1/campaigns/{crowd['campaign']}/students/{crowd['ids'][0]}/void",
        json=body,
        headers=crowd["admin"],
    )
    assert_error(response, 422, "validation_error")


def test_a_student_cannot_void(app, client, crowd):
    response = _void_student(client, crowd, crowd["ids"][0], headers=crowd["students"][1])
    assert_error(response, 401, "token_wrong_audience")


def test_a_voided_check_in_cannot_be_confirmed(app, client, crowd):
    one = _checkins(client, crowd)["items"][0]
    client.post(f"/api/admin/v1/checkins/{one['id']}/void", json={"reason": "照片不符"}, headers=crowd["admin"])
    assert_error(
        client.post(f"/api/admin/v1/checkins/{one['id']}/confirm", headers=crowd["admin"]), 409, "checkin_voided"
    )


def test_a_teacher_voids_a_students_check_ins_from_the_console(app, client, crowd):
    from tests.test_console import signed_in

    console = signed_in(app, "school_admin", "teacher-void", school_id=crowd["school"])
    console.get(f"/console/campaigns/{crowd['campaign']}")
    console.post(
        f"/console/campaigns/{crowd['campaign']}/students/{crowd['ids'][0]}/void",
        {"reason": "集中补记刷分", "confirmed": "1"},  # after the page that says how many will be voided
    )
    assert crowd["ids"][0] not in [e["id"] for e in _board(client, crowd)["items"]]


def test_a_teacher_voids_one_check_in_from_the_console(app, client, crowd):
    from tests.test_console import signed_in

    one = _checkins(client, crowd)["items"][0]
    console = signed_in(app, "school_admin", "teacher-void-one", school_id=crowd["school"])
    console.get(f"/console/campaigns/{crowd['campaign']}")
    console.post(f"/console/checkins/{one['id']}/void", {"reason": "照片不符"})
    assert [c["id"] for c in _checkins(client, crowd, voided="true")["items"]] == [one["id"]]


def test_the_console_refuses_a_void_without_a_reason(app, client, crowd):
    from tests.test_console import signed_in

    console = signed_in(app, "school_admin", "teacher-void-bad", school_id=crowd["school"])
    console.get(f"/console/campaigns/{crowd['campaign']}")
    response = console.post(f"/console/campaigns/{crowd['campaign']}/students/{crowd['ids'][0]}/void", {"reason": ""})
    assert response.status_code == 422


def test_the_console_shows_a_voided_check_in_with_its_reason(app, client, crowd):
    from tests.test_console import signed_in, text

    _void_student(client, crowd, crowd["ids"][0], reason="集中补记刷分")
    console = signed_in(app, "school_admin", "teacher-void-view", school_id=crowd["school"])
    assert "已作废：集中补记刷分" in text(console.get(f"/console/campaigns/{crowd['campaign']}"))


def test_a_voided_check_ins_post_leaves_the_wall_for_others(app, client, auth, crowd):
    note = _checkin(client, crowd["students"][1], crowd["campaign"], action="lights_off", quantity=1, note="随手关灯")
    _void_student(client, crowd, crowd["ids"][1])
    wall = client.get(f"/api/mp/v1/campaigns/{crowd['campaign']}/posts", headers=auth.wechat_headers("onlooker")).json
    assert note.json["id"] not in [p["id"] for p in wall["items"]]


def test_a_voided_check_ins_post_stays_visible_to_its_author(app, client, crowd):
    note = _checkin(client, crowd["students"][1], crowd["campaign"], action="lights_off", quantity=1, note="随手关灯")
    _void_student(client, crowd, crowd["ids"][1])
    wall = client.get(f"/api/mp/v1/campaigns/{crowd['campaign']}/posts", headers=crowd["students"][1]).json
    assert note.json["id"] in [p["id"] for p in wall["items"]]
