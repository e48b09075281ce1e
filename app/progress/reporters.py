"""Accounts of construction entities (zone_reporter, 建设主体填报员): made by the zone's department,
the institute or an admin, bound to one zone."""

from __future__ import annotations

from sqlalchemy import Select, select

from app.accounts import services as accounts
from app.accounts.models import RoleGrant, User
from app.accounts.roles import Role
from app.errors import Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.progress.scope import is_reviewer, progress_zone
from app.zones.models import Zone


def create_reporter(
    acting: User, username: str, password: str, zone_id: int | None, display_name: str | None = None
) -> User:
    """Use case: a staff account with the zone_reporter role for one zone in the acting user's scope
    (another department's zone is not found)."""
    if zone_id is None:
        raise ValidationFailed(details={"zone_id": ["建设主体填报员须指定其负责的示范区"]})
    zone = _reviewed_zone(acting, zone_id)
    return accounts.create_staff_user(
        username, password, Role.ZONE_REPORTER, display_name=display_name, zone_id=zone.id, granted_by=acting
    )


def _reviewed_zone(acting: User, zone_id: int) -> Zone:
    """The zone, when the acting user is its department, the institute or an admin (who make, see and
    disable its reporters); another department's zone is not found."""
    zone = progress_zone(acting, zone_id)
    if not is_reviewer(acting, zone):
        raise Forbidden("只有该示范区的主管部门、碳中和研究院或系统管理员可以管理填报员", code="not_a_reviewer")
    return zone


def reporters_query(acting: User, zone_id: int) -> Select:
    """The zone's reporter accounts (deleted ones left out), by username: those who made them see them."""
    zone = _reviewed_zone(acting, zone_id)
    grants = select(RoleGrant.user_id).where(RoleGrant.role == Role.ZONE_REPORTER.value, RoleGrant.zone_id == zone.id)
    return select(User).where(User.id.in_(grants), User.deleted_at.is_(None)).order_by(User.username, User.id)


def set_reporter_active(acting: User, zone_id: int, user_id: int, active: bool) -> User:
    """Use case: the zone's department (or the institute) disables a reporter who left the
    construction entity, or enables them again; disabling ends their sessions (accounts.update_user)."""
    user = db.session.scalar(reporters_query(acting, zone_id).where(User.id == user_id))
    if user is None:
        raise NotFound("该示范区没有这个填报员")
    return accounts.update_user(user, {"is_active": active}, acting)
