"""What a tester found using the console in a browser: unknown URLs, "None" and raw codes on pages,
grants of things that do not exist, reporters' zones, refusals kept beside their fields, a second look
before voiding a student's check-ins, revealing an objector without a re-post, the audit log, charts."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from tests import test_campaign_costs, test_console, test_console_browser
from tests.factories import make_base, make_slot, open_notice
from tests.test_console import PASSWORD, Console, signed_in, staff_account, text
from tests.test_visits import book, visitors

# Fixtures of other modules this one uses.
crowd = test_campaign_costs.crowd
an_objection = test_console.an_objection
browser, live = test_console_browser.browser, test_console_browser.live

# ---- 1. unknown console URLs are the console's page --------------------------------------------


def test_an_unknown_console_path_is_the_consoles_page(app):
    console = signed_in(app, "institute_staff", "probe-404-a")
    response = console.get("/console/nonexistent")
    assert response.mimetype == "text/html"


def test_an_unknown_console_path_says_the_page_does_not_exist(app):
    console = signed_in(app, "institute_staff", "probe-404-b")
    assert "页面不存在" in text(console.get("/console/nonexistent"))


def test_a_console_path_with_a_word_for_an_id_is_the_consoles_page(app):
    console = signed_in(app, "institute_staff", "probe-404-c")
    response = console.get("/console/objections/abc")
    assert (response.status_code, response.mimetype) == (404, "text/html")


def test_an_unknown_console_path_shows_the_menu_of_who_is_signed_in(app):
    console = signed_in(app, "institute_staff", "probe-404-d")
    assert "退出" in text(console.get("/console/nonexistent"))


def test_opening_a_form_only_address_is_the_consoles_page(app):
    console = signed_in(app, "institute_staff", "probe-405")
    response = console.get("/console/logout")
    assert (response.status_code, response.mimetype) == (405, "text/html")


# ---- 2. no "None" on a base's schedule -----------------------------------------------------------


def purged_booking(app, client, auth) -> tuple[int, int]:
    """A base with a booking whose people were removed (its booker deleted their account)."""
    from app.visits.erasure import forget_booking
    from app.visits.models import Booking

    base_id = make_base(app)
    slot_id = make_slot(app, base_id)
    headers = auth.wechat_headers("visitor-purged")
    booking_id = book(client, headers, {"slot_id": slot_id, "visitors": visitors(2)}, "purged-1").json["id"]
    with app.app_context():
        from app.db_types import utcnow

        forget_booking(db.session.get(Booking, booking_id), utcnow())
        db.session.commit()
    return base_id, booking_id


def test_a_purged_booking_shows_no_none(app, client, auth, fake_wechat):
    base_id, _ = purged_booking(app, client, auth)
    console = signed_in(app, "base_operator", "probe-base-1", base_id=base_id)
    assert "None" not in text(console.get(f"/console/bases/{base_id}"))


def test_a_purged_booking_says_its_people_were_removed(app, client, auth, fake_wechat):
    base_id, _ = purged_booking(app, client, auth)
    console = signed_in(app, "base_operator", "probe-base-2", base_id=base_id)
    assert "个人信息已删除" in text(console.get(f"/console/bases/{base_id}"))


# ---- 3. labels, not codes ----------------------------------------------------------------------


def settled_notice(app) -> int:
    from app.publicity.models import NoticeZone

    notice = open_notice(app)
    with app.app_context():
        entries = db.session.scalars(select(NoticeZone).where(NoticeZone.notice_id == notice["id"])).all()
        entries[0].outcome, entries[1].outcome = "confirmed", "rejected"
        db.session.commit()
    return notice["id"]


def notice_results(app, username) -> list[str]:
    import re

    page = text(signed_in(app, "institute_staff", username).get(f"/console/notices/{settled_notice(app)}"))
    # The counts cells read "—" while the window is open (counts are shown after closing only).
    return re.findall(r"<tr[^>]*><td>[^<]*</td><td>[^<]*</td><td>[^<]*</td><td>([^<]*)</td></tr>", page)


def test_a_confirmed_zone_of_a_notice_reads_in_chinese(app):
    assert "已确定创建" in notice_results(app, "probe-notice-1")


def test_a_rejected_zone_of_a_notice_reads_in_chinese(app):
    assert "未通过" in notice_results(app, "probe-notice-2")


def beside(response, element_id: str) -> str:
    """The message shown right after the input `element_id` ("" when there is none)."""
    import re

    found = re.search(rf'<p class="error field-error" id="error-{re.escape(element_id)}">([^<]*)</p>', text(response))
    return found.group(1) if found else ""


def value_of(response, element_id: str) -> str:
    import re

    found = re.search(rf'id="{re.escape(element_id)}"[^>]*value="([^"]*)"', text(response))
    return found.group(1) if found else ""


# ---- 4. a grant names a base, a school or a zone that exists -------------------------------------


def new_account(app, username, **fields):
    console = signed_in(app, "admin", f"{username}-admin")
    console.get("/console/users")
    return console.post("/console/users", {"username": username, "password": PASSWORD, **fields})


def test_the_api_refuses_an_operator_of_a_missing_base(client, auth):
    body = {"username": "ghost-base-api", "password": PASSWORD, "role": "base_operator", "base_id": 9999}
    response = client.post("/api/admin/v1/users", json=body, headers=auth.staff("admin"))
    assert response.json["error"]["details"]["base_id"] == ["没有这个基地"]


def test_the_console_refuses_an_operator_of_a_missing_base_beside_the_field(app):
    response = new_account(app, "ghost-base", role="base_operator", base_id="9999")
    assert beside(response, "new-base") == "没有这个基地"


def test_a_zone_that_is_not_an_education_base_is_no_base(app):
    from tests.factories import make_zone

    park = make_zone(app, "titled", type="park")
    response = new_account(app, "not-a-base", role="base_operator", base_id=str(park))
    assert beside(response, "new-base") == "没有这个基地"


def test_the_api_refuses_a_school_admin_of_a_missing_school(client, auth):
    body = {"username": "ghost-school-api", "password": PASSWORD, "role": "school_admin", "school_id": 9999}
    response = client.post("/api/admin/v1/users", json=body, headers=auth.staff("admin"))
    assert response.json["error"]["details"]["school_id"] == ["没有这所学校"]


def test_a_grant_of_a_missing_base_is_refused_beside_its_field(app):
    from app.accounts.models import User

    staff_account(app, "institute_staff", "grant-ghost")
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == "grant-ghost"))
    console = signed_in(app, "admin", "grant-ghost-admin")
    console.get("/console/users")
    response = console.post(f"/console/users/{user_id}/grants", {"role": "base_operator", "base_id": "9999"})
    assert beside(response, f"base-{user_id}") == "没有这个基地"


# ---- 5. a reporter's zone ------------------------------------------------------------------------


def building_zone(app, name="在建示范区") -> int:
    from tests.factories import make_zone

    return make_zone(app, "confirmed", type="building", name=name)


def test_the_new_account_form_offers_the_zones_under_construction(app):
    zone_id = building_zone(app)
    page = text(signed_in(app, "admin", "reporter-form").get("/console/users"))
    assert f'<option value="{zone_id}" >在建示范区（#{zone_id}）</option>' in page


def test_an_admin_creates_a_reporter_for_a_zone(app):
    zone_id = building_zone(app)
    new_account(app, "reporter-made", role="zone_reporter", zone_id=str(zone_id))
    reporter = Console(app)
    reporter.login("reporter-made")
    assert reporter.get(f"/console/progress/zones/{zone_id}").status_code == 200


def test_the_grant_form_offers_the_zones_under_construction(app):
    from app.accounts.models import User

    zone_id = building_zone(app)
    staff_account(app, "institute_staff", "becomes-reporter")
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == "becomes-reporter"))
    page = text(signed_in(app, "admin", "grant-reporter-admin").get("/console/users?q=becomes-reporter"))
    assert f'<select id="zone-{user_id}" name="zone_id"><option value="">—</option><option value="{zone_id}" ' in page


def test_the_user_list_shows_a_reporters_zone(app):
    zone_id = building_zone(app, "列表在建区")
    new_account(app, "listed-reporter", role="zone_reporter", zone_id=str(zone_id))
    page = text(signed_in(app, "admin", "list-reporter-admin").get("/console/users?q=listed-reporter"))
    assert f"建设主体填报员 · 示范区 列表在建区（#{zone_id}）" in page


def test_the_user_list_names_an_operators_base(app):
    from app.zones.models import Zone

    base_id = make_base(app)
    new_account(app, "named-base", role="base_operator", base_id=str(base_id))
    with app.app_context():
        name = db.session.get(Zone, base_id).name
    page = text(signed_in(app, "admin", "named-base-admin2").get("/console/users?q=named-base"))
    assert f"基地 {name}（#{base_id}）" in page


# ---- 6. refusals about a field keep the form -----------------------------------------------------


def test_a_taken_username_is_said_beside_the_username(app):
    staff_account(app, "institute_staff", "taken-name")
    response = new_account(app, "taken-name", role="institute_staff")
    assert beside(response, "new-username") == "用户名已存在"


def test_a_taken_username_keeps_what_was_typed(app):
    staff_account(app, "institute_staff", "taken-name-2")
    response = new_account(app, "taken-name-2", role="institute_staff", display_name="新同事")
    assert value_of(response, "new-display") == "新同事"


def school_console(app, school, username):
    console = signed_in(app, "school_admin", username, school_id=school)
    console.get(f"/console/schools/{school}")
    return console


def test_an_existing_class_name_is_said_beside_the_name(app, school):
    console = school_console(app, school, "class-twice")
    console.post(f"/console/schools/{school}/classes", {"name": "三年二班"})
    console.get(f"/console/schools/{school}")
    response = console.post(f"/console/schools/{school}/classes", {"name": "三年二班"})
    assert beside(response, "class-name") == "该班级已存在"


def test_an_existing_class_name_is_kept_in_the_form(app, school):
    console = school_console(app, school, "class-twice-2")
    console.post(f"/console/schools/{school}/classes", {"name": "三年三班"})
    console.get(f"/console/schools/{school}")
    response = console.post(f"/console/schools/{school}/classes", {"name": "三年三班"})
    assert value_of(response, "class-name") == "三年三班"


def officer_registers(app, username, zone_type):
    from tests.test_console_work import _zone_form

    console = signed_in(app, "department_officer", username, department="education")
    console.get("/console/zones/new")
    return console.post("/console/zones/new", _zone_form(app, type=zone_type))


def test_a_type_outside_the_officers_department_is_said_beside_the_type(app):
    response = officer_registers(app, "edu-officer-1", "factory")
    assert beside(response, "type") == "该类型示范区不属于本部门职责范围"


def test_a_type_outside_the_officers_department_keeps_the_name(app):
    response = officer_registers(app, "edu-officer-2", "factory")
    assert value_of(response, "name") != ""


def test_an_officer_is_offered_only_the_departments_types(app):
    console = signed_in(app, "department_officer", "edu-officer-3", department="education")
    import re

    types = re.search(r'<select id="type".*?</select>', text(console.get("/console/zones/new"))).group(0)
    assert re.findall(r'<option value="(\w+)"', types) == ["school"]


# ---- 7. voiding all of a student's check-ins asks first ------------------------------------------


def teacher_of(app, crowd, username):
    console = signed_in(app, "school_admin", username, school_id=crowd["school"])
    console.get(f"/console/campaigns/{crowd['campaign']}")
    return console


def void_all_path(crowd) -> str:
    return f"/console/campaigns/{crowd['campaign']}/students/{crowd['ids'][0]}/void"


def test_voiding_a_students_check_ins_first_says_how_many(app, client, crowd):
    console = teacher_of(app, crowd, "void-ask-1")
    assert "将作废该学生在本活动的 5 条打卡" in text(console.get(void_all_path(crowd)))


def test_an_unconfirmed_void_of_a_student_voids_nothing(app, client, crowd):
    from tests.test_campaign_costs import _checkins

    console = teacher_of(app, crowd, "void-ask-2")
    console.post(void_all_path(crowd), {"reason": "集中补记刷分", "checkin_id": "1"})
    assert _checkins(client, crowd, voided="true")["items"] == []


def test_the_void_pages_form_voids_the_students_check_ins(app, client, crowd):
    import re

    from tests.test_campaign_costs import _checkins

    console = teacher_of(app, crowd, "void-ask-3")
    page = text(console.get(void_all_path(crowd)))
    form = re.search(r'<form method="post" action="([^"]+)" class="stack">(.*?)</form>', page, re.S)
    if form:  # (no page, no form: nothing is posted)
        hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form.group(2)))
        console.post(form.group(1), {**hidden, "reason": "集中补记刷分"})
    assert len(_checkins(client, crowd, voided="true")["items"]) == 5


def test_the_campaign_page_links_to_the_void_page_instead_of_sharing_the_reason(app, client, crowd):
    page = text(teacher_of(app, crowd, "void-ask-4").get(f"/console/campaigns/{crowd['campaign']}"))
    assert f'<a href="{void_all_path(crowd)}">作废该生全部打卡…</a>' in page


# ---- 8. a reveal is not posted again by a reload -------------------------------------------------


def reveal(app, an_objection, username):
    console = signed_in(app, "department_officer", username, department="housing_construction")
    console.get(f"/console/objections/{an_objection}")
    return console.post(f"/console/objections/{an_objection}/reveal", {"reason": "核实异议人身份"})


def test_a_revealed_page_is_never_stored_by_the_browser(app, an_objection):
    assert reveal(app, an_objection, "reveal-1").headers["Cache-Control"] == "no-store"


def test_a_revealed_page_puts_back_the_objections_own_address(app, an_objection):
    page = text(reveal(app, an_objection, "reveal-2"))
    assert f'history.replaceState(null, "", "/console/objections/{an_objection}")' in page


# ---- 9. the audit log in words -----------------------------------------------------------------


def audited(app, action="zone.transition", before=None, after=None, *, wechat=False):
    from app.accounts.models import User
    from app.audit import services as audit

    with app.app_context():
        actor = None
        if wechat:
            actor = User(openid="o-audit-probe")
            db.session.add(actor)
            db.session.flush()
        audit.record(actor, action, "zone", 7, before, after)
        db.session.commit()
        return actor.id if actor else None


def audit_page(app, username) -> str:
    return text(signed_in(app, "admin", username).get("/console/audit"))


def test_an_audit_entrys_action_reads_in_chinese(app):
    audited(app, before={"status": "applied"}, after={"status": "expert_review"})
    assert "<td>示范区状态变更</td>" in audit_page(app, "audit-1")


def test_an_audit_entrys_object_reads_in_chinese(app):
    audited(app, before={"status": "applied"}, after={"status": "expert_review"})
    assert "示范区 #7" in audit_page(app, "audit-2")


def test_an_audit_entrys_change_reads_field_old_and_new(app):
    audited(app, before={"status": "applied"}, after={"status": "expert_review"})
    assert "<div>状态：已申报 → 专家评审</div>" in audit_page(app, "audit-3")


def test_an_audit_entrys_change_is_not_raw_json(app):
    audited(app, before={"status": "applied"}, after={"status": "expert_review"})
    assert "expert_review" not in audit_page(app, "audit-4")


def test_a_wechat_actor_is_numbered_once(app):
    actor_id = audited(app, "zone.update", {"name": "甲"}, {"name": "乙"}, wechat=True)
    assert f"#{actor_id} #{actor_id}" not in audit_page(app, "audit-5").replace("<small>", "").replace("</small>", "")


def test_an_articles_publishing_reads_in_chinese(app):
    audited(app, "article.save", {"draft": True}, {"draft": False})
    assert "<div>草稿：是 → 否</div>" in audit_page(app, "audit-7")


def test_the_audit_action_filter_offers_labels(app):
    assert '<option value="zone.transition" >示范区状态变更</option>' in audit_page(app, "audit-6")


# ---- 10. chart labels stay distinguishable -----------------------------------------------------


def test_a_long_bar_label_is_wrapped_not_cut():
    from console.charts import bar_chart

    chart = bar_chart("各行动减排量", [("步行上学（代替乘私家车）", 1.5), ("骑车上学（代替乘私家车）", 1.0)])
    assert ">步行上学</tspan>" in chart


def test_a_long_bar_labels_rest_is_on_its_next_line():
    from console.charts import bar_chart

    chart = bar_chart("各行动减排量", [("步行上学（代替乘私家车）", 1.5)])
    assert ">（代替乘私家车）</tspan>" in chart


def test_a_wrapped_label_makes_its_row_taller():
    from console.charts import bar_chart

    chart = bar_chart("t", [("步行上学（代替乘私家车）", 1.0)])  # one row of two lines: 41 px, not 26
    assert 'viewBox="0 0 420 57"' in chart


# ---- 7 and 9 in a browser at 768 px: wide tables shown whole or scrolled in their box --------------


def at_768(browser, live, username, path):
    from tests.test_console_browser import sign_in

    page = sign_in(browser, live, username, viewport={"width": 768, "height": 900})
    page.goto(f"{live}{path}")
    return page


# The right edge of the check-in table's last heading (作废) and of the box the table is shown in.
LAST_COLUMN = """() => {
  const table = [...document.querySelectorAll("table")].find(t => t.textContent.includes("作废此条"));
  const headings = table.querySelectorAll("th");
  return [headings[headings.length - 1].getBoundingClientRect().right, table.parentElement.getBoundingClientRect().right];
}"""


def test_the_check_in_tables_last_column_is_not_cut_off_at_768_pixels(app, client, crowd, browser, live):
    staff_account(app, "school_admin", "narrow-teacher", school_id=crowd["school"])
    page = at_768(browser, live, "narrow-teacher", f"/console/campaigns/{crowd['campaign']}")
    last_column, box = page.evaluate(LAST_COLUMN)
    assert last_column <= box


def test_the_audit_log_does_not_widen_the_page_at_768_pixels(app, browser, live):
    audited(app, "zone.update", {"cover": None}, {"cover": "/media/uploads/" + "a" * 120 + ".png"})
    staff_account(app, "admin", "narrow-admin")
    page = at_768(browser, live, "narrow-admin", "/console/audit")
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
