"""The one wechatpy client of a process, pointed at WECHAT_API_BASE_URL, sharing its token.

What wechatpy leaves to us (see docs/wechat.md):
- its base URLs are spread over several classes, so a requests adapter rewrites every call to
  https://api.weixin.qq.com onto WECHAT_API_BASE_URL, the token fetch included;
- its token fetch has no timeout at all, so the same adapter gives every request (the token fetch
  included) a bounded connect and read timeout;
- its token storage has no lock, so the refresh runs under a Redis lock (waited for a bounded
  time) and re-reads the shared token first: workers never replace each other's fresh token;
- the token comes from `stable_token`, which hands every caller the same live token, so workers
  that cannot share it (Redis down) do not invalidate each other;
- its auto_retry never stops on a server that keeps saying 40001, so it is off and we retry once.

A small circuit breaker (per process: an optimisation, not a rule) stops sending calls for a few
seconds after several timeouts in a row, so a hanging WeChat cannot hold every worker thread.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time

import redis as redis_lib
import requests
from flask import Flask
from requests.adapters import HTTPAdapter
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage
from wechatpy.session.redisstorage import RedisStorage

from app import metrics
from app.config import WECHAT_PUBLIC_API
from app.errors import WeChatUnavailable

log = logging.getLogger(__name__)

# invalid credential, invalid access token, access token expired
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
# A timed-out call, FAILURES_TO_OPEN times within FAILURE_WINDOW seconds, opens the breaker for
# OPEN_SECONDS: calls then fail at once with 503 wechat_unavailable instead of waiting.
FAILURES_TO_OPEN = 3
FAILURE_WINDOW = 30.0
OPEN_SECONDS = 15.0


class BoundedAdapter(HTTPAdapter):
    """Every request gets a timeout (wechatpy's token fetch passes none), and requests meant for
    api.weixin.qq.com go to another origin when one is configured (a fake or a proxy)."""

    def __init__(self, timeout: float, target_base: str | None = None) -> None:
        super().__init__(max_retries=0)
        self.timeout = (min(3.0, timeout), timeout)
        self.target_base = target_base.rstrip("/") if target_base else None

    def send(self, request, **kwargs):
        if self.target_base and request.url.startswith(WECHAT_PUBLIC_API):
            request.url = self.target_base + request.url[len(WECHAT_PUBLIC_API) :]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


class FallbackStorage(SessionStorage):
    """wechatpy's RedisStorage, falling back to this process's memory while Redis is unreachable
    (a warning each time): WeChat calls keep working with Redis down, and recover by themselves."""

    def __init__(self, redis: redis_lib.Redis, prefix: str) -> None:
        self.shared = RedisStorage(redis, prefix=prefix)
        self.local: dict[str, tuple[object, float | None]] = {}
        self.lock = threading.Lock()

    def key_name(self, key):
        return self.shared.key_name(key)

    def get(self, key, default=None):
        try:
            return self.shared.get(key, default)
        except redis_lib.RedisError:
            log.warning("Redis unreachable: WeChat token read from this process's memory")
            with self.lock:
                value, expires = self.local.get(key, (default, None))
            return default if expires is not None and expires < time.time() else value

    def set(self, key, value, ttl=None):
        with self.lock:
            self.local[key] = (value, time.time() + ttl if ttl else None)
        try:
            self.shared.set(key, value, ttl)
        except redis_lib.RedisError:
            log.warning("Redis unreachable: WeChat token kept in this process's memory")

    def delete(self, key):
        with self.lock:
            self.local.pop(key, None)
        try:
            self.shared.delete(key)
        except redis_lib.RedisError:
            log.warning("Redis unreachable: WeChat token dropped from this process's memory only")


class CircuitBreaker:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.failures: list[float] = []
        self.open_until = 0.0

    def check(self) -> bool:
        """Whether a call may be sent now."""
        return time.monotonic() >= self.open_until

    def failed(self) -> None:
        now = time.monotonic()
        with self.lock:
            self.failures = [t for t in self.failures if now - t < FAILURE_WINDOW] + [now]
            if len(self.failures) >= FAILURES_TO_OPEN:
                self.open_until = now + OPEN_SECONDS
                self.failures = []
                metrics.breaker_opened(time.time() + OPEN_SECONDS)
                log.warning("WeChat timed out %d times: calls refused for %ds", FAILURES_TO_OPEN, OPEN_SECONDS)

    def succeeded(self) -> None:
        with self.lock:
            self.failures = []


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
            session=FallbackStorage(redis, prefix="wechat"),
            timeout=timeout,
            auto_retry=False,
        )
        self._redis = redis
        self._shared = shared
        # How long a request waits for another worker's token refresh: never longer than a call.
        self.lock_wait = float(timeout)
        # Without a real Redis (or while it is down) there is one process to serialise: a thread
        # lock is enough (and fakeredis has no Lua for redis-py's Lock).
        self._thread_lock = threading.Lock()
        self.breaker = CircuitBreaker()
        target = base_url if base_url.rstrip("/") != WECHAT_PUBLIC_API else None
        adapter = BoundedAdapter(float(timeout), target)
        self._http.mount("https://", adapter)
        self._http.mount("http://", adapter)

    # -- token sharing -----------------------------------------------------------------------

    @property
    def expires_at_key(self) -> str:
        return f"{self.appid}_access_token_expires_at"

    def _acquire_token_lock(self):
        """The lock to refresh under, acquired within `lock_wait` seconds, or WeChatUnavailable."""
        if self._shared:
            lock = self._redis.lock(
                f"wechat:{self.appid}:token-lock", timeout=2 * self.lock_wait + 1, blocking_timeout=self.lock_wait
            )
            try:
                if lock.acquire():
                    return lock
            except redis_lib.RedisError:
                log.warning("Redis unreachable: WeChat token refreshed under this process's lock")
            else:
                raise WeChatUnavailable(details={"reason": "token_refresh_busy"})
        if self._thread_lock.acquire(timeout=self.lock_wait):
            return self._thread_lock
        raise WeChatUnavailable(details={"reason": "token_refresh_busy"})

    def fetch_access_token(self, force_refresh: bool = False):
        lock = self._acquire_token_lock()
        try:
            # Another worker may have refreshed while we waited for the lock: use its token.
            token = self.session.get(self.access_token_key)
            shared_expiry = self.session.get(self.expires_at_key)
            if not force_refresh and token and shared_expiry and shared_expiry - time.time() > 60:
                self.expires_at = int(shared_expiry)
                return {"access_token": token, "expires_in": int(shared_expiry - time.time())}
            result = self._fetch_stable_token(force_refresh)
            self.session.set(self.expires_at_key, self.expires_at, result.get("expires_in", 7200))
            return result
        finally:
            # Expired or Redis gone: the lock frees itself.
            with contextlib.suppress(redis_lib.RedisError, RuntimeError):
                lock.release()

    def _fetch_stable_token(self, force_refresh: bool) -> dict:
        """POST /cgi-bin/stable_token: the same live token for every caller (unlike /cgi-bin/token,
        which replaces it), stored like wechatpy stores its own."""
        started = time.perf_counter()
        try:
            result = self._stable_token(force_refresh)
        except WeChatClientException as exc:
            outcome = "refused" if exc.errcode is not None else "unreachable"
            metrics.wechat_call("cgi-bin/stable_token", outcome, time.perf_counter() - started)
            raise
        except requests.RequestException as exc:
            outcome = "timeout" if isinstance(exc, requests.Timeout) else "unreachable"
            metrics.wechat_call("cgi-bin/stable_token", outcome, time.perf_counter() - started)
            raise
        metrics.wechat_call("cgi-bin/stable_token", "ok", time.perf_counter() - started)
        return result

    def _stable_token(self, force_refresh: bool) -> dict:
        response = self._http.post(
            f"{WECHAT_PUBLIC_API}/cgi-bin/stable_token",
            data=json.dumps(
                {
                    "grant_type": "client_credential",
                    "appid": self.appid,
                    "secret": self.secret,
                    "force_refresh": force_refresh,
                }
            ),
        )
        try:
            response.raise_for_status()
        except requests.RequestException as exc:
            raise WeChatClientException(errcode=None, errmsg=None, client=self, response=exc.response) from exc
        result = response.json()
        if result.get("errcode"):
            raise WeChatClientException(result["errcode"], result.get("errmsg"), client=self, response=response)
        expires_in = int(result.get("expires_in", 7200))
        self.session.set(self.access_token_key, result["access_token"], expires_in)
        self.expires_at = int(time.time()) + expires_in
        return result

    def invalidate_token(self, rejected: str | None) -> None:
        """Drop the shared token only if it is still the one WeChat rejected (compare-and-delete),
        so a worker holding a stale token never throws away a fresh one another worker fetched."""
        self.expires_at = None
        if not rejected:
            return
        key = self.session.key_name(self.access_token_key)
        try:
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
        except redis_lib.RedisError:
            pass
        with self.session.lock:
            if self.session.local.get(self.access_token_key, (None,))[0] == rejected:
                self.session.local.pop(self.access_token_key, None)

    def _request(self, method, url_or_endpoint, **kwargs):
        api = metrics.wechat_api_name(url_or_endpoint)
        if not self.breaker.check():
            metrics.wechat_call(api, "breaker_open")
            raise WeChatUnavailable(details={"reason": "wechat_timeouts"})
        started = time.perf_counter()
        try:
            result = self._request_with_token(method, url_or_endpoint, **kwargs)
        except WeChatClientException as exc:
            timed_out = isinstance(getattr(exc, "__cause__", None), requests.Timeout)
            if timed_out or exc.errcode is None:
                self.breaker.failed()
            outcome = "timeout" if timed_out else "refused" if exc.errcode is not None else "unreachable"
            metrics.wechat_call(api, outcome, time.perf_counter() - started)
            raise
        except (requests.Timeout, requests.ConnectionError) as exc:
            self.breaker.failed()
            outcome = "timeout" if isinstance(exc, requests.Timeout) else "unreachable"
            metrics.wechat_call(api, outcome, time.perf_counter() - started)
            raise
        except requests.RequestException:
            metrics.wechat_call(api, "unreachable", time.perf_counter() - started)
            raise
        self.breaker.succeeded()
        metrics.wechat_call(api, "ok", time.perf_counter() - started)
        return result

    def _request_with_token(self, method, url_or_endpoint, **kwargs):
        params = kwargs.get("params")
        if params is None:
            params = kwargs["params"] = {}
        if not isinstance(params, dict) or "access_token" in params:
            return super()._request(method, url_or_endpoint, **kwargs)
        for attempt in (1, 2):
            if attempt == 2:
                self.fetch_access_token(force_refresh=True)
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
