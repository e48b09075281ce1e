from __future__ import annotations

from app.accounts import services as accounts
from app.accounts.roles import Department, Role
from app.accounts.schemas import GrantIn, PasswordIn, StaffUserIn, StaffUserOut, UserListArgs, UserPatchIn
from app.errors import Forbidden
from app.extensions import db
from app.progress import reporters
from app.web.api import Blueprint, page_of, paginate, replayable
from app.web.auth import current_user, require_role

PATH = "/users"
blp = Blueprint("admin_users", __name__, description="用户与角色（系统管理员）")


@blp.get("")
@require_role(Role.ADMIN)
@blp.arguments(UserListArgs, location="query")
@blp.response(200, page_of(StaffUserOut))
def list_users(args):
    """用户列表（手机号脱敏）"""
    stmt = accounts.users_query(role=args.get("role"), q=args.get("q"))
    return paginate(db.session, stmt, args["page"], args["per_page"])


@blp.post("")
@require_role(Role.ADMIN, Role.DEPARTMENT_OFFICER, Role.INSTITUTE_STAFF)
@blp.arguments(StaffUserIn)
@replayable
@blp.response(201, StaffUserOut)
def create_user(body):
    """创建工作人员账号（含一个角色）。建设主体填报员（zone_reporter，须指定 zone_id）也可由该示范区的主管部门或
    碳中和研究院创建；其他角色仅系统管理员"""
    acting = current_user()
    if body["role"] == Role.ZONE_REPORTER.value:
        return reporters.create_reporter(
            acting, body["username"], body["password"], body.get("zone_id"), body.get("display_name")
        )
    if not acting.has_role(Role.ADMIN):
        raise Forbidden("只有系统管理员可以创建该角色的账号", details={"required_roles": [Role.ADMIN.value]})
    return accounts.create_staff_user(
        body["username"],
        body["password"],
        Role(body["role"]),
        display_name=body.get("display_name"),
        department=Department(body["department"]) if body.get("department") else None,
        base_id=body.get("base_id"),
        school_id=body.get("school_id"),
        granted_by=current_user(),
    )


@blp.get("/<int:user_id>")
@require_role(Role.ADMIN)
@blp.response(200, StaffUserOut)
def get_user(user_id):
    """用户详情"""
    return accounts.get_user(user_id)


@blp.patch("/<int:user_id>")
@require_role(Role.ADMIN)
@blp.arguments(UserPatchIn, required=False)
@blp.response(200, StaffUserOut)
def patch_user(body, user_id):
    """停用/启用账号、修改名称"""
    return accounts.update_user(accounts.get_user(user_id), body, current_user())


@blp.put("/<int:user_id>/password")
@require_role(Role.ADMIN)
@blp.arguments(PasswordIn)
@blp.response(200, StaffUserOut)
@blp.alt_response(409, description="no_staff_sign_in：微信用户没有密码")
def set_password(body, user_id):
    """重置工作人员密码（忘记或泄露）：该账号的所有登录会话随即失效，登录锁定解除"""
    return accounts.set_password(accounts.get_user(user_id), body["password"], current_user())


@blp.post("/<int:user_id>/grants")
@require_role(Role.ADMIN)
@blp.arguments(GrantIn)
@replayable
@blp.response(201, StaffUserOut)
def add_grant(body, user_id):
    """授予角色（基地管理员须指定 base_id，学校管理员 school_id，主管部门 department，建设主体填报员 zone_id）"""
    return accounts.add_grant(accounts.get_user(user_id), body, current_user())


@blp.delete("/<int:user_id>/grants/<int:grant_id>")
@require_role(Role.ADMIN)
@replayable
@blp.response(200, StaffUserOut)
def remove_grant(user_id, grant_id):
    """撤销角色"""
    return accounts.remove_grant(accounts.get_user(user_id), grant_id, current_user())
