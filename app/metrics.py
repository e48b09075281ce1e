"""Prometheus metrics: what operators see (docs/operations.md lists every metric and alert).

Counters and histograms live in prometheus_client. Under gunicorn, gunicorn.conf.py points
PROMETHEUS_MULTIPROC_DIR at a fresh directory before any worker starts: each worker then writes its
values to files there and a scrape of any worker sums them all (prometheus_client's multiprocess
mode; the child_exit hook marks dead workers). Without it (tests, `flask run`) the values live in
this process, as usual.

What is true of the whole service rather than of a process (the outbox's backlog, dead letters, the
jobs' runs) is read when scraped (ServiceCollector): from the database and the jobs' Redis, at most
once every few seconds per process. Every instance reports the same figures: aggregate those with
max(), not sum().

Labels hold only what the code names: URL rules (never a path with its ids), error codes, cache
namespaces without their ids, WeChat API paths, job names. Never a person, an id or a query string.
"""

from __future__ import annotations

import bisect
import contextlib
import ipaddress
import logging
import os
import threading
import time
from collections import deque

from flask import Flask, has_request_context, request, request_started
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client import values as prometheus_values
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import generate_latest

log = logging.getLogger(__name__)

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
# This process's id, renewed in every forked child (os.getpid() is a system call).
_PID = [os.getpid()]
os.register_at_fork(after_in_child=lambda: _PID.__setitem__(0, os.getpid()))
if MULTIPROC_DIR:  # prometheus_client writes there from the first metric below on
    os.makedirs(MULTIPROC_DIR, exist_ok=True)
    # It asks os.getpid() on every increment (to notice a fork): the kept pid answers the same.
    prometheus_values.ValueClass = prometheus_values.MultiProcessValue(process_identifier=lambda: _PID[0])
UNMATCHED = "unmatched"  # no URL rule matched (404, 405): one label for every such path
SERVICE_TTL = 5.0  # seconds a process reuses what it read from the database and Redis for a scrape

# Request latency, in seconds: fine below 100 ms (the cached reads' budget is 50 ms at p99).
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "lowcarbon_http_requests",
    "HTTP requests answered, by URL rule, method and status",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "lowcarbon_http_request_duration_seconds",
    "Time from the request reaching the app to its answer being handed to the server, by URL rule and method",
    ["endpoint", "method"],
    buckets=LATENCY_BUCKETS,
)
ACTIONS = Counter(
    "lowcarbon_actions",
    "Citizens' writes: bookings, objections and campaign check-ins, by outcome "
    "(accepted, replayed, refused, failed) and error code (none when accepted or replayed)",
    ["action", "outcome", "code"],
)
CACHE = Counter(
    "lowcarbon_cache_lookups",
    "Response cache lookups by namespace and result (fast_hit: answered before Flask; local_hit, "
    "redis_hit; miss: built; unavailable: Redis away, built without the cache)",
    ["namespace", "result"],
)
WECHAT_CALLS = Counter(
    "lowcarbon_wechat_calls",
    "Calls to WeChat's API by API path and outcome (ok, refused: an errcode, timeout, unreachable, "
    "breaker_open: not sent)",
    ["api", "outcome"],
)
WECHAT_DURATION = Histogram(
    "lowcarbon_wechat_call_duration_seconds",
    "Time of calls to WeChat's API (sent ones), by API path",
    ["api"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
BREAKER_OPEN_UNTIL = Gauge(
    "lowcarbon_wechat_breaker_open_until_timestamp_seconds",
    "Until when (Unix time) a process's WeChat circuit breaker refuses calls; the latest over live processes",
    multiprocess_mode="livemax",
)

# What the middleware counts as a citizen's write, by (method, URL rule).
ACTIONS_BY_RULE = {
    ("POST", "/api/mp/v1/bookings"): "booking",
    ("POST", "/api/mp/v1/publicity/<int:notice_id>/objections"): "objection",
    ("POST", "/api/mp/v1/campaigns/<int:campaign_id>/checkins"): "campaign_checkin",
}


# ---- requests: one WSGI middleware, outermost -------------------------------------------------------


class RequestMetrics:
    """Counts every request and its latency, whoever answers it (Flask, or a fast path below it).
    The URL rule comes from environ["app.endpoint"], which Flask (note_endpoint) and the fast paths
    set; a request that reached neither is "unmatched"."""

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        status = ["0"]

        def counting_start_response(status_line, headers, exc_info=None):
            status[0] = status_line[:3]
            return start_response(status_line, headers, exc_info)

        try:
            return self.wsgi_app(environ, counting_start_response)
        except BaseException:
            status[0] = "500"
            raise
        finally:
            _observe(environ, status[0], time.perf_counter() - started)


def _observe(environ, status: str, seconds: float) -> None:
    endpoint = environ.get("app.endpoint") or UNMATCHED
    method = environ.get("REQUEST_METHOD", "")
    if method not in _METHODS:
        method = "other"  # any token is a valid method: never let a client make new label values
    key = (endpoint, method, status)
    children = _CHILDREN.get(key)
    if children is None:  # labels() validates and locks: once per label set, not per request
        children = _CHILDREN[key] = (REQUESTS.labels(endpoint, method, status), LATENCY.labels(endpoint, method))
    DEFERRED.add(children[0], children[1], seconds)
    action = ACTIONS_BY_RULE.get((method, endpoint))
    if action is not None:
        if "100" <= status < "400":
            outcome, code = ("replayed" if environ.get("app.replayed") else "accepted"), "none"
        else:
            outcome = "refused" if "400" <= status < "500" else "failed"
            code = environ.get("app.error_code") or f"http_{status}"
        ACTIONS.labels(action, outcome, code).inc()


class Deferred:
    """Counts of the hot paths (every request, every cache lookup), applied by a thread of each
    process every FLUSH_EVERY seconds and before each scrape, not by the request: in multiprocess
    mode an increment is a locked write to a memory-mapped file, four per request, which cost a
    cached read a third more CPU (bench/api_throughput.py --metrics-cost). A scrape may miss
    another worker's last half second; a worker that dies loses at most that much."""

    FLUSH_EVERY = 0.5

    def __init__(self) -> None:
        self.pending: deque = deque()
        self.pid = 0
        self.lock = threading.Lock()

    def add(self, counter, histogram=None, seconds: float = 0.0) -> None:
        self.pending.append((counter, histogram, seconds))
        if self.pid != _PID[0]:  # none started yet in this process (a fork starts without threads)
            self._start()

    def _start(self) -> None:
        with self.lock:
            if self.pid == _PID[0]:
                return
            self.pid = _PID[0]
            threading.Thread(target=self._run, name="metrics-flush", daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(self.FLUSH_EVERY)
            try:
                self.flush()
            except Exception:  # noqa: BLE001 - never let counting stop
                log.exception("metrics: could not apply counts")

    def flush(self) -> None:
        """What waits, applied in as few writes as it can: one per counter and one per histogram
        bucket touched, however many requests they stand for (each write is locked and lands in
        a memory-mapped file)."""
        pending = self.pending
        counts: dict = {}
        observed: dict = {}
        while True:
            try:
                counter, histogram, seconds = pending.popleft()
            except IndexError:
                break
            counts[counter] = counts.get(counter, 0) + 1
            if histogram is not None:
                observed.setdefault(histogram, []).append(seconds)
        for counter, times in counts.items():
            counter.inc(times)
        for histogram, values in observed.items():
            observe_many(histogram, values)


def observe_many(histogram, values: list[float]) -> None:
    """histogram.observe(v) for every v, in one write to the sum and one to each bucket touched.
    prometheus_client has no such call: this reads the child's bucket bounds and values
    (_upper_bounds, _buckets, _sum; tests/test_metrics.py holds it equal to observe()), and falls
    back to observe() one by one should a version lack them."""
    bounds = getattr(histogram, "_upper_bounds", None)
    buckets = getattr(histogram, "_buckets", None)
    total = getattr(histogram, "_sum", None)
    if bounds is None or buckets is None or total is None:
        for value in values:
            histogram.observe(value)
        return
    per_bucket = [0] * len(bounds)
    for value in values:
        per_bucket[bisect.bisect_left(bounds, value)] += 1  # the first bound >= value, as observe()
    total.inc(sum(values))
    for index, times in enumerate(per_bucket):
        if times:
            buckets[index].inc(times)


DEFERRED = Deferred()

# (endpoint, method, status) -> the request counter's and the histogram's children. Bounded: URL rules
# × methods × statuses, all named by the code.
_CHILDREN: dict[tuple[str, str, str], tuple] = {}
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def note_endpoint(sender, **extra) -> None:
    """request_started: the URL rule of the request, for the middleware (never the path itself)."""
    rule = request.url_rule
    request.environ["app.endpoint"] = rule.rule if rule is not None else UNMATCHED


def note_error_code(code: str) -> None:
    """The error shape's code of the answer, for the middleware (app.web.errors.error_response)."""
    if has_request_context():
        request.environ["app.error_code"] = code


def note_replayed() -> None:
    """The answer is a replay of an Idempotency-Key's first answer: not a new write."""
    if has_request_context():
        request.environ["app.replayed"] = True


# ---- cache and WeChat -------------------------------------------------------------------------------


def cache_lookup(namespace: str, result: str) -> None:
    child = _CACHE_CHILDREN.get((namespace, result))
    if child is None:
        # Namespaces may carry an id ("slots:12"): the label is its kind only.
        child = _CACHE_CHILDREN[(namespace, result)] = CACHE.labels(namespace.partition(":")[0], result)
    DEFERRED.add(child)


_CACHE_CHILDREN: dict[tuple[str, str], Counter] = {}


def wechat_api_name(url_or_endpoint: str) -> str:
    """ "https://api.weixin.qq.com/wxa/msg_sec_check?x=1" and "wxa/msg_sec_check" -> "wxa/msg_sec_check"."""
    path = url_or_endpoint.split("?", 1)[0]
    if "://" in path:
        path = path.split("://", 1)[1].partition("/")[2]
    return path.strip("/")[:64] or "unknown"


def wechat_call(api: str, outcome: str, seconds: float | None = None) -> None:
    WECHAT_CALLS.labels(api, outcome).inc()
    if seconds is not None:
        WECHAT_DURATION.labels(api).observe(seconds)


def breaker_opened(until_wall_clock: float) -> None:
    BREAKER_OPEN_UNTIL.set(until_wall_clock)


# ---- the scrape -------------------------------------------------------------------------------------


class ServiceCollector:
    """Figures of the whole service, read at scrape time (cached for SERVICE_TTL seconds), plus the
    breaker's state derived from the processes' open-until times."""

    def __init__(self, flask_app: Flask) -> None:
        self.flask_app = flask_app
        self.lock = threading.Lock()
        self.read_at = 0.0
        self.families: list = []

    def collect(self):
        with self.lock:
            if time.monotonic() - self.read_at > SERVICE_TTL:
                self.families = self._read()
                self.read_at = time.monotonic()
            yield from self.families

    def _read(self) -> list:
        with self.flask_app.app_context():
            return self._database() + self._jobs()

    def _database(self) -> list:
        from sqlalchemy import func, select

        from app.extensions import db
        from app.jobs.models import DeadLetter
        from app.outbox.models import MessageStatus, OutboxMessage

        up = GaugeMetricFamily("lowcarbon_metrics_database_up", "Whether the scrape could read the database (1/0)")
        try:
            waiting = (MessageStatus.PENDING, MessageStatus.SENDING)
            backlog, oldest = db.session.execute(
                select(func.count(), func.min(OutboxMessage.created_at)).where(OutboxMessage.status.in_(waiting))
            ).one()
            dead = db.session.execute(
                select(DeadLetter.kind, func.count()).where(DeadLetter.resolved_at.is_(None)).group_by(DeadLetter.kind)
            ).all()
        except Exception:  # noqa: BLE001 - the scrape still answers; the gauge says why figures are missing
            log.warning("metrics: could not read the database")
            with contextlib.suppress(Exception):
                db.session.rollback()
            up.add_metric([], 0)
            return [up]
        finally:
            with contextlib.suppress(Exception):
                db.session.remove()
        up.add_metric([], 1)
        backlog_family = GaugeMetricFamily(
            "lowcarbon_outbox_backlog_messages", "Subscribe messages waiting to be sent or retried (pending, sending)"
        )
        backlog_family.add_metric([], backlog)
        age = GaugeMetricFamily(
            "lowcarbon_outbox_oldest_waiting_age_seconds", "Age of the oldest message still waiting (0: none waiting)"
        )
        age.add_metric([], max(0.0, time.time() - oldest.timestamp()) if oldest is not None else 0.0)
        letters = GaugeMetricFamily(
            "lowcarbon_dead_letters_unresolved",
            "Dead letters staff have not retried or dismissed, by kind",
            labels=["kind"],
        )
        counts = dict(dead)
        for kind in ("job", "message"):
            letters.add_metric([kind], counts.get(kind, 0))
        return [up, backlog_family, age, letters]

    def _jobs(self) -> list:
        import redis as redis_lib

        from app.jobs import queue
        from app.jobs.schedule import PERIODIC

        up = GaugeMetricFamily("lowcarbon_metrics_jobs_redis_up", "Whether the scrape could read the jobs' Redis (1/0)")
        period = GaugeMetricFamily(
            "lowcarbon_job_period_seconds", "How often each job is due (a daily job: 86400)", labels=["job"]
        )
        for job in PERIODIC.values():
            period.add_metric([job.name], job.every.total_seconds() if job.every is not None else 86400)
        try:
            stats = queue.job_stats()
            workers = queue.worker_count()
        except redis_lib.RedisError:
            up.add_metric([], 0)
            return [up, period]
        up.add_metric([], 1)
        runs = CounterMetricFamily(
            "lowcarbon_job_runs", "Job runs by job and outcome (ok, failed)", labels=["job", "outcome"]
        )
        last_ok = GaugeMetricFamily(
            "lowcarbon_job_last_success_timestamp_seconds",
            "When each job last finished well (Unix time)",
            labels=["job"],
        )
        for name in PERIODIC:
            for outcome in ("ok", "failed"):
                runs.add_metric([name, outcome], stats["runs"].get((name, outcome), 0))
            if name in stats["last_ok"]:
                last_ok.add_metric([name], stats["last_ok"][name])
        worker_family = GaugeMetricFamily("lowcarbon_job_workers", "Job workers registered with the queue")
        worker_family.add_metric([], workers if workers is not None else 0)
        return [up, period, runs, last_ok, worker_family]


class WithBreakerState:
    """Every metric of `source`, then lowcarbon_wechat_breaker_open: 1 while any live process's
    breaker refuses calls (derived from their open-until times in the same pass)."""

    def __init__(self, source) -> None:
        self.source = source

    def collect(self):
        until = 0.0
        for family in self.source.collect():
            if family.name == BREAKER_OPEN_UNTIL._name:
                until = max([until] + [sample.value for sample in family.samples])
            yield family
        state = GaugeMetricFamily("lowcarbon_wechat_breaker_open", "1 while WeChat calls are refused by the breaker")
        state.add_metric([], 1 if until > time.time() else 0)
        yield state


def scrape_registry(flask_app: Flask) -> CollectorRegistry:
    """Multiprocess mode: every process's files summed; else this process's default registry."""
    registry = CollectorRegistry(auto_describe=False)
    source = prometheus_multiprocess.MultiProcessCollector(None) if MULTIPROC_DIR else REGISTRY
    registry.register(WithBreakerState(source))
    registry.register(ServiceCollector(flask_app))
    return registry


def allowed(remote_addr: str | None, networks) -> bool:
    try:
        address = ipaddress.ip_address((remote_addr or "").split("%", 1)[0])
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def parse_networks(raw: str) -> list:
    networks = []
    for item in raw.split(","):
        item = item.strip()
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError as exc:
                raise RuntimeError(f"setting METRICS_ALLOW_FROM: {item!r} is not a network") from exc
    return networks


def init_app(flask_app: Flask) -> None:
    """The /metrics view (reachable from METRICS_ALLOW_FROM only), the endpoint note, and
    RequestMetrics around the whole WSGI app: call it last, once every other middleware is in place."""
    if not flask_app.config["METRICS_ENABLED"]:
        return
    networks = parse_networks(flask_app.config["METRICS_ALLOW_FROM"])
    registry = scrape_registry(flask_app)
    request_started.connect(note_endpoint, flask_app)
    flask_app.wsgi_app = RequestMetrics(flask_app.wsgi_app)  # type: ignore[method-assign]

    @flask_app.get("/metrics")
    def metrics():
        from app.errors import NotFound

        if not allowed(request.remote_addr, networks):
            raise NotFound("接口或资源不存在")
        DEFERRED.flush()  # this process's counts up to now
        return generate_latest(registry), 200, {"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"}
