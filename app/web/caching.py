"""Cached GET responses with ETag and If-None-Match (304)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request

from app import cache
from app.web.fields import public_base_url


def json_bytes(data) -> bytes:
    return current_app.json.dumps(data).encode("utf-8")


def canonical_key(args: dict[str, Any] | None = None) -> str:
    """The path and the *parsed* query arguments, sorted: unknown parameters are not part of it and
    `?page=01` is `?page=1`, so junk in a query string can never make a new cache entry."""
    # The origin too: answers hold absolute media URLs (fixed by PUBLIC_BASE_URL in production).
    if not args:
        return public_base_url() + request.path
    return public_base_url() + request.path + "?" + "&".join(f"{k}={args[k]}" for k in sorted(args) if args[k] is not None)


def cached_response(
    namespace: str,
    build: Callable[[], tuple[bytes, str]],
    *,
    args: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    ttl: int = cache.DEFAULT_TTL,
) -> Response:
    """`build` returns (body, mimetype); `args` are the view's parsed query arguments (the only
    part of the query string the answer depends on)."""
    entry = cache.cached(namespace, canonical_key(args), build, ttl)
    response = Response(entry.body, mimetype=entry.mimetype)
    response.set_etag(entry.etag)
    # Clients may keep a copy but must revalidate: changes show at once, unchanged pages cost a 304.
    response.headers["Cache-Control"] = "public, no-cache"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response.make_conditional(request)
