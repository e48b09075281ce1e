from __future__ import annotations

from app.accounts import services as accounts
from app.accounts import tokens
from app.accounts.schemas import TokenOut, WeChatLoginIn
from app.web.api import Blueprint
from app.web.auth import bearer_token, require_user
from app.web.ratelimit import (
    ip_key,
    limiter,
    login_code_key,
    login_code_limit,
    login_limit,
    login_service_limit,
    service_key,
)

PATH = "/auth"
blp = Blueprint("mp_auth", __name__, description="小程序登录")


@blp.post("/login")
@limiter.limit(login_code_limit, key_func=login_code_key)
@limiter.limit(login_limit, key_func=ip_key)
@limiter.limit(login_service_limit, key_func=service_key)
@blp.arguments(WeChatLoginIn)
@blp.response(200, TokenOut)
@blp.alt_response(401, description="wechat_code_invalid：登录凭证无效或已使用")
@blp.alt_response(503, description="wechat_unavailable：微信服务不可用")
def login(body):
    """微信登录：以 wx.login() 的 code 换取访问令牌"""
    return accounts.login_with_wechat(body["code"].strip())


@blp.post("/logout")
@require_user
@blp.response(204)
def logout():
    """退出登录：当前令牌立即失效"""
    tokens.revoke_token(bearer_token())
