def test_healthz_reports_database_and_redis(client, app):
    response = client.get("/healthz")
    assert response.status_code == 200
    expected_redis = "ok" if app.config["REDIS_URL"] else "absent"
    assert response.json == {"status": "ok", "database": "ok", "redis": expected_redis}


def test_healthz_says_when_redis_is_down(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0", RATELIMIT_STORAGE_URI="memory://")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200  # the service still works without Redis: keep it in the pool
    assert response.json == {"status": "degraded", "database": "ok", "redis": "down"}


def test_healthz_says_when_database_is_down(app, make_app):
    down = make_app(
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none",
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 1}},
    )
    response = down.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "down"
    assert response.json["status"] == "degraded"
