"""Bearer tokens: issued at sign-in, each for one audience, looked up on every signed-in request (a
copy in Redis and in each process, app.accounts.tokenstore), revoked, and forgotten everywhere once a
change to the token or its user commits. Plain functions: no Flask request in here."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state

from app import uow
from app.accounts import tokenstore
from app.accounts.models import AuthToken, User
from app.db_types import utcnow
from app.errors import Unauthorized
from app.extensions import db

log = logging.getLogger(__name__)

AUDIENCE_MP = "mp"
AUDIENCE_STAFF = "staff"
# The web console's session: its cookie is not a bearer token for the staff API, nor the reverse.
AUDIENCE_CONSOLE = "console"


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int
    user: User


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, audience: str, ttl_seconds: int) -> IssuedToken:
    token = secrets.token_urlsafe(32)
    record = AuthToken(
        token_hash=_hash_token(token),
        user_id=user.id,
        audience=audience,
        expires_at=utcnow() + timedelta(seconds=ttl_seconds),
    )
    db.session.add(record)
    # Known to every process from its first use (a login's first request costs no database lookup).
    uow.after_commit(_remember_issued, record.token_hash, audience, record.expires_at, user)
    return IssuedToken(token=token, expires_in=ttl_seconds, user=user)


def _remember_issued(token_hash: str, audience: str, expires_at, user: User) -> None:
    tokenstore.remember(token_hash, audience, expires_at, user.id, _user_columns(user))


def user_for_token(token: str, audience: str) -> User:
    """The active user a bearer token of `audience` belongs to, or Unauthorized saying why.
    Mini-program tokens open only the mini-program API, staff tokens only the staff API, console
    tokens only the console.

    With a shared Redis the answer comes from a copy there or in this process (app.accounts.tokenstore),
    dropped everywhere at once when the token is revoked or its user changes."""
    if not token or len(token) > 200:
        raise Unauthorized("登录凭证无效，请重新登录", code="token_invalid")
    token_hash = _hash_token(token)
    known = tokenstore.recall(token_hash)
    if known is not None:
        _check_token(known["audience"], None, known["expires_at"], known["user"]["is_active"], audience)
        return _attach(known["user"])
    record = db.session.get(AuthToken, token_hash)
    if record is None:
        raise Unauthorized("登录凭证无效，请重新登录", code="token_invalid")
    _check_token(
        record.audience,
        record.revoked_at,
        record.expires_at,
        record.user.is_active,
        audience,
        deleted=record.user.deleted_at is not None,
    )
    tokenstore.remember(token_hash, record.audience, record.expires_at, record.user_id, _user_columns(record.user))
    return record.user


def _user_columns(user: User) -> dict:
    return {c: getattr(user, c) for c in CACHED_USER_COLUMNS}


# What a process keeps of a token's user: no password hash, no phone (loaded when used).
CACHED_USER_COLUMNS = (
    "id",
    "openid",
    "unionid",
    "username",
    "display_name",
    "avatar_url",
    "is_active",
    "created_at",
    "last_login_at",
)


def _check_token(
    token_audience: str, revoked_at, expires_at, user_active: bool, audience: str, *, deleted: bool = False
) -> None:
    if token_audience != audience:
        raise Unauthorized(
            "该登录凭证不能用于此接口（小程序、工作人员接口与管理台各用各的凭证）", code="token_wrong_audience"
        )
    # A disabled account says so first: disabling also revokes its tokens (accounts.update_user), and
    # "account disabled" tells its holder more than "sign in again". A deleted one's token stays
    # token_revoked (docs/privacy.md).
    if not user_active and not deleted:
        raise Unauthorized("账号已停用", code="account_disabled")
    if revoked_at is not None:
        raise Unauthorized("登录凭证已失效，请重新登录", code="token_revoked")
    if expires_at <= utcnow():
        raise Unauthorized("登录已过期，请重新登录", code="token_expired")


def _attach(columns: dict) -> User:
    """The user into this request's session without a query (the other columns load when used): the
    cached columns as the loaded state of a detached instance, added to the session (merge copied
    every attribute onto another instance), or the instance the session already holds."""
    session = db.session()
    known = session.identity_map.get(session.identity_key(User, columns["id"]))
    if known is not None:
        return known
    user = inspect(User).class_manager.new_instance()
    instance_state(user).dict.update(columns)
    make_transient_to_detached(user)  # the columns given count as loaded; the others load on first use
    session.add(user)
    return user


@event.listens_for(Session, "after_flush")
def _note_changed_users(session, flush_context) -> None:
    """Users written in this transaction: every process forgets their tokens once it commits."""
    changed = session.info.setdefault("users_changed", {})
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, User) and obj.id is not None:
            access = obj in session.deleted or inspect(obj).attrs.is_active.history.has_changes()
            changed[obj.id] = changed.get(obj.id, False) or access
        elif isinstance(obj, AuthToken):  # revoked, expired or removed by any path
            session.info.setdefault("tokens_changed", set()).add(obj.token_hash)


@event.listens_for(Session, "after_commit")
def _publish_changed_users(session) -> None:
    for token_hash in session.info.pop("tokens_changed", ()):
        try:
            tokenstore.forget_token(token_hash)
        except Exception:  # noqa: BLE001 - the write is committed; a cache message must not undo the answer
            log.exception("could not announce a change to a token")
    for user_id, access_changed in session.info.pop("users_changed", {}).items():
        try:
            tokenstore.forget_user(user_id, access_changed=access_changed)
        except Exception:  # noqa: BLE001 - the write is committed; a cache message must not undo the answer
            log.exception("could not announce a change to user %s", user_id)


@event.listens_for(Session, "after_rollback")
def _forget_changed_users(session) -> None:
    session.info.pop("users_changed", None)
    session.info.pop("tokens_changed", None)


def revoke_token(token: str) -> None:
    token_hash = _hash_token(token)
    record = db.session.get(AuthToken, token_hash)
    if record is not None and record.revoked_at is None:
        record.revoked_at = utcnow()  # every copy is dropped as the commit lands (_note_changed_users)
        uow.commit()
