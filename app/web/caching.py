"""Cached GET responses with ETag and If-None-Match (304)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, current_app, request

from app import cache


def json_bytes(data) -> bytes:
    return current_app.json.dumps(data).encode("utf-8")


def cached_response(
    namespace: str,
    build: Callable[[], tuple[bytes, str]],
    *,
    key: str | None = None,
    headers: dict[str, str] | None = None,
    ttl: int = cache.DEFAULT_TTL,
) -> Response:
    """`build` returns (body, mimetype); the key defaults to the path and sorted query string."""
    if key is None:
        key = request.path + "?" + "&".join(f"{k}={v}" for k, v in sorted(request.args.items(multi=True)))
    entry = cache.cached(namespace, key, build, ttl)
    response = Response(entry.body, mimetype=entry.mimetype)
    response.set_etag(entry.etag)
    # Clients may keep a copy but must revalidate: changes show at once, unchanged pages cost a 304.
    response.headers["Cache-Control"] = "public, no-cache"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response.make_conditional(request)
