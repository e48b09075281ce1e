"""Zone progress during construction, staff side (docs/domain.md, "Progress during construction"):
milestones, quarterly reports and their review, the verified series, problems, who may do what,
and the daily deadline job."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.outbox.models import OutboxMessage
from app.progress import deadlines, problems
from app.progress.models import ReportNotice, ZoneIndicatorValue, ZoneProgressReport
from app.progress.tracking import due_on, period_of, period_start, previous_period
from tests.helpers import assert_error
from tests.kept import kept
from tests.progress_helpers import ADMIN, confirmed_zone, make_reporter, today
from tests.test_console import signed_in, text


@pytest.fixture
def site(request, app, client, auth):
    """A building zone confirmed at the start of the previous quarter, its department's officer, the
    institute, a reporter of the zone, and a factory zone of another department. Kept (tests/kept.py)."""
    return kept(request, "progress.site", lambda: _site(app, client, auth))


def _site(app, client, auth):
    day = today(app)
    previous = previous_period(period_of(day))
    zone_id = confirmed_zone(app, "building", confirmed_on=period_start(previous))
    officer = auth.staff("department_officer", department="housing_construction")
    return {
        "zone_id": zone_id,
        "other_zone_id": confirmed_zone(app, "factory"),
        "officer": officer,
        "institute": auth.staff("institute_staff"),
        "other_officer": auth.staff("department_officer", department="industry_it"),
        "reporter": make_reporter(client, officer, zone_id, "builder-1"),
        "today": day,
        "current": period_of(day),
        "previous": previous,
    }


def _report(client, site, headers=None, **body):
    payload = {"period": site["current"], "public_summary": "完成屋顶光伏安装"} | body
    return client.post(f"{ADMIN}/zones/{site['zone_id']}/reports", json=payload, headers=headers or site["reporter"])


def _submit(client, site, report_id, headers=None):
    return client.post(f"{ADMIN}/reports/{report_id}/submit", headers=headers or site["reporter"])


def _review(client, site, report_id, decision="accepted", comment=None, headers=None):
    return client.post(
        f"{ADMIN}/reports/{report_id}/review",
        json={"decision": decision, "comment": comment},
        headers=headers or site["officer"],
    )


def _submitted(client, site, **body) -> int:
    report_id = _report(client, site, **body).json["id"]
    assert _submit(client, site, report_id).status_code == 200
    return report_id


def _set_series(client, site, baseline=(None, 1000), target=(None, 400), key="total_emissions"):
    year = site["today"].year
    return client.put(
        f"{ADMIN}/zones/{site['zone_id']}/series/{key}",
        json={
            "baseline_year": baseline[0] or year - 3,
            "baseline_value": baseline[1],
            "target_year": target[0] or year + 3,
            "target_value": target[1],
        },
        headers=site["officer"],
    )


# ---- zone reporters ----------------------------------------------------------------------------


def test_a_reporter_is_bound_to_the_zone_it_was_created_for(client, site):
    me = client.get(f"{ADMIN}/auth/me", headers=site["reporter"])
    assert [(g["role"], g["zone_id"]) for g in me.json["grants"]] == [("zone_reporter", site["zone_id"])]


def test_an_officer_of_another_department_cannot_create_a_reporter_for_the_zone(client, site):
    response = client.post(
        f"{ADMIN}/users",
        json={
            "username": "builder-x",
            "password": "long-enough-pw",
            "role": "zone_reporter",
            "zone_id": site["zone_id"],
        },
        headers=site["other_officer"],
    )
    assert_error(response, 404, "not_found")


def test_an_officer_creates_no_other_kind_of_account(client, site):
    response = client.post(
        f"{ADMIN}/users",
        json={"username": "boss-x", "password": "long-enough-pw", "role": "admin"},
        headers=site["officer"],
    )
    assert_error(response, 403, "forbidden")


def test_a_reporter_needs_its_zone(client, site):
    response = client.post(
        f"{ADMIN}/users",
        json={"username": "builder-y", "password": "long-enough-pw", "role": "zone_reporter"},
        headers=site["institute"],
    )
    assert "zone_id" in assert_error(response, 422, "validation_error")["details"]


def test_a_reporter_cannot_create_accounts(client, site):
    response = client.post(
        f"{ADMIN}/users",
        json={
            "username": "builder-z",
            "password": "long-enough-pw",
            "role": "zone_reporter",
            "zone_id": site["zone_id"],
        },
        headers=site["reporter"],
    )
    assert_error(response, 403, "forbidden")


def test_a_reporter_signs_in_to_the_console(app, site):
    console = signed_in(app, "zone_reporter", "console-builder", zone_id=site["zone_id"])
    assert "建设主体填报员" in text(console.get("/console/"))


# ---- milestones --------------------------------------------------------------------------------


def _milestone(client, site, planned_on, headers=None, zone_id=None):
    return client.post(
        f"{ADMIN}/zones/{zone_id or site['zone_id']}/milestones",
        json={"name": "完成光伏屋面施工", "planned_on": planned_on.isoformat()},
        headers=headers or site["reporter"],
    )


def test_a_reporter_adds_a_milestone(client, site):
    response = _milestone(client, site, site["today"] + timedelta(days=30))
    assert (response.status_code, response.json["done_on"], response.json["late"]) == (201, None, False)


def test_a_planned_date_before_the_confirmation_is_refused(client, site):
    response = _milestone(client, site, period_start(site["previous"]) - timedelta(days=1))
    assert "planned_on" in assert_error(response, 422, "validation_error")["details"]


def test_a_done_date_in_the_future_is_refused(client, site):
    milestone = _milestone(client, site, site["today"]).json
    response = client.patch(
        f"{ADMIN}/milestones/{milestone['id']}",
        json={"done_on": (site["today"] + timedelta(days=1)).isoformat()},
        headers=site["reporter"],
    )
    assert "done_on" in assert_error(response, 422, "validation_error")["details"]


def test_a_milestone_done_today_is_done(client, site):
    milestone = _milestone(client, site, site["today"]).json
    response = client.patch(
        f"{ADMIN}/milestones/{milestone['id']}", json={"done_on": site["today"].isoformat()}, headers=site["reporter"]
    )
    assert response.json["done_on"] == site["today"].isoformat()


def test_a_milestone_past_its_date_and_not_done_is_late(client, site):
    _milestone(client, site, site["today"] - timedelta(days=1))
    listed = client.get(f"{ADMIN}/zones/{site['zone_id']}/milestones", headers=site["reporter"]).json
    assert [m["late"] for m in listed["items"]] == [True]


def test_the_percent_is_done_over_planned(client, site):
    first = _milestone(client, site, site["today"] - timedelta(days=3)).json
    _milestone(client, site, site["today"] + timedelta(days=3))
    _milestone(client, site, site["today"] + timedelta(days=9))
    client.patch(
        f"{ADMIN}/milestones/{first['id']}", json={"done_on": site["today"].isoformat()}, headers=site["reporter"]
    )
    assert client.get(f"{ADMIN}/zones/{site['zone_id']}/series", headers=site["officer"]).json["percent"] == 33


def test_evidence_must_be_an_upload_of_this_service(client, site):
    milestone = _milestone(client, site, site["today"]).json
    response = client.patch(
        f"{ADMIN}/milestones/{milestone['id']}",
        json={"evidence_urls": ["https://example.com/photo.jpg"]},
        headers=site["reporter"],
    )
    assert "evidence_urls" in assert_error(response, 422, "validation_error")["details"]


def _uploaded(client, headers) -> str:
    from tests.test_retries import _png

    response = client.post(
        f"{ADMIN}/uploads",
        data={"file": (io.BytesIO(_png()), "photo.png")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.json
    return response.json["url"]


def test_evidence_uploaded_by_the_reporter_is_kept(client, site):
    milestone = _milestone(client, site, site["today"]).json
    url = _uploaded(client, site["reporter"])
    response = client.patch(
        f"{ADMIN}/milestones/{milestone['id']}", json={"evidence_urls": [url]}, headers=site["reporter"]
    )
    assert response.json["evidence_urls"] == [url]


def test_evidence_already_on_the_milestone_may_be_sent_back_by_another(client, site):
    milestone = _milestone(client, site, site["today"]).json
    url = _uploaded(client, site["reporter"])
    client.patch(f"{ADMIN}/milestones/{milestone['id']}", json={"evidence_urls": [url]}, headers=site["reporter"])
    response = client.patch(
        f"{ADMIN}/milestones/{milestone['id']}", json={"evidence_urls": [url], "note": "已核"}, headers=site["officer"]
    )
    assert response.status_code == 200, response.json


def test_someone_elses_upload_is_no_evidence(client, site):
    milestone = _milestone(client, site, site["today"]).json
    url = _uploaded(client, site["officer"])
    response = client.patch(
        f"{ADMIN}/milestones/{milestone['id']}", json={"evidence_urls": [url]}, headers=site["reporter"]
    )
    assert "evidence_urls" in assert_error(response, 422, "validation_error")["details"]


def test_a_reporter_writing_to_another_zone_is_not_found(client, site):
    response = _milestone(client, site, site["today"], zone_id=site["other_zone_id"])
    assert_error(response, 404, "not_found")


def test_a_reporter_editing_another_zones_milestone_is_not_found(client, site):
    other = _milestone(client, site, site["today"], headers=site["institute"], zone_id=site["other_zone_id"]).json
    response = client.patch(f"{ADMIN}/milestones/{other['id']}", json={"note": "x"}, headers=site["reporter"])
    assert_error(response, 404, "not_found")


def test_no_milestone_for_a_titled_zone(app, client, site):
    titled = confirmed_zone(app, "building", status="titled")
    response = _milestone(client, site, site["today"], headers=site["officer"], zone_id=titled)
    assert_error(response, 409, "zone_not_under_construction")


# ---- reports -----------------------------------------------------------------------------------


def test_a_new_report_is_a_draft(client, site):
    response = _report(client, site)
    assert (response.status_code, response.json["state"]) == (201, "draft")


def test_a_retried_report_create_makes_one_report(app, client, site):
    headers = {**site["reporter"], "Idempotency-Key": "report-1"}
    first, again = _report(client, site, headers=headers), _report(client, site, headers=headers)
    with app.app_context():
        count = db.session.scalar(select(func.count(ZoneProgressReport.id)))
    assert (first.status_code, again.json, count) == (201, first.json, 1)


def test_a_reporter_does_not_see_the_zone_registry(client, site):
    assert_error(client.get(f"{ADMIN}/zones", headers=site["reporter"]), 403, "forbidden")


@pytest.mark.parametrize("period", ["2026Q5", "26Q1", "2026Q0", "2026-Q1"])
def test_a_period_that_is_not_a_quarter_is_refused(client, site, period):
    assert "period" in assert_error(_report(client, site, period=period), 422, "validation_error")["details"]


def test_a_quarter_not_yet_begun_is_refused(client, site):
    year, quarter = int(site["current"][:4]), int(site["current"][5])
    future = f"{year + 1}Q1" if quarter == 4 else f"{year}Q{quarter + 1}"
    assert "period" in assert_error(_report(client, site, period=future), 422, "validation_error")["details"]


def test_a_quarter_before_the_confirmation_is_refused(client, site):
    before = previous_period(site["previous"])
    assert "period" in assert_error(_report(client, site, period=before), 422, "validation_error")["details"]


def test_a_report_for_a_zone_not_under_construction_is_refused(app, client, site):
    titled = confirmed_zone(app, "building", status="titled")
    response = client.post(
        f"{ADMIN}/zones/{titled}/reports",
        json={"period": site["current"], "public_summary": "已建成"},
        headers=site["officer"],
    )
    assert_error(response, 409, "zone_not_under_construction")


def test_a_report_for_a_zone_in_publicity_is_refused(app, client, site):
    in_publicity = confirmed_zone(app, "building", status="publicity")
    response = client.post(
        f"{ADMIN}/zones/{in_publicity}/reports",
        json={"period": site["current"], "public_summary": "尚未开工"},
        headers=site["officer"],
    )
    assert_error(response, 409, "zone_not_under_construction")


def test_a_second_report_for_a_quarter_while_one_is_submitted_is_refused(client, site):
    _submitted(client, site)
    assert_error(_report(client, site), 409, "report_exists")


def test_a_second_draft_for_a_quarter_is_refused(client, site):
    _report(client, site)
    assert_error(_report(client, site), 409, "report_exists")


def test_after_a_return_a_new_report_for_the_quarter_is_allowed(client, site):
    report_id = _submitted(client, site)
    _review(client, site, report_id, "returned", "请补充用电数据")
    assert _report(client, site).status_code == 201


def test_a_returned_report_is_resubmitted_after_correction(client, site):
    report_id = _submitted(client, site)
    _review(client, site, report_id, "returned", "请补充用电数据")
    client.patch(f"{ADMIN}/reports/{report_id}", json={"public_summary": "补充后"}, headers=site["reporter"])
    assert _submit(client, site, report_id).json["state"] == "submitted"


def test_a_returned_report_cannot_be_resubmitted_once_another_exists(client, site):
    report_id = _submitted(client, site)
    _review(client, site, report_id, "returned", "请重新填报")
    _report(client, site)
    assert_error(_submit(client, site, report_id), 409, "report_exists")


@pytest.fixture
def superseded(client, site):
    """A returned report, then a new report of the same quarter."""
    report_id = _submitted(client, site)
    _review(client, site, report_id, "returned", "请重新填报")
    return {"id": report_id, "newer": _report(client, site).json["id"]}


def test_a_returned_report_is_not_edited_once_another_exists(client, site, superseded):
    response = client.patch(
        f"{ADMIN}/reports/{superseded['id']}", json={"public_summary": "再改"}, headers=site["reporter"]
    )
    assert assert_error(response, 409, "report_exists")["details"]["report_id"] == superseded["newer"]


def test_a_refused_edit_of_a_superseded_report_changes_nothing(client, site, superseded):
    client.patch(f"{ADMIN}/reports/{superseded['id']}", json={"public_summary": "再改"}, headers=site["reporter"])
    stored = client.get(f"{ADMIN}/reports/{superseded['id']}", headers=site["reporter"]).json
    assert stored["public_summary"] == "完成屋顶光伏安装"


def test_a_submitted_report_is_not_edited(client, site):
    report_id = _submitted(client, site)
    response = client.patch(f"{ADMIN}/reports/{report_id}", json={"public_summary": "改"}, headers=site["reporter"])
    assert_error(response, 409, "report_not_editable")


def test_a_reporter_reporting_on_another_zone_is_not_found(client, site):
    response = client.post(
        f"{ADMIN}/zones/{site['other_zone_id']}/reports",
        json={"period": site["current"], "public_summary": "x"},
        headers=site["reporter"],
    )
    assert_error(response, 404, "not_found")


def test_a_reporter_reading_another_zones_report_is_not_found(client, site):
    other = client.post(
        f"{ADMIN}/zones/{site['other_zone_id']}/reports",
        json={"period": site["current"], "public_summary": "x"},
        headers=site["institute"],
    ).json
    assert_error(client.get(f"{ADMIN}/reports/{other['id']}", headers=site["reporter"]), 404, "not_found")


# ---- indicator values in reports ---------------------------------------------------------------


def test_a_value_in_the_wrong_unit_for_the_type_is_refused(client, site):
    response = _report(client, site, indicator_year=site["today"].year - 1, indicator_value=800, unit="kgCO₂e/人次")
    assert "unit" in assert_error(response, 422, "validation_error")["details"]


def test_a_value_in_the_types_unit_is_accepted(client, site):
    response = _report(client, site, indicator_year=site["today"].year - 1, indicator_value=800, unit="tCO₂e/年")
    assert response.status_code == 201


def test_a_negative_value_is_refused(client, site):
    response = _report(client, site, indicator_year=site["today"].year - 1, indicator_value=-1)
    assert "indicator_value" in assert_error(response, 422, "validation_error")["details"]


def test_a_year_before_the_baseline_is_refused(client, site):
    _set_series(client, site)
    response = _report(client, site, indicator_year=site["today"].year - 4, indicator_value=900)
    assert "indicator_year" in assert_error(response, 422, "validation_error")["details"]


def test_a_year_after_the_target_is_refused(client, site):
    year = site["today"].year
    _set_series(client, site, target=(year - 1, 400))
    response = _report(client, site, indicator_year=year, indicator_value=900)
    assert "indicator_year" in assert_error(response, 422, "validation_error")["details"]


def test_an_indicator_of_another_type_is_refused(client, site):
    response = _report(client, site, indicator_key="emissions_per_visitor", indicator_year=2025, indicator_value=1)
    assert "indicator_key" in assert_error(response, 422, "validation_error")["details"]


def test_a_value_without_its_year_is_refused(client, site):
    assert_error(_report(client, site, indicator_value=900), 422, "validation_error")


# ---- review ------------------------------------------------------------------------------------


def test_a_reporter_reviewing_is_forbidden(client, site):
    report_id = _submitted(client, site)
    assert_error(_review(client, site, report_id, headers=site["reporter"]), 403, "not_a_reviewer")


def test_nobody_reviews_their_own_report(client, site):
    report_id = _report(client, site, headers=site["officer"]).json["id"]
    _submit(client, site, report_id, headers=site["officer"])
    assert_error(_review(client, site, report_id), 403, "own_report")


def test_ones_own_report_is_not_in_ones_review_queue(client, site):
    report_id = _report(client, site, headers=site["officer"]).json["id"]
    _submit(client, site, report_id, headers=site["officer"])
    waiting = client.get("/api/admin/v1/dashboard", headers=site["officer"]).json["reviews_waiting"]
    assert report_id not in [r["id"] for r in waiting]


def test_ones_own_report_waits_in_the_institutes_queue(client, site):
    report_id = _report(client, site, headers=site["officer"]).json["id"]
    _submit(client, site, report_id, headers=site["officer"])
    waiting = client.get("/api/admin/v1/dashboard", headers=site["institute"]).json["reviews_waiting"]
    assert report_id in [r["id"] for r in waiting]


def test_an_officer_of_another_department_does_not_see_the_report(client, site):
    report_id = _submitted(client, site)
    assert_error(_review(client, site, report_id, headers=site["other_officer"]), 404, "not_found")


def test_returning_needs_a_comment(client, site):
    report_id = _submitted(client, site)
    assert "comment" in assert_error(_review(client, site, report_id, "returned"), 422, "validation_error")["details"]


def test_a_draft_is_not_reviewed(client, site):
    report_id = _report(client, site).json["id"]
    assert_error(_review(client, site, report_id), 409, "report_not_submitted")


def test_the_institute_accepts_a_report(client, site):
    report_id = _submitted(client, site)
    assert _review(client, site, report_id, headers=site["institute"]).json["state"] == "accepted"


def test_the_review_queue_lists_submitted_reports_in_scope(client, site):
    report_id = _submitted(client, site)
    _report(client, site, headers=site["institute"], period=site["previous"])
    queue = client.get(f"{ADMIN}/reports?state=submitted", headers=site["officer"]).json
    assert [r["id"] for r in queue["items"]] == [report_id]


def test_the_review_queue_of_another_department_is_empty(client, site):
    _submitted(client, site)
    assert client.get(f"{ADMIN}/reports?state=submitted", headers=site["other_officer"]).json["total"] == 0


# ---- the verified series -----------------------------------------------------------------------


def _accept_value(client, site, year, value, period=None):
    report_id = _submitted(client, site, period=period or site["current"], indicator_year=year, indicator_value=value)
    response = _review(client, site, report_id)
    assert response.status_code == 200, response.json
    return report_id


def _headline(client, site):
    return client.get(f"{ADMIN}/zones/{site['zone_id']}/series", headers=site["officer"]).json["indicators"][0]


def test_accepting_a_report_verifies_its_value(client, site):
    year = site["today"].year - 1
    _accept_value(client, site, year, 800)
    assert [(v["year"], v["value"]) for v in _headline(client, site)["series"]] == [(year, 800.0)]


def test_a_returned_report_verifies_nothing(client, site):
    report_id = _submitted(client, site, indicator_year=site["today"].year - 1, indicator_value=800)
    _review(client, site, report_id, "returned", "数据来源不明")
    assert _headline(client, site)["series"] == []


def test_a_later_accepted_value_for_the_same_year_supersedes_the_older(client, site):
    year = site["today"].year - 1
    _accept_value(client, site, year, 800, period=site["previous"])
    _accept_value(client, site, year, 750)
    assert [v["value"] for v in _headline(client, site)["series"]] == [750.0]


def test_a_superseded_value_is_kept(app, client, site):
    year = site["today"].year - 1
    _accept_value(client, site, year, 800, period=site["previous"])
    _accept_value(client, site, year, 750)
    with app.app_context():
        kept = db.session.execute(
            select(ZoneIndicatorValue.value, ZoneIndicatorValue.superseded_at.is_not(None)).order_by(
                ZoneIndicatorValue.id
            )
        ).all()
    assert [(float(v), s) for v, s in kept] == [(800.0, True), (750.0, False)]


def test_the_change_is_against_the_baseline(client, site):
    _set_series(client, site, baseline=(None, 1000), target=(None, 400))
    _accept_value(client, site, site["today"].year - 1, 700)
    assert _headline(client, site)["change_pct"] == -30.0


def test_a_value_under_the_line_is_on_track(client, site):
    year = site["today"].year
    # Baseline 1000 three years ago, target 400 three years on: the line is at 800 last year.
    _set_series(client, site, baseline=(year - 3, 1000), target=(year + 3, 400))
    _accept_value(client, site, year - 1, 800)
    assert _headline(client, site)["on_track"] is True


def test_a_value_above_the_line_is_not_on_track(client, site):
    year = site["today"].year
    _set_series(client, site, baseline=(year - 3, 1000), target=(year + 3, 400))
    _accept_value(client, site, year - 1, 801)
    assert _headline(client, site)["on_track"] is False


def test_on_track_is_unknown_without_values(client, site):
    _set_series(client, site)
    assert _headline(client, site)["on_track"] is None


def test_accepting_updates_the_zones_latest_value(client, site):
    year = site["today"].year - 1
    _accept_value(client, site, year, 650)
    zone = client.get(f"{ADMIN}/zones/{site['zone_id']}", headers=site["officer"]).json
    assert (zone["indicator"]["latest_year"], zone["indicator"]["latest_value"]) == (year, 650.0)


@pytest.mark.parametrize("text", ["5", "1e3", " 12 "])
def test_a_reports_value_sent_as_text_is_refused(client, site, text):
    """JSON bodies are taken as JSON says (docs/api.md): a string is no number, as for integers."""
    response = _report(client, site, indicator_value=text, indicator_year=site["today"].year)
    assert assert_error(response, 422, "validation_error")["details"]["indicator_value"] == ["须为数字"]


def test_a_series_value_sent_as_text_is_refused(client, site):
    response = _set_series(client, site, target=(None, "400"))
    assert assert_error(response, 422, "validation_error")["details"]["target_value"] == ["须为数字"]


def test_a_reporter_does_not_set_the_baseline(client, site):
    response = client.put(
        f"{ADMIN}/zones/{site['zone_id']}/series/total_emissions",
        json={"baseline_year": 2023, "baseline_value": 1, "target_year": 2030, "target_value": 0},
        headers=site["reporter"],
    )
    assert_error(response, 403, "not_a_reviewer")


def test_a_target_year_before_the_baseline_year_is_refused(client, site):
    year = site["today"].year
    response = _set_series(client, site, baseline=(year, 1000), target=(year - 1, 400))
    assert "target_year" in assert_error(response, 422, "validation_error")["details"]


def test_an_unknown_indicator_for_the_type_is_refused(client, site):
    response = _set_series(client, site, key="emissions_per_visitor")
    assert "indicator_key" in assert_error(response, 422, "validation_error")["details"]


# ---- problems ----------------------------------------------------------------------------------


def _problem(client, site, due_on=None, department="housing_construction"):
    return client.post(
        f"{ADMIN}/zones/{site['zone_id']}/problems",
        json={
            "title": "电网接入审批滞后",
            "department": department,
            "due_on": (due_on or site["today"] + timedelta(days=10)).isoformat(),
        },
        headers=site["reporter"],
    )


def test_a_reporter_raises_a_problem(client, site):
    response = _problem(client, site)
    assert (response.status_code, response.json["overdue"]) == (201, False)


def test_a_problem_due_in_the_past_is_refused(client, site):
    response = _problem(client, site, due_on=site["today"] - timedelta(days=1))
    assert "due_on" in assert_error(response, 422, "validation_error")["details"]


def test_the_department_asked_resolves_the_problem(client, site):
    problem = _problem(client, site).json
    response = client.post(
        f"{ADMIN}/problems/{problem['id']}/resolve", json={"note": "已协调供电公司"}, headers=site["officer"]
    )
    assert response.json["resolution_note"] == "已协调供电公司"


def test_another_department_asked_sees_and_resolves_the_problem(client, site):
    problem = _problem(client, site, department="industry_it").json
    response = client.post(
        f"{ADMIN}/problems/{problem['id']}/resolve", json={"note": "已协调"}, headers=site["other_officer"]
    )
    assert response.status_code == 200


def test_a_reporter_does_not_resolve_a_problem(client, site):
    problem = _problem(client, site).json
    response = client.post(
        f"{ADMIN}/problems/{problem['id']}/resolve", json={"note": "自行解决"}, headers=site["reporter"]
    )
    assert_error(response, 403, "not_the_department")


def test_a_resolved_problem_is_not_resolved_again(client, site):
    problem = _problem(client, site).json
    client.post(f"{ADMIN}/problems/{problem['id']}/resolve", json={"note": "已协调"}, headers=site["officer"])
    again = client.post(f"{ADMIN}/problems/{problem['id']}/resolve", json={"note": "再次"}, headers=site["officer"])
    assert_error(again, 409, "problem_resolved")


def test_overdue_problems_are_those_of_the_department_past_due(app, client, site):
    from app.accounts.models import User

    first = _problem(client, site).json
    _problem(client, site, department="education")
    later = site["today"] + timedelta(days=11)
    with app.app_context():
        officer = db.session.scalar(select(User).where(User.grants.any(department="housing_construction")))
        found = db.session.scalars(problems.overdue_problems(officer, today=later)).all()
        assert [p.id for p in found] == [first["id"]]


# ---- deadlines ---------------------------------------------------------------------------------


def _at(day, hour=9):
    return datetime.combine(day, time(hour), ZoneInfo("Asia/Shanghai")).astimezone(UTC)


@pytest.fixture
def reminding(make_app):
    return make_app(WECHAT_TEMPLATE_REPORT_DUE="tpl-report-due")


def test_reporters_are_reminded_a_week_before_the_due_date(reminding, client, site):
    due = due_on(site["previous"])
    with reminding.app_context():
        reminded, _ = deadlines.run_deadlines(_at(due - timedelta(days=7)))
        messages = db.session.scalars(select(OutboxMessage.template_id)).all()
    assert (reminded, messages) == (1, ["tpl-report-due"])


def test_a_reminder_is_sent_once_per_period(reminding, client, site):
    due = due_on(site["previous"])
    with reminding.app_context():
        deadlines.run_deadlines(_at(due - timedelta(days=7)))
        deadlines.run_deadlines(_at(due - timedelta(days=6)))
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1


def test_no_reminder_earlier_than_a_week_before(reminding, client, site):
    due = due_on(site["previous"])
    with reminding.app_context():
        assert deadlines.run_deadlines(_at(due - timedelta(days=8))) == (0, 0)


def test_a_zone_that_submitted_is_not_reminded(reminding, client, site):
    _submitted(client, site, period=site["previous"])
    due = due_on(site["previous"])
    with reminding.app_context():
        assert deadlines.run_deadlines(_at(due - timedelta(days=3))) == (0, 0)


def test_after_the_due_date_the_period_is_overdue(app, client, site):
    due = due_on(site["previous"])
    with app.app_context():
        assert deadlines.run_deadlines(_at(due + timedelta(days=1))) == (0, 1)


def test_a_draft_past_the_due_date_is_marked_overdue(app, client, site):
    report_id = _report(client, site, period=site["previous"]).json["id"]
    with app.app_context():
        deadlines.run_deadlines(_at(due_on(site["previous"]) + timedelta(days=1)))
    assert client.get(f"{ADMIN}/reports/{report_id}", headers=site["reporter"]).json["overdue"] is True


def test_overdue_is_marked_once(app, client, site):
    due = due_on(site["previous"])
    with app.app_context():
        deadlines.run_deadlines(_at(due + timedelta(days=1)))
        deadlines.run_deadlines(_at(due + timedelta(days=2)))
        assert db.session.scalar(select(func.count(ReportNotice.id))) == 1


def test_the_series_lists_overdue_periods(app, client, site):
    with app.app_context():
        deadlines.run_deadlines(_at(due_on(site["previous"]) + timedelta(days=1)))
    series = client.get(f"{ADMIN}/zones/{site['zone_id']}/series", headers=site["officer"]).json
    assert series["overdue_periods"] == [site["previous"]]


def test_a_zone_confirmed_after_the_quarter_owes_nothing_for_it(app, client, site):
    due = due_on(site["previous"])
    late = confirmed_zone(app, "school")
    with app.app_context():
        deadlines.run_deadlines(_at(due + timedelta(days=1)))
        marked = db.session.scalars(select(ReportNotice.zone_id)).all()
    assert late not in marked


def test_reports_are_kept_in_the_database_with_their_period(app, client, site):
    _report(client, site)
    with app.app_context():
        assert db.session.scalars(select(ZoneProgressReport.period)).all() == [site["current"]]


def test_a_report_submitted_before_the_title_is_still_reviewed(app, client, site):
    from app.zones import lifecycle

    report_id = _submitted(client, site)
    with app.app_context():
        lifecycle.transition(site["zone_id"], "acceptance_review", None, None)
        lifecycle.transition(site["zone_id"], "titled", None, None)
    assert _review(client, site, report_id).json["state"] == "accepted"


def test_the_overdue_list_of_the_department_names_the_zone_and_quarter(app, client, site):
    from app.accounts.models import User

    with app.app_context():
        deadlines.run_deadlines(_at(due_on(site["previous"]) + timedelta(days=1)))
        officer = db.session.scalar(select(User).where(User.grants.any(department="housing_construction")))
        rows = db.session.execute(deadlines.overdue_reports(officer)).all()
        assert [(zone.id, notice.period) for notice, zone in rows] == [(site["zone_id"], site["previous"])]


def test_a_late_submission_leaves_the_overdue_list(app, client, site):
    from app.accounts.models import User

    with app.app_context():
        deadlines.run_deadlines(_at(due_on(site["previous"]) + timedelta(days=1)))
    _submitted(client, site, period=site["previous"])
    with app.app_context():
        officer = db.session.scalar(select(User).where(User.grants.any(department="housing_construction")))
        assert db.session.execute(deadlines.overdue_reports(officer)).all() == []


# ---- the zone's reporter accounts, for those who make them ------------------------------------------


def _reporters(client, site, headers=None):
    return client.get(f"{ADMIN}/zones/{site['zone_id']}/reporters", headers=headers or site["officer"])


def _user_id(app, username: str) -> int:
    from app.accounts.models import User

    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def test_the_department_lists_its_zones_reporters(client, site):
    assert [u["username"] for u in _reporters(client, site).json["items"]] == ["builder-1"]


def test_another_department_does_not_see_the_reporters(client, site):
    assert_error(_reporters(client, site, headers=site["other_officer"]), 404, "not_found")


def test_a_reporter_does_not_list_the_reporters(client, site):
    assert_error(_reporters(client, site, headers=site["reporter"]), 403, "forbidden")


def test_the_department_disables_a_reporter_who_left(app, client, site):
    user_id = _user_id(app, "builder-1")
    response = client.patch(
        f"{ADMIN}/zones/{site['zone_id']}/reporters/{user_id}", json={"is_active": False}, headers=site["officer"]
    )
    assert response.json["is_active"] is False


def test_a_disabled_reporters_session_ends(app, client, site):
    user_id = _user_id(app, "builder-1")
    client.patch(
        f"{ADMIN}/zones/{site['zone_id']}/reporters/{user_id}", json={"is_active": False}, headers=site["officer"]
    )
    assert client.get(f"{ADMIN}/reports", headers=site["reporter"]).status_code == 401


def test_an_account_that_is_not_the_zones_reporter_is_not_found_there(app, auth, client, site):
    auth.staff("institute_staff", "not-a-reporter")
    other = _user_id(app, "not-a-reporter")
    response = client.patch(
        f"{ADMIN}/zones/{site['zone_id']}/reporters/{other}", json={"is_active": False}, headers=site["officer"]
    )
    assert_error(response, 404, "not_found")
