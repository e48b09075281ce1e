"""gunicorn's own answers in the service's error shape.

A request gunicorn cannot parse (a control character in a header, a bad request line, headers over
its limits) never reaches the app: gunicorn answers it itself, as an HTML page no client of a JSON API
can read. gunicorn has no hook for that answer, only `gunicorn.util.write_error`, which its workers
look up on every call; gunicorn.conf.py puts `write_error` below in its place, before the workers
fork. The status stays gunicorn's; the body is {"error": {code, message}} as every other error.
"""

from __future__ import annotations

import json

from gunicorn import util

from app.web.errors import HTTP_ERRORS

# Statuses only gunicorn itself answers (HTTP_ERRORS holds the app's own).
SERVER_ERRORS: dict[int, tuple[str, str]] = {
    414: ("uri_too_long", "请求地址过长"),
    417: ("expectation_failed", "不支持该 Expect 请求头"),
    431: ("headers_too_large", "请求头过大"),
    501: ("not_implemented", "不支持该传输编码"),
}


def error_bytes(status: int, reason: str) -> bytes:
    """The whole HTTP answer gunicorn sends for `status`, with a JSON body of the error shape."""
    code, message = HTTP_ERRORS.get(status) or SERVER_ERRORS.get(status) or HTTP_ERRORS[400]
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body


def write_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn.util.write_error's signature; `mesg` (gunicorn's words, in English, echoing the
    request) is left out: the access line and gunicorn's warning keep it for operators."""
    util.write_nonblock(sock, error_bytes(status_int, reason))


def install() -> None:
    util.write_error = write_error
