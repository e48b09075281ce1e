"""Sign-in (WeChat and staff passwords, with the staff lock-out), staff accounts and role grants.
Tokens are app.accounts.tokens; what each staff member may see, app.accounts.scope. Plain functions:
no Flask request in here."""

from __future__ import annotations

import functools
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from app import uow
from app.accounts.models import AuthToken, LoginLockout, RoleGrant, User, username_digest
from app.accounts.passwords import password_problem
from app.accounts.roles import ROLE_SCOPE_FIELD, Department, Role, scope_field_problems
from app.accounts.tokens import AUDIENCE_MP, AUDIENCE_STAFF, IssuedToken, issue_token
from app.audit import services as audit
from app.db_types import insert_unless_conflict, utcnow
from app.errors import AppError, Conflict, NotFound, Unauthorized, ValidationFailed
from app.extensions import db
from app.wechat import services as wechat

log = logging.getLogger(__name__)


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@functools.cache
def _dummy_hash(method: str) -> str:
    """Checked against when a username is unknown, so timing does not tell which usernames exist."""
    return generate_password_hash("not-a-real-password", method=method)


def login_with_wechat(code: str) -> IssuedToken:
    """code2session through WeChat, then find or create the user by openid."""
    session = wechat.code_to_session(code)
    user = db.session.scalar(select(User).where(User.openid == session.openid))
    if user is None:
        user = User(openid=session.openid, unionid=session.unionid)
        db.session.add(user)
        try:
            db.session.flush()
        except IntegrityError:
            # The same person logged in twice at once from two devices: the other insert won.
            db.session.rollback()
            user = db.session.scalar(select(User).where(User.openid == session.openid))
            if user is None:
                raise
    elif session.unionid and user.unionid != session.unionid:
        user.unionid = session.unionid
    if not user.is_active:
        db.session.rollback()
        raise Unauthorized("账号已停用", code="account_disabled")
    user.last_login_at = utcnow()
    issued = issue_token(user, AUDIENCE_MP, current_app.config["TOKEN_TTL_MP"])
    uow.commit()
    return issued


# Staff lock-out: after LOCKOUT_AFTER wrong passwords in a row for a username from one client address,
# that username is refused from that address for LOCKOUT_FIRST, doubling with each further failure
# up to LOCKOUT_MAX; a success starts afresh. Counted per address so that guessing from elsewhere
# never locks the account's owner out (the per-username rate limit still bounds guessing from many
# addresses), and for unknown usernames exactly as for known ones, so the answers tell nothing.
# `flask users unlock USERNAME` clears every lock of a username at once.
LOCKOUT_AFTER = 5
LOCKOUT_FIRST = timedelta(minutes=1)
LOCKOUT_MAX = timedelta(hours=1)
# A record with no failure for this long is deleted by the daily purge: the count starts afresh.
LOCKOUT_FORGET_AFTER = timedelta(days=1)


class AccountLocked(AppError):
    status = 429
    code = "account_locked"


def _lockout_for(failures: int) -> timedelta | None:
    if failures < LOCKOUT_AFTER:
        return None
    return min(LOCKOUT_FIRST * 2 ** (failures - LOCKOUT_AFTER), LOCKOUT_MAX)


def _username_key(username: str) -> str:
    return current_app.extensions["cipher"].keyed_hash(b"login-username:" + username.strip().lower().encode())


def _lockout_keys(username: str, client: str | None) -> tuple[str, str]:
    client_key = current_app.extensions["cipher"].keyed_hash(b"login-client:" + (client or "").encode())
    return _username_key(username), client_key


def _lockout_where(keys: tuple[str, str]):
    return (LoginLockout.username_key == keys[0]) & (LoginLockout.client_key == keys[1])


def _refuse_if_locked(keys: tuple[str, str], now) -> None:
    locked_until = db.session.scalar(select(LoginLockout.locked_until).where(_lockout_where(keys)))
    if locked_until is not None and locked_until > now:
        seconds = int((locked_until - now).total_seconds()) + 1
        raise AccountLocked(
            f"密码错误次数过多，账号已临时锁定，请 {max(1, seconds // 60)} 分钟后再试",
            details={"retry_after_seconds": seconds},
            headers={"Retry-After": str(seconds)},
        )


def _count_failure(keys: tuple[str, str], now) -> int:
    """One more wrong password for (username, address): the failures in a row so far. One
    conditional UPDATE, or the first INSERT (a concurrent first failure makes it an UPDATE)."""
    for _ in range(2):
        bumped = db.session.execute(
            update(LoginLockout)
            .where(_lockout_where(keys))
            .values(failures=LoginLockout.failures + 1, last_failure_at=now)
        )
        if bumped.rowcount == 0:
            first = db.session.execute(
                insert_unless_conflict(LoginLockout)
                .values(username_key=keys[0], client_key=keys[1], failures=1, last_failure_at=now)
                .returning(LoginLockout.id)
            )
            if first.first() is None:
                continue  # the same pair's first failure, a moment ago: count on it
        failures = db.session.scalar(select(LoginLockout.failures).where(_lockout_where(keys)))
        lock = _lockout_for(failures)
        if lock is not None:
            db.session.execute(update(LoginLockout).where(_lockout_where(keys)).values(locked_until=now + lock))
        return failures
    raise AppError("请稍后重试", code="conflict", status=409)  # two racing inserts in a row: not expected


def login_staff(username: str, password: str, client: str | None = None, audience: str = AUDIENCE_STAFF) -> IssuedToken:
    """Use case: a staff member signs in; `client` is the caller's address (the lock-out's scope); the
    token is for the staff API, or (AUDIENCE_CONSOLE) for the console."""
    now = utcnow()
    keys = _lockout_keys(username, client)
    _refuse_if_locked(keys, now)
    user = db.session.scalar(select(User).where(User.username == username))
    known = user is not None and bool(user.password_hash)
    # The same work either way (one password hash, one lock-out write): timing tells nothing either.
    matches = check_password_hash(
        user.password_hash if known else _dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password
    )
    if not (known and matches):
        failures = _count_failure(keys, now)
        uow.commit()  # the failure is kept (its own commit) even though the answer is an error
        raise Unauthorized(
            "用户名或密码错误",
            code="invalid_credentials",
            details={"attempts_before_lockout": max(0, LOCKOUT_AFTER - failures)},
        )
    db.session.execute(delete(LoginLockout).where(_lockout_where(keys)))
    if not user.is_active:
        uow.commit()
        raise Unauthorized("账号已停用", code="account_disabled")
    if not user.is_staff:
        uow.commit()
        raise AppError("该账号不是工作人员账号", code="forbidden", status=403)
    user.last_login_at = utcnow()
    issued = issue_token(user, audience, current_app.config["TOKEN_TTL_STAFF"])  # short: staff sessions
    uow.commit()
    return issued


def unlock(username: str) -> int:
    """Use case (`flask users unlock`): lift every lock-out of a username, from every address."""
    removed = db.session.execute(delete(LoginLockout).where(LoginLockout.username_key == _username_key(username)))
    uow.commit()
    return removed.rowcount or 0


def purge_lockouts(now=None) -> int:
    """Daily: forget failures long past (no lock is running on them)."""
    cutoff = (now or utcnow()) - LOCKOUT_FORGET_AFTER
    removed = db.session.execute(
        delete(LoginLockout).where(
            LoginLockout.last_failure_at < cutoff,
            (LoginLockout.locked_until.is_(None)) | (LoginLockout.locked_until < (now or utcnow())),
        )
    )
    uow.commit()
    return removed.rowcount or 0


def verify_phone(user: User, code: str) -> User:
    user.phone = wechat.get_phone_number(code)
    user.phone_verified_at = utcnow()
    uow.commit()
    return user


def apply_profile(user: User, changes: dict) -> User:
    """Step (no commit): the account's own profile fields; `PATCH /me` is campaigns.update_me."""
    for field in ("display_name", "avatar_url"):
        if field in changes:
            setattr(user, field, changes[field])
    return user


def create_staff_user(
    username: str,
    password: str,
    role: Role,
    *,
    display_name: str | None = None,
    department: Department | None = None,
    base_id: int | None = None,
    school_id: int | None = None,
    zone_id: int | None = None,
    granted_by: User | None = None,
) -> User:
    """A staff account with one role grant. Raises if the username is taken."""
    if problem := password_problem(password, username):
        raise ValidationFailed(details={"password": [problem]})
    if username_taken(username):
        raise AppError("用户名已存在", code="username_taken", status=409)
    user = User(username=username, password_hash=hash_password(password), display_name=display_name)
    db.session.add(user)
    try:
        db.session.flush()  # the unique username_key: the same name created at the same moment elsewhere
    except IntegrityError:
        db.session.rollback()
        raise AppError("用户名已存在", code="username_taken", status=409) from None
    grant_role(
        user, role, department=department, base_id=base_id, school_id=school_id, zone_id=zone_id, granted_by=granted_by
    )
    audit.record(granted_by, "user.create", "user", user.id, None, _user_snapshot(user))
    uow.commit()
    return user


def staff_user_named(username: str) -> User | None:
    """The staff account of `username` (by username_key: any case), or None."""
    return db.session.scalar(select(User).where(User.username_key == username_digest(username)))


def username_taken(username: str) -> bool:
    """Whether an account's username is `username` by username_key (the unique users.username_key
    settles two at the same moment). Signing in still takes the username exactly as it was created."""
    return db.session.scalar(select(User.id).where(User.username_key == username_digest(username))) is not None


class ReporterZoneBound(Conflict):
    code = "reporter_zone_bound"


def grant_role(
    user: User,
    role: Role,
    *,
    department: Department | None = None,
    base_id: int | None = None,
    school_id: int | None = None,
    zone_id: int | None = None,
    granted_by: User | None = None,
) -> RoleGrant:
    """Add a role with the scope it needs, and only that one (caller commits)."""
    if role in (Role.CITIZEN, Role.STUDENT):
        raise ValidationFailed(details={"role": ["公众与学生身份无需授予"]})
    scope = {"department": department, "base_id": base_id, "school_id": school_id, "zone_id": zone_id}
    takes = ROLE_SCOPE_FIELD.get(role)
    if takes is not None and scope[takes] is None:
        raise ValidationFailed(details={takes: ["该角色必须指定范围"]})
    extra = scope_field_problems(role, scope)
    if extra:
        raise ValidationFailed(details=extra)
    if role is Role.ZONE_REPORTER:
        _check_reporter_zone(user, zone_id)
    if role is Role.BASE_OPERATOR and not _zone_exists(base_id, education_base=True):
        raise ValidationFailed(details={"base_id": ["没有这个基地"]})
    if role is Role.SCHOOL_ADMIN and not _zone_exists(school_id, zone_type="school"):
        raise ValidationFailed(details={"school_id": ["没有这所学校"]})
    dept = department.value if department else None
    grant = RoleGrant(
        user_id=user.id,
        role=role.value,
        department=dept,
        base_id=base_id,
        school_id=school_id,
        zone_id=zone_id,
        scope_key=RoleGrant.make_scope_key(role.value, dept, base_id, school_id, zone_id),
        granted_by_id=granted_by.id if granted_by else None,
    )
    user.grants.append(grant)
    return grant


def _check_reporter_zone(user: User, zone_id: int) -> None:
    """A reporter reports on one zone, under construction (from confirmation on, where progress
    reporting starts): a second zone is refused until the first grant is revoked."""
    from app.progress.tracking import UNDER_CONSTRUCTION  # progress builds on accounts, not the reverse
    from app.zones.models import Zone

    zone = db.session.get(Zone, zone_id)
    if zone is None:
        raise ValidationFailed(details={"zone_id": ["示范区项目不存在"]})
    if zone.status not in UNDER_CONSTRUCTION:
        raise ValidationFailed(
            details={"zone_id": ["只能为建设中（已确定创建、尚未授予称号）的示范区设置建设主体填报员"]}
        )
    held = sorted(g.zone_id for g in user.grants if g.role == Role.ZONE_REPORTER.value and g.zone_id)
    if zone_id in held:
        raise AppError("该用户已有此角色", code="role_already_granted", status=409)
    if held:
        raise ReporterZoneBound(
            f"建设主体填报员只能负责一个示范区：该账号已负责示范区 #{held[0]}，请先撤销原有的填报员角色再授予",
            details={"current_zone_id": held[0]},
        )


def _zone_exists(zone_id: int, *, education_base: bool = False, zone_type: str | None = None) -> bool:
    """The zone exists (and, if asked, is designated an education base, or is of `zone_type`): a
    grant never names a base, a school or a zone that is not there."""
    from app.zones.models import Zone  # zones build on accounts, not the reverse

    zone = db.session.get(Zone, zone_id)
    if zone is None or (education_base and not zone.is_education_base):
        return False
    return zone_type is None or zone.type == zone_type


def users_query(role: str | None = None, q: str | None = None):
    """Users for the staff console, newest first; `q` matches username or name literally."""
    stmt = select(User).order_by(User.id.desc())
    if role == Role.CITIZEN.value:
        stmt = stmt.where(User.openid.is_not(None))
    elif role:
        stmt = stmt.where(User.grants.any(RoleGrant.role == role))
    if q:
        pattern = "%" + escape_like(q.strip()) + "%"
        stmt = stmt.where(User.username.ilike(pattern, escape="\\") | User.display_name.ilike(pattern, escape="\\"))
    return stmt


def escape_like(text: str) -> str:
    """Make %, _ and \\ in user input match themselves in LIKE."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在")
    return user


def _refuse_if_deleted(user: User) -> None:
    """A deleted account is a tombstone: nobody can bring it back (its owner starts afresh)."""
    if user.deleted_at is not None:
        raise AppError("该账号已由本人注销，不能再修改", code="account_deleted", status=409)


# What a WeChat account (no staff username and password) can use: a base operator checks visitors in
# at the door by scanning in the mini-program. Any other staff role is used on the staff side only.
WECHAT_USABLE_ROLES = frozenset({Role.BASE_OPERATOR})


class NoStaffSignIn(Conflict):
    code = "no_staff_sign_in"
    message = "该账号是微信用户，没有工作人员的登录名和密码：只能授予基地管理员（在小程序中扫码核验）"


def has_staff_sign_in(user: User) -> bool:
    """Whether the account signs in on the staff side (a username and its password), not only by WeChat."""
    return bool(user.username and user.password_hash)


def add_grant(user: User, changes: dict, granted_by: User) -> User:
    _refuse_if_deleted(user)
    role = Role(changes["role"])
    if not has_staff_sign_in(user) and role not in WECHAT_USABLE_ROLES:
        raise NoStaffSignIn()
    # One grant at a time per account: two reporter grants for two zones sent at once cannot both pass.
    db.session.execute(
        select(User.id).where(User.id == user.id).with_for_update().execution_options(populate_existing=True)
    )
    before = _user_snapshot(user)
    department = Department(changes["department"]) if changes.get("department") else None
    grant_role(
        user,
        role,
        department=department,
        base_id=changes.get("base_id"),
        school_id=changes.get("school_id"),
        zone_id=changes.get("zone_id"),
        granted_by=granted_by,
    )
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise AppError("该用户已有此角色", code="role_already_granted", status=409) from None
    audit.record(granted_by, "user.grant", "user", user.id, before, _user_snapshot(user))
    uow.commit()
    return user


def remove_grant(user: User, grant_id: int, acting: User) -> User:
    grant = next((g for g in user.grants if g.id == grant_id), None)
    if grant is None:
        raise NotFound("该角色授予记录不存在")
    if user.id == acting.id and grant.role == Role.ADMIN.value:
        raise AppError("不能撤销自己的管理员角色", code="cannot_remove_own_admin", status=409)
    before = _user_snapshot(user)
    user.grants.remove(grant)
    audit.record(acting, "user.revoke", "user", user.id, before, _user_snapshot(user))
    uow.commit()
    return user


def update_user(user: User, changes: dict, acting: User) -> User:
    _refuse_if_deleted(user)
    if changes.get("is_active") is False and user.id == acting.id:
        raise AppError("不能停用自己的账号", code="cannot_disable_self", status=409)
    before = _user_snapshot(user)
    for field in ("is_active", "display_name"):
        if field in changes:
            setattr(user, field, changes[field])
    if changes.get("is_active") is False:
        revoke_all_tokens(user)  # re-enabling must not bring old sessions back: a new sign-in is needed
    audit.record(acting, "user.update", "user", user.id, before, _user_snapshot(user))
    uow.commit()
    return user


def set_password(user: User, password: str, acting: User | None) -> User:
    """Use case: an admin (or an operator at the command line, `acting` None) gives a staff account a
    new password, e.g. one forgotten or leaked. Every session of the account ends (whoever knew the
    old one is signed out) and its lock-outs are lifted. A WeChat account has no password to set."""
    _refuse_if_deleted(user)
    if not has_staff_sign_in(user):
        raise NoStaffSignIn("该账号是微信用户，没有工作人员的登录名和密码")
    if problem := password_problem(password, user.username):
        raise ValidationFailed(details={"password": [problem]})
    user.password_hash = hash_password(password)
    revoke_all_tokens(user)
    db.session.execute(delete(LoginLockout).where(LoginLockout.username_key == _username_key(user.username)))
    audit.record(acting, "user.password_reset", "user", user.id, None, {"username": user.username})
    uow.commit()
    return user


def revoke_all_tokens(user: User) -> int:
    """Step (no commit): every token and console session of the account stops working; every process
    forgets them as the commit lands (app.accounts.tokens)."""
    now = utcnow()
    live = db.session.scalars(select(AuthToken).where(AuthToken.user_id == user.id, AuthToken.revoked_at.is_(None)))
    count = 0
    for token in live:
        token.revoked_at = now
        count += 1
    return count


def _user_snapshot(user: User) -> dict:
    """What the audit log keeps of an account: no password hash, no phone."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "is_active": user.is_active,
        "grants": sorted(g.scope_key for g in user.grants),
    }
