"""The one wechatpy client of a process, pointed at WECHAT_API_BASE_URL, sharing its token.

What wechatpy leaves to us (see shared/WECHAT.md):
- its base URLs are spread over several classes, so a requests adapter rewrites every call to
  https://api.weixin.qq.com onto WECHAT_API_BASE_URL, the token fetch included;
- its token storage has no lock, so the refresh runs under a Redis lock and re-reads the shared
  token first: workers never replace each other's fresh token;
- its auto_retry never stops on a server that keeps saying 40001, so it is off and we retry once.
"""

from __future__ import annotations

import json
import threading
import time

import redis as redis_lib
from flask import Flask
from requests.adapters import HTTPAdapter
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.redisstorage import RedisStorage

from app.config import WECHAT_PUBLIC_API

# invalid credential, invalid access token, access token expired
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
TOKEN_LOCK_SECONDS = 15


class RewriteBaseAdapter(HTTPAdapter):
    """Sends requests meant for api.weixin.qq.com to another origin (a fake or a proxy)."""

    def __init__(self, target_base: str) -> None:
        super().__init__()
        self.target_base = target_base.rstrip("/")

    def send(self, request, **kwargs):
        if request.url.startswith(WECHAT_PUBLIC_API):
            request.url = self.target_base + request.url[len(WECHAT_PUBLIC_API) :]
        return super().send(request, **kwargs)


class SharedTokenWeChatClient(WeChatClient):
    def __init__(
        self,
        appid: str,
        secret: str,
        redis: redis_lib.Redis,
        *,
        base_url: str,
        timeout: float,
        shared: bool,
    ) -> None:
        super().__init__(
            appid,
            secret,
            session=RedisStorage(redis, prefix="wechat"),
            timeout=timeout,
            auto_retry=False,
        )
        self._redis = redis
        # Without a real Redis there is one process: a thread lock is enough (and fakeredis
        # has no Lua for redis-py's Lock).
        self._thread_lock = None if shared else threading.Lock()
        if base_url.rstrip("/") != WECHAT_PUBLIC_API:
            self._http.mount(WECHAT_PUBLIC_API, RewriteBaseAdapter(base_url))

    # -- token sharing -----------------------------------------------------------------------

    @property
    def expires_at_key(self) -> str:
        return f"{self.appid}_access_token_expires_at"

    def _token_lock(self):
        if self._thread_lock is not None:
            return self._thread_lock
        return self._redis.lock(
            f"wechat:{self.appid}:token-lock", timeout=TOKEN_LOCK_SECONDS, blocking_timeout=TOKEN_LOCK_SECONDS
        )

    def fetch_access_token(self):
        with self._token_lock():
            # Another worker may have refreshed while we waited for the lock: use its token.
            token = self.session.get(self.access_token_key)
            shared_expiry = self.session.get(self.expires_at_key)
            if token and shared_expiry and shared_expiry - time.time() > 60:
                self.expires_at = int(shared_expiry)
                return {"access_token": token, "expires_in": int(shared_expiry - time.time())}
            result = super().fetch_access_token()
            self.session.set(self.expires_at_key, self.expires_at, result.get("expires_in", 7200))
            return result

    def invalidate_token(self, rejected: str | None) -> None:
        """Drop the shared token only if it is still the one WeChat rejected (compare-and-delete),
        so a worker holding a stale token never throws away a fresh one another worker fetched."""
        self.expires_at = None
        if not rejected:
            return
        key = self.session.key_name(self.access_token_key)
        with self._redis.pipeline() as pipe:
            try:
                pipe.watch(key)
                current = pipe.get(key)
                if current is not None and json.loads(current) == rejected:
                    pipe.multi()
                    pipe.delete(key, self.session.key_name(self.expires_at_key))
                    pipe.execute()
            except redis_lib.WatchError:
                pass  # it changed under us: someone already stored a new token

    def _request(self, method, url_or_endpoint, **kwargs):
        params = kwargs.get("params")
        if params is None:
            params = kwargs["params"] = {}
        if not isinstance(params, dict) or "access_token" in params:
            return super()._request(method, url_or_endpoint, **kwargs)
        for attempt in (1, 2):
            params["access_token"] = self.access_token
            try:
                return super()._request(method, url_or_endpoint, **dict(kwargs, params=dict(params)))
            except WeChatClientException as exc:
                if exc.errcode not in TOKEN_ERRCODES or attempt == 2:
                    raise
                self.invalidate_token(params["access_token"])
        raise AssertionError("unreachable")


def get_client(app: Flask) -> SharedTokenWeChatClient:
    """One client per process (built lazily, so each gunicorn worker builds its own after fork)."""
    client = app.extensions.get("wechat_client")
    if client is None:
        with _build_lock:
            client = app.extensions.get("wechat_client")
            if client is None:
                client = SharedTokenWeChatClient(
                    app.config["WECHAT_APPID"],
                    app.config["WECHAT_SECRET"],
                    app.extensions["kv"],
                    base_url=app.config["WECHAT_API_BASE_URL"],
                    timeout=app.config["WECHAT_TIMEOUT"],
                    shared=bool(app.config.get("REDIS_URL")),
                )
                app.extensions["wechat_client"] = client
    return client


_build_lock = threading.Lock()
