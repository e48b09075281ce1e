"""Who is signed in to the console, CSRF on every form, idle expiry with drafts, no framing, and error pages."""

from __future__ import annotations

import logging
import posixpath
import re
import time
from functools import wraps
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError

from app.accounts import tokens
from app.accounts.models import User
from app.accounts.roles import ROLE_LABELS, STAFF_ROLES, Role
from app.errors import AppError, Unauthorized, ValidationFailed
from console import bp, csrf

log = logging.getLogger(__name__)

TOKEN, SEEN, DRAFT = "console_token", "console_seen", "console_draft"
# Who signed in to this session: outlives an idle expiry, so a draft belongs to the one who typed it.
OWNER = "console_user_id"
# Fields a draft never keeps (the session is a cookie, signed but readable): passwords, secrets, tokens.
SECRET_FIELD = re.compile(r"pass|pwd|secret|token", re.IGNORECASE)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def idle_limit() -> int:
    return int(current_app.config.get("CONSOLE_IDLE_MINUTES", 30)) * 60


def signed_in_user() -> User | None:
    """The staff member of this session, or None (no session, idle too long, token revoked or expired)."""
    if "console_user" in g:
        return g.console_user
    user = None
    token = session.get(TOKEN)
    if token:
        if time.time() - session.get(SEEN, 0) > idle_limit():
            tokens.revoke_token(token)
            session.pop(TOKEN, None)
            g.session_expired = True
        else:
            try:
                user = tokens.user_for_token(token, tokens.AUDIENCE_CONSOLE)
            except Unauthorized:
                session.pop(TOKEN, None)
                g.session_expired = True
    if user is not None:
        session[SEEN] = int(time.time())
        g.current_user, g.user_id = user, user.id  # the services and the audit log see the same caller
    g.console_user = user
    return user


def current() -> User:
    user = signed_in_user()
    assert user is not None  # views are behind require()
    return user


def safe_next(target: str | None) -> str:
    """Only a path of this console: never an open redirect, nor a header split by CR/LF (or any control
    character) in the Location it becomes. The path is judged as the browser will resolve it (dot
    segments, percent-encoded or not, removed): /console/../api/… leaves the console, so it is refused;
    so is a backslash, which browsers read as a slash (/console\\..\\api, //host)."""
    dashboard = url_for("console.dashboard")
    if not target or CONTROL.search(target) or "\\" in target:
        return dashboard
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return dashboard
    path = unquote(parts.path)
    if CONTROL.search(path) or "\\" in path or not path.startswith("/console/"):
        return dashboard
    if not (posixpath.normpath(path) + "/").startswith("/console/"):
        return dashboard
    return target


def require(*roles: Role):
    """Signed in (else the sign-in page, keeping what a form posted), with one of `roles` (else 403)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = signed_in_user()
            if user is None:
                if request.method == "POST":
                    page = _form_page()
                    if session.get(OWNER) is not None:  # kept for the one who typed it, no one else
                        session[DRAFT] = {"path": page, "user_id": session[OWNER], "form": _typed(request.form)}
                        flash("登录已过期，请重新登录；刚才填写的内容已保留（密码除外）。", "warning")
                    else:
                        flash("登录已过期，请重新登录。", "warning")
                    return redirect(url_for("console.login", next=page))
                if g.get("session_expired"):
                    flash("登录已过期，请重新登录。", "warning")
                return redirect(url_for("console.login", next=request.full_path))
            if roles and not user.has_role(*roles):
                return error_page(403, "您的角色不能打开这个页面", "没有权限")
            return view(*args, **kwargs)

        return wrapper

    return decorator


def _form_page() -> str:
    """The page whose form was posted (where the draft is offered again)."""
    referrer = urlsplit(request.referrer or "")
    if referrer.path.startswith("/console/") and referrer.netloc in ("", request.host):
        return referrer.path
    return request.path


def _typed(form) -> dict[str, str]:
    return {k: v for k, v in form.items() if not SECRET_FIELD.search(k)}


def draft_of(user_id: int) -> dict[str, Any] | None:
    """The session's draft if this staff member typed it (at sign-in: anyone else's is dropped)."""
    draft = session.get(DRAFT)
    return draft if draft and draft.get("user_id") == user_id else None


def draft_for(path: str) -> dict[str, Any]:
    """What the signed-in staff member typed into this page's form before their session expired (once)."""
    draft = session.get(DRAFT)
    if draft and draft.get("path") == path and draft.get("user_id") == current().id:
        session.pop(DRAFT, None)
        return draft.get("form", {})
    return {}


@bp.before_request
def _protect_forms():
    if request.method == "POST":
        csrf.protect()


@bp.after_app_request
def _no_framing(response):
    # Every console response, error pages and static files too: no other site may frame a signed-in page.
    if request.path.startswith(bp.url_prefix or "/console"):
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
    return response


@bp.app_context_processor
def _globals():
    if not request.path.startswith("/console"):
        return {}
    from console.forms import NO_REFUSAL  # (forms imports this module)

    user = g.get("console_user")
    return {
        "refusal": NO_REFUSAL,  # a view showing a refused form passes its own
        "me": user,
        "role_labels": ROLE_LABELS,
        "Role": Role,
        "my_roles": [ROLE_LABELS.get(Role(r), r) for r in (user.roles if user else []) if r in STAFF_ROLES],
    }


def error_page(status: int, message: str, title: str = "出错了", details: dict | None = None):
    return render_template(
        "console/error.html", status=status, message=message, title=title, details=details or {}
    ), status


@bp.errorhandler(CSRFError)
def _csrf_error(exc: CSRFError):
    return error_page(400, "表单已失效或来源不明（缺少安全校验码），请返回刷新页面后重新提交。", "无法提交")


@bp.errorhandler(AppError)
def _app_error(exc: AppError):
    # A validation failure's details are messages about what was typed; any other error's are for API
    # clients (ids, codes, allowed values: "base_id：13"), and its message already says it in words.
    return error_page(exc.status, exc.message, details=exc.details if isinstance(exc, ValidationFailed) else None)


@bp.errorhandler(404)
def _not_found(exc):
    return error_page(404, "页面不存在", "找不到")


def in_console(path: str) -> bool:
    return path == bp.url_prefix or path.startswith(f"{bp.url_prefix}/")


@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
def _unrouted(exc):
    """A URL no route matches (or matches with another method) belongs to no blueprint, so Flask asks
    the app's handlers: under /console it is still the console's page, elsewhere the API's JSON."""
    if not in_console(request.path):
        from app.web.errors import handle_error

        return handle_error(exc)
    signed_in_user()  # the page's menu, for whoever is signed in
    if getattr(exc, "code", 404) == 405:
        return error_page(405, "这个地址不能这样打开，请使用页面上的链接或按钮。", "无法打开")
    return error_page(404, "页面不存在", "找不到")


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    from werkzeug.exceptions import HTTPException

    if isinstance(exc, HTTPException):
        return error_page(exc.code or 500, exc.description or "请求有误")
    log.exception("console error")
    return error_page(500, "系统出错了，请稍后再试；问题已记录。")
