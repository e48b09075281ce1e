"""Public reads answered from the response cache before Flask runs: no routing, no request context,
no schema, no rate-limit bookkeeping (reads are exempt anyway). The cache holds an entry under a
request's URL only when the view found that URL canonical (app.web.caching), so a query string with
junk, unknown parameters or non-canonical values can never make a new entry; it goes the whole way
through Flask like any miss. The answer is byte for byte what the view answers from the cache,
headers included, with the same access line in the log."""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qsl, urlencode

import redis as redis_lib
from werkzeug.http import parse_etags
from werkzeug.utils import get_content_type

from app import cache, metrics
from app.web.logging import request_id_from

access_log = logging.getLogger("app.access")
PREFIX = "/api/mp/v1/"
# Shared caches (a fronting nginx) may reuse an answer for a few seconds; WeChat's client and
# browsers revalidate every time (an unchanged page costs a 304).
CACHE_CONTROL = "public, max-age=0, s-maxage=5, stale-while-revalidate=30"


def url_key(environ, public_base_url: str | None) -> str:
    """The origin (answers hold absolute media URLs), the path and the query with its pairs sorted."""
    if public_base_url:
        origin = public_base_url
    else:
        host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
        origin = f"{environ.get('wsgi.url_scheme', 'http')}://{host}"
    query = sorted(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    return f"{origin}{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}?{urlencode(query)}"


def response_headers(entry: cache.CachedBody, request_id: str, *, with_body: bool) -> list[tuple[str, str]]:
    headers = [
        ("Content-Type", get_content_type(entry.mimetype, "utf-8")),
        ("ETag", f'"{entry.etag}"'),
        ("Cache-Control", CACHE_CONTROL),
        ("X-Request-ID", request_id),
        ("X-Content-Type-Options", "nosniff"),
    ]
    if with_body:
        headers.append(("Content-Length", str(len(entry.body))))
    return headers


class FastReads:
    def __init__(self, wsgi_app, flask_app) -> None:
        self.wsgi_app = wsgi_app
        self.flask_app = flask_app
        self.rule_of = metrics.rule_finder(flask_app)

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "GET" or not environ.get("PATH_INFO", "").startswith(PREFIX):
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        with self.flask_app.app_context():
            try:
                entry = cache.lookup_url(url_key(environ, self.flask_app.config.get("PUBLIC_BASE_URL")))
            except redis_lib.RedisError:
                entry = None
        if entry is None:
            return self.wsgi_app(environ, start_response)
        environ["app.endpoint"] = self.rule_of(environ.get("PATH_INFO", ""))
        metrics.cache_lookup(entry.namespace, "fast_hit")
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"))
        not_modified = parse_etags(environ.get("HTTP_IF_NONE_MATCH")).contains(entry.etag)
        start_response(
            "304 NOT MODIFIED" if not_modified else "200 OK",
            response_headers(entry, request_id, with_body=not not_modified),
        )
        if access_log.isEnabledFor(logging.INFO):
            query = environ.get("QUERY_STRING", "")
            path = environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
            access_log.info(
                "GET %s %s %.1fms user=- ip=%s cache=hit",
                path,
                304 if not_modified else 200,
                (time.perf_counter() - started) * 1000,
                environ.get("REMOTE_ADDR"),
                extra={"request_id": request_id},
            )
        return [] if not_modified else [entry.body]
