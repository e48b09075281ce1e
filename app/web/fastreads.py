"""Public reads answered from the response cache before Flask runs: no routing, no request context,
no schema, no rate-limit bookkeeping (reads are exempt anyway). The cache holds an entry under a
request's URL only when the view found that URL canonical (app.web.caching), so a query string with
junk, unknown parameters or non-canonical values can never make a new entry; it goes the whole way
through Flask like any miss. The answer is byte for byte what the view answers from the cache,
headers included, with the same access line in the log.

A hit while this process's copy is trusted (app.cache.local_url_hit) costs no app context either:
building the key, one dictionary look-up, the headers and the access line. Anything else (the copy
not trusted, a bump owed, the entry only in Redis) takes the app context and app.cache.lookup_url,
which applies the cache's rules in full (see app/cache.py)."""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from urllib.parse import parse_qsl, urlencode

import redis as redis_lib
from werkzeug.http import parse_etags
from werkzeug.utils import get_content_type

from app import cache, metrics
from app.web.logging import PREMASKED, request_id_from, safe_for_log, write_access_line

access_log = logging.getLogger("app.access")
PREFIX = "/api/mp/v1/"
# Shared caches (a fronting nginx) may reuse an answer for a few seconds; WeChat's client and
# browsers revalidate every time (an unchanged page costs a 304). No stale-while-revalidate: browsers
# honour it too, and the h5 pages showed answers up to 30 s old (the places left after a booking)
# while a background revalidation hung on. nginx's own `proxy_cache_use_stale updating` serves a
# burst while one request refreshes its copy.
CACHE_CONTROL = "public, max-age=0, must-revalidate, s-maxage=5"


def url_key(environ, public_base_url: str | None) -> str:
    """The origin (answers hold absolute media URLs), the path and the query with its pairs sorted."""
    if public_base_url:
        origin = public_base_url
    else:
        host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
        origin = f"{environ.get('wsgi.url_scheme', 'http')}://{host}"
    query_string = environ.get("QUERY_STRING", "")
    query = _sorted_query(query_string) if query_string else ""
    return f"{origin}{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}?{query}"


# The same few query strings come again and again (a base's week of slots, a filter): parsing and
# re-encoding one was 40 % of such a hit. A flood of distinct ones only evicts; the answer is the same.
@functools.lru_cache(maxsize=4096)
def _sorted_query(query_string: str) -> str:
    return urlencode(sorted(parse_qsl(query_string, keep_blank_values=True)))


@functools.lru_cache(maxsize=64)
def _content_type(mimetype: str) -> str:
    return get_content_type(mimetype, "utf-8")


def response_headers(entry: cache.CachedBody, request_id: str, *, with_body: bool) -> list[tuple[str, str]]:
    """The view's headers: a 304 carries no entity headers (no Content-Type, no Content-Length), as
    werkzeug's make_conditional leaves it."""
    headers = [
        ("ETag", f'"{entry.etag}"'),
        ("Cache-Control", CACHE_CONTROL),
        ("X-Request-ID", request_id),
        ("X-Content-Type-Options", "nosniff"),
    ]
    if with_body:
        headers.append(("Content-Type", _content_type(entry.mimetype)))
        headers.append(("Content-Length", str(len(entry.body))))
    return headers


# Revalidations repeat the same If-None-Match against the same entry: parsed once per pair.
@functools.lru_cache(maxsize=1024)
def _etag_matches(if_none_match: str, etag: str) -> bool:
    return parse_etags(if_none_match).contains(etag)


# Hits repeat the same few URLs and addresses: each one's masked and escaped form is worked out once.
_masked_once = functools.lru_cache(maxsize=1024)(safe_for_log)


class _AccessRecords:
    """The access line's log record, copied from one made by Logger.makeRecord in this process
    (so it has every attribute this Python's records have) with its time, thread and message set:
    about half of makeRecord's cost, which works out the same file name, module and process each time."""

    def __init__(self) -> None:
        self.reset()
        os.register_at_fork(after_in_child=self.reset)

    def reset(self) -> None:
        self.fields: dict | None = None

    def make(self, message: str, request_id: str) -> logging.LogRecord:
        if self.fields is None:
            self.fields = access_log.makeRecord(access_log.name, logging.INFO, __file__, 0, "", None, None).__dict__
        record = logging.LogRecord.__new__(logging.LogRecord)
        record.__dict__.update(self.fields)
        now = time.time()
        record.created, record.msecs = now, int((now - int(now)) * 1000) + 0.0
        record.relativeCreated = (now - logging._startTime) * 1000
        thread = threading.current_thread()
        record.thread, record.threadName = thread.ident, thread.name
        record.msg, record.request_id = message, request_id
        setattr(record, PREMASKED, True)
        return record


_access_records = _AccessRecords()


class FastReads:
    def __init__(self, wsgi_app, flask_app) -> None:
        self.wsgi_app = wsgi_app
        self.flask_app = flask_app

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "GET" or not environ.get("PATH_INFO", "").startswith(PREFIX):
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        key = url_key(environ, self.flask_app.config.get("PUBLIC_BASE_URL"))
        entry = cache.local_url_hit(self.flask_app, key)
        if entry is None:
            with self.flask_app.app_context():
                try:
                    entry = cache.lookup_url(key)
                except redis_lib.RedisError:
                    entry = None
        if entry is None:
            return self.wsgi_app(environ, start_response)
        # Read by the metrics middleware (another layer): the Flask URL rule of the view this answer
        # stands for, e.g. "/api/mp/v1/zones/<int:zone_id>", as if Flask had routed the request.
        if entry.rule:
            environ["app.endpoint"] = entry.rule
        metrics.cache_lookup(entry.namespace, "fast_hit")
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"))
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        not_modified = if_none_match is not None and _etag_matches(if_none_match, entry.etag)
        start_response(
            "304 NOT MODIFIED" if not_modified else "200 OK",
            response_headers(entry, request_id, with_body=not not_modified),
        )
        if access_log.isEnabledFor(logging.INFO):
            query = environ.get("QUERY_STRING", "")
            path = environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
            # Its pieces masked one by one (the path, the address, a client's request id; the rest are
            # ours), so nothing need scan the whole line again. Written straight to the service's
            # handler when nothing else listens (write_access_line); else a record made directly:
            # Logger.info would first walk the stack for the caller's file and line (findCaller),
            # which no line of ours prints, at a quarter of a hit's cost.
            status = 304 if not_modified else 200
            elapsed_ms = (time.perf_counter() - started) * 1000
            address = _masked_once(environ.get("REMOTE_ADDR") or "None")
            message = f"GET {_masked_once(path)} {status} {elapsed_ms:.1f}ms user=- ip={address} cache=hit"
            logged_id = safe_for_log(request_id) if request_id == environ.get("HTTP_X_REQUEST_ID") else request_id
            if not write_access_line(access_log, logged_id, message):
                access_log.handle(_access_records.make(message, logged_id))
        return [] if not_modified else [entry.body]
