"""What a tester's probes found in zones, progress reports, publicity notices and articles: dates as
YYYY-MM-DD, a zone's level and name fixed by its assessment and its notice, a draft notice that can
be withdrawn and never blocks its zones for good, names compared as people read them, the department
of a type, re-reviews in order, late reports marked, and articles that name only public zones."""

import io
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.extensions import db
from app.progress.tracking import due_on, period_of, period_start, previous_period
from tests.campaign_helpers import _checkin, _school_admin, _today
from tests.factories import make_zone, open_notice, zone_data
from tests.helpers import assert_error
from tests.progress_helpers import confirmed_zone, make_reporter, today
from tests.test_console import signed_in, text

ADMIN = "/api/admin/v1"
CHINA = ZoneInfo("Asia/Shanghai")


def _create(app, client, headers, **overrides):
    with app.app_context():
        body = zone_data(**overrides)
    return client.post(f"{ADMIN}/zones", json=body, headers=headers)


# ---- 1. dates are YYYY-MM-DD -------------------------------------------------------------------


def _reporting_zone(app, client, auth, username, confirmed_on=None):
    zone_id = confirmed_zone(app, "building", confirmed_on=confirmed_on)
    officer = auth.staff("department_officer", department="housing_construction")
    return zone_id, make_reporter(client, officer, zone_id, username)


def test_a_reports_due_date_is_a_plain_date(app, client, auth):
    zone_id, reporter = _reporting_zone(app, client, auth, "probe-due")
    period = period_of(today(app))
    report = client.post(
        f"{ADMIN}/zones/{zone_id}/reports", json={"period": period, "public_summary": "完成屋顶光伏"}, headers=reporter
    ).json
    assert report["due_on"] == due_on(period).isoformat()


def test_a_campaigns_days_in_its_statistics_are_plain_dates(client, auth, running):
    _checkin(client, running["headers"], running["campaign"])
    stats = client.get(
        f"{ADMIN}/campaigns/{running['campaign']}/stats", headers=_school_admin(auth, running["school"])
    ).json
    assert [d["day"] for d in stats["checkins_per_day"]] == [_today().isoformat()]


# ---- 2. the level and the name once assessed and publicised --------------------------------------


def test_the_level_of_a_titled_zone_is_fixed(app, client, auth):
    zone_id = make_zone(app, "titled")
    housing = auth.staff("department_officer", department="housing_construction")
    response = client.patch(f"{ADMIN}/zones/{zone_id}", json={"level": "zero_carbon"}, headers=housing)
    assert "level" in assert_error(response, 409, "level_fixed")["details"]


def test_the_name_of_a_zone_under_an_open_notice_is_fixed(app, client, auth):
    zone_id = open_notice(app)["zone_ids"][0]
    response = client.patch(f"{ADMIN}/zones/{zone_id}", json={"name": "公示中改名"}, headers=auth.staff("admin"))
    assert "name" in assert_error(response, 409, "zone_in_publicity")["details"]


def test_the_console_refuses_renaming_a_zone_under_an_open_notice(app):
    zone_id = open_notice(app)["zone_ids"][0]
    console = signed_in(app, "institute_staff", "probe-rename")
    console.get(f"/console/zones/{zone_id}")
    assert console.post(f"/console/zones/{zone_id}/edit", {"name": "公示中改名"}).status_code == 409


# ---- 3. draft notices: a window already over, withdrawing ---------------------------------------


def _notice(client, headers, zone_ids, starts_at, ends_at, batch_year=2025):
    body = {"batch_year": batch_year, "zone_ids": zone_ids, "starts_at": starts_at, "ends_at": ends_at}
    return client.post(f"{ADMIN}/publicity", json=body, headers=headers)


def _future_window(days=2):
    start = datetime.now(CHINA).replace(microsecond=0) + timedelta(days=1)
    return start.isoformat(), (start + timedelta(days=days)).isoformat()


def test_a_notice_whose_window_has_ended_is_refused_naming_its_start(app, client, auth):
    """Both ends are past: the start is named (docs/api.md), as for any start before today."""
    zone_id = make_zone(app, "site_check")
    response = _notice(
        client, auth.staff("institute_staff"), [zone_id], "2020-01-01T00:00:00+08:00", "2020-01-05T00:00:00+08:00"
    )
    assert list(assert_error(response, 422, "validation_error")["details"]) == ["starts_at"]


def test_a_notice_of_working_days_from_a_past_start_is_refused_naming_its_start(app, client, auth):
    """As the console's form sends it (a start and a number of working days): the start is what to change."""
    response = client.post(
        f"{ADMIN}/publicity",
        json={
            "batch_year": 2025,
            "working_days": 5,
            "zone_ids": [make_zone(app, "site_check")],
            "starts_at": "2020-01-01T00:00:00+08:00",
        },
        headers=auth.staff("institute_staff"),
    )
    assert list(assert_error(response, 422, "validation_error")["details"]) == ["starts_at"]


def test_a_draft_notice_is_withdrawn(app, client, auth):
    staff = auth.staff("institute_staff")
    notice = _notice(client, staff, [make_zone(app, "site_check")], *_future_window()).json
    assert client.delete(f"{ADMIN}/publicity/{notice['id']}", headers=staff).status_code == 204


def test_a_withdrawn_drafts_zones_go_into_another_notice(app, client, auth):
    staff = auth.staff("institute_staff")
    zone_id = make_zone(app, "site_check")
    notice = _notice(client, staff, [zone_id], *_future_window()).json
    client.delete(f"{ADMIN}/publicity/{notice['id']}", headers=staff)
    assert _notice(client, staff, [zone_id], *_future_window()).status_code == 201


def test_a_published_notice_is_not_withdrawn(app, client, auth):
    notice_id = open_notice(app)["id"]
    response = client.delete(f"{ADMIN}/publicity/{notice_id}", headers=auth.staff("institute_staff"))
    assert_error(response, 409, "already_published")


def test_withdrawing_a_draft_is_audited(app, client, auth):
    from app.audit.models import AuditEntry

    staff = auth.staff("institute_staff")
    notice = _notice(client, staff, [make_zone(app, "site_check")], *_future_window()).json
    client.delete(f"{ADMIN}/publicity/{notice['id']}", headers=staff)
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "publicity.withdraw"))
        assert entry.entity_id == notice["id"]


def test_a_draft_whose_window_has_passed_holds_no_zone(app, client, auth):
    from app.publicity.models import PublicityNotice

    staff = auth.staff("institute_staff")
    zone_id = make_zone(app, "site_check")
    notice = _notice(client, staff, [zone_id], *_future_window()).json
    with app.app_context():  # time passes: the draft was never published in its window
        row = db.session.get(PublicityNotice, notice["id"])
        row.starts_at, row.ends_at = datetime(2026, 1, 1, tzinfo=CHINA), datetime(2026, 1, 5, tzinfo=CHINA)
        db.session.commit()
    assert _notice(client, staff, [zone_id], *_future_window()).status_code == 201


def test_the_console_withdraws_a_draft(app, client, auth):
    notice = _notice(client, auth.staff("institute_staff"), [make_zone(app, "site_check")], *_future_window()).json
    console = signed_in(app, "institute_staff", "probe-withdraw")
    console.get(f"/console/notices/{notice['id']}")
    console.post(f"/console/notices/{notice['id']}/withdraw")
    assert console.get(f"/console/notices/{notice['id']}").status_code == 404


def test_the_notice_page_offers_withdrawing_a_draft(app, client, auth):
    notice = _notice(client, auth.staff("institute_staff"), [make_zone(app, "site_check")], *_future_window()).json
    console = signed_in(app, "institute_staff", "probe-withdraw-button")
    assert "撤回草稿" in text(console.get(f"/console/notices/{notice['id']}"))


# ---- 4. names: trimmed, one line, compared as people read them ------------------------------------


def test_a_zones_name_is_stored_trimmed(app, client, auth):
    response = _create(app, client, auth.staff("admin"), name="  探针测试楼宇A  ")
    assert response.json["name"] == "探针测试楼宇A"


def test_a_name_with_spaces_around_it_is_a_duplicate(app, client, auth):
    admin = auth.staff("admin")
    _create(app, client, admin, name="探针测试楼宇A")
    assert_error(_create(app, client, admin, name="  探针测试楼宇A  "), 409, "duplicate_zone")


def test_a_full_width_twin_is_a_duplicate(app, client, auth):
    admin = auth.staff("admin")
    _create(app, client, admin, name="探针测试楼宇A")
    assert_error(_create(app, client, admin, name="探针测试楼宇Ａ"), 409, "duplicate_zone")


def test_a_name_differing_in_case_and_spacing_is_a_duplicate(app, client, auth):
    admin = auth.staff("admin")
    _create(app, client, admin, name="探针 Tower  B")
    assert_error(_create(app, client, admin, name="探针 tower B"), 409, "duplicate_zone")


def test_a_name_with_a_tab_inside_is_refused(app, client, auth):
    response = _create(app, client, auth.staff("admin"), name="探针\t测试楼宇")
    assert "name" in assert_error(response, 422, "validation_error")["details"]


def test_a_rename_to_a_full_width_twin_is_a_duplicate(app, client, auth):
    admin = auth.staff("admin")
    _create(app, client, admin, name="探针测试楼宇C")
    other = _create(app, client, admin, name="探针测试楼宇D").json["id"]
    response = client.patch(f"{ADMIN}/zones/{other}", json={"name": "探针测试楼宇Ｃ"}, headers=admin)
    assert_error(response, 409, "duplicate_zone")


def test_an_import_refuses_a_full_width_twin_of_a_zone(app, client, auth):
    admin = auth.staff("admin")
    _create(app, client, admin, name="探针导入楼宇E", batch_year=2026)
    csv = "name,type,level,district,applicant_name,applicant_kind\n探针导入楼宇Ｅ,building,low_carbon,朝阳区,测试单位,owner\n"
    response = client.post(
        f"{ADMIN}/zones/import",
        data={"batch_year": "2026", "file": (io.BytesIO(csv.encode()), "batch.csv")},
        headers=auth.staff("institute_staff"),
    )
    assert response.status_code == 422


# ---- 5. the department handles the type ----------------------------------------------------------


def test_a_department_not_handling_the_type_is_refused(app, client, auth):
    housing = auth.staff("department_officer", department="housing_construction")
    response = _create(app, client, housing, type="building", department="education")
    assert "department" in assert_error(response, 422, "validation_error")["details"]


def test_editing_the_department_to_one_not_handling_the_type_is_refused(app, client, auth):
    zone_id = make_zone(app, type="building")
    response = client.patch(f"{ADMIN}/zones/{zone_id}", json={"department": "education"}, headers=auth.staff("admin"))
    assert "department" in assert_error(response, 422, "validation_error")["details"]


# ---- 6. re-reviews in order ----------------------------------------------------------------------


def _titled_in_2024(app) -> int:
    from app.zones.models import ZoneTransition

    zone_id = make_zone(app, "titled", type="park")
    with app.app_context():  # no service titles in the past: the title moved back to 2024-06-01
        entry = db.session.scalar(
            select(ZoneTransition).where(ZoneTransition.zone_id == zone_id, ZoneTransition.to_status == "titled")
        )
        entry.occurred_at = datetime.combine(date(2024, 6, 1), time(9), CHINA)
        db.session.commit()
    return zone_id


def _re_review(client, headers, zone_id, reviewed_on):
    body = {"reviewed_on": reviewed_on, "outcome": "passed"}
    return client.post(f"{ADMIN}/zones/{zone_id}/re-reviews", json=body, headers=headers)


def test_a_re_review_before_the_title_is_refused(app, client, auth):
    response = _re_review(client, auth.staff("admin"), _titled_in_2024(app), "2024-05-31")
    assert "reviewed_on" in assert_error(response, 422, "validation_error")["details"]


def test_a_re_review_before_the_previous_one_is_refused(app, client, auth):
    admin = auth.staff("admin")
    zone_id = _titled_in_2024(app)
    _re_review(client, admin, zone_id, "2026-03-01")
    response = _re_review(client, admin, zone_id, "2025-03-01")
    assert "reviewed_on" in assert_error(response, 422, "validation_error")["details"]


# ---- 7. a report begun after its due date is late --------------------------------------------------


def test_a_report_begun_after_its_due_date_is_overdue(app, client, auth):
    period = previous_period(previous_period(period_of(date.today())))  # long past its due date
    zone_id, reporter = _reporting_zone(app, client, auth, "probe-late", confirmed_on=period_start(period))
    response = client.post(
        f"{ADMIN}/zones/{zone_id}/reports",
        json={"period": period, "public_summary": "补交的季度报告"},
        headers=reporter,
    )
    assert response.json["overdue"] is True


# ---- 8. articles name public zones only -----------------------------------------------------------


def _article(client, staff, slug, **extra):
    body = {
        "slug": slug,
        "title": "示范区建设动态",
        "summary": "示范区建设的最新进展。",
        "category": "policy",
        "body_markdown": "建设进展。",
        **extra,
    }
    return client.post(f"{ADMIN}/articles", json=body, headers=staff)


def _article_about_unpublished_zone(app, client, auth, runner, slug) -> tuple[int, int]:
    """An article naming a zone still in site check (as a content/ file may, before its publicity)."""
    from app.knowledge.models import Article

    runner.invoke(args=["content", "sync"])
    zone_id = make_zone(app, "site_check")
    article_id = _article(client, auth.staff("institute_staff"), slug).json["id"]
    with app.app_context():
        db.session.get(Article, article_id).zone_id = zone_id
        db.session.commit()
    return article_id, zone_id


def test_staff_cannot_link_an_article_to_a_zone_not_yet_public(app, client, auth, runner):
    runner.invoke(args=["content", "sync"])
    zone_id = make_zone(app, "site_check")
    response = _article(client, auth.staff("institute_staff"), "probe-link", zone_id=zone_id)
    assert "zone_id" in assert_error(response, 422, "validation_error")["details"]


def test_an_articles_detail_names_no_zone_before_its_publicity(app, client, auth, runner):
    article_id, _ = _article_about_unpublished_zone(app, client, auth, runner, "probe-detail")
    assert client.get(f"/api/mp/v1/articles/{article_id}").json["zone"] is None


def test_an_articles_card_names_no_zone_before_its_publicity(app, client, auth, runner):
    article_id, _ = _article_about_unpublished_zone(app, client, auth, runner, "probe-card")
    cards = client.get("/api/mp/v1/articles", query_string={"per_page": 100}).json["items"]
    assert [c["zone_id"] for c in cards if c["id"] == article_id] == [None]


def test_articles_of_a_zone_not_yet_public_are_as_of_an_unknown_zone(app, client, auth, runner):
    _, zone_id = _article_about_unpublished_zone(app, client, auth, runner, "probe-filter")
    assert client.get("/api/mp/v1/articles", query_string={"zone": zone_id}).json["total"] == 0


def test_an_article_names_its_zone_once_the_zone_is_public(app, client, auth, runner):
    article_id, zone_id = _article_about_unpublished_zone(app, client, auth, runner, "probe-public")
    hidden = client.get(f"/api/mp/v1/articles/{article_id}").json["zone"]  # and kept in the cache
    staff = auth.staff("institute_staff")
    notice = _notice(client, staff, [zone_id], *_future_window()).json
    client.post(f"{ADMIN}/publicity/{notice['id']}/publish", headers=staff)
    shown = client.get(f"/api/mp/v1/articles/{article_id}").json["zone"]
    assert (hidden, shown["id"]) == (None, zone_id)


# ---- 9. the console's notice form: a date is a date ----------------------------------------------


def test_a_wrong_start_day_in_the_notice_form_gets_a_dates_message(app):
    console = signed_in(app, "institute_staff", "probe-notice-form")
    console.get("/console/notices/new")
    form = {"batch_year": "2025", "starts_on": "2026-13-45", "working_days": "5"}
    assert "不是有效的日期" in text(console.post("/console/notices/new", form))


def test_a_report_filter_on_a_zone_outside_the_scope_is_422(app, client, auth):
    park = make_zone(app, "confirmed", type="park")
    housing = auth.staff("department_officer", department="housing_construction")
    response = client.get(f"/api/admin/v1/reports?zone_id={park}", headers=housing)
    assert "zone_id" in assert_error(response, 422, "validation_error")["details"]


def test_a_report_filter_on_an_unknown_zone_is_422(app, client, auth):
    response = client.get("/api/admin/v1/reports?zone_id=99999", headers=auth.staff("institute_staff"))
    assert "zone_id" in assert_error(response, 422, "validation_error")["details"]


def test_an_indicator_without_its_key_is_422_on_an_edit(app, client, auth):
    # Found by fuzzing: a PATCH's partial load left the key optional, and the edit answered 500.
    zone_id = make_zone(app, "titled", type="park")
    body = {"indicators": [{}, {"latest_year": 2035}]}
    response = client.patch(f"/api/admin/v1/zones/{zone_id}", json=body, headers=auth.staff("admin"))
    assert "indicators" in assert_error(response, 422, "validation_error")["details"]


def test_a_notice_title_of_spaces_is_said_to_be_empty(app, client, auth):
    response = client.post(
        f"{ADMIN}/publicity",
        json={"batch_year": 2025, "title": "    ", "working_days": 5, "zone_ids": [make_zone(app, "site_check")]},
        headers=auth.staff("institute_staff"),
    )
    assert assert_error(response, 422, "validation_error")["details"]["title"] == ["不能为空"]
