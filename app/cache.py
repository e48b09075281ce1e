"""Shared response cache in Redis (fakeredis without REDIS_URL), invalidated by generation.

Each namespace ("zones", …) has a generation counter; keys embed it, so bumping the counter after
a change makes every cached page of that namespace unreachable at once, in every process, without
scanning keys. Entries expire on their own.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

import redis as redis_lib

from app.extensions import kv

log = logging.getLogger(__name__)
DEFAULT_TTL = 600


@dataclass(frozen=True)
class CachedBody:
    body: bytes
    etag: str
    mimetype: str


def _generation(namespace: str) -> int:
    return int(kv.redis.get(f"cache:gen:{namespace}") or 0)


def invalidate(*namespaces: str) -> None:
    """Call after the change is committed."""
    for namespace in namespaces:
        try:
            kv.redis.incr(f"cache:gen:{namespace}")
        except redis_lib.RedisError:
            # Entries expire within DEFAULT_TTL anyway; never fail a committed write for the cache.
            log.warning("could not invalidate cache namespace %s", namespace)


def cached(namespace: str, key: str, build: Callable[[], tuple[bytes, str]], ttl: int = DEFAULT_TTL) -> CachedBody:
    """The cached body for `key`, building (and storing) it when missing. Redis trouble means
    building every time, not an error."""
    try:
        full_key = f"cache:{namespace}:{_generation(namespace)}:{hashlib.sha256(key.encode()).hexdigest()}"
        hit = kv.redis.get(full_key)
    except redis_lib.RedisError:
        full_key, hit = None, None
    if hit is not None:
        stored = json.loads(hit)
        return CachedBody(stored["b"].encode("utf-8"), stored["e"], stored["m"])
    body, mimetype = build()
    etag = hashlib.sha256(body).hexdigest()[:32]
    if full_key is not None:
        with contextlib.suppress(redis_lib.RedisError):
            kv.redis.set(full_key, json.dumps({"b": body.decode("utf-8"), "e": etag, "m": mimetype}), ex=ttl)
    return CachedBody(body, etag, mimetype)
