"""Zone progress as the public sees it: the zone detail's `progress`, the zone's updates, the
indicators open data, and what never leaves the staff side (internal notes, problems, returned
reports, reviewers' comments)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from app.progress import updates
from app.progress.tracking import period_of, period_start, previous_period
from tests.factories import make_zone
from tests.helpers import assert_error
from tests.kept import kept
from tests.progress_helpers import ADMIN, confirmed_zone, make_reporter, today

MP = "/api/mp/v1"
SECRETS = ("内部说明-甲", "问题清单-乙", "退回摘要-丙", "退回意见-丁", "协调问题-戊")


@pytest.fixture
def zone(request, app, client, auth):
    """A confirmed building zone with one accepted report (value verified), one returned report, a
    problem, a milestone done and one planned, and a baseline and target. Kept (tests/kept.py)."""
    return kept(request, "progress_public.zone", lambda: _zone(app, client, auth))


def _zone(app, client, auth):
    day = today(app)
    current, previous = period_of(day), previous_period(period_of(day))
    zone_id = confirmed_zone(app, "building", confirmed_on=period_start(previous))
    officer = auth.staff("department_officer", department="housing_construction")
    reporter = make_reporter(client, officer, zone_id, "public-builder")

    def post(path, body, headers=reporter):
        response = client.post(ADMIN + path, json=body, headers=headers)
        assert response.status_code in (200, 201), response.json
        return response.json

    client.put(
        f"{ADMIN}/zones/{zone_id}/series/total_emissions",
        json={"baseline_year": day.year - 3, "baseline_value": 1000, "target_year": day.year + 3, "target_value": 400},
        headers=officer,
    )
    returned = post(
        f"/zones/{zone_id}/reports",
        {"period": previous, "public_summary": SECRETS[2], "indicator_year": day.year - 2, "indicator_value": 990},
    )
    post(f"/reports/{returned['id']}/submit", {})
    post(f"/reports/{returned['id']}/review", {"decision": "returned", "comment": SECRETS[3]}, officer)
    accepted = post(
        f"/zones/{zone_id}/reports",
        {
            "period": current,
            "public_summary": "完成屋顶光伏安装",
            "internal_note": SECRETS[0],
            "problems": SECRETS[1],
            "indicator_year": day.year - 1,
            "indicator_value": 700,
        },
    )
    post(f"/reports/{accepted['id']}/submit", {})
    post(f"/reports/{accepted['id']}/review", {"decision": "accepted", "comment": "数据核实无误"}, officer)
    post(
        f"/zones/{zone_id}/problems",
        {"title": SECRETS[4], "department": "housing_construction", "due_on": (day + timedelta(days=5)).isoformat()},
    )
    done = post(f"/zones/{zone_id}/milestones", {"name": "光伏并网", "planned_on": day.isoformat()})
    client.patch(f"{ADMIN}/milestones/{done['id']}", json={"done_on": day.isoformat()}, headers=reporter)
    post(f"/zones/{zone_id}/milestones", {"name": "储能系统投运", "planned_on": (day + timedelta(days=60)).isoformat()})
    return {"id": zone_id, "year": day.year, "officer": officer, "reporter": reporter, "current": current}


def _progress(client, zone_id):
    return client.get(f"{MP}/zones/{zone_id}").json["progress"]


# ---- the zone detail ---------------------------------------------------------------------------


def test_a_zone_in_publicity_has_no_progress(app, client):
    zone_id = make_zone(app, "publicity")
    assert _progress(client, zone_id) is None


def test_a_titled_zone_shows_its_progress(app, client):
    zone_id = make_zone(app, "titled")
    assert _progress(client, zone_id)["milestones"] == []


def test_the_detail_shows_the_percent_done(client, zone):
    assert _progress(client, zone["id"])["percent"] == 50


def test_the_detail_shows_the_verified_series(client, zone):
    assert _progress(client, zone["id"])["series"] == [{"year": zone["year"] - 1, "value": 700.0}]


def test_the_detail_shows_the_change_against_the_baseline(client, zone):
    assert _progress(client, zone["id"])["change_pct"] == -30.0


def test_the_detail_says_whether_the_zone_is_on_track(client, zone):
    assert _progress(client, zone["id"])["on_track"] is True


def test_the_detail_names_the_last_period_reported(client, zone):
    assert _progress(client, zone["id"])["last_report_period"] == zone["current"]


def test_the_cached_detail_follows_an_accepted_report(app, client, zone):
    year = zone["year"]
    before = _progress(client, zone["id"])["baseline"]
    client.put(
        f"{ADMIN}/zones/{zone['id']}/series/total_emissions",
        json={"baseline_year": year - 2, "baseline_value": 1200, "target_year": year + 3, "target_value": 400},
        headers=zone["officer"],
    )
    after = _progress(client, zone["id"])["baseline"]
    assert (before, after) == ({"year": year - 3, "value": 1000.0}, {"year": year - 2, "value": 1200.0})


# ---- updates -----------------------------------------------------------------------------------


def _updates(client, zone_id, **args):
    return client.get(f"{MP}/zones/{zone_id}/updates", query_string=args)


def test_updates_are_a_list_envelope(client, zone):
    assert set(_updates(client, zone["id"]).json) == {"items", "page", "per_page", "total"}


def test_updates_hold_the_accepted_summary(client, zone):
    items = _updates(client, zone["id"]).json["items"]
    assert [i["summary"] for i in items if i["kind"] == "report"] == ["完成屋顶光伏安装"]


def test_updates_hold_the_milestone_done(client, zone):
    items = _updates(client, zone["id"]).json["items"]
    assert [i["title"] for i in items if i["kind"] == "milestone"] == ["完成里程碑：光伏并网"]


def test_updates_hold_the_transitions(client, zone):
    items = _updates(client, zone["id"]).json["items"]
    assert "confirmed" in [i["to_status"] for i in items if i["kind"] == "transition"]


def test_updates_are_newest_first(client, zone):
    times = [i["occurred_at"] for i in _updates(client, zone["id"], per_page=100).json["items"]]
    assert times == sorted(times, reverse=True)


def test_updates_are_paged(client, zone):
    total = _updates(client, zone["id"]).json["total"]
    second = _updates(client, zone["id"], page=2, per_page=2).json["items"]
    assert len(second) == min(2, total - 2)


def test_updates_of_a_zone_not_public_are_not_found(app, client):
    zone_id = make_zone(app, "site_check")
    assert_error(_updates(client, zone_id), 404, "not_found")


def test_updates_of_a_zone_not_public_answer_as_its_detail(app, client):
    zone_id = make_zone(app, "site_check")
    detail = client.get(f"{MP}/zones/{zone_id}").json
    assert _updates(client, zone_id).json == detail


def test_updates_for_the_feed_name_their_zone(app, zone):
    with app.app_context():
        items = updates.updates_for_zones([zone["id"]], limit=3)
    assert (len(items), {i["zone_id"] for i in items}) == (3, {zone["id"]})


def test_the_feed_leaves_out_zones_not_public(app, zone):
    hidden = make_zone(app, "applied")
    with app.app_context():
        assert updates.updates_for_zones([hidden], limit=10) == []


# ---- open data ---------------------------------------------------------------------------------


def _indicator_rows(client):
    body = client.get(f"{MP}/opendata/indicators.csv").get_data(as_text=True).lstrip("\ufeff")
    lines = [line for line in body.splitlines() if not line.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


def test_the_indicators_csv_has_the_contracts_columns(client, zone):
    header = set(_indicator_rows(client)[0])
    assert {"zone", "year", "indicator", "value", "unit", "verified"} <= header


def test_the_indicators_csv_holds_the_verified_value(client, zone):
    verified = [(r["year"], r["value"], r["unit"]) for r in _indicator_rows(client) if r["verified"] == "true"]
    assert verified == [(str(zone["year"] - 1), "700.000", "tCO₂e/年")]


def test_the_indicators_csv_marks_the_baseline_unverified(client, zone):
    rows = [(r["kind"], r["verified"]) for r in _indicator_rows(client) if r["kind"] == "baseline"]
    assert rows == [("baseline", "false")]


def test_the_indicators_csv_escapes_formula_cells(app, client, zone):
    zone_id = confirmed_zone(app, "school")
    with app.app_context():
        from app.extensions import db
        from app.zones.models import Zone, ZoneIndicator

        db.session.get(Zone, zone_id).name = "=HYPERLINK(1)"
        db.session.add(ZoneIndicator(zone_id=zone_id, key="emissions_per_area", baseline_year=2024, baseline_value=5))
        db.session.commit()
    from app import cache

    with app.app_context():
        cache.invalidate("zones")
    names = [r["zone"] for r in _indicator_rows(client) if r["zone_id"] == str(zone_id)]
    assert names == ["'=HYPERLINK(1)"]


# ---- never public ------------------------------------------------------------------------------


PUBLIC_PATHS = (
    "/zones/{id}",
    "/zones/{id}/updates?per_page=100",
    "/opendata/indicators.csv",
    "/opendata/zones.csv",
    "/opendata/zones.geojson",
    "/zones?per_page=100",
)


@pytest.mark.parametrize("path", PUBLIC_PATHS)
@pytest.mark.parametrize("secret", SECRETS)
def test_internal_text_never_appears_in_a_public_answer(client, zone, path, secret):
    body = client.get(MP + path.format(id=zone["id"])).get_data(as_text=True)
    assert secret not in body


def test_the_public_answer_is_really_read(client, zone):
    """The check above reads bodies that hold the zone's public summary (so it can fail)."""
    body = client.get(f"{MP}/zones/{zone['id']}/updates").get_data(as_text=True)
    assert "完成屋顶光伏安装" in body


def test_a_revoked_zone_gets_no_on_track_verdict(app, client, monkeypatch):
    """Its title was withdrawn: 按计划推进 under a revoked zone would tell the public the opposite."""
    from app.progress import series

    real = series.indicator_series
    monkeypatch.setattr(series, "indicator_series", lambda *a, **k: {**real(*a, **k), "on_track": True})
    zone_id = make_zone(app, "revoked")
    assert _progress(client, zone_id)["on_track"] is None


def test_a_titled_zone_keeps_its_verdict(app, client, monkeypatch):
    from app.progress import series

    real = series.indicator_series
    monkeypatch.setattr(series, "indicator_series", lambda *a, **k: {**real(*a, **k), "on_track": True})
    zone_id = make_zone(app, "titled")
    assert _progress(client, zone_id)["on_track"] is True
