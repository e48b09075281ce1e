"""`javascript:` (and any scheme but http and https) is refused in every URL field of every request,
however it is written: any case, leading spaces or control characters, tabs or newlines inside."""

import marshmallow as ma
import pytest

from tests.campaign_helpers import _campaign, _checkin
from tests.factories import open_notice, zone_data
from tests.helpers import assert_error

HOSTILE = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "JAVASCRIPT:alert(document.cookie)",
    "   javascript:alert(1)",
    "\x01\x1f javascript:alert(1)",
    "\t\n\rjavascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "jav\rascript:alert(1)",
    "javascript://example.cn/%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
]


def _request_schemas(app):
    """Every schema a view reads its arguments with (JSON bodies, query strings, forms)."""
    schemas = {}
    for view in app.view_functions.values():
        for parameter in getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", []):
            schema = parameter["schema"]
            schema = schema() if isinstance(schema, type) else schema
            schemas[type(schema).__name__] = schema
    return schemas


def _is_link(name, field):
    inner = field.inner if isinstance(field, ma.fields.List) else field
    return name.endswith(("_url", "_urls")) or isinstance(inner, ma.fields.Url)


def _url_fields(app):
    return [
        (f"{schema_name}.{name}", field)
        for schema_name, schema in sorted(_request_schemas(app).items())
        for name, field in schema.load_fields.items()
        if _is_link(name, field)
    ]


def _load(field, value):
    return field.deserialize([value] if isinstance(field, ma.fields.List) else value)


def test_the_url_fields_of_every_request_are_found(app):
    """Guards the test below against finding nothing: the fields known today are among them."""
    found = {name for name, _ in _url_fields(app)}
    assert {
        "ProfileIn.avatar_url",
        "ActionCheckinIn.photo_url",
        "CampaignIn.cover_image_url",
        "ArticleIn.cover_image_url",
        "ArticlePatchIn.cover_image_url",
        "ObjectionIn.evidence_urls",
        "ZoneIn.cover_image_url",
        "ZonePatchIn.cover_image_url",
    } <= found


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_every_url_field_refuses_a_script_address(app, value):
    accepted = []
    for name, field in _url_fields(app):
        try:
            _load(field, value)
        except ma.ValidationError:
            continue
        accepted.append(name)
    assert accepted == []


def test_every_url_field_takes_an_https_address(app):
    refused = []
    for name, field in _url_fields(app):
        try:
            _load(field, "https://lowcarbon.example.cn/media/uploads/2026/a.png")
        except ma.ValidationError:
            refused.append(name)
    assert refused == []


def test_a_path_on_this_service_is_no_scheme():
    from app.validation import safe_link

    assert safe_link("/media/uploads/2026/a.png") is None


def test_the_refusal_is_in_chinese(app):
    from app.validation import safe_link

    with pytest.raises(ma.ValidationError) as refused:
        safe_link(" JavaScript:alert(1)")
    assert "http" in refused.value.messages[0] and "网址" in refused.value.messages[0]


# ---- the same through the APIs: 422 naming the field -------------------------------------------

SCRIPT = "\x01 JaVa\tScRiPt:alert(1)"


def test_a_script_avatar_is_422(client, auth):
    response = client.patch("/api/mp/v1/me", json={"avatar_url": SCRIPT}, headers=auth.wechat_headers("avatar"))
    assert "avatar_url" in assert_error(response, 422, "validation_error")["details"]


def test_a_script_zone_cover_is_422(app, client, auth):
    with app.app_context():
        body = {**zone_data(), "cover_image_url": SCRIPT}
    response = client.post("/api/admin/v1/zones", json=body, headers=auth.staff("admin"))
    assert "cover_image_url" in assert_error(response, 422, "validation_error")["details"]


def test_a_script_article_cover_is_422(client, auth):
    body = {
        "slug": "script-cover",
        "title": "标题标题",
        "summary": "摘要摘要",
        "category": "policy",
        "body_markdown": "正文",
        "cover_image_url": SCRIPT,
    }
    response = client.post("/api/admin/v1/articles", json=body, headers=auth.staff("institute_staff"))
    assert "cover_image_url" in assert_error(response, 422, "validation_error")["details"]


def test_a_script_campaign_cover_is_422(client, auth, school, catalogue_synced):
    body = {
        "title": "绿色出行周",
        "starts_on": "2026-06-01",
        "ends_on": "2026-06-07",
        "actions": ["walk"],
        "cover_image_url": SCRIPT,
    }
    response = client.post(
        f"/api/admin/v1/schools/{school}/campaigns", json=body, headers=auth.staff("school_admin", school_id=school)
    )
    assert "cover_image_url" in assert_error(response, 422, "validation_error")["details"]


def test_a_script_check_in_photo_is_422(client, running):
    response = _checkin(client, running["headers"], running["campaign"], photo_url=SCRIPT)
    assert "photo_url" in assert_error(response, 422, "validation_error")["details"]


def test_a_script_objection_evidence_is_422(app, client, auth):
    notice = open_notice(app)
    body = {
        "zone_id": notice["zone_ids"][0],
        "name": "张三",
        "phone": "13812345678",
        "reason": "该项目申报材料中的能耗数据与实际情况不符，请核实。",
        "evidence_urls": [SCRIPT],
    }
    response = client.post(
        f"/api/mp/v1/publicity/{notice['id']}/objections", json=body, headers=auth.wechat_headers("evidence")
    )
    assert "evidence_urls" in assert_error(response, 422, "validation_error")["details"]


def test_a_campaign_with_an_https_cover_is_still_created(client, auth, school, catalogue_synced):
    assert _campaign(client, auth, school, cover_image_url="https://lowcarbon.example.cn/cover.png")
