"""One log line per request (request id, status, duration), every line masked."""

from __future__ import annotations

import itertools
import logging
import os
import re
import secrets
import sys
import time

from flask import Flask, g, request

from app.privacy import mask_text

REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
access_log = logging.getLogger("app.access")


class _RequestIds:
    """Our own request ids: 32 hex characters, a random prefix per process and a counter scrambled
    by a random mask, so they are unique across processes and machines without reading
    os.urandom (a system call) on every request. Forked workers draw their own prefix."""

    def __init__(self) -> None:
        self.reset()
        os.register_at_fork(after_in_child=self.reset)

    def reset(self) -> None:
        self.prefix = secrets.token_hex(10)
        self.mask = secrets.randbits(48)
        self.counter = itertools.count(1)  # next() on it is atomic under the GIL: threads share it

    def new(self) -> str:
        return f"{self.prefix}{next(self.counter) ^ self.mask:012x}"


_request_ids = _RequestIds()


def request_id_from(incoming: str | None) -> str:
    """The request's id: the client's X-Request-ID when it is a plain token (matched whole: a `$`
    lets a trailing newline through), else one of our own. It goes into every log line as it is."""
    return incoming if incoming and REQUEST_ID_RE.fullmatch(incoming) else _request_ids.new()


# C0 and C1 controls (U+0085 NEXT LINE among them) and the Unicode line and paragraph separators:
# what some log viewers and Python's own splitlines() take for the end of a line.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape_controls(text: str) -> str:
    """A newline in a path (`%0a`, or U+2028 / U+0085) must not start a forged log line: control
    characters and line separators are written as escapes."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode(), text)


def safe_for_log(text: str) -> str:
    """What the formatter does to a whole line, done to one piece of it in the same order (see
    PREMASKED): line breaks escaped, then personal data masked."""
    return mask_text(_escape_controls(text))


# A record whose every variable piece already went through safe_for_log says so with this attribute
# (the fast path's access line): the formatter then skips the masking of the whole line.
PREMASKED = "lowcarbon_premasked"


class MaskingFormatter(logging.Formatter):
    """Masks the fully formatted line, tracebacks included, so nothing personal slips through;
    the message itself (which may quote the request) cannot span lines."""

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = _current_request_id()
        if getattr(record, PREMASKED, False):
            return super().format(record)
        record.msg, record.args = _escape_controls(record.getMessage()), None
        return mask_text(super().format(record))

    _this_second: tuple[int, str] = (-1, "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        """The default format, its date and time made once per second rather than once per line
        (one tuple, read and replaced whole: a worker's threads may format at the same time)."""
        if datefmt or not self.default_msec_format:
            return super().formatTime(record, datefmt)
        return self._asctime(record.created, record.msecs)

    def _asctime(self, created: float, msecs: float) -> str:
        second = int(created)
        cached = self._this_second
        if cached[0] != second:
            cached = (second, time.strftime(self.default_time_format, self.converter(second)))
            self._this_second = cached
        return self.default_msec_format % (cached[1], msecs)

    def access_line(self, created: float, name: str, request_id: str, message: str) -> str:
        """The line format() makes of an INFO record of logger `name` with these pieces, all already
        masked and escaped, made without a record (the fast path's access line: see
        write_access_line). tests/test_logging.py holds the two equal."""
        asctime = self._asctime(created, int((created - int(created)) * 1000) + 0.0)
        return f"{asctime} INFO {name} [{request_id}] {message}"


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


def write_access_line(logger: logging.Logger, request_id: str, message: str) -> bool:
    """Writes a cached hit's access line (its pieces already masked and escaped) straight to the
    service's handler when that handler is the only place the logger's lines go: no LogRecord, no
    walk up the loggers, no formatting of a record (4.5 -> 1 µs a line, a third of what a cached hit
    costs in process). False, and nothing written, when anything else listens or filters (a handler
    or filter added by an operator, pytest's caplog): the caller then logs the usual way."""
    if logger.filters or logger.handlers or logger.disabled or not logger.propagate:
        return False
    handler = None
    parent = logger.parent
    while parent is not None:
        if parent.handlers:
            if parent is not logging.root or len(parent.handlers) != 1:
                return False
            handler = parent.handlers[0]
        if not parent.propagate:
            break
        parent = parent.parent
    if handler is None or not getattr(handler, "_lowcarbon", False) or handler.filters or handler.level > logging.INFO:
        return False
    line = handler.formatter.access_line(time.time(), logger.name, request_id, message) + handler.terminator
    with handler.lock:
        handler.stream.write(line)
        handler.flush()
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
