"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py`.

Each worker process builds its own app, database pool and WeChat client after the fork; everything
shared (the WeChat token, cache, rate limits) lives in PostgreSQL and Redis.
"""

import multiprocessing
import os

wsgi_app = "app:create_app()"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# The usual rule of thumb for I/O-bound apps; WEB_CONCURRENCY overrides it.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
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
