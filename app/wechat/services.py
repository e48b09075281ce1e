"""The WeChat calls the service makes, with WeChat's failures mapped to our errors.

Callers get plain values or one of WeChatCodeInvalid / WeChatUnavailable / ContentRisky; never a
wechatpy or requests exception.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

import redis as redis_lib
import requests
from flask import current_app
from wechatpy.exceptions import WeChatClientException

from app.errors import AppError, WeChatCodeInvalid, WeChatUnavailable
from app.wechat.client import get_client

log = logging.getLogger(__name__)
T = TypeVar("T")


class ContentCheck(StrEnum):
    """WeChat's verdict on text or an image (its `suggest`), or that it could not be asked."""

    PASS = "pass"  # noqa: S105 - a verdict, not a password
    REVIEW = "review"
    RISKY = "risky"
    UNCHECKED = "unchecked"


CODE_ERRCODES = frozenset({40029, 40163})  # invalid code, code been used
HIGH_RISK_USER = 40226


@dataclass(frozen=True)
class WeChatSession:
    openid: str
    unionid: str | None


class PhoneCodeInvalid(AppError):
    status = 422
    code = "phone_code_invalid"
    message = "手机号授权凭证无效或已过期，请重新授权"


class SubscribeMessageFailed(Exception):
    """A subscribe message could not be sent; callers record it and carry on. `permanent`: WeChat
    said no for good (the user refused or never subscribed, a bad template): retrying cannot help."""

    PERMANENT_ERRCODES = frozenset({43101, 40003, 40037, 47003})

    def __init__(self, message: str, errcode: int | None = None) -> None:
        super().__init__(message)
        self.errcode = errcode
        self.permanent = errcode in self.PERMANENT_ERRCODES


def _call(fn: Callable[[], T], *, code_error: type[AppError] | None = None) -> T:
    try:
        return fn()
    except WeChatClientException as exc:
        if code_error is not None and exc.errcode in CODE_ERRCODES:
            raise code_error() from exc
        if exc.errcode == HIGH_RISK_USER:
            raise AppError("微信判定该账号存在风险，暂不能登录", code="wechat_user_risky", status=403) from exc
        log.warning("WeChat refused: errcode=%s errmsg=%s", exc.errcode, exc.errmsg)
        raise WeChatUnavailable(details={"errcode": exc.errcode}) from exc
    except requests.RequestException as exc:
        log.warning("WeChat unreachable: %s", type(exc).__name__)
        raise WeChatUnavailable() from exc
    except redis_lib.RedisError as exc:  # the token's storage; FallbackStorage covers most of it
        log.warning("WeChat token storage unreachable: %s", type(exc).__name__)
        raise WeChatUnavailable() from exc


def code_to_session(code: str) -> WeChatSession:
    client = get_client(current_app)
    answer: dict[str, Any] = _call(lambda: client.wxa.code_to_session(code), code_error=WeChatCodeInvalid)
    openid = answer.get("openid")
    if not openid:
        raise WeChatUnavailable(details={"reason": "no openid in answer"})
    return WeChatSession(openid=openid, unionid=answer.get("unionid") or None)


def get_phone_number(code: str) -> str:
    client = get_client(current_app)
    answer = _call(
        lambda: client.post(
            "wxa/business/getuserphonenumber", data={"code": code}, api_base_url=client.wxa.API_BASE_URL
        ),
        code_error=PhoneCodeInvalid,
    )
    info = answer.get("phone_info") or {}
    number = info.get("purePhoneNumber")
    if not number:
        raise WeChatUnavailable(details={"reason": "no phone number in answer"})
    return number


def check_text(content: str, openid: str, scene: int = 2) -> str:
    """WeChat's content-security check v2: 'pass', 'review' or 'risky' (scene 2 = comment)."""
    client = get_client(current_app)
    answer = _call(
        lambda: client.post(
            "wxa/msg_sec_check",
            data={"content": content, "version": 2, "openid": openid, "scene": scene},
            api_base_url=client.wxa.API_BASE_URL,
        )
    )
    return ContentCheck((answer.get("result") or {}).get("suggest", ContentCheck.REVIEW))


RISKY_CONTENT = 87014


def check_image(content: bytes) -> str:
    """WeChat's image check (img_sec_check): 'pass' or 'risky'."""
    client = get_client(current_app)
    try:
        _call(lambda: client.wxa.check_image_security(("image", io.BytesIO(content))))
    except WeChatUnavailable as exc:
        if exc.details.get("errcode") == RISKY_CONTENT:
            return ContentCheck.RISKY
        raise
    return ContentCheck.PASS


def send_subscribe_message(openid: str, template_id: str, data: dict, page: str | None = None) -> None:
    client = get_client(current_app)
    try:
        _call(lambda: client.wxa.send_subscribe_message(openid, template_id, data, page=page))
    except (AppError, WeChatUnavailable) as exc:
        raise SubscribeMessageFailed(str(exc.details or exc.message), (exc.details or {}).get("errcode")) from exc


def get_wxa_code(scene: str, page: str | None = None, width: int = 430) -> bytes:
    client = get_client(current_app)
    response = _call(lambda: client.wxa.get_wxa_code_unlimited(scene, width=width, page=page))
    content = getattr(response, "content", b"")
    if not content.startswith(b"\x89PNG"):
        raise WeChatUnavailable(details={"reason": "not a PNG"})
    return content
