"""The public scoreboard (GET /programme): figures computed from seeded data, cross-checked (every
breakdown sums to its total), unlike units never added, only public zones, visitors = people checked
in, no personal data, and the cached answer rebuilt after a zone transition."""

from decimal import Decimal

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.progress.models import ZoneIndicatorValue
from app.zones.constants import INDICATORS, ZoneType
from app.zones.models import Zone, ZoneIndicator
from tests.campaign_helpers import _checkin
from tests.factories import make_base, make_slot, make_zone, move_booking_to_today, open_notice
from tests.kept import kept
from tests.test_objection_handling import decide, objection_id, raise_objections
from tests.test_visits import book, visitors

PATH = "/api/mp/v1/programme"


def _programme(client):
    response = client.get(PATH)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def _unit(zone_type, key=None):
    definitions = INDICATORS[ZoneType(zone_type)]
    return next(d for d in definitions if key is None or d.key == key).unit


def set_indicator(app, zone_id, *, baseline, target=None, verified=(), key=None, unit=None):
    """A zone's baseline (2023), target (2027) and verified values [(year, value)], written as the
    progress services would leave them (a verified value in `unit`, the type's own by default)."""
    with app.app_context():
        zone = db.session.get(Zone, zone_id)
        definition = INDICATORS[ZoneType(zone.type)][0] if key is None else None
        key = key or definition.key
        row = db.session.scalar(select(ZoneIndicator).where(ZoneIndicator.zone_id == zone_id, ZoneIndicator.key == key))
        if row is None:
            row = ZoneIndicator(zone_id=zone_id, key=key, position=0)
            db.session.add(row)
        row.baseline_year, row.baseline_value = 2023, Decimal(str(baseline))
        if target is not None:
            row.target_year, row.target_value = 2027, Decimal(str(target))
        for year, value in verified:
            db.session.add(
                ZoneIndicatorValue(
                    zone_id=zone_id,
                    indicator_key=key,
                    year=year,
                    value=Decimal(str(value)),
                    unit=unit or _unit(zone.type, key),
                )
            )
        db.session.commit()


# ---- zones --------------------------------------------------------------------------------------


@pytest.fixture
def zones(request, app):
    """Public zones of several types, levels, districts and statuses, and two that are not public.
    Kept (tests/kept.py)."""
    return kept(request, "programme.zones", lambda: _zones(app))


def _zones(app):
    public = [
        make_zone(app, "publicity", type="park", level="near_zero", district="南关区"),
        make_zone(app, "confirmed", type="school", district="南关区"),
        make_zone(app, "acceptance_review", type="factory", level="zero_carbon"),
        make_zone(app, "titled", type="building"),
        make_zone(app, "titled", type="scenic", district="长春新区"),
        make_zone(app, "revoked", type="park"),
    ]
    hidden = [make_zone(app, "site_check", type="park"), make_zone(app, "rejected", type="community")]
    return {"public": public, "hidden": hidden}


def test_the_total_counts_public_zones_only(app, client, zones):
    assert _programme(client)["zones"]["total"] == len(zones["public"])


@pytest.mark.parametrize("breakdown", ["by_type", "by_level", "by_status", "by_type_level_status", "by_district"])
def test_every_breakdown_sums_to_the_total(app, client, zones, breakdown):
    counts = _programme(client)["zones"]
    assert sum(row["count"] for row in counts[breakdown]) == counts["total"]


def test_zones_by_type(app, client, zones):
    by_type = {row["code"]: row["count"] for row in _programme(client)["zones"]["by_type"]}
    assert (by_type["park"], by_type["community"]) == (2, 0)  # the hidden park and community count nowhere


def test_types_carry_their_chinese_labels(app, client, zones):
    labels = {row["code"]: row["label"] for row in _programme(client)["zones"]["by_type"]}
    meta = {t["code"]: t["label"] for t in client.get("/api/mp/v1/meta").json["types"]}
    assert labels == meta


def test_zones_by_district(app, client, zones):
    by_district = {row["name"]: row["count"] for row in _programme(client)["zones"]["by_district"]}
    assert (by_district["南关区"], by_district["长春新区"]) == (2, 1)


def test_statuses_that_are_not_public_are_not_listed(app, client, zones):
    codes = {row["code"] for row in _programme(client)["zones"]["by_status"]}
    assert codes.isdisjoint({"applied", "expert_review", "site_check"})


def test_titles_per_year_count_every_title_granted(app, client, zones):
    titles = _programme(client)["titles"]
    # two titled and one revoked after its title: three titles granted
    assert (titles["total"], sum(y["count"] for y in titles["per_year"])) == (3, 3)


def test_titles_granted_are_the_titled_and_the_revoked_zones(app, client, zones):
    body = _programme(client)
    by_status = {row["code"]: row["count"] for row in body["zones"]["by_status"]}
    assert body["titles"]["total"] == by_status["titled"] + by_status["revoked"]


# ---- construction and reductions ----------------------------------------------------------------


def test_without_data_the_on_track_share_is_null(app, client):
    make_zone(app, "confirmed", type="park")
    construction = _programme(client)["construction"]
    assert (construction["total"], construction["with_data"], construction["on_track_share"]) == (1, 0, None)


def test_the_share_on_track_among_zones_with_data(app, client):
    ahead, behind = make_zone(app, "confirmed", type="park"), make_zone(app, "acceptance_review", type="park")
    make_zone(app, "confirmed", type="factory")  # no data: counted apart
    set_indicator(app, ahead, baseline=1000, target=600, verified=[(2025, 700)])  # line at 2025: 800
    set_indicator(app, behind, baseline=1000, target=600, verified=[(2025, 950)])
    construction = _programme(client)["construction"]
    assert (construction["total"], construction["with_data"], construction["on_track"]) == (3, 2, 1)


def test_the_on_track_share(app, client):
    ahead, behind = make_zone(app, "confirmed", type="park"), make_zone(app, "confirmed", type="park")
    set_indicator(app, ahead, baseline=1000, target=600, verified=[(2025, 700)])
    set_indicator(app, behind, baseline=1000, target=600, verified=[(2025, 950)])
    assert _programme(client)["construction"]["on_track_share"] == 0.5


def test_construction_counts_add_up(app, client):
    for status in ("confirmed", "acceptance_review", "titled"):
        make_zone(app, status, type="park")
    c = _programme(client)["construction"]
    assert (c["with_data"] + c["without_data"], c["on_track"] + c["off_track"]) == (c["total"], c["with_data"])


def test_a_titled_zone_is_not_under_construction(app, client):
    titled = make_zone(app, "titled", type="park")
    set_indicator(app, titled, baseline=1000, target=600, verified=[(2025, 700)])
    assert _programme(client)["construction"]["total"] == 0


@pytest.fixture
def reductions(request, app):
    """Two zones in tCO₂e/年, one in kgCO₂e/(m²·年), one with a value in a unit not its own. Kept (tests/kept.py)."""
    return kept(request, "programme.reductions", lambda: _reductions(app))


def _reductions(app):
    building, factory = make_zone(app, "titled", type="building"), make_zone(app, "confirmed", type="factory")
    school, odd = make_zone(app, "confirmed", type="school"), make_zone(app, "confirmed", type="park")
    set_indicator(app, building, baseline=1000, verified=[(2024, 950), (2025, 900)])  # the latest counts: 100
    set_indicator(app, factory, baseline=500, verified=[(2025, 450)])  # 50
    set_indicator(app, school, baseline=50, verified=[(2025, 45)])  # 5 kg per m²
    set_indicator(app, odd, baseline=800, verified=[(2025, 700)], unit="kgCO₂e/人次")
    hidden = make_zone(app, "site_check", type="building")
    set_indicator(app, hidden, baseline=900, verified=[(2025, 100)])  # not public: nowhere
    return {"tonnes": _unit("building"), "per_area": _unit("school")}


def _units(client):
    return {row["unit"]: row for row in _programme(client)["reductions"]["units"]}


def test_each_unit_is_one_row(app, client, reductions):
    rows = _programme(client)["reductions"]["units"]
    assert sorted(row["unit"] for row in rows) == sorted({reductions["tonnes"], reductions["per_area"]})


def test_reductions_of_one_unit_are_summed(app, client, reductions):
    assert _units(client)[reductions["tonnes"]]["reduction"] == 150


def test_unlike_units_are_never_added(app, client, reductions):
    assert _units(client)[reductions["per_area"]]["reduction"] == 5


def test_a_value_in_another_unit_is_left_out(app, client, reductions):
    assert _units(client)[reductions["tonnes"]]["zones"] == 2


def test_a_unit_row_adds_up(app, client, reductions):
    row = _units(client)[reductions["tonnes"]]
    assert row["baseline"] - row["latest"] == row["reduction"]


# ---- visits -------------------------------------------------------------------------------------


@pytest.fixture
def visited(app, client, auth):
    """At one base: a booking of 2 checked in, one of 3 still only booked."""
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, starts_in=600)
    headers = auth.wechat_headers("visitor")
    came = book(client, headers, {"slot_id": slot_id, "visitors": visitors(2)}, "v1").json
    book(client, auth.wechat_headers("planner"), {"slot_id": slot_id, "visitors": visitors(3, start=2)}, "v2")
    move_booking_to_today(app, came["id"])
    code = client.get(f"/api/mp/v1/bookings/{came['id']}/checkin-code", headers=headers).json["code"]
    checked = client.post("/api/mp/v1/checkins", json={"code": code}, headers=auth.wechat_operator(base_id))
    assert checked.status_code == 200, checked.json
    return base_id


def test_visitors_are_the_people_checked_in_not_booked(app, client, visited):
    assert _programme(client)["visits"]["visitors_total"] == 2


def test_visitors_per_month_sum_to_the_total(app, client, visited):
    figures = _programme(client)["visits"]
    assert sum(m["visitors"] for m in figures["visitors_per_month"]) == figures["visitors_total"]


def test_education_bases_are_counted(app, client, visited):
    assert _programme(client)["visits"]["education_bases"] == 1


# ---- publicity ----------------------------------------------------------------------------------


@pytest.fixture
def objected(request, app, client, auth):
    """One notice; three objections on its building zone, one of them upheld. Kept (tests/kept.py)."""
    return kept(request, "programme.objected", lambda: _objected(app, client, auth))


def _objected(app, client, auth):
    notice = open_notice(app, ("building", "school"))
    _, receipts = raise_objections(client, auth, notice, count=3)
    housing = auth.staff("department_officer", department="housing_construction")
    oid = objection_id(app, receipts[0])
    for status in ("accepted", "investigating", "upheld"):
        assert decide(client, housing, oid, status).status_code == 200
    return notice


def test_objections_received_and_upheld(app, client, objected):
    publicity = _programme(client)["publicity"]
    assert (publicity["notices"], publicity["objections"], publicity["upheld"]) == (1, 3, 1)


@pytest.mark.parametrize("figure", ["notices", "objections", "upheld"])
def test_publicity_years_sum_to_the_totals(app, client, objected, figure):
    publicity = _programme(client)["publicity"]
    assert sum(y[figure] for y in publicity["per_year"]) == publicity[figure]


# ---- campaigns ----------------------------------------------------------------------------------


def test_campaign_figures(app, client, running):
    done = _checkin(client, running["headers"], running["campaign"])
    assert done.status_code == 201, done.json
    figures = _programme(client)["campaigns"]
    assert (figures["schools"], figures["students"], figures["checkins"], figures["co2_kg"]) == (
        1,
        1,
        1,
        pytest.approx(done.json["co2_kg"]),
    )


def test_campaign_co2_is_marked_as_an_estimate(app, client, running):
    assert _programme(client)["campaigns"]["co2_is_estimate"] is True


# ---- no personal data, caching ------------------------------------------------------------------


def test_no_personal_data_in_the_body(app, client, auth, visited, objected):
    body = client.get(PATH).get_data(as_text=True)
    personal = ["张三", "李四", "13812345678", "13800000000", "o_fake_", visitors(1)[0]["id_number"]]
    assert [p for p in personal if p in body] == []


def test_the_answer_is_cached(app, client):
    zone_id = make_zone(app, "confirmed", type="park")
    first = _programme(client)["zones"]["total"]
    with app.app_context():  # behind the services' back: no invalidation, so the cached answer stays
        db.session.execute(update(Zone).where(Zone.id == zone_id).values(published_at=None))
        db.session.commit()
    assert _programme(client)["zones"]["total"] == first


def test_a_transition_rebuilds_it(app, client, auth):
    zone_id = make_zone(app, "acceptance_review", type="park")
    before = _programme(client)["titles"]["total"]
    moved = client.post(
        f"/api/admin/v1/zones/{zone_id}/transitions", json={"to": "titled"}, headers=auth.staff("admin")
    )
    assert moved.status_code == 200
    assert _programme(client)["titles"]["total"] == before + 1


def test_it_answers_304_when_unchanged(app, client):
    make_zone(app, "publicity")
    etag = client.get(PATH).headers["ETag"]
    assert client.get(PATH, headers={"If-None-Match": etag}).status_code == 304


def test_dates_are_local(app, client):
    assert _programme(client)["generated_at"].endswith("+08:00")
