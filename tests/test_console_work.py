"""The staff console as staff found it (issue 21.2): evidence images, readable action names and numbers,
a confirmed day closing, each role's own dashboard, clear wording, and creating zones and campaigns."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from tests.factories import make_base, make_slot, open_notice
from tests.test_console import signed_in, text
from tests.test_objection_handling import objection_id, raise_objections
from tests.test_visits import book, visitors

# ---- objections --------------------------------------------------------------------------------


@pytest.fixture
def objection_with_evidence(app, client, auth, fake_wechat):
    from app.publicity.models import Objection

    notice = open_notice(app, zone_types=("building",))
    _, receipts = raise_objections(client, auth, notice)
    oid = objection_id(app, receipts[0])
    with app.app_context():
        db.session.get(Objection, oid).evidence_urls = ["/media/u/1/a.jpg", "/media/u/1/b.png"]
        db.session.commit()
    return oid


def test_the_objection_page_shows_the_evidence_images(app, objection_with_evidence):
    page = text(signed_in(app, "institute_staff", "officer-ev").get(f"/console/objections/{objection_with_evidence}"))
    assert ('<img src="/media/u/1/a.jpg"' in page, '<img src="/media/u/1/b.png"' in page) == (True, True)


def test_an_objection_without_evidence_says_so(app, client, auth, fake_wechat):
    notice = open_notice(app, zone_types=("building",))
    _, receipts = raise_objections(client, auth, notice)
    oid = objection_id(app, receipts[0])
    page = text(signed_in(app, "institute_staff", "officer-ev2").get(f"/console/objections/{oid}"))
    assert "<dt>证据图片</dt><dd>无</dd>" in page


# ---- check-ins: names, numbers, chart titles ---------------------------------------------------


@pytest.fixture
def confirmed_checkin(app, client, auth, running):
    """A clean-plate check-in a teacher confirmed (weight 2: a whole number of points), and the teacher's console."""
    from tests.campaign_helpers import _checkin

    assert _checkin(client, running["headers"], running["campaign"]).status_code == 201
    console = signed_in(app, "school_admin", "teacher-cn", school_id=running["school"])
    page = text(console.get(f"/console/campaigns/{running['campaign']}"))
    checkin_id = int(__import__("re").search(r"/console/checkins/(\d+)/confirm", page).group(1))
    assert console.post(f"/console/checkins/{checkin_id}/confirm").status_code == 302
    return {**running, "console": console, "checkin": checkin_id}


def _recent_row(page: str) -> str:
    return page.split("最近的打卡", 1)[1].split("</tr>", 2)[1]


def test_a_check_in_list_names_the_action_in_chinese(app, confirmed_checkin):
    page = text(confirmed_checkin["console"].get(f"/console/campaigns/{confirmed_checkin['campaign']}"))
    assert ("光盘行动 × 1" in _recent_row(page), "clean_plate" in _recent_row(page)) == (True, False)


def test_whole_points_are_written_as_a_plain_number(app, confirmed_checkin):
    from app.campaigns.models import ActionCheckin

    with app.app_context():
        points = db.session.get(ActionCheckin, confirmed_checkin["checkin"]).points
    page = text(confirmed_checkin["console"].get(f"/console/campaigns/{confirmed_checkin['campaign']}"))
    assert (f"<td>{int(points)}</td>" in _recent_row(page), "E+" in page) == (True, False)


def test_the_action_chart_has_a_title_and_chinese_labels(app, confirmed_checkin):
    page = text(confirmed_checkin["console"].get(f"/console/campaigns/{confirmed_checkin['campaign']}"))
    chart = page.split('<figcaption class="chart-title">各行动减排量', 1)[1].split("</figure>", 1)[0]
    assert ('class="label">光盘行动</text>' in chart, "clean_plate" in chart) == (True, False)


def test_the_check_in_export_names_the_action_in_chinese(app, client, auth, confirmed_checkin):
    from tests.campaign_helpers import _school_admin

    body = client.get(
        f"/api/admin/v1/campaigns/{confirmed_checkin['campaign']}/checkins.csv",
        headers=_school_admin(auth, confirmed_checkin["school"]),
    ).get_data(as_text=True)
    row = body.splitlines()[1].split(",")
    assert (row[4], "E+" in body) == ("光盘行动", False)


# ---- closing a day -----------------------------------------------------------------------------


@pytest.fixture
def booked_day(app, client, auth, fake_wechat):
    """Tomorrow at a base, booked by two visitors, and its operator's console on the base's page."""
    from datetime import timedelta

    from app.times import local_today

    base_id = make_base(app)
    slot_id = make_slot(app, base_id, days_ahead=1)
    for n in (1, 2):
        response = book(
            client,
            auth.wechat_headers(f"closing-{n}"),
            {"slot_id": slot_id, "visitors": visitors(1, start=n)},
            f"cl-{n}",
        )
        assert response.status_code == 201, response.json
    console = signed_in(app, "base_operator", "closer", base_id=base_id)
    console.get(f"/console/bases/{base_id}")
    with app.app_context():
        day = (local_today() + timedelta(days=1)).isoformat()
    return {"base": base_id, "console": console, "day": day}


def _confirmed_bookings(app, base_id):
    from app.visits.models import Booking

    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Booking).where(Booking.base_id == base_id, Booking.status == "confirmed")
        )


def test_closing_a_day_asks_first_saying_how_many_are_told(app, booked_day):
    page = booked_day["console"].post(
        f"/console/bases/{booked_day['base']}/close-day", {"day": booked_day["day"], "reason": "设备检修"}
    )
    assert "将取消 2 个预约，通知 2 位访客，确定吗？" in text(page)


def test_closing_a_day_without_confirming_cancels_nothing(app, booked_day):
    booked_day["console"].post(
        f"/console/bases/{booked_day['base']}/close-day", {"day": booked_day["day"], "reason": "设备检修"}
    )
    assert _confirmed_bookings(app, booked_day["base"]) == 2


def test_closing_a_day_once_confirmed_cancels_its_bookings(app, booked_day):
    console = booked_day["console"]
    console.post(f"/console/bases/{booked_day['base']}/close-day", {"day": booked_day["day"], "reason": "设备检修"})
    done = console.post(
        f"/console/bases/{booked_day['base']}/close-day",
        {"day": booked_day["day"], "reason": "设备检修", "confirmed": "1"},
    )
    assert (done.status_code, _confirmed_bookings(app, booked_day["base"])) == (302, 0)


# ---- each role's dashboard ---------------------------------------------------------------------


@pytest.fixture
def operator_home(app, booked_day):
    """The operator's dashboard with tomorrow booked and one unread capacity alert for tomorrow."""
    from datetime import date

    from app.visits.models import CapacityAlert

    with app.app_context():
        db.session.add(
            CapacityAlert(
                base_id=booked_day["base"],
                scope=f"day:{booked_day['day']}",
                slot_id=None,
                visit_date=date.fromisoformat(booked_day["day"]),
                threshold=80,
                booked=16,
                capacity=20,
            )
        )
        db.session.commit()
    return text(booked_day["console"].get("/console/"))


def test_an_operators_dashboard_shows_this_weeks_visitors(app, booked_day, operator_home):
    from datetime import date

    week = operator_home.split('id="visits-week"', 1)[1].split("</section>", 1)[0]
    tomorrow = date.fromisoformat(booked_day["day"])
    in_this_week = tomorrow.weekday() != 0  # tomorrow is Monday: next week, not this one
    expected = f'<tr data-base="{booked_day["base"]}">' if in_this_week else "本周没有预约"
    assert expected in week


def test_an_operators_dashboard_shows_todays_visitors(app, client, auth, fake_wechat):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    base_id = make_base(app)
    # Half way from now to the local midnight: still today, not yet started.
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), now.tzinfo)
    slot_id = make_slot(app, base_id, starts_in=max(1.0, (midnight - now).total_seconds() / 2))
    booked = book(client, auth.wechat_headers("today-1"), {"slot_id": slot_id, "visitors": visitors(2)}, "today-1")
    assert booked.status_code == 201, booked.json
    home = text(signed_in(app, "base_operator", "today-op", base_id=base_id).get("/console/"))
    today = home.split('id="base-work"', 1)[1].split("</section>", 1)[0]
    assert f'<tr data-id="{base_id}">' in today


def test_an_operators_dashboard_links_the_door(app, operator_home):
    assert 'id="door-link"' in operator_home


def test_an_operators_dashboard_lists_unread_capacity_alerts(app, operator_home):
    alerts = operator_home.split('id="capacity-alerts"', 1)[1].split("</section>", 1)[0]
    assert ("未读的容量提醒（1）" in alerts, "当日预约已达 80%" in alerts) == (True, True)


def test_an_operators_dashboard_leaves_out_zones_and_objections(app, operator_home):
    shown = (
        'class="matrix"' in operator_home,
        "待处理的异议" in operator_home,
        "各公示的异议数" in operator_home,
        "低碳学校活动减排" in operator_home,
    )
    assert shown == (False, False, False, False)


@pytest.fixture
def school_home(app, running):
    from app.zones.models import Zone

    with app.app_context():
        name = db.session.get(Zone, running["school"]).name
    console = signed_in(app, "school_admin", "teacher-home", school_id=running["school"])
    return {**running, "name": name, "page": text(console.get("/console/"))}


def test_a_school_admins_dashboard_names_their_school(app, school_home):
    mine = school_home["page"].split('id="my-schools"', 1)[1].split("</section>", 1)[0]
    assert (school_home["name"] in mine, f"学校 {school_home['school']}" in school_home["page"]) == (True, False)


def test_a_school_admins_dashboard_lists_their_campaigns(app, school_home):
    assert f'/console/campaigns/{school_home["campaign"]}"' in school_home["page"]


def test_a_school_admins_dashboard_leaves_out_zones_and_bases(app, school_home):
    page = school_home["page"]
    assert ('class="matrix"' in page, "待处理的异议" in page, 'id="base-work"' in page) == (False, False, False)


def test_the_staff_api_dashboard_gives_an_operator_their_sections_only(app, client, auth, booked_day):
    headers = auth.staff("base_operator", base_id=booked_day["base"])
    body = client.get("/api/admin/v1/dashboard", headers=headers).json
    assert (body["sections"], body["zones"], body["notices_closing"]) == (["bases"], [], [])


# ---- wording and colours -----------------------------------------------------------------------


def test_a_deadline_at_midnight_is_shown_as_its_last_included_day(app):
    from datetime import datetime, time, timedelta

    from app.publicity.models import PublicityNotice
    from app.times import app_timezone, local_today

    notice = open_notice(app, zone_types=("building",))
    with app.app_context():
        last = local_today() + timedelta(days=1)
        midnight = datetime.combine(last + timedelta(days=1), time(0), tzinfo=app_timezone())
        db.session.get(PublicityNotice, notice["id"]).ends_at = midnight
        db.session.commit()
    page = text(signed_in(app, "institute_staff", "officer-dl").get("/console/"))
    closing = page.split("三天内结束的公示", 1)[1].split("</section>", 1)[0]
    assert (f"截至 {last.month} 月 {last.day} 日" in closing, f"{midnight:%m-%d} 00:00" in closing) == (True, False)


def test_rejected_and_titled_zones_have_different_colours(app):
    from tests.factories import make_zone

    rejected, titled = make_zone(app, "rejected", type="building"), make_zone(app, "titled", type="building")
    console = signed_in(app, "institute_staff", "officer-col")
    colours = []
    for zone_id in (rejected, titled):
        page = text(console.get(f"/console/zones/{zone_id}"))
        colours.append(__import__("re").search(r'class="tag status"[^>]*style="--c: ([^"]+)"', page).group(1))
    assert colours[0] != colours[1]


def test_the_pending_objections_card_spans_the_row(app, client, auth, fake_wechat):
    notice = open_notice(app, zone_types=("building",))
    raise_objections(client, auth, notice)
    page = text(signed_in(app, "institute_staff", "officer-wide").get("/console/"))
    assert '<section class="card wide" id="objections-waiting">' in page


# ---- jobs --------------------------------------------------------------------------------------


def test_the_jobs_page_says_no_worker_runs_without_redis(app, monkeypatch):
    from app.jobs import queue

    monkeypatch.setattr(queue, "redis_url", lambda: None)
    page = text(signed_in(app, "admin", "admin-jobs").get("/console/jobs"))
    state = page.split('id="workers-state">', 1)[1].split("</p>", 1)[0]
    assert ("未配置 Redis" in state, "没有 Redis 就没有后台任务进程运行" in state) == (True, True)


def test_the_jobs_page_says_a_job_never_ran_for_want_of_a_worker(app, monkeypatch):
    from app.jobs import queue

    monkeypatch.setattr(queue, "redis_url", lambda: None)
    page = text(signed_in(app, "admin", "admin-jobs2").get("/console/jobs"))
    assert "尚未运行（没有后台任务进程）" in page


# ---- the staff API: a school's classes ---------------------------------------------------------


@pytest.fixture
def school_with_classes(app, client, auth, school):
    from tests.campaign_helpers import _school_admin

    headers = _school_admin(auth, school)
    made = [
        client.post(f"/api/admin/v1/schools/{school}/classes", json={"name": name}, headers=headers).json
        for name in ("二班", "一班")
    ]
    return {"school": school, "headers": headers, "made": made}


def test_a_school_admin_lists_their_classes_with_join_codes(app, client, school_with_classes):
    listed = client.get(
        f"/api/admin/v1/schools/{school_with_classes['school']}/classes", headers=school_with_classes["headers"]
    ).json
    expected = sorted((c["name"], c["join_code"]) for c in school_with_classes["made"])
    assert [(c["name"], c["join_code"]) for c in listed["items"]] == expected


def test_the_class_list_is_a_page_envelope(app, client, school_with_classes):
    listed = client.get(
        f"/api/admin/v1/schools/{school_with_classes['school']}/classes", headers=school_with_classes["headers"]
    ).json
    assert (listed["total"], listed["page"]) == (2, 1)


def test_institute_staff_list_a_schools_classes(app, client, auth, school_with_classes):
    listed = client.get(
        f"/api/admin/v1/schools/{school_with_classes['school']}/classes", headers=auth.staff("institute_staff")
    )
    assert listed.status_code == 200


def test_another_schools_admin_cannot_list_the_classes(app, client, auth, school_with_classes):
    from tests.factories import make_zone
    from tests.helpers import assert_error

    other = make_zone(app, "publicity", type="school")
    response = client.get(
        f"/api/admin/v1/schools/{school_with_classes['school']}/classes",
        headers=auth.staff("school_admin", school_id=other),
    )
    assert_error(response, 403, "not_this_school")


@pytest.mark.parametrize("role", ["base_operator", "department_officer"])
def test_other_roles_cannot_list_a_schools_classes(app, client, auth, school_with_classes, role):
    from tests.factories import make_base

    scope = {"base_id": make_base(app)} if role == "base_operator" else {"department": "education"}
    response = client.get(
        f"/api/admin/v1/schools/{school_with_classes['school']}/classes", headers=auth.staff(role, **scope)
    )
    assert response.status_code == 403


def test_the_classes_of_a_missing_school_are_not_found(app, client, auth):
    from tests.helpers import assert_error

    response = client.get("/api/admin/v1/schools/999999/classes", headers=auth.staff("institute_staff"))
    assert_error(response, 404, "not_found")


# ---- creating a zone and a campaign in the console ---------------------------------------------


def _zone_form(app, **overrides):
    from tests.factories import zone_data

    with app.app_context():
        data = zone_data(**overrides)
    return {
        k: str(v)
        for k, v in data.items()
        if k in ("name", "type", "level", "district_id", "applicant_name", "applicant_kind", "batch_year", "address")
    }


def test_staff_register_a_zone_in_the_console(app):
    from app.zones.models import Zone

    console = signed_in(app, "institute_staff", "officer-new")
    console.get("/console/zones/new")
    form = _zone_form(app)
    response = console.post("/console/zones/new", form)
    with app.app_context():
        made = db.session.scalar(select(Zone).where(Zone.name == form["name"]))
    assert (response.status_code, response.headers["Location"], made.status) == (
        302,
        f"/console/zones/{made.id}",
        "applied",
    )


def _errors_beside_fields(page: str) -> dict[str, str]:
    import re

    return dict(re.findall(r'<p class="error field-error" id="error-([a-z_]+)">([^<]*)</p>', page))


def test_a_bad_zone_form_shows_the_apis_messages_beside_the_fields(app, client, auth):
    console = signed_in(app, "institute_staff", "officer-bad")
    console.get("/console/zones/new")
    form = {**_zone_form(app), "batch_year": "1999"}
    del form["name"]
    page = console.post("/console/zones/new", form)
    api = client.post(
        "/api/admin/v1/zones",
        json={**form, "batch_year": 1999, "district_id": int(form["district_id"])},
        headers=auth.staff("institute_staff"),
    )
    expected = {field: "；".join(messages) for field, messages in api.json["error"]["details"].items()}
    assert (page.status_code, sorted(expected), _errors_beside_fields(text(page))) == (
        422,
        ["batch_year", "name"],
        expected,
    )


def test_a_bad_zone_form_creates_nothing(app):
    from app.zones.models import Zone

    console = signed_in(app, "institute_staff", "officer-bad2")
    console.get("/console/zones/new")
    form = {**_zone_form(app), "level": "platinum"}
    console.post("/console/zones/new", form)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Zone).where(Zone.name == form["name"])) == 0


def _campaign_form(**overrides):
    from tests.campaign_helpers import _today

    today = _today()
    return {
        "title": "节能周",
        "starts_on": today.isoformat(),
        "ends_on": today.isoformat(),
        "audience": "school",
        "actions": ["clean_plate", "lights_off"],
        **overrides,
    }


def test_a_school_admin_creates_a_campaign_in_the_console(app, school, catalogue_synced):
    from app.campaigns.models import Campaign

    console = signed_in(app, "school_admin", "teacher-new", school_id=school)
    console.get(f"/console/schools/{school}/campaigns/new")
    response = console.post(f"/console/schools/{school}/campaigns/new", _campaign_form())
    with app.app_context():
        made = db.session.scalar(select(Campaign).where(Campaign.school_id == school))
    assert (response.status_code, made.title, sorted(made.actions)) == (302, "节能周", ["clean_plate", "lights_off"])


def test_a_bad_campaign_form_shows_the_apis_messages_beside_the_fields(app, client, auth, school, catalogue_synced):
    from tests.campaign_helpers import _school_admin

    console = signed_in(app, "school_admin", "teacher-bad", school_id=school)
    console.get(f"/console/schools/{school}/campaigns/new")
    form = _campaign_form(title="节", starts_on="2026-13-40")
    del form["actions"]
    page = console.post(f"/console/schools/{school}/campaigns/new", form)
    api = client.post(f"/api/admin/v1/schools/{school}/campaigns", json=form, headers=_school_admin(auth, school))
    expected = {field: "；".join(messages) for field, messages in api.json["error"]["details"].items()}
    assert (page.status_code, sorted(expected), _errors_beside_fields(text(page))) == (
        422,
        ["actions", "starts_on", "title"],
        expected,
    )


def test_a_campaign_ending_before_it_starts_is_refused_beside_the_end_date(app, school, catalogue_synced):
    from app.campaigns.models import Campaign

    console = signed_in(app, "school_admin", "teacher-bad2", school_id=school)
    console.get(f"/console/schools/{school}/campaigns/new")
    page = console.post(f"/console/schools/{school}/campaigns/new", _campaign_form(ends_on="2020-01-01"))
    with app.app_context():
        made = db.session.scalar(select(func.count()).select_from(Campaign).where(Campaign.school_id == school))
    assert ("ends_on" in _errors_beside_fields(text(page)), made) == (True, 0)


def test_another_schools_admin_cannot_create_a_campaign_there(app, school, catalogue_synced):
    from tests.factories import make_zone

    other = make_zone(app, "publicity", type="school")
    console = signed_in(app, "school_admin", "teacher-other", school_id=other)
    assert console.get(f"/console/schools/{school}/campaigns/new").status_code == 403


def test_the_new_notice_helper_names_the_last_included_day(app):
    from datetime import date

    from app.publicity.calendar import nth_working_day

    start = date(2026, 12, 7)
    with app.app_context():
        last = nth_working_day(start, 5)
    page = text(
        signed_in(app, "institute_staff", "officer-win").get(f"/console/notices/new?starts_on={start}&working_days=5")
    )
    assert f"公示期截至 {last.month} 月 {last.day} 日" in page
