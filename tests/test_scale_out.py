"""Two service instances (gunicorn, two workers each, on their own ports) sharing one PostgreSQL and
one Redis, as two machines behind nginx would: sign-ins, logouts, a booking rush, the WeChat access
token and the settling of a publicity window are one system, not two."""

import os
import signal
import threading
import time
from collections import Counter

import pytest
import requests
from sqlalchemy import func, select

from app.extensions import db
from bench.api_throughput import free_port, start
from tests.conftest import TEST_REDIS_URL, UPLOAD_ROOT, _base_config
from tests.factories import make_base, make_slot, open_notice, set_window
from tests.helpers import poll
from tests.test_visits import visitors

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


class Instance:
    def __init__(self, port: int, process) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.process = process

    def get(self, path, token=None, **kwargs):
        return requests.get(self.url + path, headers=_bearer(token), timeout=30, **kwargs)

    def post(self, path, token=None, headers=None, **kwargs):
        return requests.post(self.url + path, headers={**_bearer(token), **(headers or {})}, timeout=30, **kwargs)


def _bearer(token):
    return {"Authorization": f"Bearer {token}"} if token else {}


@pytest.fixture(scope="module")
def instances(database_url, fake_wechat_server, tmp_path_factory):
    """Two instances on the test database and Redis, talking to the one fake WeChat server; started
    once (together) for the module: each test's cleaning empties the database and Redis they share,
    and what an instance keeps in its own memory (tokens, cached pages) is keyed by what the test
    makes anew (its sign-ins, its rows) or is the same in every test (the privacy policy)."""
    config = _base_config(database_url, fake_wechat_server.url)
    env = dict(
        os.environ,
        DATABASE_URL=config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=TEST_REDIS_URL,
        SECRET_KEY=config["SECRET_KEY"],
        WECHAT_APPID=config["WECHAT_APPID"],
        WECHAT_SECRET=config["WECHAT_SECRET"],
        WECHAT_API_BASE_URL=fake_wechat_server.url,
        WECHAT_TIMEOUT="3",
        UPLOAD_ROOT=str(UPLOAD_ROOT),
        LOG_LEVEL="WARNING",
        WEB_CONCURRENCY="2",
        RATELIMIT_WRITE="10000 per minute",
        RATELIMIT_LOGIN_PER_CODE="10000 per minute",
    )
    folder = tmp_path_factory.mktemp("instances")
    ports = [free_port(), free_port()]
    logs = [(folder / f"instance-{port}.log").open("w") for port in ports]
    started: list[Instance | BaseException] = [None, None]

    def launch(i):
        try:
            started[i] = Instance(ports[i], start(env, None, ports[i], log=logs[i]))
        except BaseException as exc:  # start() raises SystemExit when gunicorn does not answer
            started[i] = exc

    threads = [threading.Thread(target=launch, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    running = [instance for instance in started if isinstance(instance, Instance)]
    try:
        assert len(running) == 2, f"an instance did not start: {started}"
        yield running
    finally:
        for instance in running:
            # SIGQUIT: gunicorn's quick stop; SIGTERM waited out the workers' keep-alive (5 s).
            instance.process.send_signal(signal.SIGQUIT)
        for instance in running:
            instance.process.wait(timeout=30)
        for log in logs:
            log.close()


@pytest.fixture(autouse=True)
def _fresh_start(fake_wechat, app):
    """Every test starts from a reset fake WeChat (its token count among others) and leaves the
    shared database and Redis empty (`app` cleans them after the test)."""


def _login(instance, name):
    response = instance.post("/api/mp/v1/auth/login", json={"code": f"{name}:{time.monotonic_ns()}"})
    assert response.status_code == 200, response.text
    token = response.json()["token"]
    version = instance.get("/api/mp/v1/policies/privacy").json()["version"]  # as the client does before booking
    accepted = instance.post("/api/mp/v1/me/consents", token, json={"document": "privacy", "version": version})
    assert accepted.status_code == 200, accepted.text
    return token


def test_a_token_from_one_instance_works_on_the_other(instances):
    a, b = instances
    token = _login(a, "traveller")
    assert b.get("/api/mp/v1/me", token).status_code == 200


def test_a_logout_on_one_instance_is_seen_on_the_other(instances):
    a, b = instances
    token = _login(a, "leaver")
    assert b.get("/api/mp/v1/me", token).status_code == 200  # b now holds a copy of the token
    assert a.post("/api/mp/v1/auth/logout", token).status_code == 204
    # The change travels by Redis pub/sub: well under a second.
    status = poll(lambda: b.get("/api/mp/v1/me", token).status_code, until=lambda code: code == 401, seconds=1.0)
    assert status == 401


def _rush(app, instances, name, citizens, capacity):
    """`citizens` across both instances book one `capacity`-place slot at once: (slot id, statuses)."""
    slot_id = make_slot(app, make_base(app), capacity=capacity)
    tokens = [_login(instances[i % 2], f"{name}{i}") for i in range(citizens)]
    statuses = []
    barrier = threading.Barrier(citizens)

    def rush(i):
        barrier.wait()
        response = instances[i % 2].post(
            "/api/mp/v1/bookings",
            tokens[i],
            headers={"Idempotency-Key": f"{name}-{i}"},
            json={"slot_id": slot_id, "visitors": visitors(1, i % 10)},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=rush, args=(i,)) for i in range(citizens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return slot_id, statuses


def test_a_booking_rush_split_across_both_never_overbooks(app, instances):
    slot_id, statuses = _rush(app, instances, "rusher", 24, 7)
    from app.visits.models import Booking, Slot

    with app.app_context():
        booked = db.session.scalar(
            select(func.count(Booking.id)).where(Booking.slot_id == slot_id, Booking.status == "confirmed")
        )
        held = db.session.get(Slot, slot_id).booked
    assert (Counter(statuses)[201], booked, held) == (7, 7, 7)


def test_the_rush_answers_every_loser_with_a_4xx(app, instances):
    _, statuses = _rush(app, instances, "loser", 12, 3)
    assert sorted(set(statuses)) == [201, 409]


def _phone_checks(instances, fake_wechat):
    """Six phone-number checks (they need the access token), spread over both instances."""
    statuses = []
    for i in range(6):
        instance = instances[i % 2]
        token = _login(instance, f"token-sharer{i}")
        statuses.append(instance.post("/api/mp/v1/me/phone", token, json={"code": f"phone:1381234567{i}"}).status_code)
    return statuses


def test_calls_needing_the_access_token_succeed_on_both_instances(instances, fake_wechat):
    assert _phone_checks(instances, fake_wechat) == [200] * 6


def test_one_wechat_access_token_serves_both_instances(instances, fake_wechat):
    _phone_checks(instances, fake_wechat)
    assert fake_wechat.state()["token_fetches"] == 1


def test_settling_a_window_from_both_at_once_settles_it_once(app, auth, instances):
    notice = open_notice(app)
    set_window(app, notice["id"], starts_in=-7200, ends_in=-60)
    officer = auth.staff("institute_staff")["Authorization"].removeprefix("Bearer ")
    barrier = threading.Barrier(8)
    statuses = []

    def close(i):
        barrier.wait()
        statuses.append(instances[i % 2].post(f"/api/admin/v1/publicity/{notice['id']}/close", officer).status_code)

    threads = [threading.Thread(target=close, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    from app.zones.models import ZoneTransition

    with app.app_context():
        settled = db.session.scalar(
            select(func.count(ZoneTransition.id)).where(
                ZoneTransition.zone_id.in_(notice["zone_ids"]), ZoneTransition.to_status == "confirmed"
            )
        )
    assert (settled, set(statuses) <= {200, 409}) == (len(notice["zone_ids"]), True)
