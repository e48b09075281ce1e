"""Cached GET responses with ETag and If-None-Match (304), and the URLs the fast path may answer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import parse_qsl

from flask import Response, current_app, request

from app import cache
from app.fields import public_base_url
from app.web.fastreads import CACHE_CONTROL, url_key


def json_bytes(data) -> bytes:
    return current_app.json.dumps(data).encode("utf-8")


def canonical_key(args: dict[str, Any] | None = None) -> str:
    """The path and the *parsed* query arguments, sorted: unknown parameters are not part of it and
    `?page=01` is `?page=1`, so junk in a query string can never make a new cache entry."""
    # The origin too: answers hold absolute media URLs (fixed by PUBLIC_BASE_URL in production).
    if not args:
        return public_base_url() + request.path
    return (
        public_base_url() + request.path + "?" + "&".join(f"{k}={args[k]}" for k in sorted(args) if args[k] is not None)
    )


def _canonical_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str | date):
        return str(value) if not isinstance(value, date) else value.isoformat()
    return None


def query_is_canonical(args: dict[str, Any] | None) -> bool:
    """Whether the request's own query string is exactly what the view parsed: every parameter known,
    given once, and written the way the parsed value prints (`page=1`, not `page=01` or `page=1.0`).
    Only such URLs are remembered for the fast path, so junk never makes an entry there."""
    pairs = parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True)
    names = [name for name, _ in pairs]
    if len(names) != len(set(names)):
        return False
    args = args or {}
    return all(name in args and _canonical_text(args[name]) == value for name, value in pairs)


def cached_response(
    namespace: str,
    build: Callable[[], tuple[bytes, str]],
    *,
    args: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    ttl: int = cache.DEFAULT_TTL,
    fast: bool = True,
) -> Response:
    """`build` returns (body, mimetype) or (body, mimetype, seconds it stays true); `args` are the
    view's parsed query arguments under the names the client sends (the only part of the query
    string the answer depends on). `fast`: the answer may be served by URL before Flask runs (not
    when the view has side effects, e.g. counting views, or adds headers)."""
    entry = cache.cached(namespace, canonical_key(args), build, ttl)
    if fast and not headers and query_is_canonical(args):
        cache.remember_url(
            url_key(request.environ, current_app.config.get("PUBLIC_BASE_URL")),
            entry,
            request.url_rule.rule if request.url_rule is not None else "",
        )
    response = Response(entry.body, mimetype=entry.mimetype)
    response.set_etag(entry.etag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response.make_conditional(request)
