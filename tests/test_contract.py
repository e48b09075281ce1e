"""One consistent contract: list envelopes, one time format, zones that look the same wherever they
appear, slot states that tell the truth, absolute media URLs."""

import re
from datetime import timedelta

import pytest

from app.db_types import utcnow
from tests.factories import citizen_tokens, id_number, make_base, make_slot, make_zone, open_notice
from tests.helpers import assert_error

ISO_SECOND = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")
LOOKS_LIKE_A_TIME = re.compile(r"^\d{4}-\d\d-\d\dT")


def _strings(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, str):
        yield node


def _times(*documents):
    return [s for d in documents for s in _strings(d) if LOOKS_LIKE_A_TIME.match(s)]


def test_every_date_time_is_local_to_the_second(app, client, auth):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id)
    notice = open_notice(app)
    headers = citizen_tokens(app, 1)[0]
    booking = client.post(
        "/api/mp/v1/bookings",
        json={"slot_id": slot_id, "visitors": [{"name": "张三", "id_number": id_number(), "phone": "13812345678"}]},
        headers={**headers, "Idempotency-Key": "t"},
    ).json
    admin = auth.staff("admin")
    today = utcnow().date()
    documents = [
        booking,
        client.get(f"/api/mp/v1/bases/{base_id}/slots?from={today}&to={today + timedelta(days=2)}").json,
        client.get(f"/api/mp/v1/publicity/{notice['id']}").json,
        client.get(f"/api/mp/v1/zones/{notice['zone_ids'][0]}").json,
        client.get("/api/mp/v1/zones").json,
        client.get(f"/api/admin/v1/zones/{notice['zone_ids'][0]}", headers=admin).json,
        client.get("/api/admin/v1/users", headers=admin).json,
        client.get("/api/admin/v1/audit-log", headers=admin).json,
        client.get(f"/api/admin/v1/slots/{slot_id}/bookings", headers=admin).json,
        client.get("/api/admin/v1/dashboard", headers=admin).json,  # the notice closing within three days
        client.get("/api/mp/v1/me/export", headers=headers).json,
    ]
    times = _times(*documents)
    assert times  # the sweep saw some
    assert [t for t in times if not ISO_SECOND.match(t)] == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/mp/v1/categories",
        "/api/admin/v1/districts",
        "/api/admin/v1/calendar/days?year=2026",
        "/api/admin/v1/article-categories",
    ],
)
def test_lists_that_are_never_paged_are_envelopes_too(client, auth, path):
    body = client.get(path, headers=auth.staff("admin") if "admin" in path else {}).json
    assert set(body) == {"items", "page", "per_page", "total"}
    assert body["total"] == len(body["items"])


def test_slots_are_an_envelope(app, client):
    base_id = make_base(app)
    make_slot(app, base_id)
    today = utcnow().date()
    body = client.get(f"/api/mp/v1/bases/{base_id}/slots?from={today}&to={today + timedelta(days=2)}").json
    assert (set(body), body["total"]) == ({"items", "page", "per_page", "total"}, 1)


def test_a_notices_zones_carry_their_id_and_the_district_object(app, client):
    notice = open_notice(app)
    zone = client.get(f"/api/mp/v1/publicity/{notice['id']}").json["zones"][0]
    public = client.get(f"/api/mp/v1/zones/{zone['id']}").json
    assert zone["district"] == public["district"]


def test_a_zones_detail_names_its_notice(app, client):
    notice = open_notice(app)
    detail = client.get(f"/api/mp/v1/zones/{notice['zone_ids'][0]}").json
    assert (detail["notice"]["id"], detail["notice"]["outcome"]) == (notice["id"], None)


def test_a_zone_never_publicised_has_no_notice(app, client):
    zone_id = make_zone(app, "titled")
    assert client.get(f"/api/mp/v1/zones/{zone_id}").json["notice"] is None


def _slot_states(app, client, base_id):
    today = utcnow().date()
    items = client.get(
        f"/api/mp/v1/bases/{base_id}/slots?from={today - timedelta(days=1)}&to={today + timedelta(days=30)}"
    ).json["items"]
    return {s["id"]: s for s in items}


def test_slot_states_tell_the_truth(app, client, auth):
    base_id = make_base(app)
    ended = make_slot(app, base_id, starts_in=-2 * 3600)
    started = make_slot(app, base_id, starts_in=-600)
    later = make_slot(app, base_id, days_ahead=20)
    bookable = make_slot(app, base_id, days_ahead=2)
    full = make_slot(app, base_id, days_ahead=3, capacity=1, group_capacity=0)
    assert (
        client.post(
            "/api/mp/v1/bookings",
            json={"slot_id": full, "visitors": [{"name": "张三", "id_number": id_number(), "phone": "13812345678"}]},
            headers={**citizen_tokens(app, 1)[0], "Idempotency-Key": "f"},
        ).status_code
        == 201
    )
    states = _slot_states(app, client, base_id)
    got = {
        k: states[v]["status"]
        for k, v in {"ended": ended, "started": started, "later": later, "bookable": bookable, "full": full}.items()
    }
    assert got == {"ended": "ended", "started": "started", "later": "not_released", "bookable": "open", "full": "full"}


def test_a_slot_not_yet_released_says_when_it_opens(app, client):
    base_id = make_base(app)
    later = make_slot(app, base_id, days_ahead=20)
    slot = _slot_states(app, client, base_id)[later]
    assert (slot["bookable"], ISO_SECOND.match(slot["opens_at"]) is not None) == (False, True)


def test_a_closed_day_says_closed(app, client, auth):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, days_ahead=2)
    day = _slot_states(app, client, base_id)[slot_id]["visit_date"]
    closed = client.post(
        f"/api/admin/v1/bases/{base_id}/closures",
        json={"date": day, "reason": "设备检修"},
        headers=auth.staff("institute_staff"),
    )
    assert closed.status_code == 200, closed.json
    assert _slot_states(app, client, base_id)[slot_id]["status"] == "closed"


def test_booking_an_unknown_slot_is_404(app, client):
    response = client.post(
        "/api/mp/v1/bookings",
        json={"slot_id": 987654, "visitors": [{"name": "张三", "id_number": id_number(), "phone": "13812345678"}]},
        headers={**citizen_tokens(app, 1)[0], "Idempotency-Key": "u"},
    )
    assert_error(response, 404, "not_found")


def test_article_covers_and_images_are_absolute(app, client, runner):
    assert runner.invoke(args=["content", "sync"]).exit_code == 0
    article = client.get("/api/mp/v1/articles").json["items"][0]
    assert article["cover_image_url"].startswith("http://localhost/media/content/")


def test_upload_urls_are_absolute(app, client):
    import io

    from app.wechat.fake import png_qr

    uploaded = client.post(
        "/api/mp/v1/uploads", data={"file": (io.BytesIO(png_qr("x")), "a.png")}, headers=citizen_tokens(app, 1)[0]
    )
    assert uploaded.json["url"].startswith("http://localhost/media/uploads/")


def test_public_base_url_sets_the_origin_of_media_urls(make_app, runner):
    other = make_app(PUBLIC_BASE_URL="https://lowcarbon.example.cn")
    assert other.test_cli_runner().invoke(args=["content", "sync"]).exit_code == 0
    article = other.test_client().get("/api/mp/v1/articles").json["items"][0]
    assert article["cover_image_url"].startswith("https://lowcarbon.example.cn/media/content/")


def test_idempotency_key_is_a_documented_parameter(client):
    paths = client.get("/api/openapi.json").json["paths"]
    booking = paths["/api/mp/v1/bookings"]["post"]["parameters"]
    objection = paths["/api/mp/v1/publicity/{notice_id}/objections"]["post"]["parameters"]
    assert [(p["name"], p["required"]) for p in booking + objection if p["in"] == "header"] == [
        ("Idempotency-Key", True),
        ("Idempotency-Key", False),
    ]


def _expected_errors(path: str, method: str, operation: dict) -> set[str]:
    """What any such operation can answer, derived from the operation itself, not from the plugin
    that documents it: 503 everywhere; 401/403 with a token; 404 with a path parameter; 400 and 429
    on writes; 413 where a body is read; 422 where a body or query arguments are read."""
    expected = {"503"}
    if operation.get("security"):
        expected |= {"401", "403"}
    if "{" in path:
        expected.add("404")
    if method in ("post", "put", "patch", "delete"):
        expected |= {"400", "429"}
    if "requestBody" in operation:
        expected.add("413")
    if "requestBody" in operation or any(p["in"] == "query" for p in operation.get("parameters", [])):
        expected.add("422")
    return expected


def _operations(client):
    for path, methods in client.get("/api/openapi.json").json["paths"].items():
        for method, operation in methods.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def test_every_operation_documents_the_errors_it_can_answer(client):
    missing = {
        f"{method.upper()} {path}": sorted(_expected_errors(path, method, operation) - set(operation["responses"]))
        for path, method, operation in _operations(client)
    }
    assert {name: codes for name, codes in missing.items() if codes} == {}


def test_every_documented_error_has_the_error_shape(client):
    spec = client.get("/api/openapi.json").json
    named = spec["components"]["responses"]

    def schema_of(response):
        if "$ref" in response:
            response = named[response["$ref"].rsplit("/", 1)[1]]
        return response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")

    wrong = [
        f"{method.upper()} {path} {status}"
        for path, method, operation in _operations(client)
        for status, response in operation["responses"].items()
        if status[0] in "45" and schema_of(response) != "#/components/schemas/Error"
    ]
    assert wrong == []


def test_the_booking_documents_its_own_conflicts(client):
    operation = client.get("/api/openapi.json").json["paths"]["/api/mp/v1/bookings"]["post"]
    assert "409" in operation["responses"]


def test_the_documented_request_examples_are_valid_requests(app):
    """The examples in the OpenAPI document (what the mini-program team copies) pass validation."""
    from app.campaigns.schemas import CHECKIN_EXAMPLE, ActionCheckinIn
    from app.publicity.schemas import OBJECTION_EXAMPLE, ObjectionIn
    from app.visits.schemas import BOOKING_EXAMPLE, GROUP_BOOKING_EXAMPLE, MEMBERS_EXAMPLE, BookingIn, MembersIn

    pairs = [
        (BookingIn, BOOKING_EXAMPLE),
        (BookingIn, GROUP_BOOKING_EXAMPLE),
        (MembersIn, MEMBERS_EXAMPLE),
        (ObjectionIn, OBJECTION_EXAMPLE),
        (ActionCheckinIn, CHECKIN_EXAMPLE),
    ]
    with app.app_context():
        problems = [schema().validate(example) for schema, example in pairs]
    assert problems == [{}] * len(pairs)


def test_the_openapi_document_carries_the_booking_examples(client):
    body = client.get("/api/openapi.json").json["paths"]["/api/mp/v1/bookings"]["post"]["requestBody"]
    assert sorted(body["content"]["application/json"]["examples"]) == ["个人", "团体"]


def test_a_required_request_body_has_a_required_field(client):
    """A body documented as required whose fields are all optional would be accepted missing: such
    bodies are documented optional (schemathesis' ST201 found one)."""
    spec = client.get("/api/openapi.json").json
    schemas = spec["components"]["schemas"]
    loose = [
        f"{method.upper()} {path}"
        for path, method, operation in _operations(client)
        if operation.get("requestBody", {}).get("required")
        and "application/json" in operation["requestBody"]["content"]
        and not schemas.get(
            operation["requestBody"]["content"]["application/json"]["schema"].get("$ref", "").rsplit("/", 1)[-1], {}
        ).get("required")
    ]
    assert loose == []
