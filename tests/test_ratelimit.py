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


def _login(client, code, address="10.1.2.3"):
    return client.post("/api/mp/v1/auth/login", json={"code": code}, environ_base={"REMOTE_ADDR": address})


def test_a_whole_class_logging_in_from_one_campus_address_is_not_refused(make_app):
    client = make_app(RATELIMIT_LOGIN="600 per minute").test_client()  # the default
    statuses = [_login(client, f"student{i}:1").status_code for i in range(40)]
    assert statuses == [200] * 40


def test_the_same_login_code_is_limited(make_app):
    client = make_app(RATELIMIT_LOGIN_PER_CODE="5 per minute").test_client()
    statuses = [_login(client, "replayed:1").status_code for _ in range(5)]
    assert statuses == [200, 401, 401, 401, 401]
    assert_error(_login(client, "replayed:1"), 429, "rate_limited")


def test_the_whole_service_has_a_login_ceiling_for_wechats_quota(make_app):
    client = make_app(RATELIMIT_LOGIN_SERVICE="3 per minute").test_client()
    for i in range(3):
        assert _login(client, f"far{i}:1", address=f"10.9.0.{i}").status_code == 200
    assert_error(_login(client, "far9:1", address="10.9.0.9"), 429, "rate_limited")


def test_made_up_bearer_values_do_not_escape_the_address_limit(make_app):
    client = make_app(RATELIMIT_WRITE="2 per minute").test_client()
    statuses = [
        client.patch(
            "/api/mp/v1/me", json={"display_name": "x"}, headers={"Authorization": f"Bearer made-up-{i}"}
        ).status_code
        for i in range(3)
    ]
    assert statuses == [401, 401, 429]


def test_staff_login_is_limited_per_username_across_addresses(make_app):
    client = make_app(RATELIMIT_LOGIN_PER_USERNAME="3 per minute").test_client()
    for i in range(3):
        client.post(
            "/api/admin/v1/auth/login",
            json={"username": "target", "password": "guess"},
            environ_base={"REMOTE_ADDR": f"10.8.0.{i}"},
        )
    response = client.post(
        "/api/admin/v1/auth/login",
        json={"username": "target", "password": "guess"},
        environ_base={"REMOTE_ADDR": "10.8.0.99"},
    )
    assert_error(response, 429, "rate_limited")


def test_a_refused_write_says_when_its_window_ends(make_app):
    """The rate-limit headers are off (two Redis reads per write): a 429 still says Retry-After,
    at most the window's length."""
    from tests.conftest import Auth

    app = make_app(RATELIMIT_WRITE="1 per minute")
    client = app.test_client()
    headers = Auth(app, client).wechat_headers("hasty")
    client.patch("/api/mp/v1/me", json={"display_name": "一"}, headers=headers)
    refused = client.patch("/api/mp/v1/me", json={"display_name": "二"}, headers=headers)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_an_allowed_write_carries_no_rate_limit_headers(make_app):
    from tests.conftest import Auth

    app = make_app()
    client = app.test_client()
    headers = Auth(app, client).wechat_headers("calm")
    response = client.patch("/api/mp/v1/me", json={"display_name": "一"}, headers=headers)
    assert not [name for name, _ in response.headers if name.lower().startswith("x-ratelimit")]
