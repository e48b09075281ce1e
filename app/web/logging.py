"""One log line per request (request id, status, duration), every line masked."""

from __future__ import annotations

import logging
import re
import secrets
import sys
import time

from flask import Flask, g, request

from app.privacy import mask_text

REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
access_log = logging.getLogger("app.access")


def request_id_from(incoming: str | None) -> str:
    """The request's id: the client's X-Request-ID when it is a plain token (matched whole: a `$`
    lets a trailing newline through), else one of our own. It goes into every log line as it is."""
    return incoming if incoming and REQUEST_ID_RE.fullmatch(incoming) else secrets.token_hex(16)


# C0 and C1 controls (U+0085 NEXT LINE among them) and the Unicode line and paragraph separators:
# what some log viewers and Python's own splitlines() take for the end of a line.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape_controls(text: str) -> str:
    """A newline in a path (`%0a`, or U+2028 / U+0085) must not start a forged log line: control
    characters and line separators are written as escapes."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode(), text)


class MaskingFormatter(logging.Formatter):
    """Masks the fully formatted line, tracebacks included, so nothing personal slips through;
    the message itself (which may quote the request) cannot span lines."""

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = _current_request_id()
        record.msg, record.args = _escape_controls(record.getMessage()), None
        return mask_text(super().format(record))


def _current_request_id() -> str:
    try:
        return g.get("request_id", "-")
    except RuntimeError:  # outside a request
        return "-"


class OneLineStorageErrors(logging.Filter):
    """Flask-Limiter logs a whole traceback for every request while Redis is down; one warning
    line naming the error says the same."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.msg = f"{record.getMessage()}: {type(record.exc_info[1]).__name__} (rate limits open)"
            record.args = None
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def configure_logging(app: Flask) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    handler._lowcarbon = True  # type: ignore[attr-defined]
    root = logging.getLogger()
    # Several apps in one process (tests) must not stack handlers.
    root.handlers = [h for h in root.handlers if not getattr(h, "_lowcarbon", False)]
    root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    limiter_log = logging.getLogger("flask-limiter")
    if not any(isinstance(f, OneLineStorageErrors) for f in limiter_log.filters):
        limiter_log.addFilter(OneLineStorageErrors())

    @app.before_request
    def _start_request() -> None:
        g.request_id = request_id_from(request.headers.get("X-Request-ID"))
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        started = g.get("request_started")
        duration_ms = (time.perf_counter() - started) * 1000 if started else 0.0
        response.headers["X-Request-ID"] = g.get("request_id", "-")
        access_log.info(
            "%s %s %s %.1fms user=%s ip=%s",
            request.method,
            request.full_path.rstrip("?"),
            response.status_code,
            duration_ms,
            g.get("user_id", "-"),
            request.remote_addr,
        )
        return response
