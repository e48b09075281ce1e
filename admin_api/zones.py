from __future__ import annotations

import marshmallow as ma
from flask import Response, request

from app.accounts.roles import ZONE_STAFF, Role
from app.errors import ValidationFailed
from app.extensions import db
from app.validation import Schema
from app.web.api import Blueprint, page_of, paginate, replayable
from app.web.auth import current_user, require_role
from app.zones import editing, importer, lifecycle, registry, scope
from app.zones.schemas import (
    EducationBaseIn,
    ReReviewIn,
    ReReviewOut,
    StaffZoneCardOut,
    StaffZoneListArgs,
    StaffZoneOut,
    TransitionIn,
    ZoneIn,
    ZonePatchIn,
)

PATH = "/zones"
blp = Blueprint("admin_zones", __name__, description="示范区项目管理")


@blp.before_request
def _allow_larger_import_files():
    # Spreadsheets are bigger than JSON bodies; only the import route gets the larger limit.
    if request.endpoint == "admin_zones.import_zones":
        request.max_content_length = importer.MAX_BYTES + 64 * 1024


def _filters(args) -> registry.ZoneFilters:
    filters = registry.resolve_filters(
        registry.ZoneFilters(**{k: v for k, v in args.items() if k not in ("page", "per_page")})
    )
    return filters


def _detail(zone_id: int):
    return scope.staff_zone(current_user(), zone_id, with_history=True)


@blp.get("")
@require_role(*ZONE_STAFF)
@blp.arguments(StaffZoneListArgs, location="query")
@blp.response(200, page_of(StaffZoneCardOut))
def list_zones(args):
    """本人范围内的示范区项目（含未公示；主管部门只见本部门负责的类型）"""
    return paginate(db.session, scope.staff_zones_query(current_user(), _filters(args)), args["page"], args["per_page"])


@blp.post("")
@require_role(*ZONE_STAFF)
@blp.arguments(ZoneIn)
@replayable
@blp.response(201, StaffZoneOut)
def create_zone(body):
    """登记申报（状态：已申报）"""
    zone = editing.create_zone(body, current_user())
    return _detail(zone.id)


@blp.get("/<int:zone_id>")
@require_role(*ZONE_STAFF)
@blp.response(200, StaffZoneOut)
def get_zone(zone_id):
    """项目详情（含操作人）；不在本人范围内的项目与不存在的一样为 404"""
    return _detail(zone_id)


@blp.patch("/<int:zone_id>")
@require_role(*ZONE_STAFF)
@blp.arguments(ZonePatchIn(partial=True), required=False)
@blp.response(200, StaffZoneOut)
def patch_zone(body, zone_id):
    """修改项目信息与指标"""
    editing.update_zone(registry.get_zone(zone_id, public=False), body, current_user())
    return _detail(zone_id)


@blp.post("/<int:zone_id>/transitions")
@require_role(*ZONE_STAFF)
@blp.arguments(TransitionIn)
@replayable
@blp.response(200, StaffZoneOut)
@blp.alt_response(
    409,
    description="invalid_transition：details.allowed 列出允许的目标状态；公示中的项目由办结公示确定结果："
    "publicity_window_open（公示期未满）、objections_pending（尚有异议未办结）、publicity_not_settled（待办结公示）；"
    "进入公示与确定创建只由公示的发布与办结完成：publicity_by_notice",
)
def post_transition(body, zone_id):
    """状态变更（按实施方案第五部分的流程）"""
    lifecycle.transition(zone_id, body["to"], body.get("note"), current_user())
    return _detail(zone_id)


@blp.post("/<int:zone_id>/re-reviews")
@require_role(*ZONE_STAFF)
@blp.arguments(ReReviewIn)
@replayable
@blp.response(201, ReReviewOut)
def post_re_review(body, zone_id):
    """登记复核结果；不通过则撤销称号"""
    return lifecycle.record_re_review(zone_id, body["reviewed_on"], body["outcome"], body.get("note"), current_user())


@blp.put("/<int:zone_id>/education-base")
@require_role(*ZONE_STAFF)
@blp.arguments(EducationBaseIn)
@blp.response(200, StaffZoneOut)
def put_education_base(body, zone_id):
    """设为（或取消）宣传教育基地"""
    lifecycle.set_education_base(zone_id, body["is_education_base"], current_user())
    return _detail(zone_id)


class ImportForm(Schema):
    batch_year = ma.fields.Integer(required=True, validate=ma.validate.Range(min=2023, max=2100))


class ImportOut(Schema):
    imported = ma.fields.Integer()
    zone_ids = ma.fields.List(ma.fields.Integer())


@blp.post("/import")
@require_role(Role.INSTITUTE_STAFF)
@blp.arguments(ImportForm, location="form")
@replayable
@blp.response(201, ImportOut)
@blp.alt_response(422, description="import_invalid：details.rows 逐行列出问题；import_columns：表头不正确")
def import_zones(form):
    """批量导入一个年度批次（CSV 或 XLSX，字段 file）；任一行有误则全部不导入"""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed(details={"file": ["请上传 CSV 或 XLSX 文件"]})
    created = importer.import_batch(
        upload.filename, upload.read(importer.MAX_BYTES + 1), form["batch_year"], current_user()
    )
    return {"imported": len(created), "zone_ids": [z.id for z in created]}


@blp.get("/export.csv")
@require_role(*ZONE_STAFF)
@blp.arguments(StaffZoneListArgs, location="query")
@blp.response(200, description="CSV")
def export_zones(args):
    """按筛选条件导出本人范围内的项目列表（CSV）"""
    body = importer.export_csv(scope.staff_zones_query(current_user(), _filters(args)))
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=zones-export.csv"})
