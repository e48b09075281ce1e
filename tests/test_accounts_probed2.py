"""What a tester found probing staff accounts and the text staff write: a reporter's one zone, grants
that keep only their role's scope, disabling that ends every session, control and bidi characters,
the article audit, ASCII-only numbers, case-insensitive usernames, the console's redirect after
sign-in, and a target above the baseline."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.factories import make_base, make_zone
from tests.helpers import assert_error
from tests.progress_helpers import ADMIN, PASSWORD, confirmed_zone, today
from tests.test_console import Console, console_of, signed_in, staff_account, text


def user_id_of(app, username: str) -> int:
    from app.accounts.models import User

    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def grant(client, admin, user_id, **body):
    return client.post(f"{ADMIN}/users/{user_id}/grants", json=body, headers=admin)


# ---- 1. a reporter's one zone, and only the role's scope ------------------------------------------


@pytest.fixture
def reporter(app, auth):
    """An admin, and a reporter account bound to a zone under construction; a second such zone."""
    first, second = confirmed_zone(app), confirmed_zone(app)
    staff_account(app, "zone_reporter", "probe-reporter", zone_id=first)
    return {"admin": auth.staff("admin"), "id": user_id_of(app, "probe-reporter"), "first": first, "second": second}


def test_a_reporter_is_not_granted_a_second_zone(client, reporter):
    response = grant(client, reporter["admin"], reporter["id"], role="zone_reporter", zone_id=reporter["second"])
    assert_error(response, 409, "reporter_zone_bound")


def test_the_second_zones_refusal_says_to_revoke_the_first(client, reporter):
    response = grant(client, reporter["admin"], reporter["id"], role="zone_reporter", zone_id=reporter["second"])
    assert "撤销" in response.json["error"]["message"]


def test_the_console_refuses_a_reporters_second_zone(app, reporter):
    console = signed_in(app, "admin", "probe-console-admin")
    console.get("/console/users")
    response = console.post(
        f"/console/users/{reporter['id']}/grants", {"role": "zone_reporter", "zone_id": str(reporter["second"])}
    )
    assert response.status_code == 409


def test_a_reporter_is_not_granted_a_zone_not_under_construction(app, client, auth):
    admin = auth.staff("admin")
    auth.staff("institute_staff", username="probe-no-zone-yet")
    zone_id = make_zone(app, "site_check")
    response = grant(client, admin, user_id_of(app, "probe-no-zone-yet"), role="zone_reporter", zone_id=zone_id)
    assert "zone_id" in assert_error(response, 422, "validation_error")["details"]


def test_a_reporter_account_is_not_made_for_a_zone_not_under_construction(app, client, auth):
    officer = auth.staff("department_officer", department="housing_construction")
    zone_id = make_zone(app, "site_check", type="building")
    body = {"username": "probe-early", "password": PASSWORD, "role": "zone_reporter", "zone_id": zone_id}
    response = client.post(f"{ADMIN}/users", json=body, headers=officer)
    assert "zone_id" in assert_error(response, 422, "validation_error")["details"]


def test_an_admin_grant_with_a_department_is_refused(app, client, auth):
    admin = auth.staff("admin")
    auth.staff("institute_staff", username="probe-admin-dept")
    response = grant(client, admin, user_id_of(app, "probe-admin-dept"), role="admin", department="education")
    assert "department" in assert_error(response, 422, "validation_error")["details"]


def test_a_base_operator_grant_with_a_zone_is_refused(app, client, auth):
    admin = auth.staff("admin")
    auth.staff("institute_staff", username="probe-base-zone")
    zone_id = confirmed_zone(app)
    response = grant(
        client, admin, user_id_of(app, "probe-base-zone"), role="base_operator", base_id=zone_id, zone_id=zone_id
    )
    assert "zone_id" in assert_error(response, 422, "validation_error")["details"]


def test_a_reporter_account_with_a_department_is_refused(app, client, auth):
    admin = auth.staff("admin")
    body = {
        "username": "probe-reporter-dept",
        "password": PASSWORD,
        "role": "zone_reporter",
        "zone_id": confirmed_zone(app),
        "department": "education",
    }
    response = client.post(f"{ADMIN}/users", json=body, headers=admin)
    assert "department" in assert_error(response, 422, "validation_error")["details"]


def arabic_indic(number: int) -> str:
    return str(number).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))


def test_the_console_refuses_a_base_id_in_arabic_indic_digits(app):
    base_id = make_base(app)
    console = signed_in(app, "admin", "probe-digits-admin")
    console.get("/console/users")
    form = {"username": "probe-digits", "password": PASSWORD, "role": "base_operator", "base_id": arabic_indic(base_id)}
    assert console.post("/console/users", form).status_code == 422


def test_the_console_stores_no_account_with_a_base_id_in_arabic_indic_digits(app):
    base_id = make_base(app)
    console = signed_in(app, "admin", "probe-digits-admin2")
    console.get("/console/users")
    form = {
        "username": "probe-digits2",
        "password": PASSWORD,
        "role": "base_operator",
        "base_id": arabic_indic(base_id),
    }
    console.post("/console/users", form)
    assert user_id_of(app, "probe-digits2") is None


# ---- 2. disabling ends every session --------------------------------------------------------------


def disable_and_enable(client, admin, user_id):
    for active in (False, True):
        response = client.patch(f"{ADMIN}/users/{user_id}", json={"is_active": active}, headers=admin)
        assert response.status_code == 200, response.json


def test_an_old_token_stays_dead_after_re_enabling(app, client, auth):
    admin = auth.staff("admin")
    old = auth.staff("institute_staff", username="probe-disabled")
    disable_and_enable(client, admin, user_id_of(app, "probe-disabled"))
    assert_error(client.get(f"{ADMIN}/auth/me", headers=old), 401, "token_revoked")


def test_an_old_console_session_stays_dead_after_re_enabling(app, client, auth):
    admin = auth.staff("admin")
    staff_account(app, "institute_staff", "probe-disabled-console")
    console = console_of(app, "probe-disabled-console")
    disable_and_enable(client, admin, user_id_of(app, "probe-disabled-console"))
    assert console.get("/console/").headers["Location"].startswith("/console/login")


# ---- 3. control and bidi characters in what staff write -------------------------------------------


@pytest.fixture
def works(app, client, auth):
    """A building zone under construction and its department's officer."""
    return {
        "zone_id": confirmed_zone(app, confirmed_on=today(app).replace(day=1)),
        "officer": auth.staff("department_officer", department="housing_construction"),
        "today": today(app),
    }


def test_an_objection_reply_with_escape_codes_is_refused(client, auth):
    officer = auth.staff("department_officer", department="housing_construction")
    body = {"status": "investigating", "reply": "调查中\x07\x1b[31m"}
    response = client.post(f"{ADMIN}/objections/999999/decision", json=body, headers=officer)
    assert "reply" in assert_error(response, 422, "validation_error")["details"]


def test_an_objection_replys_browser_line_breaks_are_kept_as_line_feeds():
    from app.publicity.schemas import DecisionIn

    loaded = DecisionIn().load({"status": "investigating", "reply": "第一段\r\n第二段"})
    assert loaded["reply"] == "第一段\n第二段"


def test_a_reveal_reason_with_a_line_break_is_refused(client, auth):
    officer = auth.staff("department_officer", department="housing_construction")
    response = client.get(
        f"{ADMIN}/objections", query_string={"reveal": "1", "reason": "第一行\n伪造审计: admin"}, headers=officer
    )
    assert "reason" in assert_error(response, 422, "validation_error")["details"]


def test_a_milestone_name_with_a_right_to_left_override_is_refused(client, works):
    body = {"name": "完成\u202e工施", "planned_on": works["today"].isoformat()}
    response = client.post(f"{ADMIN}/zones/{works['zone_id']}/milestones", json=body, headers=works["officer"])
    assert "name" in assert_error(response, 422, "validation_error")["details"]


def test_the_console_refuses_a_milestone_name_with_control_characters(app, works):
    console = signed_in(app, "department_officer", "probe-console-officer", department="housing_construction")
    console.get(f"/console/progress/zones/{works['zone_id']}")
    form = {"name": "完成\x07\x1b施工", "planned_on": works["today"].isoformat()}
    response = console.post(f"/console/progress/zones/{works['zone_id']}/milestones", form)
    assert response.status_code == 422


def test_the_consoles_refusal_is_the_chinese_message_beside_the_name(app, works):
    console = signed_in(app, "department_officer", "probe-console-officer2", department="housing_construction")
    console.get(f"/console/progress/zones/{works['zone_id']}")
    form = {"name": "完成\x07\x1b施工", "planned_on": works["today"].isoformat()}
    response = console.post(f"/console/progress/zones/{works['zone_id']}/milestones", form)
    assert "不能包含控制字符" in text(response)


def test_a_problem_title_with_a_line_break_is_refused(client, works):
    body = {"title": "施工许可\n办理", "department": "housing_construction", "due_on": works["today"].isoformat()}
    response = client.post(f"{ADMIN}/zones/{works['zone_id']}/problems", json=body, headers=works["officer"])
    assert "title" in assert_error(response, 422, "validation_error")["details"]


def test_a_report_summary_keeps_its_line_breaks(client, works):
    body = {"period": f"{works['today'].year}Q{(works['today'].month - 1) // 3 + 1}", "public_summary": "一\r\n二"}
    response = client.post(f"{ADMIN}/zones/{works['zone_id']}/reports", json=body, headers=works["officer"])
    assert response.json["public_summary"] == "一\n二"


def test_a_report_summary_with_a_bidi_isolate_is_refused(client, works):
    body = {"period": f"{works['today'].year}Q{(works['today'].month - 1) // 3 + 1}", "public_summary": "一\u2066二"}
    response = client.post(f"{ADMIN}/zones/{works['zone_id']}/reports", json=body, headers=works["officer"])
    assert "public_summary" in assert_error(response, 422, "validation_error")["details"]


def test_an_article_title_with_a_control_character_is_refused(client, auth):
    staff = auth.staff("institute_staff")
    response = client.patch(f"{ADMIN}/articles/999999", json={"title": "低碳\x1b[2J知识"}, headers=staff)
    assert "title" in assert_error(response, 422, "validation_error")["details"]


def test_a_staff_display_name_with_a_line_break_is_refused(client, auth):
    admin = auth.staff("admin")
    body = {"username": "probe-named", "password": PASSWORD, "role": "institute_staff", "display_name": "张三\n管理员"}
    response = client.post(f"{ADMIN}/users", json=body, headers=admin)
    assert "display_name" in assert_error(response, 422, "validation_error")["details"]


def test_a_renamed_staff_display_name_with_a_line_break_is_refused(app, client, auth):
    admin = auth.staff("admin")
    auth.staff("institute_staff", username="probe-renamed")
    response = client.patch(
        f"{ADMIN}/users/{user_id_of(app, 'probe-renamed')}", json={"display_name": "李\n四"}, headers=admin
    )
    assert "display_name" in assert_error(response, 422, "validation_error")["details"]


def test_a_c1_control_in_a_display_name_is_refused(client, auth):
    admin = auth.staff("admin")
    body = {"username": "probe-c1", "password": PASSWORD, "role": "institute_staff", "display_name": "张\x85三"}
    response = client.post(f"{ADMIN}/users", json=body, headers=admin)
    assert "display_name" in assert_error(response, 422, "validation_error")["details"]


# ---- 4. the article audit says what changed --------------------------------------------------------


@pytest.fixture
def article(client, auth, runner):
    runner.invoke(args=["content", "sync"])
    staff = auth.staff("institute_staff")
    body = {
        "slug": "probe-audit",
        "title": "审计测试文章",
        "summary": "用于检查审计记录。",
        "category": "policy",
        "body_markdown": "正文",
        "draft": True,
    }
    created = client.post(f"{ADMIN}/articles", json=body, headers=staff)
    assert created.status_code == 201, created.json
    return {"id": created.json["id"], "staff": staff}


def last_article_save(app, article_id):
    from app.audit.models import AuditEntry

    with app.app_context():
        return db.session.scalar(
            select(AuditEntry)
            .where(AuditEntry.action == "article.save", AuditEntry.entity_id == article_id)
            .order_by(AuditEntry.id.desc())
        )


def test_publishing_an_article_is_audited_as_draft_false(app, client, article):
    client.patch(f"{ADMIN}/articles/{article['id']}", json={"draft": False}, headers=article["staff"])
    entry = last_article_save(app, article["id"])
    assert (entry.before["draft"], entry.after["draft"]) == (True, False)


def test_unpublishing_an_article_is_audited_as_draft_true(app, client, article):
    client.patch(f"{ADMIN}/articles/{article['id']}", json={"draft": False}, headers=article["staff"])
    client.patch(f"{ADMIN}/articles/{article['id']}", json={"draft": True}, headers=article["staff"])
    entry = last_article_save(app, article["id"])
    assert (entry.before["draft"], entry.after["draft"]) == (False, True)


def test_an_articles_tags_change_is_audited(app, client, article):
    client.patch(f"{ADMIN}/articles/{article['id']}", json={"tags": ["公示"]}, headers=article["staff"])
    entry = last_article_save(app, article["id"])
    assert (entry.before["tags"], entry.after["tags"]) == ([], ["公示"])


# ---- 5. ids and numbers in ASCII digits only -------------------------------------------------------


def test_a_zone_id_in_arabic_indic_digits_is_not_found(app, client, auth):
    officer = auth.staff("institute_staff")
    zone_id = make_zone(app)
    assert client.get(f"{ADMIN}/zones/{arabic_indic(zone_id)}", headers=officer).status_code == 404


def test_the_console_finds_no_zone_by_arabic_indic_digits(app):
    zone_id = make_zone(app)
    console = signed_in(app, "institute_staff", "probe-digits-console")
    assert console.get(f"/console/zones/{arabic_indic(zone_id)}").status_code == 404


def test_a_page_in_arabic_indic_digits_is_refused(client, auth):
    officer = auth.staff("institute_staff")
    response = client.get(f"{ADMIN}/zones", query_string={"page": "\u0661\u0662"}, headers=officer)
    assert "page" in assert_error(response, 422, "validation_error")["details"]


# ---- 6. usernames unique whatever their case -------------------------------------------------------


def test_a_username_differing_only_in_case_is_taken(client, auth):
    officer = auth.staff("admin", username="probe-case")
    body = {"username": "PROBE-CASE", "password": PASSWORD, "role": "institute_staff"}
    assert_error(client.post(f"{ADMIN}/users", json=body, headers=officer), 409, "username_taken")


def test_a_username_equal_after_nfkc_is_taken(app):
    from app.accounts import services as accounts
    from app.accounts.roles import Role
    from app.errors import AppError

    with app.app_context():
        accounts.create_staff_user("ｐｒｏｂｅ-wide", PASSWORD, Role.INSTITUTE_STAFF)
        with pytest.raises(AppError) as refused:
            accounts.create_staff_user("Probe-Wide", PASSWORD, Role.INSTITUTE_STAFF)
    assert refused.value.code == "username_taken"


def test_the_console_refuses_a_username_differing_only_in_case(app):
    console = signed_in(app, "admin", "probe-case-console")
    console.get("/console/users")
    form = {"username": "PROBE-CASE-CONSOLE", "password": PASSWORD, "role": "institute_staff"}
    assert console.post("/console/users", form).status_code == 409


# ---- 7. redirects after sign-in stay inside the console ---------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/console/../api/admin/v1/zones",
        "/console/%2e%2e/api/admin/v1/zones",
        "/console/%2E%2E/%2e%2e/evil",
        "/console/..%2Fapi/admin/v1/zones",
        "/console/%5c..%5capi",
    ],
)
def test_a_next_leaving_the_console_goes_to_the_dashboard(app, target):
    username = staff_account(app, "institute_staff", "probe-next-" + hashlib.sha256(target.encode()).hexdigest()[:8])
    response = Console(app).login(username, page=f"/console/login?next={quote(target, safe='')}")
    assert response.headers["Location"] == "/console/"


# ---- 8. a target is no worse than the baseline ------------------------------------------------------


def series(client, works, baseline, target):
    year = works["today"].year
    return client.put(
        f"{ADMIN}/zones/{works['zone_id']}/series/total_emissions",
        json={"baseline_year": year - 1, "baseline_value": baseline, "target_year": year + 3, "target_value": target},
        headers=works["officer"],
    )


def test_a_target_above_the_baseline_of_an_emission_is_refused(client, works):
    response = series(client, works, 1000, 1200)
    assert "target_value" in assert_error(response, 422, "validation_error")["details"]


# ---- staff passwords and staff roles on WeChat accounts (a tester's third round) ---------------


@pytest.mark.parametrize(
    "password",
    [" " * 12, "  abc12345  ", "1111111111", "1212121212", "1234567890", "Password123"],
    ids=["spaces", "short-inside-spaces", "one-character", "two-characters", "sequence", "common"],
)
def test_a_weak_staff_password_is_refused_naming_it(client, auth, password):
    body = {"role": "admin", "username": "weak-one", "password": password}
    response = client.post(f"{ADMIN}/users", json=body, headers=auth.staff("admin"))
    assert "password" in assert_error(response, 422, "validation_error")["details"]


def test_a_password_equal_to_the_username_is_refused(client, auth):
    body = {"role": "admin", "username": "Same-As-Name", "password": "same-as-name"}
    response = client.post(f"{ADMIN}/users", json=body, headers=auth.staff("admin"))
    assert assert_error(response, 422, "validation_error")["details"]["password"] == ["密码不能与用户名相同"]


def test_a_weak_password_is_refused_at_the_command_line(app, runner):
    result = runner.invoke(args=["users", "create-admin", "--username", "cli-weak", "--password", "1111111111"])
    assert result.exit_code != 0


def test_a_wechat_account_is_not_granted_a_staff_role(app, client, auth):
    citizen = auth.wechat_login("probe-citizen")["user"]["id"]
    response = grant(client, auth.staff("admin"), citizen, role="admin")
    assert_error(response, 409, "no_staff_sign_in")


def test_a_refused_grant_leaves_the_wechat_account_a_citizen(app, client, auth):
    citizen = auth.wechat_login("probe-citizen-2")
    grant(client, auth.staff("admin"), citizen["user"]["id"], role="institute_staff")
    me = client.get("/api/mp/v1/me", headers={"Authorization": f"Bearer {citizen['token']}"}).json
    assert me["roles"] == ["citizen"]


def test_a_wechat_account_is_granted_the_door(app, client, auth):
    """A base operator scans visitors' codes in the mini-program (POST /api/mp/v1/checkins)."""
    citizen = auth.wechat_login("probe-door")["user"]["id"]
    response = grant(client, auth.staff("admin"), citizen, role="base_operator", base_id=make_base(app))
    assert response.status_code == 201


# ---- a new password for a staff account ------------------------------------------------------------

NEW_PASSWORD = "another-long-secret-7"


@pytest.fixture
def forgetful(app, client, auth):
    """An admin, and an officer signed in (their token) who then forgot their password."""
    staff_account(app, "institute_staff", "forgetful")
    token = client.post(f"{ADMIN}/auth/login", json={"username": "forgetful", "password": PASSWORD}).json["token"]
    return {"admin": auth.staff("admin"), "id": user_id_of(app, "forgetful"), "token": token}


def set_password(client, forgetful, password=NEW_PASSWORD, headers=None):
    return client.put(
        f"{ADMIN}/users/{forgetful['id']}/password", json={"password": password}, headers=headers or forgetful["admin"]
    )


def test_an_admin_sets_a_new_password(client, forgetful):
    set_password(client, forgetful)
    login = client.post(f"{ADMIN}/auth/login", json={"username": "forgetful", "password": NEW_PASSWORD})
    assert login.status_code == 200


def test_the_old_password_no_longer_signs_in(client, forgetful):
    set_password(client, forgetful)
    login = client.post(f"{ADMIN}/auth/login", json={"username": "forgetful", "password": PASSWORD})
    assert login.status_code == 401


def test_a_new_password_ends_the_accounts_sessions(client, forgetful):
    set_password(client, forgetful)
    response = client.get(f"{ADMIN}/dashboard", headers={"Authorization": f"Bearer {forgetful['token']}"})
    assert response.status_code == 401


def test_a_weak_new_password_is_refused(client, forgetful):
    response = set_password(client, forgetful, "1111111111")
    assert "password" in assert_error(response, 422, "validation_error")["details"]


def test_only_an_admin_sets_a_password(client, auth, forgetful):
    response = set_password(client, forgetful, headers=auth.staff("institute_staff"))
    assert_error(response, 403, "forbidden")


def test_a_wechat_account_has_no_password_to_set(client, auth, forgetful):
    citizen = auth.wechat_login("no-password")["user"]["id"]
    response = client.put(
        f"{ADMIN}/users/{citizen}/password", json={"password": NEW_PASSWORD}, headers=forgetful["admin"]
    )
    assert_error(response, 409, "no_staff_sign_in")


def test_a_new_password_is_audited_without_it(app, client, forgetful):
    from app.audit.models import AuditEntry

    set_password(client, forgetful)
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.password_reset"))
        recorded = str((entry.before, entry.after))
    assert NEW_PASSWORD not in recorded


def test_an_operator_sets_a_password_at_the_command_line(app, runner, client, forgetful):
    result = runner.invoke(args=["users", "set-password", "--username", "Forgetful", "--password", NEW_PASSWORD])
    login = client.post(f"{ADMIN}/auth/login", json={"username": "forgetful", "password": NEW_PASSWORD})
    assert (result.exit_code, login.status_code) == (0, 200)


def test_the_console_sets_a_new_password(app, client, forgetful):
    console = signed_in(app, "admin", "console-admin-pw")
    console.get("/console/users")
    response = console.post(f"/console/users/{forgetful['id']}/password", {"password": NEW_PASSWORD})
    login = client.post(f"{ADMIN}/auth/login", json={"username": "forgetful", "password": NEW_PASSWORD})
    assert (response.status_code, login.status_code) == (302, 200)


def test_the_console_says_a_weak_password_beside_the_field(app, forgetful):
    console = signed_in(app, "admin", "console-admin-weak")
    console.get("/console/users")
    response = console.post(f"/console/users/{forgetful['id']}/password", {"password": "1111111111"})
    assert "密码过于简单" in text(response)
