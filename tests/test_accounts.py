"""Staff accounts, roles with scopes, the one role check (401 vs 403), user administration."""

import pytest
from sqlalchemy import func, select

from app.accounts import services as accounts
from app.accounts.roles import Department, Role
from app.accounts.scope import zone_types_handled_by
from app.extensions import db
from tests.helpers import assert_error


def test_create_admin_command_and_staff_login(runner, client):
    result = runner.invoke(args=["users", "create-admin", "--username", "root1", "--password", "long-enough-pw"])
    assert result.exit_code == 0, result.output
    assert "created admin root1" in result.output
    response = client.post("/api/admin/v1/auth/login", json={"username": "root1", "password": "long-enough-pw"})
    assert response.status_code == 200
    assert response.json["user"]["roles"] == ["admin"]
    assert response.json["expires_in"] == 12 * 3600
    me = client.get("/api/admin/v1/auth/me", headers={"Authorization": f"Bearer {response.json['token']}"})
    assert me.status_code == 200
    assert me.json["username"] == "root1"


def test_create_admin_refuses_duplicates_and_short_passwords(runner):
    assert (
        runner.invoke(args=["users", "create-admin", "--username", "a1", "--password", "long-enough-pw"]).exit_code == 0
    )
    again = runner.invoke(args=["users", "create-admin", "--username", "a1", "--password", "long-enough-pw"])
    assert again.exit_code != 0
    assert "用户名已存在" in again.output
    short = runner.invoke(args=["users", "create-admin", "--username", "a2", "--password", "short"])
    assert short.exit_code != 0


def test_password_is_hashed(app, runner):
    runner.invoke(args=["users", "create-admin", "--username", "hashme", "--password", "long-enough-pw"])
    with app.app_context():
        from app.extensions import db

        stored = db.session.execute(db.text("SELECT password_hash FROM users WHERE username='hashme'")).scalar()
    assert "long-enough-pw" not in stored
    assert stored.startswith(("scrypt:", "pbkdf2:"))


@pytest.mark.parametrize(
    "body",
    [
        {"username": "nobody", "password": "whatever-password"},
        {"username": "staffer", "password": "wrong-password!"},
    ],
)
def test_staff_login_failures_look_the_same(client, app, body):
    with app.app_context():
        accounts.create_staff_user("staffer", "right-password!", Role.INSTITUTE_STAFF)
    error = assert_error(client.post("/api/admin/v1/auth/login", json=body), 401, "invalid_credentials")
    assert error["message"] == "用户名或密码错误"


def test_wechat_token_does_not_open_the_staff_api(client, auth):
    headers = auth.wechat_headers("citizen1")
    assert_error(client.get("/api/admin/v1/auth/me", headers=headers), 401, "token_wrong_audience")


def test_staff_api_without_token_is_401(client):
    assert_error(client.get("/api/admin/v1/users"), 401, "unauthorized")


def test_staff_token_does_not_open_the_mini_program_api(client, auth):
    staff = auth.staff("admin")
    assert_error(client.get("/api/mp/v1/me", headers=staff), 401, "token_wrong_audience")


def test_staff_token_cannot_book_on_the_mini_program_api(client, auth, app):
    from tests.factories import id_number, make_base, make_slot

    slot_id = make_slot(app, make_base(app))
    visitor = {"name": "张三", "id_number": id_number(), "phone": "13812345678"}
    response = client.post(
        "/api/mp/v1/bookings",
        json={"slot_id": slot_id, "visitors": [visitor]},
        headers={**auth.staff("admin"), "Idempotency-Key": "k"},
    )
    assert_error(response, 401, "token_wrong_audience")


def test_wechat_user_with_a_staff_role_cannot_use_its_token_on_the_staff_api(client, auth, app):
    from tests.factories import make_base

    operator = auth.wechat_operator(make_base(app))
    assert_error(client.get("/api/admin/v1/capacity-alerts", headers=operator), 401, "token_wrong_audience")


def test_require_role_401_vs_403_and_admin_passes_everything(make_app):
    from app.web.auth import require_role

    app = make_app()

    @app.get("/api/admin/v1/only-operators")
    @require_role(Role.BASE_OPERATOR)
    def only_operators():
        return {"ok": True}

    from tests.conftest import Auth

    client = app.test_client()
    helper = Auth(app, client)
    path = "/api/admin/v1/only-operators"
    assert_error(client.get(path), 401, "unauthorized")
    error = assert_error(client.get(path, headers=helper.staff("institute_staff")), 403, "forbidden")
    assert error["details"]["required_roles"] == ["base_operator"]
    assert client.get(path, headers=helper.staff("admin")).status_code == 200
    from tests.factories import make_base

    assert client.get(path, headers=helper.staff("base_operator", base_id=make_base(app))).status_code == 200


def test_scoped_roles_need_their_scope(app):
    with app.app_context():
        for role, field in [
            (Role.BASE_OPERATOR, "base_id"),
            (Role.SCHOOL_ADMIN, "school_id"),
            (Role.DEPARTMENT_OFFICER, "department"),
        ]:
            with pytest.raises(Exception) as caught:
                accounts.create_staff_user(f"u-{role}", "long-enough-pw", role)
            assert field in caught.value.details


def test_department_officer_handles_its_departments_types(app):
    with app.app_context():
        housing = accounts.create_staff_user(
            "housing1", "long-enough-pw", Role.DEPARTMENT_OFFICER, department=Department.HOUSING_CONSTRUCTION
        )
        assert zone_types_handled_by(housing) == {"building", "community"}
        schools = accounts.create_staff_user(
            "edu1", "long-enough-pw", Role.DEPARTMENT_OFFICER, department=Department.EDUCATION
        )
        assert zone_types_handled_by(schools) == {"school"}
        institute = accounts.create_staff_user("inst1", "long-enough-pw", Role.INSTITUTE_STAFF)
        assert zone_types_handled_by(institute) is None


def test_admin_manages_users_and_roles(client, auth):
    admin = auth.staff("admin", username="boss")
    auth.wechat_login("citizen2")
    response = client.post(
        "/api/admin/v1/users",
        json={
            "username": "edu.officer",
            "password": "long-enough-pw",
            "role": "department_officer",
            "department": "education",
            "display_name": "教育局 张科长",
        },
        headers=admin,
    )
    assert response.status_code == 201, response.json
    officer_id = response.json["id"]
    assert [{k: v for k, v in g.items() if k != "id"} for g in response.json["grants"]] == [
        {"role": "department_officer", "department": "education", "base_id": None, "school_id": None, "zone_id": None}
    ]
    # Duplicate username
    dup = client.post(
        "/api/admin/v1/users",
        json={"username": "edu.officer", "password": "long-enough-pw", "role": "institute_staff"},
        headers=admin,
    )
    assert_error(dup, 409, "username_taken")
    # Grant a second role, then the same again
    grant = client.post(f"/api/admin/v1/users/{officer_id}/grants", json={"role": "institute_staff"}, headers=admin)
    assert grant.status_code == 201
    assert set(grant.json["roles"]) == {"department_officer", "institute_staff"}
    again = client.post(f"/api/admin/v1/users/{officer_id}/grants", json={"role": "institute_staff"}, headers=admin)
    assert_error(again, 409, "role_already_granted")
    # A base operator grant without its base
    assert_error(
        client.post(f"/api/admin/v1/users/{officer_id}/grants", json={"role": "base_operator"}, headers=admin),
        422,
        "validation_error",
    )
    assert_error(
        client.post(f"/api/admin/v1/users/{officer_id}/grants", json={"role": "citizen"}, headers=admin),
        422,
        "validation_error",
    )
    # Remove it again
    grant_id = next(g["id"] for g in grant.json["grants"] if g["role"] == "institute_staff")
    removed = client.delete(f"/api/admin/v1/users/{officer_id}/grants/{grant_id}", headers=admin)
    assert removed.status_code == 200
    assert removed.json["roles"] == ["department_officer"]
    # list with filters and the envelope
    page = client.get("/api/admin/v1/users?role=department_officer&per_page=5", headers=admin).json
    assert set(page) == {"items", "page", "per_page", "total"}
    assert page["total"] == 1
    assert page["items"][0]["username"] == "edu.officer"
    assert client.get("/api/admin/v1/users?role=citizen", headers=admin).json["total"] == 1
    assert client.get("/api/admin/v1/users?q=edu.", headers=admin).json["total"] == 1
    assert client.get("/api/admin/v1/users?q=%25", headers=admin).json["total"] == 0  # literal %
    assert client.get("/api/admin/v1/users?q=edu_officer", headers=admin).json["total"] == 0  # literal _


def test_admin_disables_an_account_and_its_tokens_stop(client, auth):
    admin = auth.staff("admin", username="boss2")
    officer = auth.staff("institute_staff", username="inst2")
    officer_id = client.get("/api/admin/v1/auth/me", headers=officer).json["id"]
    assert (
        client.patch(f"/api/admin/v1/users/{officer_id}", json={"is_active": False}, headers=admin).status_code == 200
    )
    assert_error(client.get("/api/admin/v1/auth/me", headers=officer), 401, "account_disabled")
    me_id = client.get("/api/admin/v1/auth/me", headers=admin).json["id"]
    assert_error(
        client.patch(f"/api/admin/v1/users/{me_id}", json={"is_active": False}, headers=admin),
        409,
        "cannot_disable_self",
    )


def test_remove_grant_and_not_own_admin(client, auth):
    admin = auth.staff("admin", username="boss3")
    me = client.get("/api/admin/v1/auth/me", headers=admin).json
    own_grant = me["grants"][0]
    assert own_grant["role"] == "admin"
    assert_error(
        client.delete(f"/api/admin/v1/users/{me['id']}/grants/{own_grant['id']}", headers=admin),
        409,
        "cannot_remove_own_admin",
    )
    assert client.get(f"/api/admin/v1/users/{me['id']}", headers=admin).json["roles"] == ["admin"]
    assert_error(client.delete(f"/api/admin/v1/users/{me['id']}/grants/999999", headers=admin), 404, "not_found")
    assert_error(client.get("/api/admin/v1/users/999999", headers=admin), 404, "not_found")


@pytest.mark.parametrize("query", ["per_page=0", "per_page=1000", "page=0", "page=abc", "role=ADMIN"])
def test_bad_list_arguments(client, auth, query):
    admin = auth.staff("admin")
    error = assert_error(client.get(f"/api/admin/v1/users?{query}", headers=admin), 422, "validation_error")
    assert query.split("=")[0] in error["details"]


def test_page_past_the_end_is_empty(client, auth):
    admin = auth.staff("admin")
    page = client.get("/api/admin/v1/users?page=50", headers=admin).json
    assert page["items"] == []
    assert page["total"] == 1
    assert page["page"] == 50


def _staff_login(client, username, password):
    return client.post("/api/admin/v1/auth/login", json={"username": username, "password": password})


def test_repeated_wrong_passwords_lock_the_account(client, auth):
    auth.staff("institute_staff", username="locked-officer")
    for _ in range(5):
        assert_error(_staff_login(client, "locked-officer", "wrong-password!"), 401, "invalid_credentials")
    locked = _staff_login(client, "locked-officer", "correct-horse-battery")  # even the right one
    error = assert_error(locked, 429, "account_locked")
    assert 0 < error["details"]["retry_after_seconds"] <= 61
    assert abs(int(locked.headers["Retry-After"]) - error["details"]["retry_after_seconds"]) <= 1


def test_lockout_backs_off_and_a_success_starts_afresh(client, auth, app):
    from datetime import timedelta

    from app.accounts.models import LoginLockout
    from app.db_types import utcnow

    auth.staff("institute_staff", username="backoff-officer")

    def unlock_now():
        with app.app_context():
            for lockout in db.session.scalars(select(LoginLockout)):
                lockout.locked_until = utcnow() - timedelta(seconds=1)
            db.session.commit()

    for _ in range(5):
        _staff_login(client, "backoff-officer", "wrong-password!")
    unlock_now()
    _staff_login(client, "backoff-officer", "wrong-password!")  # the sixth failure: two minutes now
    error = assert_error(_staff_login(client, "backoff-officer", "correct-horse-battery"), 429, "account_locked")
    assert error["details"]["retry_after_seconds"] > 61
    unlock_now()
    assert _staff_login(client, "backoff-officer", "correct-horse-battery").status_code == 200
    assert_error(_staff_login(client, "backoff-officer", "wrong-password!"), 401, "invalid_credentials")
    assert _staff_login(client, "backoff-officer", "correct-horse-battery").status_code == 200


def test_production_hashes_passwords_with_scrypt(tmp_path):
    from app.config import load_config

    assert load_config(tmp_path, {})["PASSWORD_HASH_METHOD"] == "scrypt"


# ---- the lock-out: the same for unknown usernames, per client address, and undone by a command ----


def _fail(client, username, times, address="198.51.100.1"):
    for _ in range(times):
        client.post(
            "/api/admin/v1/auth/login",
            json={"username": username, "password": "wrong-password!"},
            environ_base={"REMOTE_ADDR": address},
        )


RIGHT_PASSWORD = "correct-horse-battery"  # noqa: S105 - the test accounts' password


def _login_from(client, username, password=RIGHT_PASSWORD, address="198.51.100.1"):
    return client.post(
        "/api/admin/v1/auth/login",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


@pytest.fixture
def frozen_clock(monkeypatch):
    """Login answers computed at one fixed moment, so two of them can be compared to the second."""
    from app.accounts import services
    from app.db_types import utcnow

    moment = utcnow()
    monkeypatch.setattr(services, "utcnow", lambda: moment)
    return moment


def _answer(response):
    return response.status_code, response.json, response.headers.get("Retry-After")


def test_an_unknown_username_gets_the_same_wrong_password_answers(client, auth, frozen_clock):
    auth.staff("institute_staff", username="known-officer")
    known, unknown = [], []
    for _ in range(4):
        known.append(_login_from(client, "known-officer", "wrong-password!"))
        unknown.append(_login_from(client, "nobody-here", "wrong-password!"))
    assert [(r.status_code, r.json) for r in unknown] == [(r.status_code, r.json) for r in known]


def test_an_unknown_username_is_locked_out_like_a_known_one(client, auth, frozen_clock):
    auth.staff("institute_staff", username="known-officer")
    _fail(client, "known-officer", 5)
    _fail(client, "nobody-here", 5)
    assert _answer(_login_from(client, "nobody-here")) == _answer(_login_from(client, "known-officer"))


def test_an_unknown_username_locked_out_is_429(client, frozen_clock):
    _fail(client, "nobody-here", 5)
    error = assert_error(_login_from(client, "nobody-here"), 429, "account_locked")
    assert error["details"]["retry_after_seconds"] > 0


def test_a_locked_out_unknown_username_says_retry_after(client, frozen_clock):
    _fail(client, "nobody-here", 5)
    assert int(_login_from(client, "nobody-here").headers["Retry-After"]) > 0


def test_guessing_from_another_address_does_not_lock_the_only_admin_out(client, auth):
    auth.staff("admin", username="only-admin")
    _fail(client, "only-admin", 20, address="203.0.113.66")
    assert _login_from(client, "only-admin", address="198.51.100.1").status_code == 200


def test_the_guessing_address_itself_is_locked_out(client, auth):
    auth.staff("admin", username="only-admin")
    _fail(client, "only-admin", 5, address="203.0.113.66")
    assert_error(_login_from(client, "only-admin", address="203.0.113.66"), 429, "account_locked")


def test_the_unlock_command_lets_a_locked_out_admin_back_in(app, client, auth):
    auth.staff("admin", username="only-admin")
    _fail(client, "only-admin", 8)
    result = app.test_cli_runner().invoke(args=["users", "unlock", "--username", "only-admin"])
    assert result.exit_code == 0, result.output
    assert _login_from(client, "only-admin").status_code == 200


def test_the_unlock_command_lifts_the_locks_of_every_address(app, client, auth):
    auth.staff("admin", username="only-admin")
    for address in ("198.51.100.1", "198.51.100.2"):
        _fail(client, "only-admin", 5, address=address)
    app.test_cli_runner().invoke(args=["users", "unlock", "--username", "only-admin"])
    assert [_login_from(client, "only-admin", address=a).status_code for a in ("198.51.100.1", "198.51.100.2")] == [
        200,
        200,
    ]


def test_a_lock_ends_by_itself(app, client, auth, monkeypatch):
    from datetime import timedelta

    from app.accounts import services
    from app.db_types import utcnow

    auth.staff("admin", username="only-admin")
    _fail(client, "only-admin", 5)
    later = utcnow() + services.LOCKOUT_FIRST + timedelta(seconds=2)
    monkeypatch.setattr(services, "utcnow", lambda: later)
    assert _login_from(client, "only-admin").status_code == 200


def test_no_lock_lasts_longer_than_the_maximum(app, client, auth):
    from app.accounts import services
    from app.accounts.models import LoginLockout

    _fail(client, "nobody-here", 40)
    with app.app_context():
        lockout = db.session.scalar(select(LoginLockout))
        assert lockout.locked_until - lockout.last_failure_at <= services.LOCKOUT_MAX


def test_lockouts_keep_neither_the_username_nor_the_address(app, client):
    from sqlalchemy import text

    _fail(client, "typed-a-password-here", 1, address="203.0.113.99")
    with app.app_context():
        row = db.session.execute(text("SELECT username_key, client_key FROM login_lockouts")).one()
    assert not {"typed-a-password-here", "203.0.113.99"} & {row.username_key, row.client_key}


def test_old_login_failures_are_purged(app, client, runner):
    from datetime import timedelta

    from app.accounts.models import LoginLockout
    from app.db_types import utcnow

    _fail(client, "nobody-here", 2)
    with app.app_context():
        lockout = db.session.scalar(select(LoginLockout))
        lockout.last_failure_at = utcnow() - timedelta(days=2)
        db.session.commit()
    runner.invoke(args=["privacy", "purge"])
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginLockout)) == 0


def test_recent_login_failures_are_kept_by_the_purge(app, client, runner):
    from app.accounts.models import LoginLockout

    _fail(client, "nobody-here", 2)
    runner.invoke(args=["privacy", "purge"])
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginLockout)) == 1


def test_a_success_forgets_the_failures_of_its_address(client, auth):
    auth.staff("institute_staff", username="known-officer")
    _fail(client, "known-officer", 4)
    _login_from(client, "known-officer")
    error = assert_error(_login_from(client, "known-officer", "wrong-password!"), 401, "invalid_credentials")
    assert error["details"]["attempts_before_lockout"] == 4
