"""The one place an error becomes a response: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import logging

from flask import g, jsonify
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from app.errors import AppError
from app.extensions import db
from app.web.messages import translate

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


def error_response(status: int, code: str, message: str, details=None, headers=None):
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


def handle_error(error: Exception):
    # Nothing of a failed request is kept, and a broken transaction must not break what follows.
    db.session.rollback()
    if isinstance(error, AppError):
        return error_response(error.status, error.code, error.message, error.details, error.headers)

    if isinstance(error, HTTPException) and error.code and error.code < 500:
        code, message = HTTP_ERRORS.get(error.code, ("http_error", error.name))
        details: dict = {}
        data = getattr(error, "data", None) or {}
        if "messages" in data:  # webargs validation failure
            details = _validation_details(data["messages"])
        if error.code == 429:
            details = {"limit": str(error.description)}
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        headers.update(data.get("headers") or {})
        return error_response(error.code, code, message, details, headers)

    if isinstance(error, DataError | OverflowError):
        # A value the schemas let through but the database cannot hold: still the client's input.
        log.warning("input out of the database's range: %s", type(error).__name__)
        return error_response(422, "validation_error", "输入的数值或文字超出允许范围", {})

    # Anything else is our bug: log it with the request id, answer without internals.
    original = getattr(error, "original_exception", None) or error
    log.error("unhandled error", exc_info=original)
    code, message = HTTP_ERRORS[500]
    return error_response(500, code, message, {"request_id": g.get("request_id")})
