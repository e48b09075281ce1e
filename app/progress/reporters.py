"""Accounts of construction entities (zone_reporter, 建设主体填报员): made by the zone's department,
the institute or an admin, bound to one zone."""

from __future__ import annotations

from app.accounts import services as accounts
from app.accounts.models import User
from app.accounts.roles import Role
from app.errors import Forbidden, ValidationFailed
from app.progress.scope import is_reviewer, progress_zone


def create_reporter(
    acting: User, username: str, password: str, zone_id: int | None, display_name: str | None = None
) -> User:
    """Use case: a staff account with the zone_reporter role for one zone in the acting user's scope
    (another department's zone is not found)."""
    if zone_id is None:
        raise ValidationFailed(details={"zone_id": ["建设主体填报员须指定其负责的示范区"]})
    zone = progress_zone(acting, zone_id)
    if not is_reviewer(acting, zone):
        raise Forbidden("只有该示范区的主管部门、碳中和研究院或系统管理员可以创建填报员", code="not_a_reviewer")
    return accounts.create_staff_user(
        username, password, Role.ZONE_REPORTER, display_name=display_name, zone_id=zone.id, granted_by=acting
    )
