"""Who is calling: the bearer token -> g.current_user, and the one way to require a role."""

from __future__ import annotations

from functools import wraps

import flask_smorest
from flask import g, request

from app.accounts import tokens
from app.accounts.models import User
from app.errors import Forbidden, Unauthorized


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


STAFF_API_PREFIX = "/api/admin/"


def token_audience() -> str:
    """Which tokens this request may carry: staff tokens on the staff API, mini-program ones elsewhere."""
    return tokens.AUDIENCE_STAFF if request.path.startswith(STAFF_API_PREFIX) else tokens.AUDIENCE_MP


def current_user() -> User:
    """The signed-in user, or 401 (no token, or a malformed, expired, revoked or wrong-audience one)."""
    user = g.get("current_user")
    if user is not None:
        return user
    token = bearer_token()
    if token is None:
        raise Unauthorized("请先登录", code="unauthorized")
    user = tokens.user_for_token(token, token_audience())
    g.current_user, g.user_id = user, user.id  # the id for the access log, even if the session fails later
    return user


def optional_user() -> User | None:
    """The signed-in user on a public page that answers the signed-in differently (their own rank,
    their schoolmates' posts), or None without a token. A token that is sent but bad, expired,
    revoked or a staff one is 401, as everywhere (CONTRACT): read as no token, a student whose
    session ran out saw an empty list of posts and was never asked to sign in again. The
    mini-program then forgets the token and reads the page again signed out."""
    if bearer_token() is None:
        return None
    return current_user()


def require_role(*roles: str):
    """401 without a valid token; 403 when the user has none of `roles` (admin has every role).
    With no roles given, any signed-in user passes."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = current_user()
            if roles and not user.has_role(*roles):
                raise Forbidden("没有权限执行此操作", details={"required_roles": list(roles)})
            return view(*args, **kwargs)

        return flask_smorest.Blueprint.doc(security=[{"bearerAuth": []}])(wrapper)

    return decorator


require_user = require_role()
