"""Cached public reads answered before Flask runs: the same answer, invalidated by writes in every
process, never an entry for a junk query string."""

import logging
import time
from datetime import timedelta

import pytest

from app import cache
from app.web.fastreads import url_key
from tests.factories import make_base, make_slot, make_zone
from tests.helpers import poll, written_log


def _fast_entry(app, path):
    with app.app_context():
        return cache.lookup_url(
            url_key(
                {
                    "wsgi.url_scheme": "http",
                    "HTTP_HOST": "localhost",
                    "PATH_INFO": path.split("?")[0],
                    "QUERY_STRING": path.partition("?")[2],
                },
                app.config.get("PUBLIC_BASE_URL"),
            )
        )


def _wait_until_listening(app):
    """Until this app's process listens for published changes (only then does it keep copies)."""
    with app.app_context():
        layer = cache._layer()
    poll(lambda: layer.listening, until=bool, seconds=5, every=0.05)


def _stop_building(monkeypatch):
    """After this, a read that reached a view would fail: whatever answers comes from the fast path."""
    from app.zones import registry

    def refuse(*args, **kwargs):
        raise AssertionError("the view ran")

    monkeypatch.setattr(registry, "zones_query", refuse)
    monkeypatch.setattr(registry, "get_zone", refuse)


def test_a_second_read_does_not_reach_the_view(app, client, monkeypatch):
    make_zone(app, "publicity", type="park")
    client.get("/api/mp/v1/zones")
    _stop_building(monkeypatch)
    assert client.get("/api/mp/v1/zones").status_code == 200


@pytest.mark.parametrize("header", ["Content-Type", "ETag", "Cache-Control", "X-Content-Type-Options"])
def test_the_fast_answer_has_the_views_headers(app, client, header):
    make_zone(app, "publicity", type="park")
    slow = client.get("/api/mp/v1/zones?type=park")
    fast = client.get("/api/mp/v1/zones?type=park")
    assert fast.headers[header] == slow.headers[header]


@pytest.mark.parametrize("answer", ["built", "fast"])
def test_a_browser_never_shows_a_stale_public_read(app, client, answer):
    """Browsers honour stale-while-revalidate too: the places left after a booking would show up to
    half a minute late on the h5 pages. Phones revalidate every read (a 304 when unchanged)."""
    make_zone(app, "publicity", type="park")
    built = client.get("/api/mp/v1/zones?type=park")
    served = built if answer == "built" else client.get("/api/mp/v1/zones?type=park")
    directives = {d.strip().split("=")[0] for d in served.headers["Cache-Control"].split(",")}
    assert directives >= {"max-age", "must-revalidate"} and "stale-while-revalidate" not in directives


def test_the_fast_answer_has_the_views_bytes(app, client):
    zone_id = make_zone(app, "publicity", type="park")
    slow = client.get(f"/api/mp/v1/zones/{zone_id}")
    assert client.get(f"/api/mp/v1/zones/{zone_id}").data == slow.data


def test_the_parameter_order_does_not_matter(app, client, monkeypatch):
    make_zone(app, "publicity", type="park")
    client.get("/api/mp/v1/zones?type=park&page=1")
    _stop_building(monkeypatch)
    assert client.get("/api/mp/v1/zones?page=1&type=park").status_code == 200


def test_a_write_is_seen_at_once(app, client, auth):
    zone_id = make_zone(app, "publicity", type="park")
    client.get(f"/api/mp/v1/zones/{zone_id}")
    client.patch(f"/api/admin/v1/zones/{zone_id}", json={"summary": "新的简介"}, headers=auth.staff("institute_staff"))
    assert client.get(f"/api/mp/v1/zones/{zone_id}").json["summary"] == "新的简介"


def test_a_revalidation_is_a_304_without_a_body(app, client):
    make_zone(app, "publicity", type="park")
    etag = client.get("/api/mp/v1/zones").headers["ETag"]
    again = client.get("/api/mp/v1/zones", headers={"If-None-Match": etag})
    assert (again.status_code, again.data) == (304, b"")


@pytest.mark.parametrize("query", ["page=01", "junk=1", "page=1&page=2", "type=park&type=park", "per_page=20.0"])
def test_a_non_canonical_query_makes_no_entry(app, client, query):
    make_zone(app, "publicity", type="park")
    client.get(f"/api/mp/v1/zones?{query}")
    assert _fast_entry(app, f"/api/mp/v1/zones?{query}") is None


def test_a_canonical_query_makes_an_entry(app, client):
    make_zone(app, "publicity", type="park")
    client.get("/api/mp/v1/zones?type=park&per_page=5")
    assert _fast_entry(app, "/api/mp/v1/zones?per_page=5&type=park") is not None


def test_an_article_read_is_never_answered_before_the_view(app, client):
    from pathlib import Path

    from app.knowledge import services as knowledge

    with app.app_context():
        knowledge.sync(Path(app.config["CONTENT_ROOT"]))
    slug = client.get("/api/mp/v1/articles").json["items"][0]["slug"]
    client.get(f"/api/mp/v1/articles/{slug}")
    assert _fast_entry(app, f"/api/mp/v1/articles/{slug}") is None  # every read is counted


def test_slots_are_kept_only_until_a_state_changes_by_the_clock(app, client):
    base_id = make_base(app)
    make_slot(app, base_id, starts_in=2)
    from zoneinfo import ZoneInfo

    from app.db_types import utcnow

    today = utcnow().astimezone(ZoneInfo("Asia/Shanghai")).date()
    path = f"/api/mp/v1/bases/{base_id}/slots?from={today}&to={today + timedelta(days=1)}"
    before = client.get(path).json["items"][0]["status"]
    time.sleep(2.5)
    after = client.get(path).json["items"][0]["status"]
    assert (before, after) == ("open", "started")


@pytest.mark.redis
def test_a_write_in_another_process_is_seen_here_at_once(app, client, make_app):
    """Two apps sharing Redis stand for two processes: the other one's write reaches this one's
    process-local copy through the published generation."""
    zone_id = make_zone(app, "publicity", type="park")
    client.get(f"/api/mp/v1/zones/{zone_id}")
    _wait_until_listening(app)
    client.get(f"/api/mp/v1/zones/{zone_id}")  # now held in this process
    other = make_app()
    with other.app_context():
        from app.extensions import db
        from app.zones.models import Zone

        db.session.get(Zone, zone_id).summary = "另一进程写的简介"
        db.session.commit()
        cache.invalidate("zones")
    summary = poll(
        lambda: client.get(f"/api/mp/v1/zones/{zone_id}").json["summary"],
        until=lambda text: text == "另一进程写的简介",
        seconds=2,
    )
    assert summary == "另一进程写的简介"


# ---- bearer tokens kept by each process --------------------------------------------------------


@pytest.mark.redis
def test_a_known_token_costs_no_database_query(app, client, auth):
    from sqlalchemy import event

    from app.extensions import db

    headers = auth.wechat_headers("token-cache")
    _wait_until_listening(app)
    client.get("/api/mp/v1/me", headers=headers)
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        client.post("/api/mp/v1/schools/999999/follow", headers=headers)  # a write that fails after auth
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert not any("auth_tokens" in sql for sql in statements)


def test_a_logout_is_seen_at_once(app, client, auth):
    headers = auth.staff("institute_staff")
    client.get("/api/admin/v1/auth/me", headers=headers)
    client.post("/api/admin/v1/auth/logout", headers=headers)
    assert client.get("/api/admin/v1/auth/me", headers=headers).status_code == 401


@pytest.mark.redis
def test_a_logout_in_another_process_is_seen_here_at_once(app, client, auth, make_app):
    headers = auth.staff("institute_staff")
    _wait_until_listening(app)
    assert client.get("/api/admin/v1/auth/me", headers=headers).status_code == 200  # now kept by this process
    other = make_app().test_client()
    assert other.post("/api/admin/v1/auth/logout", headers=headers).status_code == 204
    status = poll(
        lambda: client.get("/api/admin/v1/auth/me", headers=headers).status_code,
        until=lambda code: code != 200,
        seconds=2,
    )
    assert status == 401


@pytest.mark.redis
def test_a_user_disabled_in_another_process_is_refused_here_at_once(app, client, auth, make_app):
    from app.accounts.models import User
    from app.extensions import db

    headers = auth.staff("institute_staff", username="to-disable")
    _wait_until_listening(app)
    client.get("/api/admin/v1/auth/me", headers=headers)
    other = make_app()
    with other.app_context():
        db.session.scalar(db.select(User).where(User.username == "to-disable")).is_active = False
        db.session.commit()
    status = poll(
        lambda: client.get("/api/admin/v1/auth/me", headers=headers).status_code,
        until=lambda code: code != 200,
        seconds=2,
    )
    assert status == 401


# ---- the cheaper hit: same headers, same log line, no app context, the route for metrics ----------


def _headers_without_request_id(response):
    """Every header but the request's own id and Date: the server writes a Date on every answer
    (gunicorn); werkzeug's make_conditional adds one more on the view's, the fast path does not."""
    return sorted((name, value) for name, value in response.headers.items() if name not in ("X-Request-ID", "Date"))


def test_a_fast_200_has_every_header_of_the_views_200(app, client, monkeypatch):
    make_zone(app, "publicity", type="park")
    slow = client.get("/api/mp/v1/zones?type=park")
    _stop_building(monkeypatch)
    fast = client.get("/api/mp/v1/zones?type=park")
    assert _headers_without_request_id(fast) == _headers_without_request_id(slow)


def test_a_fast_304_has_every_header_of_the_views_304(app, client, monkeypatch):
    make_zone(app, "publicity", type="park")
    etag = client.get("/api/mp/v1/zones").headers["ETag"]
    with app.app_context():
        cache.invalidate("zones")  # the next read is the view's again
    slow = client.get("/api/mp/v1/zones", headers={"If-None-Match": etag})
    _stop_building(monkeypatch)
    fast = client.get("/api/mp/v1/zones", headers={"If-None-Match": etag})
    assert (fast.status_code, _headers_without_request_id(fast)) == (
        slow.status_code,
        _headers_without_request_id(slow),
    )


def test_a_fast_answer_carries_a_request_id(app, client, monkeypatch):
    make_zone(app, "publicity", type="park")
    client.get("/api/mp/v1/zones")
    _stop_building(monkeypatch)
    assert client.get("/api/mp/v1/zones", headers={"X-Request-ID": "mp-42"}).headers["X-Request-ID"] == "mp-42"


def test_a_fast_answer_writes_the_access_line(app, client, monkeypatch, caplog):
    make_zone(app, "publicity", type="park")
    client.get("/api/mp/v1/zones?type=park")
    _stop_building(monkeypatch)
    caplog.clear()
    with caplog.at_level("INFO", logger="app.access"):
        client.get("/api/mp/v1/zones?type=park", headers={"X-Request-ID": "mp-43"})
    lines = [(r.request_id, r.getMessage().split()[:3], r.getMessage().split()[-1]) for r in caplog.records]
    assert lines == [("mp-43", ["GET", "/api/mp/v1/zones?type=park", "200"], "cache=hit")]


def test_a_hit_from_the_kept_copy_pushes_no_app_context(app, client, monkeypatch):
    zone_id = make_zone(app, "publicity", type="park")
    _wait_until_listening(app)
    client.get(f"/api/mp/v1/zones/{zone_id}")
    client.get(f"/api/mp/v1/zones/{zone_id}")  # held by this process now, also with a shared Redis

    def refuse():
        raise AssertionError("an app context was pushed")

    monkeypatch.setattr(app, "app_context", refuse)
    assert client.get(f"/api/mp/v1/zones/{zone_id}").status_code == 200


def test_a_fast_answer_names_the_views_route_for_metrics(app, client, monkeypatch):
    zone_id = make_zone(app, "publicity", type="park")
    client.get(f"/api/mp/v1/zones/{zone_id}")
    _stop_building(monkeypatch)
    seen = {}
    inner = app.wsgi_app

    def recording(environ, start_response):
        result = inner(environ, start_response)
        seen["endpoint"] = environ.get("app.endpoint")
        return result

    monkeypatch.setattr(app, "wsgi_app", recording)
    client.get(f"/api/mp/v1/zones/{zone_id}")
    assert seen["endpoint"] == "/api/mp/v1/zones/<int:zone_id>"


def _written_lines(client, path, headers=None) -> list[str]:
    """The access lines the service's own log handler writes for one request (its formatter masks)."""
    with written_log() as buffer:
        client.get(path, headers=headers or {})
    return [line for line in buffer.getvalue().splitlines() if "app.access" in line]


def test_a_phone_in_a_cached_search_is_masked_in_the_access_line(app, client, monkeypatch):
    make_zone(app, "publicity", type="park")
    client.get("/api/mp/v1/zones?q=13812345678")
    _stop_building(monkeypatch)
    assert "138****5678 200" in _written_lines(client, "/api/mp/v1/zones?q=13812345678")[0]


def test_the_phone_is_not_in_the_cached_searchs_access_line(app, client, monkeypatch):
    make_zone(app, "publicity", type="park")
    client.get("/api/mp/v1/zones?q=13812345678")
    _stop_building(monkeypatch)
    assert "13812345678" not in _written_lines(client, "/api/mp/v1/zones?q=13812345678")[0]


def test_a_clients_request_id_holding_a_phone_is_masked_in_the_access_line(app, client, monkeypatch):
    make_zone(app, "publicity", type="park")
    client.get("/api/mp/v1/zones")
    _stop_building(monkeypatch)
    line = _written_lines(client, "/api/mp/v1/zones", {"X-Request-ID": "13812345678"})[0]
    assert "[138****5678]" in line


def test_a_fast_answer_writes_its_line_without_a_log_record_when_only_the_service_listens(app, client, monkeypatch):
    from app.web import fastreads

    make_zone(app, "publicity", type="park")
    client.get("/api/mp/v1/zones")
    _stop_building(monkeypatch)

    def no_record(*args, **kwargs):
        raise AssertionError("a log record was made")

    monkeypatch.setattr(fastreads._access_records, "make", no_record)
    # As under gunicorn: the service's handler alone (pytest adds its own capturing ones to the root).
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [h for h in root.handlers if getattr(h, "_lowcarbon", False)])
    assert _written_lines(client, "/api/mp/v1/zones", {"X-Request-ID": "mp-45"})[0].split()[2:7] == [
        "INFO",
        "app.access",
        "[mp-45]",
        "GET",
        "/api/mp/v1/zones",
    ]


def test_the_fast_access_line_reads_like_the_views(app, client, monkeypatch):
    make_zone(app, "publicity", type="park")
    slow = _written_lines(client, "/api/mp/v1/zones?type=park", {"X-Request-ID": "mp-44"})[0]
    _stop_building(monkeypatch)
    fast = _written_lines(client, "/api/mp/v1/zones?type=park", {"X-Request-ID": "mp-44"})[0]
    # "<date> <time> INFO app.access [mp-44] GET <path> 200 …": the same but for the time and duration
    assert fast.split()[2:7] == slow.split()[2:7]
