"""Who a bearer token belongs to, without a database round trip: a copy in Redis (written when the
token is issued, or on its first database lookup) and one in each process (app.cache), both
dropped at once when the token is revoked or its user changes. Only with a shared Redis: without
one no other process could be told, so every request asks the database.

A lookup that read the database just before a revocation must not put the token back: revoking
leaves a short tombstone, and writing a copy is refused while one exists (one Lua script)."""

from __future__ import annotations

import json
import logging
import math
from datetime import datetime

import redis as redis_lib

from app import cache
from app.db_types import utcnow
from app.extensions import kv

log = logging.getLogger(__name__)

TOMBSTONE_SECONDS = 60  # far longer than a request's read-then-write

_REMEMBER = """
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('SADD', KEYS[4], ARGV[3])
redis.call('EXPIRE', KEYS[4], ARGV[2])
return 1
"""


def _token_key(token_hash: str) -> str:
    return f"auth:tok:{token_hash}"


def _user_keys(user_id: int) -> tuple[str, str]:
    return f"auth:user:{user_id}:tokens", f"auth:user:{user_id}:changed"


def _encode(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _decode(entry: dict) -> dict:
    entry["expires_at"] = datetime.fromisoformat(entry["expires_at"])
    for name in ("created_at", "last_login_at"):
        if entry["user"].get(name):
            entry["user"][name] = datetime.fromisoformat(entry["user"][name])
    return entry


def recall(token_hash: str) -> dict | None:
    """{audience, expires_at, user_id, user: columns} if a copy is known, else None."""
    if not kv.is_shared:
        return None
    known = cache.cached_token(token_hash)
    if known is not None:
        return known
    try:
        raw = kv.redis.get(_token_key(token_hash))
    except redis_lib.RedisError:
        return None
    if raw is None:
        return None
    entry = _decode(json.loads(raw))
    cache.keep_token(token_hash, entry)
    return entry


def remember(token_hash: str, audience: str, expires_at: datetime, user_id: int, user: dict) -> None:
    """Keep a copy until the token expires (unless it, or its user, changed a moment ago)."""
    if not kv.is_shared:
        return
    seconds = math.ceil((expires_at - utcnow()).total_seconds())
    if seconds <= 0:
        return
    entry = {
        "audience": audience,
        "expires_at": expires_at.isoformat(),
        "user_id": user_id,
        "user": {k: _encode(v) for k, v in user.items()},
    }
    tokens, changed = _user_keys(user_id)
    try:
        kv.redis.register_script(_REMEMBER)(
            keys=[_token_key(token_hash), f"auth:revoked:{token_hash}", changed, tokens],
            args=[json.dumps(entry), seconds, token_hash],
        )
    except redis_lib.RedisError:
        log.debug("token copy not kept: Redis unavailable")


def forget_token(token_hash: str) -> None:
    """After a revocation commits."""
    try:
        pipe = kv.redis.pipeline(transaction=True)
        pipe.set(f"auth:revoked:{token_hash}", 1, ex=TOMBSTONE_SECONDS)
        pipe.delete(_token_key(token_hash))
        pipe.execute()
    finally:
        cache.auth_changed(f"token {token_hash}")


def forget_user(user_id: int, *, access_changed: bool) -> None:
    """After a change to a user commits: every copy of their tokens. When their access changed
    (disabled, deleted), copies are refused for a while too, so a lookup racing the change cannot
    put the old state back."""
    tokens, changed = _user_keys(user_id)
    try:
        hashes = [h.decode() for h in kv.redis.smembers(tokens)]
        pipe = kv.redis.pipeline(transaction=True)
        if access_changed:
            pipe.set(changed, 1, ex=TOMBSTONE_SECONDS)
        if hashes:
            pipe.delete(*[_token_key(h) for h in hashes])
        pipe.delete(tokens)
        pipe.execute()
    finally:
        cache.auth_changed(f"user {user_id}")
