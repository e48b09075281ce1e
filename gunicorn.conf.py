"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py`.

Each worker process builds its own app, database pool and WeChat client after the fork; everything
shared (the WeChat token, cache, rate limits) lives in PostgreSQL and Redis.
"""

import gc
import importlib
import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

# Metrics (app.metrics): every worker writes its counters to files in PROMETHEUS_MULTIPROC_DIR, and a
# scrape of any worker sums them all. Set here, before any worker imports prometheus_client (it
# chooses its mode on import); a directory of our own when the environment names none.
_own_metrics_dir = None
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _own_metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="lowcarbon-metrics-")

wsgi_app = "app:create_app()"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")

# A machine runs one pool that takes every request (`all`, the default), or two: `reads` (GET, HEAD,
# OPTIONS) and `writes` (the rest), which nginx tells apart by method (deploy/nginx.conf). Apart, a
# burst of writes cannot keep a citizen's read waiting: the writes pool runs below the reads pool's
# priority (nice), so when both want the CPUs the kernel gives it to the reads first, and its fewer
# workers and threads contend less for the CPUs and each worker's GIL under a burst
# (bench/checkin_burst.py measures one pool against the two; docs/speed.md).
POOLS = {
    # pool: (workers per CPU, + workers, threads, nice)
    "all": (2, 1, 4, 0),  # the usual rule of thumb for I/O-bound apps
    "reads": (2, 1, 4, 0),
    "writes": (1, 1, 2, 10),
}
_pool = os.environ.get("GUNICORN_POOL") or "all"
if _pool not in POOLS:
    raise SystemExit(f"GUNICORN_POOL={_pool!r}: expected one of {', '.join(POOLS)}")
_per_cpu, _plus, _threads, _nice = POOLS[_pool]
# WEB_CONCURRENCY, GUNICORN_THREADS and GUNICORN_NICE override the pool's defaults.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * _per_cpu + _plus)
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or _threads)
_nice = int(os.environ.get("GUNICORN_NICE") or _nice)
timeout = 30
graceful_timeout = 20
keepalive = 5
# Request lines: gunicorn answers a line over its limit with an HTML 414 that no client of a JSON API
# can read, and its highest finite limit is 8 KB, which fuzzing from the OpenAPI document exceeds
# (repeated query parameters). 0 lifts it to gunicorn's own 1 MB bound, so the app validates any
# URL below that and answers in the error shape; nginx in front keeps its 8 KB (deploy/nginx.conf).
limit_request_line = 0
# The app writes its own access line (request id, masked); gunicorn's would leak query strings.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Recycle workers now and then so a slow leak can never take a machine down; not too often: at a
# few thousand cached reads a second, every 5,000 requests meant a worker rebooting every few
# seconds, and a booting worker's CPU showed as 0.5 s spikes in everyone's p99 (bench/api_throughput.py).
max_requests = 50000
max_requests_jitter = 5000
# gunicorn 23+ opens a control socket in $HOME; several instances on one machine would share it.
control_socket_disable = True


def on_starting(server):
    """A fresh metrics directory: files of a previous run's workers would be summed into this one's."""
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    if directory.is_dir():
        for entry in directory.iterdir():
            if entry.suffix == ".db":
                entry.unlink()
    else:
        directory.mkdir(parents=True, exist_ok=True)


def when_ready(server):
    """The served app's modules are imported here, once, in the master, before the first worker is
    forked (the project's own through app.import_modules: create_app imports most of them when
    called): a worker then only builds its app (0.06 s of CPU instead of 1.0 s), at start and each
    time it is recycled (max_requests), and the workers share the imported code's memory. Nothing is
    built here: no app, no connection, no thread."""
    module = importlib.import_module(server.app.app_uri.partition(":")[0])
    if hasattr(module, "import_modules"):
        module.import_modules()
    # What gunicorn answers itself (a request it cannot parse) in the error shape, not as HTML.
    from app.web import server_errors

    server_errors.install()


def pre_fork(server, worker):
    """What the master imported is never collected: frozen before the fork, a worker's collections do
    not touch (and so copy) those pages."""
    gc.freeze()


def child_exit(server, worker):
    """A dead worker's gauges leave the live figures (its counters stay: they only ever add up)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """The directory we made ourselves goes with us."""
    if _own_metrics_dir:
        shutil.rmtree(_own_metrics_dir, ignore_errors=True)


def post_fork(server, worker):
    """The pool's priority, in the worker only (the master stays at its own to supervise)."""
    if _nice:
        os.nice(_nice)


def post_worker_init(worker):
    """Everything the worker built at start-up (the app, SQLAlchemy's mappers, the schemas, the OpenAPI
    document: most of its ~120 MB) lives as long as the worker. Left in the collector's oldest
    generation, each full collection walked all of it: 300-500 ms pauses of every thread of the worker,
    which were the p99 of the cached reads (bench/api_throughput.py: 180-380 ms -> 12-24 ms). Frozen,
    the collector never looks at them again; what requests make is still collected."""
    gc.freeze()
