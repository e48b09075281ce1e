"""Redis down, or hanging, is not an outage: writes keep working and answer as committed, reads
answer from the database, /healthz stays 200 saying `redis: down`, and it all recovers by itself.

Each test runs a Redis server of its own (never the machine's), stops or freezes it mid-run.
"""

import time

import pytest
import redis
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.kv import GuardedRedis
from app.publicity.models import Objection
from app.visits.models import Booking
from tests.conftest import _base_config, _close_reusable, close_app, start_own_redis
from tests.factories import id_number, make_base, make_slot, make_zone, open_notice
from tests.helpers import poll

REASON = "该项目申报材料中的能耗数据与实际情况不符，请核实。"


@pytest.fixture
def redis_app(make_app, own_redis, monkeypatch):
    monkeypatch.setattr(GuardedRedis, "down_seconds", 0.3)  # recover quickly in tests
    return make_app(REDIS_URL=own_redis.url, RATELIMIT_STORAGE_URI=own_redis.url)


class Visitor:
    """One mini-program user doing the writes a crowd does."""

    def __init__(self, app, name):
        self.app, self.client, self.name, self.n = app, app.test_client(), name, 0

    def login(self):
        self.n += 1
        response = self.client.post("/api/mp/v1/auth/login", json={"code": f"{self.name}:{self.n}"})
        if response.status_code == 200:
            self.headers = {"Authorization": f"Bearer {response.json['token']}"}
            # as the mini-program does before any write that collects personal data
            version = self.client.get("/api/mp/v1/policies/privacy").json["version"]
            self.client.post(
                "/api/mp/v1/me/consents", json={"document": "privacy", "version": version}, headers=self.headers
            )
        return response

    def book(self, slot_id, person):
        self.n += 1
        visitor = {"name": "张三", "id_number": _person_id(person), "phone": "13812345678"}
        return self.client.post(
            "/api/mp/v1/bookings",
            json={"slot_id": slot_id, "visitors": [visitor]},
            headers={**self.headers, "Idempotency-Key": f"k{self.n}"},
        )

    def object(self, notice):
        body = {"zone_id": notice["zone_ids"][0], "name": "张三", "phone": "13812345678", "reason": REASON}
        return self.client.post(f"/api/mp/v1/publicity/{notice['id']}/objections", json=body, headers=self.headers)


def _person_id(person: int) -> str:
    """A valid ID number of its own for each person number below 12,000 (month and sequence vary)."""
    return id_number(f"2201021990{person // 1000 % 12 + 1:02d}07{person % 1000:03d}")


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_writes_and_reads_go_on_with_redis_stopped(redis_app, own_redis, fake_wechat):
    base_id = make_base(redis_app)
    slot_id = make_slot(redis_app, base_id)
    notice = open_notice(redis_app)
    make_zone(redis_app, "publicity")
    visitor = Visitor(redis_app, "redisdown")
    assert visitor.login().status_code == 200
    assert visitor.book(slot_id, 1).status_code == 201

    own_redis.stop()
    assert visitor.login().status_code == 200
    assert visitor.book(slot_id, 2).status_code == 201
    assert visitor.object(notice).status_code == 201
    assert visitor.client.get("/api/mp/v1/zones").status_code == 200
    assert _count(redis_app, Booking) == 2
    assert _count(redis_app, Objection) == 1


def test_healthz_says_redis_down_with_200_and_recovers(redis_app, own_redis):
    client = redis_app.test_client()
    assert client.get("/healthz").json["redis"] == "ok"
    own_redis.stop()
    down = client.get("/healthz")
    assert down.status_code == 200
    assert down.json == {"status": "degraded", "database": "ok", "redis": "down"}
    own_redis.start()  # the same port
    time.sleep(0.4)
    assert client.get("/healthz").json["redis"] == "ok"


def test_cache_and_rate_limits_use_redis_again_once_it_returns(redis_app, own_redis, fake_wechat):
    visitor = Visitor(redis_app, "recover")
    own_redis.stop()
    assert visitor.login().status_code == 200
    assert visitor.client.get("/api/mp/v1/meta").status_code == 200
    own_redis.start()
    time.sleep(0.4)
    assert visitor.login().status_code == 200
    assert visitor.client.get("/api/mp/v1/meta").status_code == 200
    keys = [k.decode() for k in redis.Redis.from_url(own_redis.url).keys("*")]
    assert any(k.startswith("cache:") for k in keys), keys
    assert any("LIMITER" in k for k in keys), keys


def test_a_hanging_redis_after_commit_still_answers_the_booking_as_committed(redis_app, own_redis, fake_wechat):
    base_id = make_base(redis_app)
    slot_id = make_slot(redis_app, base_id)
    visitor = Visitor(redis_app, "hang")
    assert visitor.login().status_code == 200
    own_redis.freeze()  # connections stay open but nothing answers: timeouts, not refusals
    started = time.monotonic()
    response = visitor.book(slot_id, 3)
    elapsed = time.monotonic() - started
    own_redis.thaw()
    assert response.status_code == 201, response.get_data(as_text=True)
    assert elapsed < 5
    assert _count(redis_app, Booking) == 1


def _load_through_a_redis_restart(app, own_redis, slot_id):
    """Four visitors keep booking new people and reading while Redis goes away and comes back
    under them. Returns (phase, status) of every answer; phase is up / down / back."""
    import itertools
    import threading

    visitors = [Visitor(app, f"load{i}") for i in range(4)]
    for visitor in visitors:
        assert visitor.login().status_code == 200
    answers, stop, phase = [], threading.Event(), ["up"]
    people = itertools.count(1)  # a new person each time: one booking per person, base and day

    def load(visitor):
        while not stop.is_set():
            answers.append((phase[0], visitor.book(slot_id, next(people)).status_code))
            answers.append((phase[0], visitor.client.get("/api/mp/v1/zones").status_code))

    threads = [threading.Thread(target=load, args=(v,)) for v in visitors]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    own_redis.stop()
    phase[0] = "down"
    time.sleep(0.8)
    own_redis.start()
    phase[0] = "back"
    time.sleep(0.6)
    stop.set()
    for thread in threads:
        thread.join()
    return answers


@pytest.fixture(scope="module")
def restart_load(database_url, fake_wechat_server, tmp_path_factory):
    """One load through a Redis restart, shared by the four tests below that each check one fact of
    it: (phase, status) of every answer, and the bookings stored right after it."""
    _close_reusable()  # the app built here replaces the rate limiter's storage the kept app uses
    own_redis = start_own_redis(tmp_path_factory.mktemp("restart-redis"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(GuardedRedis, "down_seconds", 0.3)  # recover quickly in tests
        config = _base_config(database_url, fake_wechat_server.url)
        fake_wechat_server.reset()
        app = create_app({**config, "REDIS_URL": own_redis.url, "RATELIMIT_STORAGE_URI": own_redis.url})
        try:
            base_id = make_base(app)
            slot_id = make_slot(app, base_id, capacity=1000, group_capacity=1000)
            answers = _load_through_a_redis_restart(app, own_redis, slot_id)
            stored = _count(app, Booking)
        finally:
            close_app(app)  # empties the database and this Redis for the next test
            own_redis.stop()
    return {"answers": answers, "stored": stored}


def test_a_redis_restart_under_load_answers_no_5xx(restart_load):
    assert [status for _, status in restart_load["answers"] if status >= 500] == []


def test_a_redis_restart_under_load_refuses_no_booking(restart_load):
    assert [status for _, status in restart_load["answers"] if status not in (200, 201)] == []


def test_bookings_succeed_while_redis_is_down(restart_load):
    assert [status for phase, status in restart_load["answers"] if phase == "down"].count(201) > 0


def test_a_redis_restart_under_load_loses_no_booking(restart_load):
    assert restart_load["stored"] == [status for _, status in restart_load["answers"]].count(201)


def test_rate_limits_fail_open_with_one_warning_while_redis_is_down(make_app, own_redis, fake_wechat, caplog):
    limited = make_app(
        REDIS_URL=own_redis.url, RATELIMIT_STORAGE_URI=own_redis.url, RATELIMIT_LOGIN_PER_CODE="1 per minute"
    )
    client = limited.test_client()
    own_redis.stop()
    from app.web.ratelimit import _fail_open_notice

    _fail_open_notice._last = float("-inf")
    with caplog.at_level("WARNING", logger="flask-limiter"):
        statuses = [client.post("/api/mp/v1/auth/login", json={"code": "same-code:1"}).status_code for _ in range(3)]
    notices = [r for r in caplog.records if r.name == "flask-limiter"]
    assert statuses.count(429) == 0
    assert [(r.levelname, r.exc_info) for r in notices] == [("WARNING", None)]


# ---- a frozen Redis: once it is back, no page older than a change made meanwhile ----------------


def _zone_name(client, zone_id):
    return client.get(f"/api/mp/v1/zones/{zone_id}").json["name"]


@pytest.fixture
def frozen_rename(make_app, own_redis, monkeypatch):
    """Two workers on one Redis: the reader has served a zone page; Redis freezes; the writer renames
    the zone (its cache bump fails). Returns the reader's client, the zone and a thaw()."""
    from tests.conftest import Auth

    monkeypatch.setattr(GuardedRedis, "down_seconds", 0.3)
    writer = make_app(REDIS_URL=own_redis.url, RATELIMIT_STORAGE_URI=own_redis.url)
    reader = make_app(REDIS_URL=own_redis.url, RATELIMIT_STORAGE_URI=own_redis.url)
    zone_id = make_zone(writer, "publicity", name="冻结之前的名称")
    admin = Auth(writer, writer.test_client()).staff("admin")
    reader_client, writer_client = reader.test_client(), writer.test_client()
    for client in (reader_client, writer_client):
        for _ in range(2):  # the second from the cache
            assert _zone_name(client, zone_id) == "冻结之前的名称"
    own_redis.freeze()
    renamed = writer_client.patch(f"/api/admin/v1/zones/{zone_id}", json={"name": "冻结期间改的名称"}, headers=admin)
    assert renamed.status_code == 200
    return {"reader": reader_client, "writer": writer_client, "zone_id": zone_id, "thaw": own_redis.thaw}


def test_after_a_freeze_another_worker_serves_the_change_within_seconds(frozen_rename):
    frozen_rename["thaw"]()
    name = poll(
        lambda: _zone_name(frozen_rename["reader"], frozen_rename["zone_id"]),
        until=lambda text: text == "冻结期间改的名称",
        seconds=10.0,
        every=0.2,
    )
    assert name == "冻结期间改的名称"


def test_after_a_freeze_the_writing_worker_serves_the_change(frozen_rename):
    frozen_rename["thaw"]()
    assert _zone_name(frozen_rename["writer"], frozen_rename["zone_id"]) == "冻结期间改的名称"


def test_during_a_freeze_the_writing_worker_serves_the_change(frozen_rename):
    assert _zone_name(frozen_rename["writer"], frozen_rename["zone_id"]) == "冻结期间改的名称"


def test_during_a_long_freeze_another_worker_stops_serving_its_copy(frozen_rename):
    from app.cache import SILENT_LIMIT

    time.sleep(SILENT_LIMIT + 1.5)  # its listener has heard nothing for longer than it accepts
    assert _zone_name(frozen_rename["reader"], frozen_rename["zone_id"]) == "冻结期间改的名称"


def test_a_generation_read_before_the_listener_resets_is_not_kept(app, monkeypatch):
    """The listener reconnects (forgetting what is local: bumps may have been missed while it was
    away) while a request is reading a generation from Redis: that read may be older than a bump
    the listener missed, so it is used for this request but not kept (else the old page is served
    as current until it expires)."""
    from app import cache
    from app.extensions import kv

    with app.app_context():
        layer = cache._layer()
        layer.forget("zones")
        redis = kv.redis
        read = redis.get

        def read_while_the_listener_reconnects(key):
            value = read(key)
            layer.reset()
            return value

        monkeypatch.setattr(redis, "get", read_while_the_listener_reconnects)
        cache.generation("zones")
        assert "zones" not in layer.generations
