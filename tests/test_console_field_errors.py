"""Every console form that posts data, refused: its own page again (422), what was typed kept, each
message in an element right after its input (the input pointing at it), and a summary at the top."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from app.times import local_today
from tests.campaign_helpers import _checkin
from tests.factories import make_base, make_slot, make_zone
from tests.test_console import PASSWORD, Console, an_objection, signed_in, staff_account, text  # noqa: F401

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(HTMLParser):
    """A page read as a browser (and a screen reader) would: each element with an id (its attributes and
    text), the first heading, and which element comes right after each one."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: dict[str, dict] = {}
        self.after: dict[str, str | None] = {}  # an element's id → the id of the next element that starts
        self.heading = ""
        self._open: list[tuple[str, str | None]] = []  # (tag, id) of the elements still open
        self._waiting: list[str] = []  # ids whose end was reached, waiting for the next element
        self._selected: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        element_id = attributes.get("id")
        for waiting in self._waiting:
            self.after[waiting] = element_id
        self._waiting = []
        if tag == "option" and "selected" in attributes and self._open_select():
            self.elements[self._open_select()]["value"] = attributes.get("value", "")
        if element_id:
            self.elements[element_id] = {"tag": tag, "attrs": attributes, "text": ""}
            if tag == "input":
                self.elements[element_id]["value"] = attributes.get("value", "")
        if tag in VOID:
            if element_id:
                self._waiting.append(element_id)
            return
        self._open.append((tag, element_id))

    def handle_endtag(self, tag):
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                closed = self._open[i:]
                del self._open[i:]
                self._waiting.extend(element_id for _, element_id in closed[:1] if element_id)
                return

    def handle_data(self, data):
        for _, element_id in self._open:
            if element_id:
                self.elements[element_id]["text"] += data
        if any(tag == "h1" for tag, _ in self._open):
            self.heading += data
        for tag, element_id in self._open:
            if tag == "textarea" and element_id:
                self.elements[element_id]["value"] = self.elements[element_id]["text"]

    def _open_select(self) -> str | None:
        return next((element_id for tag, element_id in reversed(self._open) if tag == "select"), None)

    def value(self, element_id: str) -> str:
        return self.elements[element_id].get("value", "")

    def text(self, element_id: str) -> str:
        return self.elements.get(element_id, {}).get("text", "")


@dataclass
class Refused:
    response: object
    field: str  # the id of the input the message concerns
    message: str  # (part of) the message expected beside it
    heading: str  # (part of) the page's own heading
    value: str | None  # what was typed into the field, shown again (None: nothing to keep, e.g. a checkbox)

    @property
    def page(self) -> Page:
        return Page(text(self.response))


# ---- the forms, each posted with bad input ------------------------------------------------------


def zone_page(app, status="applied", username="fe-zone"):
    zone_id = make_zone(app, status, type="park", name="表单园区")
    console = signed_in(app, "institute_staff", username)
    console.get(f"/console/zones/{zone_id}")
    return console, zone_id


def transition(app, request):
    console, zone_id = zone_page(app)
    note = "说" * 501
    form = {"from": "applied", "to": "rejected", "note": note}
    return Refused(
        console.post(f"/console/zones/{zone_id}/transitions", form), "note-rejected", "500", "表单园区", note
    )


def re_review(app, request):
    console, zone_id = zone_page(app, "titled")
    form = {"reviewed_on": "9999-12-31", "outcome": "passed", "note": ""}
    response = console.post(f"/console/zones/{zone_id}/re-reviews", form)
    return Refused(response, "reviewed_on", "2100", "表单园区", "9999-12-31")


def zone_edit(app, request):
    console, zone_id = zone_page(app)
    form = {"name": "新名称", "address": "长春\r\n大街" + "路" * 200, "summary": "", "description": ""}
    response = console.post(f"/console/zones/{zone_id}/edit", form)
    return Refused(response, "address", "200", "表单园区", form["address"])


def zone_create(app, request):
    console = signed_in(app, "institute_staff", "fe-zone-new")
    console.get("/console/zones/new")
    form = {"name": "新申报园区", "type": "park", "level": "low_carbon", "batch_year": "1999"}
    return Refused(console.post("/console/zones/new", form), "batch_year", "2100", "登记申报", "1999")


def campaign_create(app, request):
    school_id = request.getfixturevalue("school")
    request.getfixturevalue("catalogue_synced")
    console = signed_in(app, "school_admin", "fe-campaign-new", school_id=school_id)
    console.get(f"/console/schools/{school_id}/campaigns/new")
    form = {"title": "新活动\x00", "starts_on": "2026-09-01", "ends_on": "2026-09-30", "audience": "school"}
    response = console.post(f"/console/schools/{school_id}/campaigns/new", form)
    return Refused(response, "title", "空字符", "新建活动", "新活动\x00")


def role_grant(app, request):
    console = signed_in(app, "admin", "fe-grant")
    staff_account(app, "institute_staff", "fe-grantee")
    user_id = grantee_id(app)
    console.get("/console/users")
    form = {"role": "base_operator", "department": "", "base_id": "0", "school_id": ""}
    response = console.post(f"/console/users/{user_id}/grants", form)
    return Refused(response, f"base-{user_id}", "1", "用户与角色", "0")


def zone_name(app, zone_id: int) -> str:
    from app.extensions import db
    from app.zones.models import Zone

    with app.app_context():
        return db.session.get(Zone, zone_id).name


def grantee_id(app) -> int:
    from sqlalchemy import select

    from app.accounts.models import User
    from app.extensions import db

    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == "fe-grantee"))


def user_create(app, request):
    console = signed_in(app, "admin", "fe-user")
    console.get("/console/users")
    form = {"username": "fe-new-officer", "password": "short", "role": "institute_staff"}
    response = console.post("/console/users", form)
    return Refused(response, "new-password", "10", "用户与角色", None)


def close_day(app, request):
    base_id = make_base(app)
    make_slot(app, base_id, days_ahead=1)
    with app.app_context():
        day = (local_today() + timedelta(days=1)).isoformat()
    console = signed_in(app, "base_operator", "fe-close", base_id=base_id)
    console.get(f"/console/bases/{base_id}")
    reason = "闭" * 201
    response = console.post(f"/console/bases/{base_id}/close-day", {"day": day, "reason": reason})
    return Refused(response, f"reason-{day}", "200", zone_name(app, base_id), reason)


def class_action(app, request):
    running = request.getfixturevalue("running")
    console = signed_in(app, "school_admin", "fe-class-action", school_id=running["school"])
    console.get(f"/console/campaigns/{running['campaign']}")
    form = {"class_name": "一班", "kw": "两", "hours": "1", "note": ""}
    response = console.post(f"/console/campaigns/{running['campaign']}/class-actions", form)
    return Refused(response, "kw", "数", CAMPAIGN_TITLE, "两")


CAMPAIGN_TITLE = "绿色出行周"  # the running campaign's (tests/campaign_helpers.py)


def a_checkin(request, note=None) -> tuple[dict, int]:
    running = request.getfixturevalue("running")
    client = request.getfixturevalue("client")
    done = _checkin(client, running["headers"], running["campaign"], **({"note": note} if note else {}))
    assert done.status_code == 201, done.json
    return running, done.json["id"]


def checkin_void(app, request):
    running, checkin_id = a_checkin(request)
    console = signed_in(app, "school_admin", "fe-void", school_id=running["school"])
    console.get(f"/console/campaigns/{running['campaign']}")
    response = console.post(f"/console/checkins/{checkin_id}/void", {"checkin_id": str(checkin_id), "reason": "x"})
    return Refused(response, f"void-reason-{checkin_id}", "2", CAMPAIGN_TITLE, "x")


def post_hide(app, request):
    running, checkin_id = a_checkin(request, note="今天走路上学")
    console = signed_in(app, "school_admin", "fe-hide", school_id=running["school"])
    console.get(f"/console/campaigns/{running['campaign']}")
    reason = "不" * 201
    response = console.post(f"/console/posts/{checkin_id}/hide", {"reason": reason})
    return Refused(response, f"hide-reason-{checkin_id}", "200", CAMPAIGN_TITLE, reason)


def class_create(app, request):
    school_id = request.getfixturevalue("school")
    console = signed_in(app, "school_admin", "fe-class", school_id=school_id)
    console.get(f"/console/schools/{school_id}")
    name = "班" * 41
    response = console.post(f"/console/schools/{school_id}/classes", {"name": name})
    return Refused(response, "class-name", "40", zone_name(app, school_id), name)


def students_confirm(app, request):
    school_id = request.getfixturevalue("school")
    console = signed_in(app, "school_admin", "fe-confirm", school_id=school_id)
    console.get(f"/console/schools/{school_id}")
    response = console.post(f"/console/schools/{school_id}/students/confirm", {"user_ids": "abc"})
    return Refused(response, "confirm-submit", "整数", zone_name(app, school_id), None)


def door(app, request):
    console = signed_in(app, "base_operator", "fe-door", base_id=make_base(app))
    console.get("/console/door")
    response = console.post("/console/door", {"code": "1.abc", "headcount": "501"})
    return Refused(response, "headcount", "500", "入馆核验", "501")


def notice_create(app, request):
    console = signed_in(app, "institute_staff", "fe-notice")
    console.get("/console/notices/new")
    form = {"batch_year": "2025", "title": "公示（表单）", "starts_on": "2025-06-02", "working_days": "31"}
    return Refused(console.post("/console/notices/new", form), "working_days", "30", "新建公示", "31")


def objection_decision(app, request):
    objection = request.getfixturevalue("an_objection")
    console = signed_in(app, "department_officer", "fe-decide", department="housing_construction")
    console.get(f"/console/objections/{objection}")
    reply = "答" * 2001
    form = {"status": "accepted", "from": "received", "reply": reply}
    response = console.post(f"/console/objections/{objection}/decision", form)
    return Refused(response, "reply", "2000", "异议", reply)


def objection_reveal(app, request):
    objection = request.getfixturevalue("an_objection")
    console = signed_in(app, "department_officer", "fe-reveal", department="housing_construction")
    console.get(f"/console/objections/{objection}")
    reason = "查" * 201
    response = console.post(f"/console/objections/{objection}/reveal", {"reason": reason})
    return Refused(response, "reason", "200", "异议", reason)


def article_edit(app, request):
    client, auth, runner = (request.getfixturevalue(name) for name in ("client", "auth", "runner"))
    runner.invoke(args=["content", "sync"])
    body = {
        "slug": "form-article",
        "title": "表单文章",
        "summary": "一篇用来测试表单的文章。",
        "category": "policy",
        "body_markdown": "正文。",
    }
    created = client.post("/api/admin/v1/articles", json=body, headers=auth.staff("institute_staff"))
    assert created.status_code == 201, created.json
    console = signed_in(app, "institute_staff", "fe-article")
    path = f"/console/articles/{created.json['id']}"
    console.get(path)
    title = "标" * 121
    form = {"title": title, "summary": "摘要内容", "body_markdown": "正文。", "action": "save"}
    return Refused(console.post(path, form), "title", "120", "编辑文章", title)


def zones_import(app, request):
    console = signed_in(app, "institute_staff", "fe-import")
    console.get("/console/zones/import")
    form = {"batch_year": "1999", "file": (io.BytesIO(b"name\n"), "z.csv")}
    response = console.post("/console/zones/import", form, content_type="multipart/form-data")
    return Refused(response, "batch_year", "2100", "批量导入", "1999")


def sign_in(app, request):
    console = Console(app)
    console.get("/console/login")
    response = console.post("/console/login", {"username": "a\x00b", "password": PASSWORD})
    return Refused(response, "username", "空字符", "工作人员登录", "a\x00b")


FORMS = [
    transition,
    re_review,
    zone_edit,
    zone_create,
    campaign_create,
    role_grant,
    user_create,
    close_day,
    class_action,
    checkin_void,
    post_hide,
    class_create,
    students_confirm,
    door,
    notice_create,
    objection_decision,
    objection_reveal,
    article_edit,
    zones_import,
    sign_in,
]


@pytest.fixture
def refused(app, request, fake_wechat) -> Refused:
    return request.param(app, request)


def by_name(forms):
    return pytest.mark.parametrize("refused", forms, indirect=True, ids=[f.__name__ for f in forms])


def facts(refused: Refused) -> dict:
    """What a staff member (and a screen reader) finds on the page a refused form answers."""
    page = refused.page
    error_id = page.after.get(refused.field)
    attrs = page.elements[refused.field]["attrs"]
    return {
        "status": refused.response.status_code,
        "its own page": refused.heading in page.heading,
        "message right after the input": bool(error_id) and refused.message in page.text(error_id),
        "message in Chinese": any("\u4e00" <= ch <= "\u9fff" for ch in page.text(error_id)),
        "input points at the message": (attrs.get("aria-invalid"), attrs.get("aria-describedby")) == ("true", error_id),
        # the sign-in page says it in one line at its top instead
        "summary at the top": refused.message in page.text("error-summary") or refused.heading == "工作人员登录",
        "typed value kept": refused.value is None or page.value(refused.field) == refused.value,
    }


EXPECTED = {
    "status": 422,
    "its own page": True,
    "message right after the input": True,
    "message in Chinese": True,
    "input points at the message": True,
    "summary at the top": True,
    "typed value kept": True,
}


@by_name(FORMS)
def test_a_refused_form_is_its_own_page_again_with_the_message_beside_the_field(refused):
    assert facts(refused) == EXPECTED


def test_closing_a_far_day_says_why_at_the_top_of_the_calendar(app):
    base_id = make_base(app)
    console = signed_in(app, "base_operator", "fe-close-far", base_id=base_id)
    console.get(f"/console/bases/{base_id}")
    response = console.post(f"/console/bases/{base_id}/close-day", {"day": "9999-12-31", "reason": "设备检修"})
    page = Page(text(response))
    assert (response.status_code, zone_name(app, base_id) in page.heading, "2100" in page.text("error-summary")) == (
        422,
        True,
        True,
    )


def test_a_refusal_about_no_field_stays_the_error_page(app):
    console, zone_id = zone_page(app, username="fe-zone-twice")
    console.post(f"/console/zones/{zone_id}/transitions", {"to": "expert_review", "from": "applied"})
    again = console.post(f"/console/zones/{zone_id}/transitions", {"to": "expert_review", "from": "applied"})
    assert (again.status_code, "error-summary" in text(again)) == (409, False)


def test_only_the_refused_form_of_a_page_shows_messages(app):
    console, zone_id = zone_page(app, "titled", username="fe-zone-two-forms")
    form = {"reviewed_on": "9999-12-31", "outcome": "passed", "note": "复核说明"}
    page = Page(text(console.post(f"/console/zones/{zone_id}/re-reviews", form)))
    assert (page.value("rr-note"), page.value("name"), "aria-invalid" in page.elements["name"]["attrs"]) == (
        "复核说明",
        "表单园区",
        False,
    )
