"""The staff web console: signing in, CSRF, roles, the pages, and what a browser user does wrong."""

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from tests.factories import make_base, make_slot, make_zone, move_booking_to_today, open_notice
from tests.helpers import assert_error
from tests.test_objection_handling import objection_id, raise_objections
from tests.test_visits import book, visitors

PASSWORD = "correct-horse-battery"


def staff_account(app, role, username, **scope):
    from app.accounts import services as accounts
    from app.accounts.roles import Department, Role

    if "department" in scope:
        scope["department"] = Department(scope["department"])
    with app.app_context():
        accounts.create_staff_user(username, PASSWORD, Role(role), **scope)
    return username


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


class Console:
    """A browser-like client of the console: keeps the cookie and reads each page's CSRF token."""

    def __init__(self, app):
        self.client = app.test_client()
        self.token = None

    def get(self, path, **kwargs):
        response = self.client.get(path, **kwargs)
        if response.status_code == 200 and 'name="csrf_token"' in response.get_data(as_text=True):
            self.token = csrf_of(response.get_data(as_text=True))
        return response

    def post(self, path, data=None, *, csrf=True, **kwargs):
        if csrf and self.token is None:
            self.get("/console/login")
        data = dict(data or {})
        if csrf:
            data["csrf_token"] = self.token
        return self.client.post(path, data=data, **kwargs)

    def login(self, username, password=PASSWORD, page="/console/login"):
        """Sign in from `page` (the sign-in page a redirect led to, with its `next`)."""
        form = text(self.get(page))
        found = re.search(r'name="next" value="([^"]*)"', form)
        return self.post(
            "/console/login", {"username": username, "password": password, "next": found.group(1) if found else ""}
        )


def signed_in(app, role, username, **scope):
    staff_account(app, role, username, **scope)
    return console_of(app, username)


def console_of(app, username, password=PASSWORD):
    """A console client signed in as the existing staff account `username`."""
    console = Console(app)
    assert console.login(username, password).status_code == 302
    return console


def text(response):
    return response.get_data(as_text=True)


# ---- signing in --------------------------------------------------------------------------------


def test_the_sign_in_page_is_chinese_and_labelled(app):
    page = text(Console(app).get("/console/login"))
    assert '<label for="username">用户名</label>' in page


def test_a_page_needs_signing_in(app):
    response = Console(app).get("/console/zones")
    assert response.headers["Location"].startswith("/console/login?next=")


def test_a_wrong_password_says_so_on_the_page(app):
    staff_account(app, "institute_staff", "officer-a")
    response = Console(app).login("officer-a", "wrong-password-1")
    assert (response.status_code, "用户名或密码错误" in text(response)) == (401, True)


def test_repeated_failures_lock_the_account(app):
    staff_account(app, "institute_staff", "officer-b")
    console = Console(app)
    for _ in range(5):
        console.login("officer-b", "wrong-password-1")
    response = console.login("officer-b")
    assert (response.status_code, "锁定" in text(response)) == (429, True)


def test_a_form_posted_without_the_csrf_token_is_refused(app):
    staff_account(app, "institute_staff", "officer-c")
    response = Console(app).post("/console/login", {"username": "officer-c", "password": PASSWORD}, csrf=False)
    assert (response.status_code, "安全校验码" in text(response)) == (400, True)


def test_the_session_cookie_is_http_only_and_same_site(app):
    staff_account(app, "institute_staff", "officer-d")
    cookie = Console(app).login("officer-d").headers["Set-Cookie"]
    assert ("HttpOnly" in cookie, "SameSite=Lax" in cookie) == (True, True)


def test_a_development_cookie_may_travel_over_plain_http(app):
    """http://127.0.0.1 in development: a Secure cookie would never come back."""
    staff_account(app, "institute_staff", "officer-d2")
    assert "Secure" not in Console(app).login("officer-d2").headers["Set-Cookie"]


@pytest.fixture
def production_app(make_app, monkeypatch):
    """An app configured as production is: from the environment, through load_config."""
    from cryptography.fernet import Fernet

    for name, value in {
        "APP_ENV": "production",
        "SECRET_KEY": "p" * 48,
        "PERSONAL_DATA_KEYS": Fernet.generate_key().decode(),
        "PERSONAL_DATA_INDEX_KEY": "index-key-of-the-cookie-test",
    }.items():
        monkeypatch.setenv(name, value)
    return make_app()


@pytest.mark.parametrize("attribute", ["Secure", "HttpOnly", "SameSite=Lax", "Path=/console"])
def test_a_production_session_cookie_is_locked_down(production_app, attribute):
    staff_account(production_app, "institute_staff", "officer-prod")
    cookie = Console(production_app).login("officer-prod").headers["Set-Cookie"]
    assert attribute in [part.strip() for part in cookie.split(";")]


def session_of(app, console) -> dict:
    """What the console's signed (not encrypted) session cookie holds: anyone with the cookie can read it."""
    cookie = console.client.get_cookie("lc_console", path="/console")
    return app.session_interface.get_signing_serializer(app).loads(cookie.value) if cookie else {}


def with_cookie(app, value: str) -> Console:
    """Another browser presenting this session cookie."""
    console = Console(app)
    console.client.set_cookie("lc_console", value, path="/console")
    return console


def test_the_console_token_is_refused_by_the_staff_api(app, client):
    console = signed_in(app, "admin", "cookie-thief-1")
    token = session_of(app, console)["console_token"]
    response = client.get("/api/admin/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 401, "token_wrong_audience")


def test_a_staff_api_token_does_not_open_the_console(app, auth):
    import time

    token = auth.staff("admin", "api-user-1")["Authorization"].removeprefix("Bearer ")
    session = {"console_token": token, "console_seen": int(time.time())}
    console = with_cookie(app, app.session_interface.get_signing_serializer(app).dumps(session))
    assert console.get("/console/").headers["Location"].startswith("/console/login")


def test_signing_out_revokes_the_cookies_token(app):
    """A copy of the cookie taken before signing out opens nothing afterwards."""
    console = signed_in(app, "institute_staff", "officer-e2")
    console.get("/console/")
    copy = with_cookie(app, console.client.get_cookie("lc_console", path="/console").value)
    console.post("/console/logout")
    assert copy.get("/console/").headers["Location"].startswith("/console/login")


def test_signing_out_ends_the_session(app):
    console = signed_in(app, "institute_staff", "officer-e")
    console.get("/console/")
    console.post("/console/logout")
    assert console.get("/console/").status_code == 302


def test_a_login_redirect_never_leaves_the_console(app):
    staff_account(app, "institute_staff", "officer-f")
    console = Console(app)
    console.get("/console/login")
    response = console.post(
        "/console/login", {"username": "officer-f", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/console/"


# ---- roles -------------------------------------------------------------------------------------


def test_the_dashboard_has_server_drawn_charts(app):
    make_zone(app, "titled", type="park")
    page = text(signed_in(app, "institute_staff", "officer-g").get("/console/"))
    assert ('<svg class="chart"' in page, 'class="matrix"' in page) == (True, True)


def test_a_department_officer_cannot_open_another_departments_zone_by_url(app):
    park = make_zone(app, "applied", type="park")  # 发展改革委's, not 住建局's
    console = signed_in(app, "department_officer", "housing-1", department="housing_construction")
    response = console.get(f"/console/zones/{park}")
    assert response.status_code == 404  # not found, as if it did not exist (the staff API answers the same)


def test_a_base_operators_session_does_not_open_officers_pages(app):
    base_id = make_base(app)
    console = signed_in(app, "base_operator", "door-1", base_id=base_id)
    assert console.get("/console/objections").status_code == 403


def test_a_department_officer_sees_only_their_zone_types(app):
    make_zone(app, "applied", type="park", name="园区甲")
    make_zone(app, "applied", type="building", name="建筑乙")
    page = text(
        signed_in(app, "department_officer", "housing-2", department="housing_construction").get("/console/zones")
    )
    assert ("建筑乙" in page, "园区甲" in page) == (True, False)


# ---- zones -------------------------------------------------------------------------------------


def test_a_transition_from_the_console_goes_through_the_service_and_is_audited(app):
    zone_id = make_zone(app, "applied", type="park")
    console = signed_in(app, "institute_staff", "officer-h")
    console.get(f"/console/zones/{zone_id}")
    console.post(f"/console/zones/{zone_id}/transitions", {"to": "expert_review", "from": "applied"})
    from app.audit.models import AuditEntry
    from app.zones.models import Zone

    with app.app_context():
        status = db.session.get(Zone, zone_id).status
        audited = db.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.entity_id == zone_id, AuditEntry.action == "zone.transition")
        )
    assert (status, audited) == ("expert_review", 1)


def test_a_transition_clicked_twice_is_not_repeated(app):
    zone_id = make_zone(app, "applied", type="park")
    console = signed_in(app, "institute_staff", "officer-i")
    console.get(f"/console/zones/{zone_id}")
    console.post(f"/console/zones/{zone_id}/transitions", {"to": "expert_review", "from": "applied"})
    again = console.post(f"/console/zones/{zone_id}/transitions", {"to": "expert_review", "from": "applied"})
    assert (again.status_code, "未重复变更" in text(again)) == (409, True)


def test_a_rejection_without_a_note_shows_the_rule(app):
    zone_id = make_zone(app, "applied", type="park")
    console = signed_in(app, "institute_staff", "officer-j")
    console.get(f"/console/zones/{zone_id}")
    response = console.post(f"/console/zones/{zone_id}/transitions", {"to": "rejected", "from": "applied"})
    assert (response.status_code, "Traceback" in text(response)) == (422, False)


def test_an_import_with_bad_rows_lists_each_row(app):
    import io

    console = signed_in(app, "institute_staff", "officer-k")
    console.get("/console/zones/import")
    csv_body = "name,type,level,district,applicant_name,applicant_kind\n好项目,park,low_carbon,朝阳区,单位,park_committee\n坏项目,moon,low_carbon,朝阳区,单位,park_committee\n"
    response = console.post(
        "/console/zones/import",
        {"batch_year": "2026", "file": (io.BytesIO(csv_body.encode()), "b.csv")},
        content_type="multipart/form-data",
    )
    assert "第 3 行" in text(response)


# ---- objections --------------------------------------------------------------------------------


@pytest.fixture
def an_objection(app, client, auth, fake_wechat):
    notice = open_notice(app, zone_types=("building",))
    _, receipts = raise_objections(client, auth, notice)
    return objection_id(app, receipts[0])


def test_the_queue_shows_personal_data_masked(app, an_objection):
    page = text(signed_in(app, "institute_staff", "officer-l").get("/console/objections"))
    assert ("张*" in page, "张三" in page) == (True, False)


def test_revealing_needs_a_reason_and_is_audited(app, an_objection):
    console = signed_in(app, "department_officer", "housing-3", department="housing_construction")
    console.get(f"/console/objections/{an_objection}")
    revealed = console.post(f"/console/objections/{an_objection}/reveal", {"reason": "核实异议人身份"})
    from app.audit.models import AuditEntry

    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "objection.reveal"))
    assert ("13812345678" in text(revealed), entry.after["reason"]) == (True, "核实异议人身份")


@pytest.fixture
def a_permit_holders_objection(app, client, auth, fake_wechat):
    """An objection from a Hong Kong resident who gave their permit (港澳居民来往内地通行证)."""
    from tests.test_publicity import objection_body, post

    notice = open_notice(app, zone_types=("building",))
    body = objection_body(notice["zone_ids"][0], id_type="hk_macao_permit", id_number="H12345678")
    answer = post(client, notice["id"], body, auth.wechat_headers("hk-objector"))
    assert answer.status_code == 201, answer.json
    return objection_id(app, answer.json["receipt_no"])


def test_the_objection_page_names_the_document_type_beside_the_masked_number(app, a_permit_holders_objection):
    page = text(signed_in(app, "institute_staff", "officer-p").get(f"/console/objections/{a_permit_holders_objection}"))
    assert "港澳居民来往内地通行证" in page


def test_the_staff_api_names_the_document_type_of_a_masked_objector(app, client, auth, a_permit_holders_objection):
    answer = client.get(f"/api/admin/v1/objections/{a_permit_holders_objection}", headers=auth.staff("institute_staff"))
    personal = answer.json["personal"]
    assert (personal["id_type"], personal["id_type_label"]) == ("hk_macao_permit", "港澳居民来往内地通行证")


def test_a_decision_submitted_twice_is_recorded_once(app, an_objection):
    console = signed_in(app, "department_officer", "housing-4", department="housing_construction")
    console.get(f"/console/objections/{an_objection}")
    form = {"status": "accepted", "from": "received", "reply": "已受理，将在 5 个工作日内答复。"}
    first = console.post(f"/console/objections/{an_objection}/decision", form)
    second = console.post(f"/console/objections/{an_objection}/decision", form)
    from app.publicity.models import ObjectionEvent

    with app.app_context():
        events = db.session.scalar(
            select(func.count())
            .select_from(ObjectionEvent)
            .where(ObjectionEvent.objection_id == an_objection, ObjectionEvent.to_status == "accepted")
        )
    assert (first.status_code, second.status_code, events) == (302, 409, 1)


def test_an_expired_session_keeps_what_was_typed(app, an_objection):
    console = signed_in(app, "department_officer", "housing-5", department="housing_construction")
    page = f"/console/objections/{an_objection}"
    console.get(page)
    app.config["CONSOLE_IDLE_MINUTES"] = -1  # every session is now idle too long
    reply = "答复内容：经核实，已转交相关部门处理。"
    expired = console.post(
        f"{page}/decision",
        {"status": "accepted", "from": "received", "reply": reply},
        headers={"Referer": f"http://localhost{page}"},
    )
    app.config["CONSOLE_IDLE_MINUTES"] = 30
    assert expired.headers["Location"].startswith("/console/login")
    back = console.login("housing-5", page=expired.headers["Location"])
    assert back.headers["Location"] == page
    assert reply in text(console.get(page))


NEW_PASSWORD = "Sup3r-secret-initial-pw"


def expire_while_creating_a_user(app, console):
    """The admin fills in the new-account form (with its initial password); the session has expired."""
    console.get("/console/users")
    app.config["CONSOLE_IDLE_MINUTES"] = -1
    response = console.post(
        "/console/users",
        {"username": "draft-newcomer", "display_name": "草稿新人", "password": NEW_PASSWORD, "role": "institute_staff"},
        headers={"Referer": "http://localhost/console/users"},
    )
    app.config["CONSOLE_IDLE_MINUTES"] = 30
    assert response.headers["Location"].startswith("/console/login")
    return response


def test_an_expired_session_draft_never_holds_a_password(app):
    console = signed_in(app, "admin", "draft-admin-1")
    expire_while_creating_a_user(app, console)
    assert NEW_PASSWORD not in str(session_of(app, console))


def test_an_expired_session_draft_keeps_the_other_fields(app):
    console = signed_in(app, "admin", "draft-admin-2")
    expired = expire_while_creating_a_user(app, console)
    console.login("draft-admin-2", page=expired.headers["Location"])
    assert 'value="draft-newcomer"' in text(console.get("/console/users"))


def test_an_expired_session_draft_is_not_shown_to_another_staff_member(app):
    staff_account(app, "admin", "draft-admin-4")
    console = signed_in(app, "admin", "draft-admin-3")
    expired = expire_while_creating_a_user(app, console)
    console.login("draft-admin-4", page=expired.headers["Location"])  # someone else at the same browser
    assert "draft-newcomer" not in text(console.get("/console/users"))


def test_another_staff_members_sign_in_drops_the_draft(app):
    staff_account(app, "admin", "draft-admin-6")
    console = signed_in(app, "admin", "draft-admin-5")
    expired = expire_while_creating_a_user(app, console)
    console.login("draft-admin-6", page=expired.headers["Location"])
    assert "console_draft" not in session_of(app, console)


def test_signing_out_drops_the_draft(app):
    console = signed_in(app, "admin", "draft-admin-7")
    expire_while_creating_a_user(app, console)
    console.get("/console/login")
    console.post("/console/logout")
    assert "console_draft" not in session_of(app, console)


def test_every_password_field_of_the_console_is_left_out_of_drafts():
    """A new password input must be named so that drafts drop it (console.session.SECRET_FIELD)."""
    from pathlib import Path

    from console.session import SECRET_FIELD

    templates = Path(__file__).resolve().parent.parent / "console" / "templates" / "console"
    inputs = [
        tag
        for page in templates.glob("*.html")
        for tag in re.findall(r"<input[^>]*>", page.read_text())
        if re.search(r'type="password"', tag)
    ]
    names = [re.search(r'name="([^"]*)"', tag).group(1) for tag in inputs]
    assert (len(names) > 0, [n for n in names if not SECRET_FIELD.search(n)]) == (True, [])


# ---- framing ------------------------------------------------------------------------------------


CONSOLE_PATHS = ["/console/login", "/console/", "/console/static/console.css", "/console/no-such-page"]
FRAME_HEADERS = [("X-Frame-Options", "DENY"), ("Content-Security-Policy", "frame-ancestors 'none'")]


@pytest.mark.parametrize("path", CONSOLE_PATHS)
@pytest.mark.parametrize(("header", "value"), FRAME_HEADERS)
def test_console_responses_may_not_be_framed(app, path, header, value):
    response = Console(app).get(path)
    response.close()  # the stylesheet is a file
    assert response.headers.get(header) == value


def test_a_signed_in_page_may_not_be_framed(app):
    console = signed_in(app, "institute_staff", "framed-1")
    assert console.get("/console/").headers.get("X-Frame-Options") == "DENY"


# ---- bases and the door ------------------------------------------------------------------------


def test_checking_in_at_the_door_by_code(app, client, auth, fake_wechat):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, starts_in=600)
    headers = auth.wechat_headers("visitor-door")
    booking = book(client, headers, {"slot_id": slot_id, "visitors": visitors(1)}, "door-1").json
    move_booking_to_today(app, booking["id"])
    code = client.get(f"/api/mp/v1/bookings/{booking['id']}/checkin-code", headers=headers).json["code"]
    console = signed_in(app, "base_operator", "door-2", base_id=base_id)
    console.get("/console/door")
    done = console.post("/console/door", {"code": code})
    assert "核验通过" in text(done)


def test_a_wrong_code_at_the_door_says_why(app):
    base_id = make_base(app)
    console = signed_in(app, "base_operator", "door-3", base_id=base_id)
    console.get("/console/door")
    response = console.post("/console/door", {"code": "123.bad"})
    assert 'class="result bad"' in text(response)


def test_the_base_calendar_lists_slots_and_masked_visitors(app, client, auth, fake_wechat):
    base_id = make_base(app)
    make_slot(app, base_id, days_ahead=1)
    console = signed_in(app, "base_operator", "door-4", base_id=base_id)
    page = console.get(f"/console/bases/{base_id}")
    assert page.status_code == 200


def test_an_operator_cannot_open_another_base(app):
    mine, other = make_base(app), make_base(app)
    console = signed_in(app, "base_operator", "door-5", base_id=mine)
    assert console.get(f"/console/bases/{other}").status_code == 403


# ---- the rest ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/console/notices",
        "/console/notices/new",
        "/console/articles",
        "/console/campaigns",
        "/console/users",
        "/console/audit",
        "/console/zones/import",
    ],
)
def test_every_page_opens_for_an_admin(app, path):
    console = signed_in(app, "admin", f"admin-{abs(hash(path)) % 10000}")
    assert console.get(path).status_code == 200


def test_an_unknown_console_page_is_a_page_not_json(app):
    console = signed_in(app, "institute_staff", "officer-m")
    response = console.get("/console/zones/999999")
    assert (response.status_code, response.mimetype) == (404, "text/html")


def test_an_admin_creates_an_account_that_can_sign_in(app):
    console = signed_in(app, "admin", "admin-users-1")
    console.get("/console/users")
    console.post("/console/users", {"username": "new-officer", "password": PASSWORD, "role": "institute_staff"})
    assert Console(app).login("new-officer").status_code == 302


def test_granting_a_role_without_its_scope_shows_what_is_missing(app):
    console = signed_in(app, "admin", "admin-users-2")
    staff_account(app, "institute_staff", "scopeless")
    from app.accounts.models import User

    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == "scopeless"))
    console.get("/console/users")
    response = console.post(f"/console/users/{user_id}/grants", {"role": "base_operator"})
    assert (response.status_code, "该角色必须指定范围" in text(response)) == (422, True)


def test_a_check_in_at_the_door_is_audited(app, client, auth, fake_wechat):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, starts_in=600)
    headers = auth.wechat_headers("visitor-audit")
    booking = book(client, headers, {"slot_id": slot_id, "visitors": visitors(1)}, "door-audit").json
    move_booking_to_today(app, booking["id"])
    code = client.get(f"/api/mp/v1/bookings/{booking['id']}/checkin-code", headers=headers).json["code"]
    console = signed_in(app, "base_operator", "door-audit", base_id=base_id)
    console.get("/console/door")
    console.post("/console/door", {"code": code})
    from app.audit.models import AuditEntry

    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "booking.checkin"))
    assert entry.entity_id == booking["id"]


# ---- low-carbon schools ------------------------------------------------------------------------


def test_a_teacher_confirms_students_and_records_a_class_action(app, client, auth, running):
    from tests.campaign_helpers import _student

    school_id, campaign_id = running["school"], running["campaign"]
    console = signed_in(app, "school_admin", "teacher-1", school_id=school_id)
    user_id = client.get("/api/mp/v1/me", headers=running["headers"]).json["id"]
    console.get(f"/console/schools/{school_id}")
    console.post(f"/console/schools/{school_id}/students/confirm", {"user_ids": str(user_id)})
    _student(client, auth, school_id, "stu")  # stays in 一班
    console.get(f"/console/campaigns/{campaign_id}")
    console.post(f"/console/campaigns/{campaign_id}/class-actions", {"class_name": "一班", "kw": "2", "hours": "1"})
    board = client.get(f"/api/mp/v1/campaigns/{campaign_id}/leaderboard?by=class&metric=total").json
    assert board["items"][0]["points"] == 20.0  # 2 kWh × 5 points × 2 (a teacher's confirmation)


def test_a_teacher_of_another_school_cannot_open_the_school_page(app, running):
    other = make_zone(app, "publicity", type="school")
    console = signed_in(app, "school_admin", "teacher-2", school_id=other)
    assert console.get(f"/console/schools/{running['school']}").status_code == 403


def test_the_zone_list_filters_by_batch_year(app):
    make_zone(app, "applied", type="park", name="二〇二五园区", batch_year=2025)
    make_zone(app, "applied", type="park", name="二〇二六园区", batch_year=2026)
    page = text(signed_in(app, "institute_staff", "officer-n").get("/console/zones?batch_year=2026"))
    assert ("二〇二六园区" in page, "二〇二五园区" in page) == (True, False)


def test_a_dead_letter_can_be_dismissed_from_the_console(app):
    from app.jobs.models import DeadLetter, record_dead_letter

    with app.app_context():
        letter = record_dead_letter("job", "publicity.close_due", "OperationalError: server closed the connection", 4)
        db.session.commit()
        letter_id = letter.id
    console = signed_in(app, "institute_staff", "jobs-officer")
    page = console.get("/console/jobs")
    console.post(f"/console/jobs/dead-letters/{letter_id}/dismiss", {})
    with app.app_context():
        resolution = db.session.get(DeadLetter, letter_id).resolution
    assert ("publicity.close_due" in text(page), resolution) == (True, "dismissed")
