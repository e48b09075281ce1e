"""Every error has the docs/api.md shape: {"error": {"code", "message", "details"}}."""

import pytest

from tests.helpers import assert_error


def test_unknown_route_is_404_json(client):
    assert_error(client.get("/api/mp/v1/no-such-thing"), 404, "not_found")
    assert_error(client.get("/definitely/not/here"), 404, "not_found")


def test_wrong_method_is_405_with_allow_header(client):
    response = client.delete("/api/mp/v1/auth/login")
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_validation_error_lists_each_bad_field_in_chinese(client):
    error = assert_error(client.post("/api/admin/v1/auth/login", json={"username": ""}), 422, "validation_error")
    assert set(error["details"]) == {"username", "password"}
    assert error["details"]["password"] == ["缺少必填字段"]


def test_unknown_fields_are_rejected(client):
    error = assert_error(client.post("/api/mp/v1/auth/login", json={"code": "a", "x": 1}), 422, "validation_error")
    assert error["details"] == {"x": ["不支持的字段"]}


def test_body_that_is_not_json(client):
    response = client.post("/api/mp/v1/auth/login", data="{not json", content_type="application/json")
    assert_error(response, 400, "invalid_json")


@pytest.mark.parametrize("body", ["[]", '["code"]', '"code"', "42", "null"])
def test_body_that_is_not_an_object(client, body):
    response = client.post("/api/mp/v1/auth/login", data=body, content_type="application/json")
    assert_error(response, 400, "body_not_object")


def test_body_sent_as_form_is_415(client):
    response = client.post("/api/mp/v1/auth/login", data={"code": "abc"})
    assert_error(response, 415, "unsupported_media_type")


def test_oversized_body_is_413(client, app):
    big = '{"code": "' + "x" * (app.config["MAX_CONTENT_LENGTH"] + 10) + '"}'
    response = client.post("/api/mp/v1/auth/login", data=big, content_type="application/json")
    assert_error(response, 413, "payload_too_large")


def test_unexpected_exception_is_500_without_internals(make_app, caplog):
    app = make_app()

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals 13812345678")

    response = app.test_client().get("/boom")
    error = assert_error(response, 500, "internal_error")
    text = response.get_data(as_text=True)
    assert "secret internals" not in text
    assert "Traceback" not in text
    assert error["details"]["request_id"] == response.headers["X-Request-ID"]
    # Logged for us, with the phone masked.
    logged = "\n".join(caplog.messages)
    assert "unhandled error" in logged


def test_401_without_token_and_with_bad_tokens(client):
    assert_error(client.get("/api/mp/v1/me"), 401, "unauthorized")
    assert_error(client.get("/api/mp/v1/me", headers={"Authorization": "Bearer"}), 401, "unauthorized")
    assert_error(client.get("/api/mp/v1/me", headers={"Authorization": "Basic abc"}), 401, "unauthorized")
    assert_error(client.get("/api/mp/v1/me", headers={"Authorization": "Bearer not-a-token"}), 401, "token_invalid")
    assert_error(client.get("/api/mp/v1/me", headers={"Authorization": "Bearer " + "x" * 500}), 401, "token_invalid")


def test_openapi_document_and_docs(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"].startswith("3.")
    assert "/api/mp/v1/auth/login" in spec["paths"]
    assert "/api/admin/v1/auth/login" in spec["paths"]
    assert "bearerAuth" in spec["components"]["securitySchemes"]
    assert "Error" in spec["components"]["schemas"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert b"/api/docs/assets/swagger-ui-bundle.js" in docs.data
    # The UI's files are served by the service itself (no CDN needed).
    asset = client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert len(asset.data) > 100000
    asset.close()
    assert client.get("/api/docs/assets/../../app/config.py").status_code == 404


HUGE = "18315725989419818576116205691600896"


@pytest.mark.parametrize(
    "path",
    [
        f"/api/mp/v1/articles?page={HUGE}",
        f"/api/mp/v1/articles?zone={HUGE}",
        "/api/mp/v1/zones?page=204279524635597381541298176",
        f"/api/mp/v1/publicity?page={HUGE}",
        "/api/mp/v1/zones?batch_year=-99999999999",
    ],
)
def test_numbers_beyond_the_database_are_422_not_500(client, path):
    error = assert_error(client.get(path), 422, "validation_error")
    assert error["message"]
    assert error["details"]


def test_ids_beyond_the_database_are_404_in_paths_and_422_in_bodies(client, auth):
    assert_error(client.get(f"/api/mp/v1/zones/{HUGE}"), 404, "not_found")
    assert_error(client.get(f"/api/mp/v1/bases/{HUGE}/slots?from=2026-01-01&to=2026-01-02"), 404, "not_found")
    headers = {**auth.wechat_headers("big"), "Idempotency-Key": "huge"}
    body = {
        "slot_id": int(HUGE),
        "visitors": [{"name": "张三", "id_number": "11010519491231002X", "phone": "13800000000"}],
    }
    error = assert_error(client.post("/api/mp/v1/bookings", json=body, headers=headers), 422, "validation_error")
    assert "slot_id" in error["details"]


def test_what_the_database_refuses_is_still_a_client_error(make_app):
    """The safety net behind the schemas: a DataError from the driver is a 422, not a 500."""
    from sqlalchemy.exc import DataError

    app = make_app()

    @app.get("/too-long")
    def too_long():
        raise DataError("INSERT …", {}, Exception("value too long for type character varying(16)"))

    assert_error(app.test_client().get("/too-long"), 422, "validation_error")


def test_nul_characters_are_refused_by_name(client, auth):
    error = assert_error(client.get("/api/mp/v1/articles?q=a%00b"), 422, "validation_error")
    assert "q" in error["details"]
    patched = client.patch("/api/mp/v1/me", json={"display_name": "a\u0000b"}, headers=auth.wechat_headers("nul"))
    assert "display_name" in assert_error(patched, 422, "validation_error")["details"]


def test_an_error_outside_the_request_handler_is_still_json():
    """What escapes Flask itself (a failing teardown, an error in an error handler) is caught by the
    outermost WSGI layer and still answered in the error shape."""
    from werkzeug.test import Client
    from werkzeug.wrappers import Response

    from app.web.errors import JsonErrorsEverywhere

    def broken(environ, start_response):
        raise RuntimeError("failed outside the handler")

    response = Client(JsonErrorsEverywhere(broken), Response).get("/")
    assert response.status_code == 500
    assert response.json == {
        "error": {"code": "internal_error", "message": "服务器内部错误，请稍后再试", "details": {}}
    }
