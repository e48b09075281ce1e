"""Leaderboards on Redis sorted sets with the database as the source of truth, teachers' confirmations
and class actions."""

import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.campaigns import boards
from app.campaigns.models import Campaign, StudentProfile
from app.extensions import db, kv
from tests.campaign_helpers import _checkin, _school_admin, _student
from tests.helpers import assert_error
from tests.kept import kept

BYS = [
    ("student", "per_student"),
    ("class", "per_student"),
    ("class", "participation"),
    ("class", "total"),
    ("school", "per_student"),
]


def _user_id(client, headers):
    return client.get("/api/mp/v1/me", headers=headers).json["id"]


def _confirm_all(app, client, auth, school_id):
    with app.app_context():
        ids = list(db.session.scalars(select(StudentProfile.user_id).where(StudentProfile.school_id == school_id)))
    client.post(
        f"/api/admin/v1/schools/{school_id}/students/confirm",
        json={"user_ids": ids},
        headers=_school_admin(auth, school_id),
    )


@pytest.fixture
def crowd(request, app, client, auth):
    """Five students in two classes (one an under-14 without consent), confirmed, with check-ins.
    Kept (tests/kept.py)."""
    return kept(request, "boards.crowd", lambda: _crowd(app, client, auth, request.getfixturevalue("running")))


def _crowd(app, client, auth, running):
    school_id, campaign_id = running["school"], running["campaign"]
    students = [running["headers"]]
    for name, class_name, band in (
        ("amy", "一班", "14_17"),
        ("bo", "二班", "14_17"),
        ("cy", "二班", "under_14"),
        ("di", "二班", "18_plus"),
    ):
        headers = _student(client, auth, school_id, name, age_band=band, class_name=class_name)
        client.post(f"/api/mp/v1/campaigns/{campaign_id}/join", headers=headers)
        students.append(headers)
    _confirm_all(app, client, auth, school_id)
    for index, headers in enumerate(students):
        _checkin(client, headers, campaign_id, quantity=1 + index % 2)
        _checkin(client, headers, campaign_id, action="double_sided", quantity=1 + index)  # not a commute: any day
    return {**running, "students": students}


def _live_and_database(app, campaign_id, by, metric, viewer_id=None):
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        from app.accounts.models import User

        viewer = db.session.get(User, viewer_id) if viewer_id else None
        return (
            boards.from_redis(campaign, by, viewer, metric, 100),
            boards.from_database(campaign, by, viewer, metric, 100),
        )


@pytest.mark.parametrize(("by", "metric"), BYS)
def test_the_live_board_equals_the_database(app, client, crowd, by, metric):
    viewer = _user_id(client, crowd["students"][3])  # the under-14: hidden, still sees their rank
    live, database = _live_and_database(app, crowd["campaign"], by, metric, viewer)
    assert live == database


def test_the_board_is_in_redis_sorted_sets(app, client, crowd):
    client.get(f"/api/mp/v1/campaigns/{crowd['campaign']}/leaderboard")  # a read builds a board Redis lacks
    with app.app_context():
        members = kv.redis.zcard(boards.Keys(crowd["campaign"]).key("all"))
    assert members == 5


def test_a_board_redis_lost_is_rebuilt_from_the_database_on_the_next_read(app, client, crowd):
    path = f"/api/mp/v1/campaigns/{crowd['campaign']}/leaderboard?by=class"
    before = client.get(path).json
    with app.app_context():
        kv.redis.flushdb()
    assert client.get(path).json == before


def test_check_ins_after_redis_lost_the_board_are_not_lost(app, client, crowd):
    with app.app_context():
        kv.redis.flushdb()
    _checkin(client, crowd["students"][1], crowd["campaign"], action="lights_off", quantity=2)
    live, database = _live_and_database(app, crowd["campaign"], "student", "per_student")
    assert live == database


def test_without_redis_the_board_comes_from_the_database(app, client, make_app, crowd):
    no_redis = make_app(REDIS_URL="redis://127.0.0.1:1/0", RATELIMIT_STORAGE_URI="memory://")
    other = no_redis.test_client()
    written = _checkin(other, crowd["students"][2], crowd["campaign"], action="lights_off", quantity=1)
    assert written.status_code == 201, written.json
    board = other.get(f"/api/mp/v1/campaigns/{crowd['campaign']}/leaderboard").json
    _, database = _live_and_database(app, crowd["campaign"], "student", "per_student")
    assert board["items"] == database["items"][:20]


def test_a_rebuild_catches_up_with_check_ins_made_while_it_read(app, client, crowd, monkeypatch):
    """A rebuild whose read of the database came before a check-in committed (the snapshot is stale
    when written) still ends with the check-in on the board: it catches up after writing."""
    campaign_id = crowd["campaign"]
    with app.app_context():
        stale = boards.snapshot(db.session.get(Campaign, campaign_id))
    _checkin(client, crowd["students"][4], campaign_id, action="lights_off", quantity=3)
    monkeypatch.setattr(boards, "snapshot", lambda campaign: stale)
    with app.app_context():
        boards.rebuild(campaign_id)
    monkeypatch.undo()
    live, database = _live_and_database(app, campaign_id, "class", "per_student")
    assert live == database


def test_the_rebuild_command_leaves_the_live_board_as_it_was(app, client, crowd, runner):
    paths = [f"/api/mp/v1/campaigns/{crowd['campaign']}/leaderboard?by={by}&metric={metric}" for by, metric in BYS]
    before = [client.get(p).json for p in paths]
    assert "rebuilt" in runner.invoke(args=["campaigns", "rebuild-boards"]).output
    assert [client.get(p).json for p in paths] == before


def test_a_student_moving_class_leaves_the_old_class_total(app, client, auth, crowd):
    client.patch("/api/mp/v1/me", json={"class_name": "三班"}, headers=crowd["students"][1])
    live, database = _live_and_database(app, crowd["campaign"], "class", "total")
    assert live == database


def test_opting_out_takes_the_student_off_the_live_board(app, client, crowd):
    me = _user_id(client, crowd["students"][2])
    client.patch("/api/mp/v1/me", json={"public_board": False}, headers=crowd["students"][2])
    board = client.get(f"/api/mp/v1/campaigns/{crowd['campaign']}/leaderboard?top=100").json
    assert me not in [e["id"] for e in board["items"]]


def test_a_live_board_still_showing_someone_hidden_is_rebuilt_on_its_next_read(app, client, crowd):
    """An opt-out whose refresh was lost (the student put back on the public set by hand) is not
    shown: the read sees who may appear and answers from the database."""
    me = _user_id(client, crowd["students"][2])
    path = f"/api/mp/v1/campaigns/{crowd['campaign']}/leaderboard?top=100"
    client.get(path)  # the live board built
    client.patch("/api/mp/v1/me", json={"public_board": False}, headers=crowd["students"][2])
    with app.app_context():
        keys = boards.Keys(crowd["campaign"])
        kv.redis.zadd(keys.key("pub"), {str(me): 10**9})
    board = client.get(path).json
    assert me not in [e["id"] for e in board["items"]]


def test_the_callers_own_rank_is_dense_among_those_shown(app, client, crowd):
    board = client.get(f"/api/mp/v1/campaigns/{crowd['campaign']}/leaderboard?top=1", headers=crowd["students"][3]).json
    above = {
        e["points"]
        for e in client.get(f"/api/mp/v1/campaigns/{crowd['campaign']}/leaderboard?top=100").json["items"]
        if e["points"] > board["me"]["points"]
    }
    assert board["me"]["rank"] == len(above) + 1


@pytest.mark.postgres
@pytest.mark.redis
def test_concurrent_check_ins_and_rebuilds_end_equal_to_the_database(app, client, auth, running):
    """Eight students check in four actions each from threads while rebuilds run: the live board
    equals the database afterwards."""
    school_id, campaign_id = running["school"], running["campaign"]
    students = []
    for n in range(8):
        headers = _student(client, auth, school_id, f"t{n}", class_name=f"{n % 3}班")
        client.post(f"/api/mp/v1/campaigns/{campaign_id}/join", headers=headers)
        students.append(headers)
    _confirm_all(app, client, auth, school_id)
    barrier = threading.Barrier(len(students) + 1)
    errors = []

    def student(headers):
        own = app.test_client()
        barrier.wait()
        for action in ("clean_plate", "lights_off", "double_sided"):  # no commute: any day of the week
            response = _checkin(own, headers, campaign_id, action=action, quantity=1)
            if response.status_code != 201:
                errors.append(response.json)

    def rebuilder():
        barrier.wait()
        with app.app_context():
            for _ in range(5):
                boards.rebuild(campaign_id)

    threads = [threading.Thread(target=student, args=(h,)) for h in students] + [threading.Thread(target=rebuilder)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for by, metric in BYS:
        live, database = _live_and_database(app, campaign_id, by, metric)
        assert (by, metric, live) == (by, metric, database)


# ---- teachers: confirmed check-ins and class actions --------------------------------------------


def _first_checkin(client, auth, crowd):
    listed = client.get(
        f"/api/admin/v1/campaigns/{crowd['campaign']}/checkins?evidence=self",
        headers=_school_admin(auth, crowd["school"]),
    ).json
    return listed["items"][0]


def test_a_teacher_confirmed_check_in_scores_twice_a_self_reported_one(app, client, auth, crowd):
    checkin = _first_checkin(client, auth, crowd)
    confirmed = client.post(
        f"/api/admin/v1/checkins/{checkin['id']}/confirm", headers=_school_admin(auth, crowd["school"])
    )
    assert (confirmed.json["evidence"], confirmed.json["points"]) == ("teacher", checkin["points"] * 2)


def test_a_teacher_confirmation_moves_the_student_on_the_live_board(app, client, auth, crowd):
    checkin = _first_checkin(client, auth, crowd)
    client.post(f"/api/admin/v1/checkins/{checkin['id']}/confirm", headers=_school_admin(auth, crowd["school"]))
    live, database = _live_and_database(app, crowd["campaign"], "student", "per_student")
    assert live == database


def test_confirming_twice_changes_nothing(app, client, auth, crowd):
    checkin = _first_checkin(client, auth, crowd)
    admin = _school_admin(auth, crowd["school"])
    first = client.post(f"/api/admin/v1/checkins/{checkin['id']}/confirm", headers=admin).json
    assert (
        client.post(f"/api/admin/v1/checkins/{checkin['id']}/confirm", headers=admin).json["points"] == first["points"]
    )


def test_another_schools_admin_cannot_confirm(app, client, auth, crowd):
    from tests.factories import make_zone

    other = make_zone(app, "publicity", type="school")
    checkin = _first_checkin(client, auth, crowd)
    assert_error(
        client.post(f"/api/admin/v1/checkins/{checkin['id']}/confirm", headers=_school_admin(auth, other)),
        403,
        "not_this_school",
    )


def _class_action(client, auth, crowd, **overrides):
    body = {"class_name": "二班", "action": "lights_off", "kw": 2.5, "hours": 1, **overrides}
    return client.post(
        f"/api/admin/v1/campaigns/{crowd['campaign']}/class-actions",
        json=body,
        headers=_school_admin(auth, crowd["school"]),
    )


def test_a_class_action_is_kw_times_hours_times_the_factor(app, client, auth, crowd):
    made = _class_action(client, auth, crowd)
    assert (made.status_code, made.json["quantity"], made.json["co2_kg"]) == (
        201,
        2.5,
        float(Decimal("2.5") * Decimal("0.5122")),
    )


def test_a_class_action_is_credited_to_the_class(app, client, auth, crowd):
    path = f"/api/mp/v1/campaigns/{crowd['campaign']}/leaderboard?by=class&metric=total"
    before = {e["name"]: e["points"] for e in client.get(path).json["items"]}
    made = _class_action(client, auth, crowd).json
    after = {e["name"]: e["points"] for e in client.get(path).json["items"]}
    assert after == {**before, "二班": before["二班"] + made["points"]}


def test_a_class_action_keeps_the_live_board_equal_to_the_database(app, client, auth, crowd):
    _class_action(client, auth, crowd)
    live, database = _live_and_database(app, crowd["campaign"], "school", "per_student")
    assert live == database


def test_a_class_action_counts_in_the_class_statistics(app, client, auth, crowd):
    made = _class_action(client, auth, crowd).json
    stats = client.get(
        f"/api/admin/v1/campaigns/{crowd['campaign']}/stats", headers=_school_admin(auth, crowd["school"])
    ).json
    assert next(c for c in stats["per_class"] if c["class_name"] == "二班")["class_actions"] == 1 and made["id"]


def test_the_same_class_action_twice_a_day_is_409(app, client, auth, crowd):
    _class_action(client, auth, crowd)
    assert_error(_class_action(client, auth, crowd), 409, "already_checked_in")


@pytest.mark.parametrize(
    "overrides", [{"kw": 0}, {"hours": 25}, {"class_name": "九班"}, {"action": "walk"}, {"action": "tree_care"}]
)
def test_bad_class_actions_are_422(app, client, auth, crowd, overrides):
    assert_error(_class_action(client, auth, crowd, **overrides), 422, "validation_error")


def test_a_student_cannot_record_a_class_action(app, client, auth, crowd):
    response = client.post(
        f"/api/admin/v1/campaigns/{crowd['campaign']}/class-actions",
        json={"class_name": "二班", "kw": 1, "hours": 1},
        headers=crowd["headers"],
    )
    assert_error(response, 401, "token_wrong_audience")
