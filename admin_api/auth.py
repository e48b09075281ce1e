from __future__ import annotations

from flask import request

from app.accounts import services as accounts
from app.accounts import tokens
from app.accounts.roles import STAFF_ROLES
from app.accounts.schemas import StaffLoginIn, TokenOut, UserOut
from app.web.api import Blueprint
from app.web.auth import bearer_token, current_user, require_role, require_user
from app.web.ratelimit import ip_key, limiter, login_limit, login_username_limit, username_key

PATH = "/auth"
blp = Blueprint("admin_auth", __name__, description="工作人员登录")


@blp.post("/login")
@limiter.limit(login_username_limit, key_func=username_key)
@limiter.limit(login_limit, key_func=ip_key)
@blp.arguments(StaffLoginIn)
@blp.response(200, TokenOut)
@blp.alt_response(401, description="invalid_credentials：用户名或密码错误（details.attempts_before_lockout）")
@blp.alt_response(
    429, description="account_locked：同一用户名从同一地址连续输错 5 次即锁定（1 分钟起，逐次加倍，最长 1 小时）"
)
def login(body):
    """工作人员以用户名和密码登录"""
    return accounts.login_staff(body["username"].strip(), body["password"], client=request.remote_addr)


@blp.post("/logout")
@require_user
@blp.response(204)
def logout():
    """退出登录"""
    tokens.revoke_token(bearer_token())


@blp.get("/me")
@require_role(*STAFF_ROLES)
@blp.response(200, UserOut)
def me():
    """当前工作人员"""
    return current_user()
