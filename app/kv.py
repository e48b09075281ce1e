"""Redis, or an in-process stand-in with the same API when REDIS_URL is unset.

Everything that needs state shared across processes (cache, the WeChat access token, counters,
leaderboards, locks) talks to `kv.redis`; with no REDIS_URL that is a fakeredis instance living in
this process, so the code path is the same and only the sharing across processes is lost.
"""

from __future__ import annotations

import logging
import time

import redis as redis_lib
from flask import current_app

log = logging.getLogger(__name__)


class GuardedRedis(redis_lib.Redis):
    """redis-py with short timeouts that fails at once for `down_seconds` after a connection error
    or timeout. Callers treat every RedisError as "no Redis now" and carry on without it."""

    # A Redis that stopped answering is not asked again for this long (per process), so a hanging
    # Redis costs one short timeout every few seconds instead of one on every call.
    down_seconds = 5.0
    _down_until = 0.0

    def execute_command(self, *args, **options):
        if time.monotonic() < self._down_until:
            raise redis_lib.ConnectionError("Redis is unreachable (recent failure); retried shortly")
        try:
            return super().execute_command(*args, **options)
        except (redis_lib.ConnectionError, redis_lib.TimeoutError):
            if not self._down_until or time.monotonic() >= self._down_until:
                log.warning("Redis unreachable: carrying on without it for %.0fs", self.down_seconds)
            self._down_until = time.monotonic() + self.down_seconds
            raise


class KeyValueStore:
    def init_app(self, app) -> None:
        url = app.config.get("REDIS_URL")
        if url:
            client = GuardedRedis.from_url(
                url, socket_connect_timeout=1, socket_timeout=1, health_check_interval=30, retry_on_timeout=False
            )
        else:
            # Imported only here: a service with Redis never needs the stand-in (65 modules).
            import fakeredis

            client = fakeredis.FakeRedis()
        app.extensions["kv"] = client

    @property
    def redis(self) -> redis_lib.Redis:
        return current_app.extensions["kv"]

    @property
    def is_shared(self) -> bool:
        return bool(current_app.config.get("REDIS_URL"))

    def status(self) -> str:
        """'absent' without REDIS_URL, else 'ok' or 'down' (for /healthz)."""
        if not self.is_shared:
            return "absent"
        try:
            self.redis.ping()
        except redis_lib.RedisError:
            return "down"
        return "ok"
