"""Who others may see in a campaign (issue 20, items 2 and 3): minors' posts are sealed everywhere,
and who a student is, the school says. One rule (services.others_may_see) for boards, posts and
every endpoint that names a post; an age band raised from under 14 and a declared school wait for
the school's confirmation."""

import json

import pytest

from app.campaigns import boards
from app.extensions import db, kv
from tests.campaign_helpers import _campaign, _checkin, _confirm, _school_admin, _student
from tests.factories import make_zone
from tests.helpers import assert_error
from tests.kept import kept

MP = "/api/mp/v1"
HIDDEN = ("kid", "optout", "declarer", "raiser")  # nicknames (and note prefixes) others must never see


def _me(client, headers):
    return client.get(f"{MP}/me", headers=headers).json


def _join(client, headers, campaign_id):
    return client.post(f"{MP}/campaigns/{campaign_id}/join", headers=headers)


def _post(client, headers, campaign_id, note, action="clean_plate"):
    done = _checkin(client, headers, campaign_id, action=action, note=note)
    assert done.status_code == 201, done.json
    return done.json["id"]


def _board_names(client, campaign_id, headers=None, by="student"):
    board = client.get(f"{MP}/campaigns/{campaign_id}/leaderboard?by={by}&top=100", headers=headers or {}).json
    return [e["name"] for e in board["items"]]


@pytest.fixture
def sealed(request, app, client, auth):
    """A school-only and an open campaign of the school, each with posts by students others must not
    see: an under-14 without consent, one who opted out, one who declared the school without its
    confirmation, one who raised their age band from under 14 without it; and a post the school hid.
    `stu` (confirmed, 14–17) is shown: the sweep can see something. Kept (tests/kept.py)."""
    return kept(request, "sealed", lambda: _sealed(app, client, auth, request.getfixturevalue("running")))


def _sealed(app, client, auth, running):
    school_id, closed = running["school"], running["campaign"]
    opened = _campaign(client, auth, school_id, audience="anyone")
    other = make_zone(app, "publicity", type="school")
    stu = running["headers"]
    _join(client, stu, opened)
    posts = {"shown": [_post(client, stu, closed, "shown-note"), _post(client, stu, opened, "shown-note")]}
    posts["school_hidden"] = [
        # Not a commute (counted on school days only): the fixture is built any day of the week.
        _post(client, stu, closed, "school-hidden-note", action="double_sided"),
        _post(client, stu, opened, "school-hidden-note", action="double_sided"),
    ]
    for post in posts["school_hidden"]:
        hidden = client.post(
            f"/api/admin/v1/posts/{post}/hide",
            json={"reason": "含有同学的照片"},
            headers=_school_admin(auth, school_id),
        )
        assert hidden.status_code == 200, hidden.json

    # Each confirmed by the school; the declarer by another school, whose students may join open campaigns.
    students = {
        "kid": _student(client, auth, school_id, "kid", age_band="under_14"),
        "optout": _student(client, auth, school_id, "optout", public_board=False),
        "raiser": _student(client, auth, school_id, "raiser", age_band="under_14"),
        "declarer": _student(client, auth, other, "declarer"),
    }
    for name, headers in students.items():
        campaigns = [opened] if name == "declarer" else [closed, opened]
        for campaign_id in campaigns:
            assert _join(client, headers, campaign_id).status_code == 204
        posts[name] = [_post(client, headers, c, f"{name}-note") for c in campaigns]
    # The school has not confirmed these yet: an age band raised from under 14, a school declared.
    assert client.patch(f"{MP}/me", json={"age_band": "18_plus"}, headers=students["raiser"]).status_code == 200
    assert client.patch(f"{MP}/me", json={"school_id": school_id}, headers=students["declarer"]).status_code == 200
    other_class = client.post(
        f"/api/admin/v1/schools/{other}/classes", json={"name": "外校一班"}, headers=_school_admin(auth, other)
    ).json
    return {
        **running,
        "open": opened,
        "other": other,
        "posts": posts,
        "students": students,
        "other_join_code": other_class["join_code"],
    }


# ---- every operation that returns a post, a nickname or a board entry, as an outsider ------------


def _resolve(spec, node, seen):
    ref = node.get("$ref")
    if ref is None:
        return node
    if ref in seen:
        return {}
    seen.add(ref)
    return spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def _names_a_student(spec, node, seen=None) -> bool:
    """Whether a response schema holds a field that names a student (marked x-names-student; or a
    nickname however it is marked)."""
    seen = set() if seen is None else seen
    node = _resolve(spec, node, seen)
    for name, prop in node.get("properties", {}).items():
        if name == "nickname" or prop.get("x-names-student") or _names_a_student(spec, prop, seen):
            return True
    children = [node.get("items"), node.get("additionalProperties")] + node.get("allOf", []) + node.get("anyOf", [])
    return any(isinstance(c, dict) and _names_a_student(spec, c, seen) for c in children)


def _mp_operations(spec):
    for path, operations in spec["paths"].items():
        if path.startswith(MP):
            for method, operation in operations.items():
                if method != "parameters":
                    yield method.upper(), path.removeprefix(MP), operation


def _success(operation):
    return {s: r for s, r in operation["responses"].items() if s.startswith("2")}


def _schemas(operation):
    return [c["schema"] for r in _success(operation).values() for c in r.get("content", {}).values() if "schema" in c]


def _naming_operations(spec) -> set[tuple[str, str]]:
    """Operations that answer a post, a nickname or a board entry, or name a post in their path."""
    return {
        (method, path)
        for method, path, operation in _mp_operations(spec)
        if "/posts/" in path or any(_names_a_student(spec, s) for s in _schemas(operation))
    }


# Answers without a JSON schema, so the sweep cannot read them: files, none names a student.
UNDESCRIBED = {("GET", "/opendata/zones.csv"), ("GET", "/opendata/zones.geojson"), ("GET", "/opendata/indicators.csv")}


def test_every_mini_program_answer_is_described_so_the_sweep_sees_it(client):
    """A new operation answering JSON without a schema would escape the outsider sweep below."""
    spec = client.get("/api/openapi.json").json
    undescribed = {
        (method, path)
        for method, path, operation in _mp_operations(spec)
        if not _schemas(operation) and set(_success(operation)) != {"204"}
    }
    assert undescribed == UNDESCRIBED


def _mate(client, auth, sealed, name):
    """A confirmed student of the sealed campaigns' school."""
    return _student(client, auth, sealed["school"], name)


def _calls(client, auth, sealed):
    """Each operation that names students or posts, called as a confirmed schoolmate of the hidden
    students (posts are for the school: no one sees more of them) and anonymously where it allows:
    the answers to sweep."""
    outsider = _mate(client, auth, sealed, "outsider")
    campaigns = [sealed["campaign"], sealed["open"]]
    hidden_posts = [p for kind in (*HIDDEN, "school_hidden") for p in sealed["posts"][kind]]

    def boards_(who):
        return [
            client.get(f"{MP}/campaigns/{c}/leaderboard?by={by}&top=100", headers=who)
            for c in campaigns
            for by in ("student", "class", "school")
        ]

    return {
        ("POST", "/auth/login"): lambda: [client.post(f"{MP}/auth/login", json={"code": "outsider:login"})],
        ("GET", "/me"): lambda: [client.get(f"{MP}/me", headers=outsider)],
        ("PATCH", "/me"): lambda: [client.patch(f"{MP}/me", json={"display_name": "路人"}, headers=outsider)],
        ("GET", "/campaigns/{campaign_id}/leaderboard"): lambda: boards_({}) + boards_(outsider),
        ("GET", "/campaigns/{campaign_id}/posts"): lambda: [
            client.get(f"{MP}/campaigns/{c}/posts?per_page=100", headers=h) for c in campaigns for h in ({}, outsider)
        ],
        ("POST", "/posts/{checkin_id}/reports"): lambda: [
            client.post(f"{MP}/posts/{p}/reports", json={"reason": "不当内容"}, headers=outsider) for p in hidden_posts
        ],
        # A child is named to a guardian only through the code the child shared (test_guardian_consent);
        # without it, and for consents not one's own, nothing.
        ("GET", "/guardian-links/{code}"): lambda: [client.get(f"{MP}/guardian-links/guessed-code", headers=outsider)],
        ("POST", "/guardian-consents"): lambda: [
            client.post(
                f"{MP}/guardian-consents", json={"code": "guessed-code", "relationship": "mother"}, headers=outsider
            )
        ],
        ("GET", "/guardian-consents"): lambda: [client.get(f"{MP}/guardian-consents", headers=outsider)],
        ("DELETE", "/guardian-consents/{consent_id}"): lambda: [
            client.delete(f"{MP}/guardian-consents/{i}", headers=outsider) for i in (1, 2)
        ],
        # Last: it moves the viewer to another school's class.
        ("POST", "/me/class"): lambda: [
            client.post(f"{MP}/me/class", json={"join_code": sealed["other_join_code"]}, headers=outsider)
        ],
    }


@pytest.fixture(scope="module")
def _swept() -> dict:
    return {}


@pytest.fixture
def sweep(request, _swept):
    """The answers an outsider gets, swept once per module: building the world takes seconds and the
    tests below only read the answers (plain data; the world is cleaned away after the first)."""
    if not _swept:
        client, auth = request.getfixturevalue("client"), request.getfixturevalue("auth")
        calls = _calls(client, auth, request.getfixturevalue("sealed"))
        answers = [r for call in calls.values() for r in call()]
        _swept.update(
            spec=client.get("/api/openapi.json").json,
            operations=set(calls),
            text="\n".join(r.get_data(as_text=True) for r in answers),
        )
    return _swept


def test_the_sweep_calls_every_operation_that_names_students_or_posts(sweep):
    assert _naming_operations(sweep["spec"]) == sweep["operations"]


def test_the_sweep_sees_the_student_others_may_see(sweep):
    assert ("shown-note" in sweep["text"], '"stu"' in sweep["text"]) == (True, True)


@pytest.mark.parametrize("name", HIDDEN)
def test_an_outsider_never_sees_a_hidden_students_nickname(sweep, name):
    assert f'"{name}"' not in sweep["text"]


@pytest.mark.parametrize("name", HIDDEN)
def test_an_outsider_never_sees_a_hidden_students_posts(sweep, name):
    assert f"{name}-note" not in sweep["text"]


@pytest.mark.parametrize("which", ["campaign", "open"])
def test_someone_not_of_the_school_sees_no_post(client, auth, sealed, which):
    # What students share is for their school (docs/privacy.md), in an open campaign too.
    outsider = auth.wechat_headers("passer-by")
    assert client.get(f"{MP}/campaigns/{sealed[which]}/posts", headers=outsider).json["items"] == []


def test_an_outsider_never_sees_a_post_the_school_hid(sweep):
    assert "school-hidden-note" not in sweep["text"]


# ---- reports ---------------------------------------------------------------------------------------


def _report(client, headers, post_id):
    return client.post(f"{MP}/posts/{post_id}/reports", json={"reason": "不当内容"}, headers=headers)


@pytest.mark.parametrize("kind", ["kid", "optout", "declarer", "raiser", "school_hidden"])
def test_a_report_of_a_post_one_cannot_see_is_the_404_of_a_post_that_does_not_exist(client, auth, sealed, kind):
    outsider = _mate(client, auth, sealed, "reporter")
    missing = _report(client, outsider, 2_000_000_000).json
    response = _report(client, outsider, sealed["posts"][kind][-1])
    assert (response.status_code, response.json) == (404, missing)


def test_a_report_of_a_post_that_does_not_exist_is_404(client, auth, sealed):
    assert_error(_report(client, _mate(client, auth, sealed, "reporter"), 2_000_000_000), 404, "not_found")


def test_a_report_answers_no_more_than_that_it_was_reported(client, auth, sealed):
    response = _report(client, _mate(client, auth, sealed, "reporter"), sealed["posts"]["shown"][0])
    assert (response.status_code, response.json) == (201, {"reported": True})


def test_a_hidden_post_counts_no_report(app, client, auth, sealed):
    from app.campaigns.models import ActionCheckin

    post_id = sealed["posts"]["kid"][0]
    _report(client, _mate(client, auth, sealed, "reporter"), post_id)
    with app.app_context():
        assert db.session.get(ActionCheckin, post_id).report_count == 0


def test_the_author_still_sees_their_own_hidden_post(client, sealed):
    own = client.get(f"{MP}/campaigns/{sealed['campaign']}/posts", headers=sealed["students"]["kid"]).json["items"]
    assert "kid-note" in [p["note"] for p in own]


# ---- boards follow the rule, the live copy too -----------------------------------------------------


@pytest.mark.parametrize("which", ["campaign", "open"])
def test_boards_list_only_the_students_others_may_see(client, sealed, which):
    assert _board_names(client, sealed[which]) == ["stu"]


def test_a_live_board_that_missed_a_change_does_not_show_the_hidden_student(app, client, sealed):
    """A refresh lost after a profile change (Redis briefly away) leaves a hidden student in the live
    public set: the next read notices, rebuilds, and answers from the database."""
    campaign_id = sealed["campaign"]
    _board_names(client, campaign_id)  # built
    kid = _me(client, sealed["students"]["kid"])["id"]
    with app.app_context():
        kv.redis.zadd(boards.Keys(campaign_id).key("pub"), {str(kid): 10_000})
    assert "kid" not in _board_names(client, campaign_id)


def test_a_student_who_moved_school_leaves_the_school_only_board(client, auth, sealed):
    stu = sealed["headers"]
    client.patch(f"{MP}/me", json={"school_id": sealed["other"]}, headers=stu)
    _confirm(client, auth, sealed["other"], _me(client, stu)["id"])
    assert "stu" not in _board_names(client, sealed["campaign"])


def test_a_student_who_moved_school_checks_in_no_more_in_the_old_schools_campaign(client, auth, sealed):
    stu = sealed["headers"]
    client.patch(f"{MP}/me", json={"school_id": sealed["other"]}, headers=stu)
    assert_error(_checkin(client, stu, sealed["campaign"], action="lights_off"), 403, "not_this_school")


# ---- who a student is, the school says ---------------------------------------------------------------


def test_a_raised_age_band_waits_for_the_school(client, sealed):
    student = _me(client, sealed["students"]["raiser"])["student"]
    assert (student["age_band"], student["pending_age_band"], student["on_public_boards"]) == (
        "under_14",
        "18_plus",
        False,
    )


def test_a_raised_age_band_keeps_the_student_off_public_boards(client, sealed):
    assert "raiser" not in _board_names(client, sealed["open"])


def test_the_schools_confirmation_applies_the_raised_age_band(client, auth, sealed):
    raiser = sealed["students"]["raiser"]
    _confirm(client, auth, sealed["school"], _me(client, raiser)["id"])
    student = _me(client, raiser)["student"]
    assert (student["age_band"], student["pending_age_band"], "raiser" in _board_names(client, sealed["open"])) == (
        "18_plus",
        None,
        True,
    )


def _join_second_class(client, auth, sealed):
    code = client.post(
        f"/api/admin/v1/schools/{sealed['school']}/classes",
        json={"name": "二班"},
        headers=_school_admin(auth, sealed["school"]),
    ).json["join_code"]
    return client.post(f"{MP}/me/class", json={"join_code": code}, headers=sealed["students"]["raiser"]).json


def test_a_class_code_confirms_the_class(client, auth, sealed):
    assert _join_second_class(client, auth, sealed)["confirmed"] is True


def test_a_class_code_leaves_a_raised_age_band_to_the_school(client, auth, sealed):
    # The code goes to the whole class: it says nothing of one child's age.
    joined = _join_second_class(client, auth, sealed)
    assert (joined["age_band"], joined["pending_age_band"]) == ("under_14", "18_plus")


def test_a_class_code_does_not_put_a_child_declaring_18_plus_on_public_boards(client, auth, sealed):
    _join_second_class(client, auth, sealed)
    assert "raiser" not in _board_names(client, sealed["open"])


def test_a_new_student_declaring_an_age_band_above_14_waits_for_the_school(client, auth, school):
    headers = _student(client, auth, school, "newbie", age_band="14_17", confirm=False)
    student = _me(client, headers)["student"]
    assert (student["age_band"], student["pending_age_band"], student["confirmed"]) == ("under_14", "14_17", False)


def test_lowering_ones_age_band_takes_the_student_off_boards_at_once(client, sealed):
    stu = sealed["headers"]
    client.patch(f"{MP}/me", json={"age_band": "under_14"}, headers=stu)
    assert (_me(client, stu)["student"]["age_band"], _board_names(client, sealed["campaign"])) == ("under_14", [])


def test_lowering_drops_a_pending_raise(client, sealed):
    raiser = sealed["students"]["raiser"]
    client.patch(f"{MP}/me", json={"age_band": "under_14"}, headers=raiser)
    assert _me(client, raiser)["student"]["pending_age_band"] is None


def test_leaving_public_boards_takes_effect_at_once(client, sealed):
    client.patch(f"{MP}/me", json={"public_board": False}, headers=sealed["headers"])
    assert _board_names(client, sealed["open"]) == []


def test_a_declared_school_is_not_confirmed(client, sealed):
    student = _me(client, sealed["students"]["declarer"])["student"]
    assert (student["school_id"], student["confirmed"], student["on_public_boards"]) == (sealed["school"], False, False)


def test_a_declared_school_opens_none_of_its_school_only_campaigns(client, sealed):
    response = _join(client, sealed["students"]["declarer"], sealed["campaign"])
    assert_error(response, 403, "not_confirmed")


def test_the_schools_confirmation_opens_its_school_only_campaigns(client, auth, sealed):
    declarer = sealed["students"]["declarer"]
    _confirm(client, auth, sealed["school"], _me(client, declarer)["id"])
    assert _join(client, declarer, sealed["campaign"]).status_code == 204


def test_a_student_the_school_has_not_confirmed_cannot_check_in_a_school_only_campaign(client, auth, sealed):
    stu = sealed["headers"]
    client.patch(f"{MP}/me", json={"class_name": "三班"}, headers=stu)  # a new class: the school confirms it again
    assert_error(_checkin(client, stu, sealed["campaign"], action="lights_off"), 403, "not_confirmed")


def test_the_school_admin_sees_what_waits_for_confirmation(client, auth, sealed):
    listed = client.get(
        f"/api/admin/v1/schools/{sealed['school']}/students?awaiting=true",
        headers=_school_admin(auth, sealed["school"]),
    ).json["items"]
    assert sorted((s["nickname"], s["confirmed"], s["pending_age_band"]) for s in listed) == [
        ("declarer", False, None),
        ("raiser", True, "18_plus"),
    ]


def test_confirming_again_from_the_list_applies_only_the_pending_band(client, auth, sealed):
    ids = [_me(client, h)["id"] for h in (sealed["headers"], sealed["students"]["raiser"])]
    assert _confirm(client, auth, sealed["school"], *ids) == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"age_band": "adult"}, 422, "validation_error"),
        ({"age_band": 18}, 422, "validation_error"),
        ({"school_id": 2_000_000_000}, 404, "not_found"),
    ],
)
def test_bad_profile_changes_are_refused(client, sealed, body, status, code):
    assert_error(client.patch(f"{MP}/me", json=body, headers=sealed["headers"]), status, code)


# ---- what staff read ---------------------------------------------------------------------------------


def _csv_nicknames(client, headers, campaign_id):
    body = client.get(f"/api/admin/v1/campaigns/{campaign_id}/checkins.csv", headers=headers).get_data(as_text=True)
    return {line.split(",")[3] for line in body.splitlines()[1:]}


def test_the_education_department_gets_no_nickname_of_a_minor_without_consent(client, auth, sealed):
    officer = auth.staff("department_officer", department="education")
    assert "kid" not in _csv_nicknames(client, officer, sealed["campaign"])


def test_the_education_department_gets_other_nicknames(client, auth, sealed):
    officer = auth.staff("department_officer", department="education")
    assert "stu" in _csv_nicknames(client, officer, sealed["campaign"])


def test_the_schools_own_admin_gets_every_nickname(client, auth, sealed):
    assert "kid" in _csv_nicknames(client, _school_admin(auth, sealed["school"]), sealed["campaign"])


def test_the_console_shows_the_school_admin_a_declared_age_band(app, client, sealed):
    from tests.test_console import signed_in, text

    console = signed_in(app, "school_admin", "teacher-bands", school_id=sealed["school"])
    page = text(console.get(f"/console/schools/{sealed['school']}?awaiting=1"))  # the staff API's filter
    assert "学生申报 18 岁以上，确认后生效" in page


def test_the_openapi_document_says_a_report_answers_reported(client):
    operation = client.get("/api/openapi.json").json["paths"][f"{MP}/posts/{{checkin_id}}/reports"]["post"]
    schema = operation["responses"]["201"]["content"]["application/json"]["schema"]
    assert json.dumps(schema) == json.dumps({"$ref": "#/components/schemas/ReportedOut"})


# ---- the migration -------------------------------------------------------------------------------------


def test_the_migration_makes_unconfirmed_students_declared_bands_pending(tmp_path, make_app):
    from flask_migrate import upgrade
    from sqlalchemy import text

    from tests.test_migrations import _insert

    fresh = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'bands.sqlite3'}")
    with fresh.app_context():
        upgrade(revision="0013_checkin_costs")
        with db.engine.begin() as conn:
            district = conn.execute(text("SELECT id FROM districts LIMIT 1")).scalar()
            _insert(conn, "zones", id=3, name="长春市第一实验小学", type="school", district_id=district)
            for user_id, confirmed in ((7, None), (8, "2026-11-01")):
                _insert(conn, "users", id=user_id, openid=f"o_{user_id}")
                _insert(
                    conn,
                    "student_profiles",
                    user_id=user_id,
                    school_id=3,
                    age_band="18_plus",
                    public_board=True,
                    confirmed_at=confirmed,
                )
        upgrade(revision="0014_student_confirmation")
        with db.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT user_id, age_band, pending_age_band FROM student_profiles ORDER BY user_id")
            )
            bands = [tuple(row) for row in rows]
    assert bands == [(7, "under_14", "18_plus"), (8, "18_plus", None)]


@pytest.mark.parametrize("typed", ["lower", "spaced", "hyphenated", "full-width"])
def test_a_class_code_is_taken_as_a_phone_types_it(client, auth, sealed, typed):
    code = client.post(
        f"/api/admin/v1/schools/{sealed['school']}/classes",
        json={"name": "三班"},
        headers=_school_admin(auth, sealed["school"]),
    ).json["join_code"]
    variants = {
        "lower": code.lower(),
        "spaced": f" {code[:4]} {code[4:]} ",
        "hyphenated": f"{code[:4]}-{code[4:]}",
        "full-width": "".join(chr(ord(c) + 0xFEE0) for c in code),
    }
    joined = client.post(f"{MP}/me/class", json={"join_code": variants[typed]}, headers=sealed["students"]["raiser"])
    assert joined.json["class_name"] == "三班"
