"""The public zone API: /meta, the list with filters, search and sorting, the detail."""

import pytest

from tests.factories import district_id, make_zone
from tests.helpers import assert_error


def test_meta_has_everything_with_chinese_labels(client):
    meta = client.get("/api/mp/v1/meta").json
    assert [t["code"] for t in meta["types"]] == ["park", "factory", "building", "school", "community", "scenic"]
    assert {t["code"]: t["label"] for t in meta["types"]}["scenic"] == "景区"
    assert [lv["label"] for lv in meta["levels"]] == ["低碳", "近零碳", "零碳"]
    statuses = {s["code"]: s for s in meta["statuses"]}
    assert statuses["publicity"]["label"] == "公示中"
    assert statuses["publicity"]["public"] is True
    assert statuses["applied"]["public"] is False
    scenic = next(t for t in meta["types"] if t["code"] == "scenic")
    assert [i["key"] for i in scenic["indicators"]] == ["emissions_per_visitor", "total_emissions"]
    assert scenic["default_department"] == "culture_tourism"
    names = [d["name"] for d in meta["districts"]]
    assert len(names) == 18
    assert "南关区" in names
    assert "长春莲花山生态旅游度假区" in names
    nanguan = next(d for d in meta["districts"] if d["name"] == "南关区")
    assert nanguan["code"] == "220102"
    assert nanguan["kind_label"] == "市辖区"


def test_only_public_zones_are_listed_and_shown(client, app):
    hidden = [make_zone(app, s) for s in ("applied", "expert_review", "site_check")]
    visible = [make_zone(app, s) for s in ("publicity", "confirmed", "acceptance_review", "titled", "revoked")]
    rejected_before_publicity = make_zone(app, "rejected")
    page = client.get("/api/mp/v1/zones?per_page=100").json
    assert sorted(z["id"] for z in page["items"]) == sorted(visible)
    assert page["total"] == len(visible)
    for zone_id in [*hidden, rejected_before_publicity]:
        assert_error(client.get(f"/api/mp/v1/zones/{zone_id}"), 404, "not_found")
    assert client.get(f"/api/mp/v1/zones/{visible[0]}").status_code == 200


def test_rejected_after_publicity_stays_public(client, app, auth):
    zone_id = make_zone(app, "publicity")
    admin = auth.staff("admin")
    client.post(
        f"/api/admin/v1/zones/{zone_id}/transitions", json={"to": "rejected", "note": "异议成立"}, headers=admin
    )
    detail = client.get(f"/api/mp/v1/zones/{zone_id}").json
    assert detail["status"] == "rejected"
    assert detail["timeline"][-1]["note"] == "异议成立"


def test_filters(client, app):
    a = make_zone(app, "titled", type="scenic", level="zero_carbon", district="双阳区", batch_year=2024)
    b = make_zone(app, "publicity", type="scenic", level="low_carbon", district="朝阳区", batch_year=2025)
    c = make_zone(app, "confirmed", type="school", level="zero_carbon", district="双阳区", batch_year=2025)

    def ids(query):
        response = client.get(f"/api/mp/v1/zones?{query}")
        assert response.status_code == 200, response.json
        return sorted(z["id"] for z in response.json["items"])

    assert ids("type=scenic") == sorted([a, b])
    assert ids("level=zero_carbon") == sorted([a, c])
    assert ids("status=publicity") == [b]
    with app.app_context():
        shuangyang = district_id("双阳区")
    assert ids(f"district={shuangyang}") == sorted([a, c])
    assert ids("batch_year=2024") == [a]
    assert ids(f"type=scenic&level=zero_carbon&district={shuangyang}") == [a]
    # the district may also be given by its division code or its name
    assert ids("district=220112") == ids("district=双阳区") == sorted([a, c])


def test_detail_has_indicator_change_timeline_and_base_flag(client, app):
    zone_id = make_zone(
        app,
        "titled",
        type="community",
        indicators=[
            {
                "key": "emissions_per_area",
                "baseline_value": 50,
                "baseline_year": 2022,
                "latest_value": 40,
                "latest_year": 2025,
            }
        ],
    )
    detail = client.get(f"/api/mp/v1/zones/{zone_id}").json
    first, second = detail["indicators"]
    assert first["key"] == "emissions_per_area"
    assert first["unit"] == "kgCO₂e/(m²·年)"
    assert first["change"] == -10.0
    assert first["change_percent"] == -20.0
    assert detail["indicator"] == first
    assert second["key"] == "total_emissions"
    assert second["baseline_value"] is None
    assert second["change"] is None
    assert detail["is_education_base"] is False
    assert detail["type_label"] == "社区"
    assert detail["department_label"] == "市住房和城乡建设局"
    assert detail["location"] == {"latitude": 43.86, "longitude": 125.3, "coordinate_system": "gcj02"}
    assert "actor_id" not in detail["timeline"][0]  # staff ids are not public


def test_search_over_name_applicant_and_address(client, app):
    a = make_zone(app, "titled", name="净月潭生态低碳景区", type="scenic", applicant_name="净月旅游公司")
    b = make_zone(
        app, "titled", name="南湖办公楼", applicant_name="长春市机关事务服务中心", address="朝阳区南湖大路 100 号"
    )
    c = make_zone(app, "titled", name="CCER 示范工厂", type="factory", applicant_name="Green Power 公司")

    def ids(q):
        return sorted(z["id"] for z in client.get("/api/mp/v1/zones", query_string={"q": q}).json["items"])

    assert ids("净月") == [a]  # two Chinese characters, no spaces
    assert ids("机关事务") == [b]  # applicant
    assert ids("南湖大路") == [b]  # address
    assert ids("ccer") == [c]  # case-insensitive for Latin
    assert ids("green power") == [c]
    assert ids("示范") == [c]
    assert ids("不存在的名字") == []


@pytest.mark.parametrize("q", ["%", "_", "%%", "净%", "_月", "\\", "' OR 1=1 --", "%' OR '1'='1"])
def test_search_wildcards_and_sql_are_literal(client, app, q):
    make_zone(app, "titled", name="净月潭景区", type="scenic")
    make_zone(app, "titled", name="百分之百_测试%景区", type="scenic")
    response = client.get("/api/mp/v1/zones", query_string={"q": q})
    assert response.status_code == 200
    names = [z["name"] for z in response.json["items"]]
    expected = [n for n in ("净月潭景区", "百分之百_测试%景区") if q.lower() in n.lower()]
    assert names == expected


def test_sorting(client, app):
    ids = [
        make_zone(app, "titled", name=name, batch_year=year)
        for name, year in (("乙项目", 2024), ("甲项目", 2025), ("丙项目", 2023))
    ]
    by_year = [z["id"] for z in client.get("/api/mp/v1/zones?sort=-batch_year").json["items"]]
    assert by_year == [ids[1], ids[0], ids[2]]
    by_year_up = [z["id"] for z in client.get("/api/mp/v1/zones?sort=batch_year").json["items"]]
    assert by_year_up == [ids[2], ids[0], ids[1]]
    newest_first = [z["id"] for z in client.get("/api/mp/v1/zones").json["items"]]
    assert newest_first == list(reversed(ids))


@pytest.mark.parametrize(
    "query,field",
    [
        ("type=museum", "type"),
        ("type=Park", "type"),  # wrong case
        ("type=PARK", "type"),
        ("level=Low_Carbon", "level"),
        ("level=ultra", "level"),
        ("status=approved", "status"),
        ("status=Titled", "status"),
        ("district=99999", "district"),
        ("district=abc", "district"),
        ("district=999999", "district"),
        ("per_page=0", "per_page"),
        ("per_page=1000", "per_page"),
        ("page=0", "page"),
        ("sort=evil", "sort"),
        ("batch_year=1800", "batch_year"),
    ],
)
def test_bad_list_input(client, query, field):
    error = assert_error(client.get(f"/api/mp/v1/zones?{query}"), 422, "validation_error")
    assert field in error["details"]


def test_pagination_envelope_and_page_past_the_end(client, app):
    for _ in range(7):
        make_zone(app, "publicity")
    page = client.get("/api/mp/v1/zones?per_page=5&page=2").json
    assert set(page) == {"items", "page", "per_page", "total"}
    assert (page["page"], page["per_page"], page["total"], len(page["items"])) == (2, 5, 7, 2)
    past = client.get("/api/mp/v1/zones?per_page=5&page=9").json
    assert past["items"] == []
    assert past["total"] == 7


def test_unknown_zone_is_404(client):
    assert_error(client.get("/api/mp/v1/zones/424242"), 404, "not_found")
    assert_error(client.get("/api/mp/v1/zones/abc"), 404, "not_found")
