from __future__ import annotations

import hashlib
import unicodedata
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.accounts.roles import STAFF_ROLES, Role
from app.db_types import EncryptedString, UTCDateTime, utcnow
from app.extensions import db


def username_key(username: str) -> str:
    """What makes two usernames the same one: "ADMIN" is "admin", full-width "ａｄｍｉｎ" too (NFKC, then
    case folded), so nobody can pass for another staff member in lists and the audit log."""
    return unicodedata.normalize("NFKC", username).casefold()


def username_digest(username: str) -> str:
    """users.username_key: the SHA-256 of username_key, in hex."""
    return hashlib.sha256(username_key(username).encode()).hexdigest()


class User(db.Model):
    """A person: a WeChat user (openid), a staff account (username + password), or both."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(String(64), index=True)
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    # What makes two usernames the same one (username_key: "ADMIN" is "admin"), unique in the database
    # so two accounts created at the same moment cannot both take it; a digest, as NFKC can lengthen
    # a name past the column. Set with the username (below).
    username_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(256))
    display_name: Mapped[str | None] = mapped_column(String(64))
    avatar_url: Mapped[str | None] = mapped_column(String(512))
    # Verified through WeChat's getuserphonenumber; personal data, encrypted at rest.
    phone: Mapped[str | None] = mapped_column(EncryptedString())
    phone_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The account was deleted by its owner (app.data_rights): the row stays only as a tombstone, so
    # what must outlive the person (an objection's ruling, attendance counts) still points somewhere.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="select", foreign_keys="RoleGrant.user_id"
    )

    @validates("username")
    def _key_username(self, _name: str, username: str | None) -> str | None:
        self.username_key = None if username is None else username_digest(username)
        return username

    @property
    def roles(self) -> list[str]:
        roles: list[str] = []
        if self.openid:
            roles.append(Role.CITIZEN.value)
        for grant in self.grants:
            if grant.role not in roles:
                roles.append(grant.role)
        return roles

    @property
    def is_staff(self) -> bool:
        return any(g.role in STAFF_ROLES for g in self.grants)

    def has_role(self, *roles: str) -> bool:
        mine = set(self.roles)
        return Role.ADMIN.value in mine or bool(mine.intersection(roles))


class RoleGrant(db.Model):
    """A role given to a user, with the scope it is bound to (one base, one school, a department)."""

    __tablename__ = "role_grants"
    # NULL scopes never collide in a plain unique constraint, so the scope is also kept as one
    # non-null key ("role:department:base:school") that the constraint can compare.
    __table_args__ = (UniqueConstraint("user_id", "scope_key", name="uq_role_grants_user_scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    # Scopes; the zone tables arrive with later migrations, which add the foreign keys.
    base_id: Mapped[int | None] = mapped_column(Integer)
    school_id: Mapped[int | None] = mapped_column(Integer)
    # A zone reporter's one zone (the construction entity of that zone).
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    department: Mapped[str | None] = mapped_column(String(32))
    scope_key: Mapped[str] = mapped_column(String(96))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="grants", foreign_keys=[user_id])

    @staticmethod
    def make_scope_key(
        role: str, department: str | None, base_id: int | None, school_id: int | None, zone_id: int | None = None
    ) -> str:
        # The zone is appended only when set, so the keys of the older roles stay what they were.
        key = f"{role}:{department or ''}:{base_id or ''}:{school_id or ''}"
        return f"{key}:{zone_id}" if zone_id else key


class AuthToken(db.Model):
    """A bearer token. Only its SHA-256 is stored, so a database leak gives no usable tokens."""

    __tablename__ = "auth_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    audience: Mapped[str] = mapped_column(String(8))  # "mp" (mini-program), "staff" (staff API) or "console"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="joined")


class LoginLockout(db.Model):
    """Wrong staff passwords in a row for one username from one client address, and until when that
    pair is refused. Kept whether or not the username exists (the answers must not tell), and per
    address, so nobody elsewhere can lock an account's owner out. Both as keyed hashes: what was
    typed as a username (sometimes a password) and the address are nobody's business here."""

    __tablename__ = "login_lockouts"
    __table_args__ = (UniqueConstraint("username_key", "client_key", name="uq_login_lockouts_username_client"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username_key: Mapped[str] = mapped_column(String(64), index=True)
    client_key: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
