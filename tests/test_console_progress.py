"""A zone's construction progress in the staff console: the reporter's zone only, a quarterly report
written, returned with a comment, corrected and accepted, the verified value on the chart; who may
review; bad input beside its field; milestones with pictures; problems; reporter accounts; and the
dashboards' counts within each officer's scope."""

from __future__ import annotations

import io
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.progress.models import ZoneProblem, ZoneProgressReport
from app.progress.tracking import due_on, period_of, period_start, previous_period
from tests.kept import kept
from tests.progress_helpers import confirmed_zone, today
from tests.test_console import console_of, signed_in, staff_account, text
from tests.test_console_browser import browser, live  # noqa: F401  (fixtures)
from tests.test_console_forms import field_error

SUMMARY = "完成屋顶光伏安装与照明改造"


@pytest.fixture
def site(request, app):
    """A building zone confirmed at the start of the previous quarter, its reporter and its
    department's officer signed in to the console, and a factory zone of another department. The
    zones and accounts are kept (tests/kept.py); each test signs in its own console clients."""
    return {
        **kept(request, "console_progress.site", lambda: _site(app)),
        "reporter": console_of(app, "c-builder"),
        "officer": console_of(app, "c-housing"),
    }


def _site(app):
    day = today(app)
    previous = previous_period(period_of(day))
    zone_id = confirmed_zone(app, "building", confirmed_on=period_start(previous))
    staff_account(app, "zone_reporter", "c-builder", zone_id=zone_id)
    staff_account(app, "department_officer", "c-housing", department="housing_construction")
    return {
        "zone_id": zone_id,
        "other_zone_id": confirmed_zone(app, "factory"),
        "today": day,
        "current": period_of(day),
        "previous": previous,
    }


def report_form(site, **changes):
    form = {
        "period": site["current"],
        "public_summary": SUMMARY,
        "internal_note": "内部：施工单位变更",
        "problems": "",
        "indicator_key": "total_emissions",
        "indicator_year": str(site["today"].year),
        "indicator_value": "812.5",
        "unit": "tCO₂e/年",
        "action": "submit",
    }
    return {**form, **changes}


def new_report(site, **changes):
    console = site["reporter"]
    console.get(f"/console/progress/zones/{site['zone_id']}/reports/new")
    return console.post(f"/console/progress/zones/{site['zone_id']}/reports/new", report_form(site, **changes))


def report_id_of(response) -> int:
    found = re.search(r"/console/progress/reports/(\d+)$", response.headers["Location"])
    assert found, response.headers.get("Location")
    return int(found.group(1))


def state_of(app, report_id) -> str:
    with app.app_context():
        return db.session.get(ZoneProgressReport, report_id).state


def review(site, report_id, decision, comment=""):
    console = site["officer"]
    console.get(f"/console/progress/reports/{report_id}")
    return console.post(
        f"/console/progress/reports/{report_id}/review", {"decision": decision, "comment": comment, "from": "submitted"}
    )


@pytest.fixture
def submitted(site):
    response = new_report(site)
    assert response.status_code == 302, text(response)
    return report_id_of(response)


@pytest.fixture
def returned(site, submitted):
    assert review(site, submitted, "returned", "请补充光伏装机容量").status_code == 302
    return submitted


# ---- the reporter's zone only ------------------------------------------------------------------


def test_a_reporter_opens_their_zones_progress(site):
    assert site["reporter"].get(f"/console/progress/zones/{site['zone_id']}").status_code == 200


def test_another_zones_progress_is_not_found_for_a_reporter(site):
    assert site["reporter"].get(f"/console/progress/zones/{site['other_zone_id']}").status_code == 404


def test_a_reporters_progress_menu_leads_to_their_zone(site):
    response = site["reporter"].get("/console/progress")
    assert response.headers["Location"].endswith(f"/console/progress/zones/{site['zone_id']}")


def test_a_reporters_menu_has_their_zone_and_no_review_queue(site):
    page = text(site["reporter"].get("/console/"))
    assert ("本示范区建设进展" in page, "报告审核" in page) == (True, False)


def test_an_officers_menu_has_the_review_queue(site):
    assert "/console/progress/reviews" in text(site["officer"].get("/console/"))


def test_a_reporter_cannot_open_the_zone_registry(site):
    assert site["reporter"].get(f"/console/zones/{site['zone_id']}").status_code == 403


# ---- a report from draft to accepted -----------------------------------------------------------


def test_a_reporter_submits_a_report(app, site, submitted):
    assert state_of(app, submitted) == "submitted"


def test_a_saved_draft_stays_a_draft(app, site):
    assert state_of(app, report_id_of(new_report(site, action="save"))) == "draft"


def test_a_submitted_report_is_in_the_officers_review_queue(site, submitted):
    assert f'data-id="{submitted}"' in text(site["officer"].get("/console/progress/reviews"))


def test_the_officer_returns_the_report_with_a_comment(app, site, returned):
    assert state_of(app, returned) == "returned"


def test_the_reporter_sees_the_officers_comment(site, returned):
    assert "请补充光伏装机容量" in text(site["reporter"].get(f"/console/progress/reports/{returned}"))


def test_returning_without_a_comment_says_so_beside_the_comment(site, submitted):
    assert field_error(text(review(site, submitted, "returned", "")), "comment")


def test_the_reporter_resubmits_a_returned_report(app, site, returned):
    console = site["reporter"]
    console.get(f"/console/progress/reports/{returned}")
    form = report_form(site, public_summary=SUMMARY + "，装机容量 200 kW")
    form.pop("period")
    assert console.post(f"/console/progress/reports/{returned}", form).status_code == 302
    assert state_of(app, returned) == "submitted"


def test_an_accepted_reports_value_is_on_the_series_chart(app, site, returned):
    console = site["reporter"]
    console.get(f"/console/progress/reports/{returned}")
    form = report_form(site)
    form.pop("period")
    console.post(f"/console/progress/reports/{returned}", form)
    assert review(site, returned, "accepted").status_code == 302
    page = text(site["officer"].get(f"/console/progress/zones/{site['zone_id']}"))
    assert f'data-year="{site["today"].year}" data-value="812.5"' in page


def test_the_series_chart_has_a_title(site):
    page = text(site["officer"].get(f"/console/progress/zones/{site['zone_id']}"))
    assert re.search(r'<figcaption class="chart-title">[^<]*建筑碳排放总量[^<]*</figcaption>', page)


def test_a_reporter_cannot_review(site, submitted):
    response = site["reporter"].post(
        f"/console/progress/reports/{submitted}/review", {"decision": "accepted", "from": "submitted"}
    )
    assert response.status_code == 403


def test_a_reporter_cannot_open_the_review_queue(site):
    assert site["reporter"].get("/console/progress/reviews").status_code == 403


def test_an_officer_of_another_department_does_not_see_the_report(app, site, submitted):
    other = signed_in(app, "department_officer", "c-industry", department="industry_it")
    assert other.get(f"/console/progress/reports/{submitted}").status_code == 404


# ---- bad input beside its field ----------------------------------------------------------------


def test_a_period_2026q5_is_refused_beside_the_period(site):
    assert field_error(text(new_report(site, period="2026Q5")), "period")


def test_a_refused_report_keeps_what_was_typed(site):
    assert SUMMARY in text(new_report(site, period="2026Q5"))


def test_a_value_in_another_unit_is_refused_beside_the_unit(site):
    response = new_report(site, unit="kgCO₂e/(m²·年)")
    assert (response.status_code, field_error(text(response), "unit")) == (422, True)


def test_a_refused_report_creates_nothing(app, site):
    new_report(site, unit="kgCO₂e/(m²·年)")
    with app.app_context():
        assert db.session.scalars(select(ZoneProgressReport)).all() == []


# ---- milestones --------------------------------------------------------------------------------


def add_milestone(site, name="完成屋顶光伏", planned_on=None):
    console = site["reporter"]
    console.get(f"/console/progress/zones/{site['zone_id']}")
    planned_on = planned_on or site["today"] - timedelta(days=1)
    return console.post(
        f"/console/progress/zones/{site['zone_id']}/milestones", {"name": name, "planned_on": planned_on.isoformat()}
    )


def milestone_id(app, name="完成屋顶光伏") -> int:
    from app.progress.models import ZoneMilestone

    with app.app_context():
        return db.session.scalar(select(ZoneMilestone.id).where(ZoneMilestone.name == name))


def test_a_milestone_past_its_date_and_not_done_is_marked_late(app, site):
    add_milestone(site)
    page = text(site["reporter"].get(f"/console/progress/zones/{site['zone_id']}"))
    assert re.search(rf'<tr data-id="{milestone_id(app)}" class="late">', page)


def test_a_future_done_date_is_refused_beside_the_date(app, site):
    add_milestone(site)
    console = site["reporter"]
    tomorrow = (site["today"] + timedelta(days=1)).isoformat()
    response = console.post(f"/console/progress/milestones/{milestone_id(app)}", {"done_on": tomorrow, "note": ""})
    assert (response.status_code, field_error(text(response), "done_on")) == (422, True)


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (27, 127, 90)).save(out, "PNG")
    return out.getvalue()


def test_a_milestone_is_marked_done_with_a_picture_of_evidence(app, site, fake_wechat):
    from app.progress.models import ZoneMilestone

    add_milestone(site)
    console = site["reporter"]
    response = console.post(
        f"/console/progress/milestones/{milestone_id(app)}",
        {"done_on": site["today"].isoformat(), "note": "已并网", "pictures": (io.BytesIO(png()), "roof.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, text(response)
    with app.app_context():
        item = db.session.get(ZoneMilestone, milestone_id(app))
        assert (item.done_on, len(item.evidence_urls)) == (site["today"], 1)


def test_a_file_that_is_not_a_picture_is_refused_beside_the_pictures(app, site, fake_wechat):
    add_milestone(site)
    response = site["reporter"].post(
        f"/console/progress/milestones/{milestone_id(app)}",
        {"done_on": site["today"].isoformat(), "pictures": (io.BytesIO(b"not an image"), "a.png")},
        content_type="multipart/form-data",
    )
    assert (response.status_code, field_error(text(response), "pictures")) == (422, True)


# ---- problems, baseline and target, reporter accounts ------------------------------------------


def add_problem(site, console=None, due=None):
    console = console or site["reporter"]
    console.get(f"/console/progress/zones/{site['zone_id']}")
    due = due or site["today"] + timedelta(days=10)
    return console.post(
        f"/console/progress/zones/{site['zone_id']}/problems",
        {"title": "电网接入审批滞后", "department": "housing_construction", "due_on": due.isoformat()},
    )


def make_overdue(app):
    with app.app_context():
        for problem in db.session.scalars(select(ZoneProblem)):
            problem.due_on = problem.due_on - timedelta(days=30)
        db.session.commit()


def test_an_overdue_problem_is_marked(app, site):
    add_problem(site)
    make_overdue(app)
    page = text(site["officer"].get(f"/console/progress/zones/{site['zone_id']}"))
    assert re.search(r"电网接入审批滞后 <span class=\"tag late\">逾期</span>", page)


def test_a_problem_due_yesterday_is_refused_beside_the_due_date(site):
    response = add_problem(site, due=site["today"] - timedelta(days=1))
    assert field_error(text(response), "due_on")


def test_the_officer_resolves_a_problem_with_a_note(app, site):
    add_problem(site)
    with app.app_context():
        problem_id = db.session.scalar(select(ZoneProblem.id))
    officer = site["officer"]
    officer.get(f"/console/progress/zones/{site['zone_id']}")
    assert (
        officer.post(f"/console/progress/problems/{problem_id}/resolve", {"note": "已协调供电公司"}).status_code == 302
    )
    with app.app_context():
        assert db.session.get(ZoneProblem, problem_id).resolution_note == "已协调供电公司"


def set_series(site, **changes):
    officer = site["officer"]
    officer.get(f"/console/progress/zones/{site['zone_id']}")
    year = site["today"].year
    form = {"baseline_year": year - 3, "baseline_value": "1000", "target_year": year + 3, "target_value": "400"}
    return officer.post(f"/console/progress/zones/{site['zone_id']}/series/total_emissions", {**form, **changes})


def test_the_officer_sets_baseline_and_target(site):
    assert set_series(site).status_code == 302
    page = text(site["officer"].get(f"/console/progress/zones/{site['zone_id']}"))
    assert 'class="target"' in page


def test_a_target_year_before_the_baseline_is_refused_beside_it(site):
    year = site["today"].year
    assert field_error(text(set_series(site, target_year=year - 5)), "target_year")


def test_a_reporter_cannot_set_the_baseline(site):
    console = site["reporter"]
    console.get(f"/console/progress/zones/{site['zone_id']}")
    response = console.post(
        f"/console/progress/zones/{site['zone_id']}/series/total_emissions",
        {"baseline_year": 2023, "baseline_value": "1", "target_year": 2030, "target_value": "1"},
    )
    assert response.status_code == 403


def create_reporter(site, console, **changes):
    console.get("/console/")  # a page with the signed-in session's form token (another zone's page is a 404)
    form = {"username": "c-builder-2", "display_name": "施工方 张工", "password": "long-enough-pw"} | changes
    return console.post(f"/console/progress/zones/{site['zone_id']}/reporters", form)


def test_the_officer_creates_a_reporter_for_the_zone(app, site):
    assert create_reporter(site, site["officer"]).status_code == 302
    reporter = console_of(app, "c-builder-2", "long-enough-pw")
    assert reporter.get(f"/console/progress/zones/{site['zone_id']}").status_code == 200


def test_a_short_reporter_password_is_refused_beside_it(site):
    assert field_error(text(create_reporter(site, site["officer"], password="short")), "password")


def test_an_officer_of_another_department_cannot_create_a_reporter_for_the_zone(app, site):
    other = signed_in(app, "department_officer", "c-industry-2", department="industry_it")
    assert create_reporter(site, other).status_code == 404


# ---- dashboards --------------------------------------------------------------------------------


@pytest.fixture
def overdue(app, site):
    """The previous quarter unreported past its due date (the deadline job run after it), and an
    overdue problem asked of the zone's department."""
    from app.progress import deadlines

    add_problem(site)
    make_overdue(app)
    after = datetime.combine(due_on(site["previous"]) + timedelta(days=1), time(9), ZoneInfo("Asia/Shanghai"))
    with app.app_context():
        deadlines.run_deadlines(after)
    return site


def figures(console) -> dict:
    import json
    from html import unescape

    found = re.search(r"data-figures='([^']*)'", text(console.get("/console/")))
    return json.loads(unescape(found.group(1)))


def test_the_officers_dashboard_counts_the_overdue_report(overdue):
    assert figures(overdue["officer"])["reports_overdue_total"] == 1


def test_the_officers_dashboard_counts_the_overdue_problem(overdue):
    assert figures(overdue["officer"])["problems_overdue_total"] == 1


def test_a_titled_zones_old_overdue_quarter_is_no_longer_counted(app, overdue):
    from app.zones import lifecycle

    with app.app_context():
        for step in ("acceptance_review", "titled"):
            lifecycle.transition(overdue["zone_id"], step, None, None)
    assert figures(overdue["officer"])["reports_overdue_total"] == 0


def test_another_departments_dashboard_counts_no_overdue_report_of_the_zone(app, overdue):
    other = signed_in(app, "department_officer", "c-industry-3", department="industry_it")
    assert figures(other)["reports_overdue_total"] == 0


def test_another_departments_dashboard_counts_no_overdue_problem_of_the_zone(app, overdue):
    other = signed_in(app, "department_officer", "c-industry-4", department="industry_it")
    assert figures(other)["problems_overdue_total"] == 0


def test_another_departments_dashboard_counts_no_report_to_review(app, site, submitted):
    other = signed_in(app, "department_officer", "c-industry-5", department="industry_it")
    assert figures(other)["reviews_waiting_total"] == 0


def test_the_officers_dashboard_counts_the_report_to_review(site, submitted):
    assert figures(site["officer"])["reviews_waiting_total"] == 1


def test_the_reporters_home_shows_the_overdue_quarter(overdue):
    page = text(overdue["reporter"].get("/console/"))
    assert re.search(r'id="my-overdue"><span class="tag late">[^<]*第 \d 季度', page)


def test_the_reporters_home_shows_the_late_milestone(app, site):
    add_milestone(site)
    page = text(site["reporter"].get("/console/"))
    assert f'<li data-id="{milestone_id(app)}">完成屋顶光伏' in page


def test_the_reporters_home_shows_the_report_due(site):
    assert 'id="my-report-due"' in text(site["reporter"].get("/console/"))


def test_the_staff_api_dashboard_counts_the_same(client, overdue):
    login = client.post("/api/admin/v1/auth/login", json={"username": "c-housing", "password": "correct-horse-battery"})
    body = client.get("/api/admin/v1/dashboard", headers={"Authorization": f"Bearer {login.json['token']}"}).json
    assert (body["reports_overdue_total"], body["problems_overdue_total"]) == (1, 1)


# ---- in a real browser (skipped without Chromium, except in CI) --------------------------------


def test_a_reporter_submits_a_report_in_a_browser(app, browser, live):  # noqa: F811
    from tests.test_console import staff_account
    from tests.test_console_browser import sign_in

    day = today(app)
    zone_id = confirmed_zone(app, "building", confirmed_on=period_start(previous_period(period_of(day))))
    staff_account(app, "zone_reporter", "browser-builder", zone_id=zone_id)
    page = sign_in(browser, live, "browser-builder")
    page.get_by_role("link", name="本示范区建设进展").click()
    page.get_by_role("link", name="填写季度报告").click()
    page.get_by_label("季度").fill(period_of(day))
    page.get_by_label("公开摘要（审核通过后对公众公开）").fill(SUMMARY)
    page.get_by_label("指标年份").fill(str(day.year))
    page.get_by_label("指标数值（年度）").fill("812.5")
    page.get_by_role("button", name="保存并提交审核").click()
    assert page.locator("#report-state").inner_text() == "待审核"


def test_a_report_typed_after_the_session_expired_is_offered_again(app, site):
    console = site["reporter"]
    path = f"/console/progress/zones/{site['zone_id']}/reports/new"
    console.get(path)
    app.config["CONSOLE_IDLE_MINUTES"] = -1  # every session is now idle too long
    expired = console.post(
        path, report_form(site, public_summary="会话过期前填写的摘要"), headers={"Referer": f"http://localhost{path}"}
    )
    app.config["CONSOLE_IDLE_MINUTES"] = 30
    console.login("c-builder", page=expired.headers["Location"])
    assert "会话过期前填写的摘要" in text(console.get(path))


# ---- a form sent twice (a reload, Back then Resend, a lost answer) adds once -----------------------


def _key_of(console, zone_id) -> str:
    html = console.get(f"/console/progress/zones/{zone_id}").get_data(as_text=True)
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def test_a_milestone_form_sent_twice_adds_one(app, site):
    from app.progress.models import ZoneMilestone

    console, key = site["reporter"], _key_of(site["reporter"], site["zone_id"])
    body = {"name": "重复提交的里程碑", "planned_on": site["today"].isoformat(), "idempotency_key": key}
    for _ in range(2):
        console.post(f"/console/progress/zones/{site['zone_id']}/milestones", body)
    with app.app_context():
        count = db.session.scalar(select(func.count()).where(ZoneMilestone.name == "重复提交的里程碑"))
    assert count == 1


def test_a_problem_form_sent_twice_adds_one(app, site):
    console, key = site["reporter"], _key_of(site["reporter"], site["zone_id"])
    due = (site["today"] + timedelta(days=10)).isoformat()
    body = {"title": "重复提交的问题", "department": "housing_construction", "due_on": due, "idempotency_key": key}
    for _ in range(2):
        console.post(f"/console/progress/zones/{site['zone_id']}/problems", body)
    with app.app_context():
        count = db.session.scalar(select(func.count()).where(ZoneProblem.title == "重复提交的问题"))
    assert count == 1


def test_the_department_sees_the_zones_reporters_on_its_page(site):
    page = site["officer"].get(f"/console/progress/zones/{site['zone_id']}")
    assert "c-builder" in text(page)


def test_the_department_disables_a_reporter_on_the_zones_page(app, site):
    from app.accounts.models import User

    console = site["officer"]
    console.get(f"/console/progress/zones/{site['zone_id']}")
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == "c-builder"))
    console.post(f"/console/progress/zones/{site['zone_id']}/reporters/{user_id}/active", {"is_active": "0"})
    with app.app_context():
        active = db.session.get(User, user_id).is_active
    assert active is False


# ---- a returned report followed by a new one of its quarter ------------------------------------------


@pytest.fixture
def superseded(site, returned):
    """The returned report, and a new report of the same quarter saved as a draft since."""
    newer = new_report(site, action="save")
    assert newer.status_code == 302, text(newer)
    return returned


def test_a_superseded_report_says_so_and_offers_no_resubmission(site, superseded):
    page = text(site["reporter"].get(f"/console/progress/reports/{superseded}"))
    assert ("这份已退回的报告不能再修改或提交" in page, "保存并重新提交" in page) == (True, False)


def test_a_superseded_reports_edit_is_refused_and_not_saved(app, site, superseded):
    console = site["reporter"]
    console.get(f"/console/progress/reports/{superseded}")
    answer = console.post(
        f"/console/progress/reports/{superseded}", report_form(site, public_summary="迟到的修改", action="submit")
    )
    with app.app_context():
        summary = db.session.get(ZoneProgressReport, superseded).public_summary
    assert (answer.status_code, summary != "迟到的修改") == (409, True)
