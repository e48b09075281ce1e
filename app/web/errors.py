"""The one place an error becomes a response: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import logging
import time

from flask import g, jsonify
from sqlalchemy.exc import DataError, DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from app import metrics, uow
from app.errors import AppError
from app.validation import translate

log = logging.getLogger("app.errors")

# HTTP status -> (code, Chinese message) for errors raised by Flask, werkzeug and extensions.
HTTP_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "请求有误"),
    401: ("unauthorized", "请先登录"),
    403: ("forbidden", "没有权限执行此操作"),
    404: ("not_found", "接口或资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    409: ("conflict", "与当前状态冲突"),
    413: ("payload_too_large", "请求体过大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    422: ("validation_error", "请求参数有误"),
    428: ("precondition_required", "缺少必要的请求头"),
    429: ("rate_limited", "请求过于频繁，请稍后再试"),
    500: ("internal_error", "服务器内部错误，请稍后再试"),
    503: ("service_unavailable", "服务暂时不可用，请稍后再试"),
}

DATABASE_UNAVAILABLE = ("database_unavailable", "数据服务暂时不可用，本次操作未保存，请稍后重试")


def error_response(status: int, code: str, message: str, details=None, headers=None):
    metrics.note_error_code(code)  # the refused write's code, for app.metrics
    response = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _validation_details(messages: dict) -> dict:
    """webargs nests messages by location ({"json": {...}, "query": {...}}); callers want fields."""
    details: dict = {}
    for location_messages in messages.values():
        if isinstance(location_messages, dict):
            details.update(location_messages)
        else:
            details.setdefault("_schema", []).extend(location_messages)
    return translate(details)


def _retry_after() -> int:
    """Seconds until the breached limit's window resets. Asked only on a 429: the rate-limit
    headers are off (RATELIMIT_HEADERS_ENABLED), so an allowed write costs one Redis call, not three."""
    from app.web.ratelimit import limiter

    try:
        breached = limiter.current_limit
        return max(1, int(breached.reset_at - time.time())) if breached else 60
    except Exception:  # noqa: BLE001 - storage gone since the check: a sensible default
        return 60


def is_connection_lost(error: Exception) -> bool:
    if isinstance(error, OperationalError | InterfaceError | DisconnectionError | PoolTimeout):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def handle_error(error: Exception):
    uow.rollback()  # nothing of a failed request is kept
    if isinstance(error, AppError):
        return error_response(error.status, error.code, error.message, error.details, error.headers)

    if isinstance(error, HTTPException) and error.code and error.code < 500:
        code, message = HTTP_ERRORS.get(error.code, ("http_error", error.name))
        details: dict = {}
        data = getattr(error, "data", None) or {}
        if "messages" in data:  # webargs validation failure
            details = _validation_details(data["messages"])
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        if error.code == 429:
            details = {"limit": str(error.description)}
            headers["Retry-After"] = str(_retry_after())
        headers.update(data.get("headers") or {})
        return error_response(error.code, code, message, details, headers)

    if is_connection_lost(error):
        # Before the commit: nothing was stored, and the client may simply retry.
        log.warning("database unavailable: %s", type(error).__name__)
        code, message = DATABASE_UNAVAILABLE
        return error_response(503, code, message, {"request_id": g.get("request_id")}, {"Retry-After": "5"})

    if isinstance(error, UnicodeError):
        # e.g. a lone surrogate ("\ud800") that JSON allows but no database text can hold
        return error_response(422, "validation_error", "文字中含有无效字符", {})

    if isinstance(error, DataError | OverflowError):
        # A value the schemas let through but the database cannot hold: still the client's input.
        log.warning("input out of the database's range: %s", type(error).__name__)
        return error_response(422, "validation_error", "输入的数值或文字超出允许范围", {})

    # Anything else is our bug: log it with the request id, answer without internals.
    original = getattr(error, "original_exception", None) or error
    log.error("unhandled error", exc_info=original)
    code, message = HTTP_ERRORS[500]
    return error_response(500, code, message, {"request_id": g.get("request_id")})


class JsonErrorsEverywhere:
    """The last line: whatever escapes Flask itself (a failing teardown, an error inside an error
    handler) still answers in the contract's JSON shape, never a server's HTML page."""

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        try:
            return self.wsgi_app(environ, start_response)
        except Exception:  # noqa: BLE001
            log.exception("error outside the request handler")
            body = ('{"error":{"code":"internal_error","message":"服务器内部错误，请稍后再试","details":{}}}').encode()
            start_response(
                "500 INTERNAL SERVER ERROR",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
