"""Flask-Limiter keys and limits: a caller is who they are, not the address they share.

Schools, carriers (CGNAT) and a proxy without TRUSTED_PROXIES put thousands of people behind one
address, so an address only ever gets a generous ceiling:
- writes: per verified user (the token is checked, so a made-up Bearer value is not a new caller);
  without a valid token, per address;
- mini-program login: per WeChat code (each code is single-use; replays are pointless), a generous
  per-address ceiling, and one ceiling for the whole service that keeps WeChat's own code2session
  quota safe;
- staff login: per username and per address, besides the per-account lock-out.
"""

from __future__ import annotations

import hashlib
import logging
import time

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from app.errors import AppError
from app.web.auth import bearer_token, current_user

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
log = logging.getLogger(__name__)


def rate_limit_key() -> str:
    """The caller of a write: the verified user, else the address."""
    if bearer_token() is not None:
        try:
            return f"user:{current_user().id}"
        except AppError:
            pass  # an invalid token: the view answers 401; count it against the address
    return ip_key()


def ip_key() -> str:
    _warn_if_behind_an_untrusted_proxy()
    return "ip:" + (get_remote_address() or "unknown")


def _body_field(name: str) -> str | None:
    try:
        body = request.get_json(silent=True)
    except (ValueError, RecursionError):
        return None
    value = body.get(name) if isinstance(body, dict) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def login_code_key() -> str:
    code = _body_field("code")
    if code is None:
        return ip_key()
    return "code:" + hashlib.sha256(code.encode()).hexdigest()[:32]


def username_key() -> str:
    username = _body_field("username")
    if username is None:
        return ip_key()
    return "username:" + hashlib.sha256(username.lower().encode()).hexdigest()[:32]


def service_key() -> str:
    return "service"


def write_limit() -> str:
    return current_app.config["RATELIMIT_WRITE"]


def login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def login_code_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN_PER_CODE"]


def login_username_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN_PER_USERNAME"]


def login_service_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN_SERVICE"]


def is_read_request() -> bool:
    return request.method in SAFE_METHODS


_warned = False


def _warn_if_behind_an_untrusted_proxy() -> None:
    """Behind a proxy with TRUSTED_PROXIES=0 every caller has the proxy's address: say so once."""
    global _warned
    if _warned or current_app.config["TRUSTED_PROXIES"] or "X-Forwarded-For" not in request.headers:
        return
    _warned = True
    log.warning(
        "requests carry X-Forwarded-For but TRUSTED_PROXIES=0: every caller shares the proxy's address "
        "(set TRUSTED_PROXIES to the number of proxies in front of the service)"
    )


# Every write is limited per caller; reads are not (a request filter: Flask-Limiter then does nothing
# else for them, where exempting them from the default limit still resolved every limit first). Login
# routes carry their own limits.
limiter = Limiter(key_func=rate_limit_key, default_limits=[write_limit])
limiter.request_filter(is_read_request)


class FailOpenNotice(logging.Filter):
    """flask-limiter, told to swallow storage errors (RATELIMIT_SWALLOW_ERRORS), logs a traceback on
    every request while Redis is away. Say it as one warning every `every` seconds per process
    instead: the limits are off (failing open), the requests themselves go on."""

    every = 30.0

    def __init__(self) -> None:
        super().__init__()
        self._last = float("-inf")

    def filter(self, record: logging.LogRecord) -> bool:
        if "Swallowing error" not in record.getMessage():
            return True
        if time.monotonic() - self._last < self.every:
            return False
        self._last = time.monotonic()
        error = record.exc_info[1] if record.exc_info else None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.msg = "rate limits are not applied (failing open): their storage is unreachable: %s"
        record.args = (type(error).__name__ if error else "unknown error",)
        record.exc_info = record.exc_text = None
        return True


_fail_open_notice = FailOpenNotice()
logging.getLogger("flask-limiter").addFilter(_fail_open_notice)
