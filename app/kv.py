"""Redis, or an in-process stand-in with the same API when REDIS_URL is unset.

Everything that needs state shared across processes (cache, the WeChat access token, counters,
leaderboards, locks) talks to `kv.redis`; with no REDIS_URL that is a fakeredis instance living in
this process, so the code path is the same and only the sharing across processes is lost.
"""

from __future__ import annotations

import fakeredis
import redis as redis_lib
from flask import current_app


class KeyValueStore:
    def init_app(self, app) -> None:
        url = app.config.get("REDIS_URL")
        if url:
            client = redis_lib.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30)
        else:
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
