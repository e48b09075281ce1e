from __future__ import annotations

from app.accounts.roles import Role
from app.validation import WholeListArgs
from app.web.api import Blueprint, page_of, replayable, whole_list
from app.web.auth import current_user, require_role
from app.zones import districts, registry
from app.zones.schemas import DistrictIn, DistrictPatchIn, StaffDistrictOut

PATH = "/districts"
blp = Blueprint("admin_districts", __name__, description="县（市）区与开发区")


@blp.get("")
@require_role(Role.INSTITUTE_STAFF, Role.DEPARTMENT_OFFICER)
@blp.arguments(WholeListArgs, location="query")
@blp.response(200, page_of(StaffDistrictOut))
def list_districts(args):
    """全部县（市）区与开发区（含停用）"""
    return whole_list(registry.active_districts(), args)


@blp.post("")
@require_role(Role.INSTITUTE_STAFF)
@blp.arguments(DistrictIn)
@replayable
@blp.response(201, StaffDistrictOut)
def create_district(body):
    """新增"""
    return districts.create_district(body, current_user())


@blp.patch("/<int:district_id>")
@require_role(Role.INSTITUTE_STAFF)
@blp.arguments(DistrictPatchIn, required=False)
@blp.response(200, StaffDistrictOut)
def patch_district(body, district_id):
    """修改或停用"""
    return districts.update_district(district_id, body, current_user())
