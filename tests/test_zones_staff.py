"""Staff API for zones: create and edit, bulk import (all or nothing), export, districts, audit."""

import csv
import io

import pytest

from tests.factories import make_zone, zone_data
from tests.helpers import assert_error

HEADER = "name,type,level,district,applicant_name,applicant_kind,address,baseline_value,baseline_year,latest_value,latest_year"


def test_create_validates_draft_fields(client, auth, app):
    admin = auth.staff("admin")
    with app.app_context():
        good = zone_data(type="building", department="government_offices")
    created = client.post("/api/admin/v1/zones", json=good, headers=admin)
    assert created.status_code == 201
    assert created.json["department"] == "government_offices"  # overridden (a public building)
    bad_cases = [
        ({"type": "Building"}, "type"),
        ({"level": "ZERO_CARBON"}, "level"),
        ({"district_id": 99999}, "district_id"),
        ({"applicant_kind": "factory"}, "applicant_kind"),  # a building is applied for by its owner etc.
        ({"name": "  "}, "name"),
        ({"latitude": 43.8, "longitude": None}, "latitude"),
        ({"latitude": 95, "longitude": 125}, "latitude"),
        ({"indicators": [{"key": "emissions_per_visitor", "baseline_value": 1}]}, "indicators"),
        ({"indicators": [{"key": "total_emissions", "baseline_value": -5}]}, "indicators"),
        ({"cover_image_url": "javascript:alert(1)"}, "cover_image_url"),
    ]
    for change, field in bad_cases:
        with app.app_context():
            body = {**zone_data(type="building"), **change}
        error = assert_error(client.post("/api/admin/v1/zones", json=body, headers=admin), 422, "validation_error")
        assert field in error["details"], (change, error)
    # Same name in the same batch
    dup = client.post("/api/admin/v1/zones", json=good, headers=admin)
    assert_error(dup, 409, "duplicate_zone")


def test_coordinates_sent_as_text_are_refused(client, auth, app):
    """JSON bodies are taken as JSON says: "43.8" is text (the console's form sends text, through its own
    loading, which this does not touch)."""
    with app.app_context():
        body = {**zone_data(type="building"), "latitude": "43.8", "longitude": 125.3}
    response = client.post("/api/admin/v1/zones", json=body, headers=auth.staff("admin"))
    assert assert_error(response, 422, "validation_error")["details"]["latitude"] == ["须为数字"]


def test_edit_and_locked_fields_after_publicity(client, auth, app):
    admin = auth.staff("admin")
    zone_id = make_zone(app, "applied", type="building")
    response = client.patch(
        f"/api/admin/v1/zones/{zone_id}",
        json={
            "summary": "新的简介",
            "type": "community",
            "applicant_kind": "residents_committee",
            "indicators": [{"key": "total_emissions", "baseline_value": 100, "latest_value": 90}],
        },
        headers=admin,
    )
    assert response.status_code == 200, response.json
    assert response.json["type"] == "community"
    assert response.json["department"] == "housing_construction"
    assert response.json["indicators"][1]["change_percent"] == -10.0
    public_id = make_zone(app, "publicity")
    assert_error(
        client.patch(f"/api/admin/v1/zones/{public_id}", json={"type": "school"}, headers=admin), 409, "field_locked"
    )
    assert client.patch(f"/api/admin/v1/zones/{public_id}", json={"summary": "补充"}, headers=admin).status_code == 200


def _upload(client, headers, content: bytes, filename="batch.csv", batch_year=2026):
    return client.post(
        "/api/admin/v1/zones/import",
        data={"batch_year": str(batch_year), "file": (io.BytesIO(content), filename)},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_import_csv_batch(client, auth):
    institute = auth.staff("institute_staff")
    content = "\n".join(
        [
            HEADER,
            "一号园区,park,low_carbon,长春新区,一号园区管委会,park_committee,长春新区某路,1000,2023,900,2025",
            "二号工厂,factory,near_zero,220104,二号工厂有限公司,factory,朝阳区某路,,,,",
            "三号景区,scenic,zero_carbon,长春莲花山生态旅游度假区,三号景区运营公司,scenic_operator,,,,,",
        ]
    ).encode()
    response = _upload(client, institute, content)
    assert response.status_code == 201, response.json
    assert response.json["imported"] == 3
    page = client.get("/api/admin/v1/zones?batch_year=2026", headers=institute).json
    assert page["total"] == 3
    assert {z["status"] for z in page["items"]} == {"applied"}
    park = next(z for z in page["items"] if z["name"] == "一号园区")
    assert park["indicators"][0]["change_percent"] == -10.0
    # Chinese headers work too, and GBK-encoded files (Excel's CSV)
    chinese = "项目名称,类型,级别,县（市）区,申报主体,申报主体类型\n四号社区,community,low_carbon,南关区,四号社区居委会,residents_committee\n"
    assert _upload(client, institute, chinese.encode("gb18030")).json["imported"] == 1


def test_import_with_a_bad_row_imports_nothing_and_reports_each_row(client, auth):
    institute = auth.staff("institute_staff")
    content = "\n".join(
        [
            HEADER,
            "好园区,park,low_carbon,长春新区,管委会,park_committee,,,,,",
            "坏类型,museum,low_carbon,长春新区,某单位,park_committee,,,,,",
            "坏区县,park,low_carbon,火星区,管委会,park_committee,,,,,",
            "好园区,park,low_carbon,长春新区,管委会,park_committee,,,,,",
            "坏主体,school,Low_Carbon,南关区,某学校,factory,,abc,,,",
        ]
    ).encode()
    error = assert_error(_upload(client, institute, content), 422, "import_invalid")
    rows = {r["row"]: r["errors"] for r in error["details"]["rows"]}
    assert set(rows) == {3, 4, 5, 6}
    assert "type" in rows[3]
    assert "district" in rows[4]
    assert "与第 2 行重名" in rows[5]["name"][0]
    assert "level" in rows[6]
    assert client.get("/api/admin/v1/zones?batch_year=2026", headers=institute).json["total"] == 0


def test_import_duplicate_of_existing_zone_in_batch(client, auth, app):
    institute = auth.staff("institute_staff")
    make_zone(app, "applied", name="已有园区", type="park", batch_year=2026)
    content = f"{HEADER}\n已有园区,park,low_carbon,长春新区,管委会,park_committee,,,,,\n".encode()
    error = assert_error(_upload(client, institute, content), 422, "import_invalid")
    assert "已有同名项目" in error["details"]["rows"][0]["errors"]["name"][0]


@pytest.mark.parametrize(
    "header,key",
    [
        ("name,type,level,district,applicant_name", "missing"),  # applicant_kind missing
        ("name,type,level,district,applicant_name,applicant_kind,colour", "unknown"),
        ("name,name,type,level,district,applicant_name,applicant_kind", "duplicated"),
    ],
)
def test_import_wrong_columns(client, auth, header, key):
    institute = auth.staff("institute_staff")
    error = assert_error(_upload(client, institute, f"{header}\n".encode() + b"x,park\n"), 422, "import_columns")
    assert error["details"][key]


def test_import_file_problems(client, auth):
    institute = auth.staff("institute_staff")
    assert_error(_upload(client, institute, b"hello", filename="batch.txt"), 422, "import_file_type")
    assert_error(_upload(client, institute, b"", filename="batch.csv"), 422, "import_empty")
    assert_error(_upload(client, institute, HEADER.encode()), 422, "import_empty")
    assert_error(_upload(client, institute, b"PK\x03\x04broken", filename="batch.xlsx"), 422, "import_unreadable")
    no_file = client.post(
        "/api/admin/v1/zones/import", data={"batch_year": "2026"}, headers=institute, content_type="multipart/form-data"
    )
    assert_error(no_file, 422, "validation_error")
    officer = auth.staff("department_officer", department="education")
    assert_error(_upload(client, officer, HEADER.encode()), 403, "forbidden")


def test_import_xlsx(client, auth):
    from openpyxl import Workbook

    institute = auth.staff("institute_staff")
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    sheet.append(["表格学校", "school", "near_zero", "南关区", "表格学校", "school", "南关区", 40.5, 2023, 35, 2025])
    sheet.append(
        ["表格景区", "scenic", "low_carbon", "双阳区", "表格景区公司", "scenic_operator", None, None, None, None, None]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = _upload(client, institute, buffer.getvalue(), filename="batch.xlsx")
    assert response.status_code == 201, response.json
    assert response.json["imported"] == 2
    sheet.append(["坏行", "school", "near_zero", "南关区", "x", "school", None, "不是数字", None, None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    error = assert_error(
        _upload(client, institute, buffer.getvalue(), filename="b.xlsx", batch_year=2027), 422, "import_invalid"
    )
    assert error["details"]["rows"][0]["row"] == 4


def test_export_csv(client, auth, app):
    admin = auth.staff("admin")
    make_zone(app, "titled", name="导出园区", type="park")
    make_zone(app, "applied", name="未公示工厂", type="factory")
    response = client.get("/api/admin/v1/zones/export.csv?type=park", headers=admin)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r["name"] for r in rows] == ["导出园区"]
    assert rows[0]["status"] == "titled"
    everything = client.get("/api/admin/v1/zones/export.csv", headers=admin).data.decode("utf-8-sig")
    assert "未公示工厂" in everything  # staff see all statuses
    assert_error(client.get("/api/admin/v1/zones/export.csv"), 401, "unauthorized")


def test_districts_are_data_staff_can_edit(client, auth):
    institute = auth.staff("institute_staff")
    created = client.post(
        "/api/admin/v1/districts", json={"name": "长春国际汽车城", "kind": "development_zone"}, headers=institute
    )
    assert created.status_code == 201
    assert "长春国际汽车城" in [d["name"] for d in client.get("/api/mp/v1/meta").json["districts"]]
    assert_error(
        client.post("/api/admin/v1/districts", json={"name": "南关区", "kind": "district"}, headers=institute),
        409,
        "duplicate_district",
    )
    assert_error(
        client.post(
            "/api/admin/v1/districts", json={"name": "新区", "code": "12", "kind": "district"}, headers=institute
        ),
        422,
        "validation_error",
    )
    district_id = created.json["id"]
    assert (
        client.patch(f"/api/admin/v1/districts/{district_id}", json={"is_active": False}, headers=institute).status_code
        == 200
    )
    assert "长春国际汽车城" not in [d["name"] for d in client.get("/api/mp/v1/meta").json["districts"]]
    # renaming onto an existing name is a 409, and the district is unchanged
    renamed = client.patch(f"/api/admin/v1/districts/{district_id}", json={"name": "南关区"}, headers=institute)
    assert_error(renamed, 409, "duplicate_district")
    names = [d["name"] for d in client.get("/api/admin/v1/districts", headers=institute).json["items"]]
    assert "长春国际汽车城" in names
    assert names.count("南关区") == 1


def test_staff_writes_land_in_the_audit_log(client, auth, app):
    admin = auth.staff("admin")
    institute = auth.staff("institute_staff")
    with app.app_context():
        body = zone_data(type="school", name="审计学校")
    zone_id = client.post("/api/admin/v1/zones", json=body, headers=institute).json["id"]
    client.patch(f"/api/admin/v1/zones/{zone_id}", json={"summary": "改过的简介"}, headers=institute)
    client.post(
        f"/api/admin/v1/zones/{zone_id}/transitions",
        json={"to": "expert_review", "note": "进入评审"},
        headers=institute,
    )
    log = client.get(f"/api/admin/v1/audit-log?entity_type=zone&entity_id={zone_id}", headers=admin).json
    actions = [e["action"] for e in log["items"]]
    assert actions == ["zone.transition", "zone.update", "zone.create"]
    institute_id = client.get("/api/admin/v1/auth/me", headers=institute).json["id"]
    assert {e["actor_id"] for e in log["items"]} == {institute_id}
    update = log["items"][1]
    assert update["before"]["summary"] is None
    assert update["after"]["summary"] == "改过的简介"
    assert log["items"][0]["before"]["status"] == "applied"
    assert log["items"][0]["after"]["status"] == "expert_review"
    assert all(e["request_id"] for e in log["items"])
    # Only admins read it
    assert_error(client.get("/api/admin/v1/audit-log", headers=institute), 403, "forbidden")
    # Account administration is audited too, without the password
    client.post(
        "/api/admin/v1/users",
        json={"username": "audited.user", "password": "long-enough-pw", "role": "institute_staff"},
        headers=admin,
    )
    users_log = client.get("/api/admin/v1/audit-log?action=user.create", headers=admin).json
    created = [e for e in users_log["items"] if e["after"]["username"] == "audited.user"]
    assert len(created) == 1
    assert created[0]["actor_id"] == client.get("/api/admin/v1/auth/me", headers=admin).json["id"]
    assert "long-enough-pw" not in str(created[0])
    assert "password" not in str(created[0])
