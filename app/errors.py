"""The error tree. Services raise these; app.web.errors turns them (and everything else) into
the one JSON error shape of docs/api.md (Conventions)."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status: int = 400
    code: str = "bad_request"
    message: str = "请求有误"

    def __init__(
        self,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        code: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.message
        self.details = details or {}
        if code:
            self.code = code
        if status:
            self.status = status
        self.headers = headers or {}
        super().__init__(self.message)


class ValidationFailed(AppError):
    status = 422
    code = "validation_error"
    message = "请求参数有误"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"
    message = "请先登录"


class Forbidden(AppError):
    status = 403
    code = "forbidden"
    message = "没有权限执行此操作"


class NotFound(AppError):
    status = 404
    code = "not_found"
    message = "请求的资源不存在"


class Conflict(AppError):
    status = 409
    code = "conflict"
    message = "与当前状态冲突"


class WeChatCodeInvalid(AppError):
    status = 401
    code = "wechat_code_invalid"
    message = "微信登录凭证无效或已使用，请重新登录"


class WeChatUnavailable(AppError):
    status = 503
    code = "wechat_unavailable"
    message = "微信服务暂时不可用，请稍后再试"
