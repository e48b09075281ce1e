"""Flask-Limiter on login and on every write: 429 in the error shape."""

from tests.helpers import assert_error


def test_login_is_rate_limited_per_ip(make_app):
    client = make_app(RATELIMIT_LOGIN="3 per minute").test_client()
    statuses = [client.post("/api/mp/v1/auth/login", json={"code": f"rl:{i}"}).status_code for i in range(3)]
    assert statuses == [200, 200, 200]
    response = client.post("/api/mp/v1/auth/login", json={"code": "rl:4"})
    error = assert_error(response, 429, "rate_limited")
    assert "3 per 1 minute" in error["details"]["limit"]
    assert "Retry-After" in response.headers
    # Staff login has the same guard against password guessing.
    for _ in range(3):
        client.post("/api/admin/v1/auth/login", json={"username": "x", "password": "y"})
    assert_error(client.post("/api/admin/v1/auth/login", json={"username": "x", "password": "y"}), 429, "rate_limited")


def test_writes_are_limited_and_reads_are_not(make_app):
    from tests.conftest import Auth

    app = make_app(RATELIMIT_WRITE="2 per minute")
    client = app.test_client()
    headers = Auth(app, client).wechat_headers("writer")
    assert client.patch("/api/mp/v1/me", json={"display_name": "一"}, headers=headers).status_code == 200
    assert client.patch("/api/mp/v1/me", json={"display_name": "二"}, headers=headers).status_code == 200
    assert_error(client.patch("/api/mp/v1/me", json={"display_name": "三"}, headers=headers), 429, "rate_limited")
    for _ in range(5):
        assert client.get("/api/mp/v1/me", headers=headers).status_code == 200
    # Another user has their own budget.
    other = Auth(app, client).wechat_headers("other-writer")
    assert client.patch("/api/mp/v1/me", json={"display_name": "四"}, headers=other).status_code == 200
