"""Zone progress during construction (docs/api.md, "Zone progress"): milestones, quarterly reports
and their review, the indicator series, problems. Thin: parse, call app.progress, dump."""

from __future__ import annotations

from flask import request

from app.accounts.roles import PROGRESS_STAFF, ZONE_STAFF
from app.accounts.schemas import StaffUserOut
from app.extensions import db
from app.progress import deadlines, milestones, problems, reporters, reports, series
from app.progress.schemas import (
    BaselineTargetIn,
    MilestoneIn,
    MilestoneOut,
    MilestonePatchIn,
    ProblemIn,
    ProblemOut,
    ProgressReportIn,
    ProgressReportListArgs,
    ProgressReportOut,
    ProgressReportPatchIn,
    ReporterActiveIn,
    ReportReviewIn,
    ResolveIn,
    SeriesOut,
)
from app.progress.scope import progress_zone
from app.validation import PageArgs, WholeListArgs
from app.web.api import Blueprint, page_of, paginate, replayable, whole_list
from app.web.auth import current_user, require_role

PATH = ""
blp = Blueprint("admin_progress", __name__, description="示范区建设进展（里程碑、季度报告、指标、问题协调）")

MilestoneList = page_of(MilestoneOut)
ProgressReportPage = page_of(ProgressReportOut)
ProblemPage = page_of(ProblemOut)

CONFLICT_UNDER_CONSTRUCTION = "zone_not_under_construction：只有已确定创建、尚未授予称号的示范区可以填报"


# ---- milestones ---------------------------------------------------------------------------


@blp.get("/zones/<int:zone_id>/milestones")
@require_role(*PROGRESS_STAFF)
@blp.arguments(WholeListArgs, location="query")
@blp.response(200, MilestoneList)
def list_milestones(args, zone_id):
    """示范区的里程碑计划（按计划日期）"""
    zone = progress_zone(current_user(), zone_id)
    return whole_list(milestones.milestones_of(zone.id), args)


@blp.post("/zones/<int:zone_id>/milestones")
@require_role(*PROGRESS_STAFF)
@blp.arguments(MilestoneIn)
@replayable
@blp.response(201, MilestoneOut)
@blp.alt_response(409, description=CONFLICT_UNDER_CONSTRUCTION)
def create_milestone(body, zone_id):
    """添加里程碑（计划日期不早于确定创建的日期）"""
    return milestones.add_milestone(current_user(), zone_id, body["name"], body["planned_on"])


@blp.patch("/milestones/<int:milestone_id>")
@require_role(*PROGRESS_STAFF)
@blp.arguments(MilestonePatchIn, required=False)
@blp.response(200, MilestoneOut)
@blp.alt_response(409, description=CONFLICT_UNDER_CONSTRUCTION)
def patch_milestone(body, milestone_id):
    """登记完成（完成日期不晚于今天）、证明材料、备注"""
    return milestones.update_milestone(current_user(), milestone_id, body, request_host=request.host)


# ---- reports ------------------------------------------------------------------------------


@blp.get("/zones/<int:zone_id>/reports")
@require_role(*PROGRESS_STAFF)
@blp.arguments(PageArgs, location="query")
@blp.response(200, ProgressReportPage)
def list_zone_reports(args, zone_id):
    """示范区的季度进展报告（新的季度在前）"""
    stmt = reports.zone_reports_query(current_user(), zone_id)
    return paginate(db.session, stmt, args["page"], args["per_page"])


@blp.post("/zones/<int:zone_id>/reports")
@require_role(*PROGRESS_STAFF)
@blp.arguments(ProgressReportIn)
@replayable
@blp.response(201, ProgressReportOut)
@blp.alt_response(
    409, description=CONFLICT_UNDER_CONSTRUCTION + "；report_exists：该季度已有未退回的报告（details.report_id）"
)
def create_report(body, zone_id):
    """新建季度进展报告（草稿）"""
    return reports.create_report(
        current_user(),
        zone_id,
        body["period"],
        body["public_summary"],
        body.get("internal_note"),
        body.get("indicator_year"),
        body.get("indicator_value"),
        body.get("problems"),
        indicator_key=body.get("indicator_key"),
        unit=body.get("unit"),
    )


@blp.get("/reports")
@require_role(*PROGRESS_STAFF)
@blp.arguments(ProgressReportListArgs, location="query")
@blp.response(200, ProgressReportPage)
def list_reports(args):
    """本人范围内的报告；state=submitted 为待审核队列（先提交的在前）"""
    stmt = reports.reports_query(current_user(), args.get("state"), args.get("zone_id"))
    return paginate(db.session, stmt, args["page"], args["per_page"])


@blp.get("/reports/<int:report_id>")
@require_role(*PROGRESS_STAFF)
@blp.response(200, ProgressReportOut)
def get_report(report_id):
    """报告详情"""
    return reports.get_report(current_user(), report_id)


@blp.patch("/reports/<int:report_id>")
@require_role(*PROGRESS_STAFF)
@blp.arguments(ProgressReportPatchIn, required=False)
@blp.response(200, ProgressReportOut)
@blp.alt_response(409, description="report_not_editable：只有草稿或已退回的报告可以修改")
def patch_report(body, report_id):
    """修改草稿或已退回的报告"""
    return reports.update_report(current_user(), report_id, body)


@blp.post("/reports/<int:report_id>/submit")
@require_role(*PROGRESS_STAFF)
@replayable
@blp.response(200, ProgressReportOut)
@blp.alt_response(
    409,
    description="report_not_editable：已提交；report_exists：该季度已有另一份报告；" + CONFLICT_UNDER_CONSTRUCTION,
)
def submit_report(report_id):
    """提交审核"""
    return reports.submit_report(current_user(), report_id)


@blp.post("/reports/<int:report_id>/review")
@require_role(*PROGRESS_STAFF)
@blp.arguments(ReportReviewIn)
@replayable
@blp.response(200, ProgressReportOut)
@blp.alt_response(409, description="report_not_submitted：只有已提交的报告可以审核")
def review_report(body, report_id):
    """审核：通过（指标数值成为核实值）或退回（须填写意见）；不能审核本人填报的报告（403 own_report）"""
    return reports.review_report(current_user(), report_id, body["decision"], body.get("comment"))


# ---- series -------------------------------------------------------------------------------


def _series(zone):
    return {
        "zone_id": zone.id,
        "percent": milestones.percent_done(milestones.milestones_of(zone.id)),
        "indicators": series.zone_series(zone),
        "last_report_period": series.last_report_period(zone.id),
        "overdue_periods": deadlines.overdue_periods(zone.id),
    }


@blp.get("/zones/<int:zone_id>/series")
@require_role(*PROGRESS_STAFF)
@blp.response(200, SeriesOut)
def get_series(zone_id):
    """指标序列：基准值、目标值、各年核实值、变化率与是否达到进度"""
    return _series(progress_zone(current_user(), zone_id))


@blp.put("/zones/<int:zone_id>/series/<string:indicator_key>")
@require_role(*PROGRESS_STAFF)
@blp.arguments(BaselineTargetIn)
@blp.response(200, SeriesOut)
def put_baseline_target(body, zone_id, indicator_key):
    """设定某一指标的基准值与目标值（主管部门、碳中和研究院）"""
    zone = series.set_baseline_target(
        current_user(),
        zone_id,
        indicator_key,
        body["baseline_year"],
        body["baseline_value"],
        body["target_year"],
        body["target_value"],
    )
    return _series(zone)


# ---- problems -----------------------------------------------------------------------------


@blp.get("/zones/<int:zone_id>/problems")
@require_role(*PROGRESS_STAFF)
@blp.arguments(PageArgs, location="query")
@blp.response(200, ProblemPage)
def list_problems(args, zone_id):
    """示范区的问题协调（未办结的在前）"""
    stmt = problems.zone_problems_query(current_user(), zone_id)
    return paginate(db.session, stmt, args["page"], args["per_page"])


@blp.post("/zones/<int:zone_id>/problems")
@require_role(*PROGRESS_STAFF)
@blp.arguments(ProblemIn)
@replayable
@blp.response(201, ProblemOut)
@blp.alt_response(409, description=CONFLICT_UNDER_CONSTRUCTION)
def create_problem(body, zone_id):
    """提请主管部门协调解决的问题（含期限）"""
    return problems.add_problem(current_user(), zone_id, body["title"], body["department"], body["due_on"])


@blp.post("/problems/<int:problem_id>/resolve")
@require_role(*PROGRESS_STAFF)
@blp.arguments(ResolveIn)
@replayable
@blp.response(200, ProblemOut)
@blp.alt_response(409, description="problem_resolved：已办结")
def resolve_problem(body, problem_id):
    """办结问题（被请求协调的主管部门或碳中和研究院）"""
    return problems.resolve_problem(current_user(), problem_id, body["note"])


@blp.get("/zones/<int:zone_id>/reporters")
@require_role(*ZONE_STAFF)
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(StaffUserOut))
def list_reporters(args, zone_id):
    """该示范区的建设主体填报员账号（主管部门、碳中和研究院、系统管理员）"""
    return paginate(db.session, reporters.reporters_query(current_user(), zone_id), args["page"], args["per_page"])


@blp.patch("/zones/<int:zone_id>/reporters/<int:user_id>")
@require_role(*ZONE_STAFF)
@blp.arguments(ReporterActiveIn)
@blp.response(200, StaffUserOut)
def patch_reporter(body, zone_id, user_id):
    """停用或启用该示范区的填报员（停用即结束其登录会话）"""
    return reporters.set_reporter_active(current_user(), zone_id, user_id, body["is_active"])
