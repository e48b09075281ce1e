from __future__ import annotations

from app.accounts.roles import ZONE_STAFF, Role
from app.extensions import db
from app.publicity import calendar, notices, objections, settling
from app.publicity.schemas import (
    CalendarArgs,
    CalendarDayIn,
    CalendarDayOut,
    CloseReportOut,
    DecisionIn,
    NoticeIn,
    RevealArgs,
    StaffNoticeListArgs,
    StaffNoticeOut,
    StaffObjectionArgs,
    StaffObjectionOut,
    WorkingDaysArgs,
    WorkingDaysOut,
)
from app.web.api import Blueprint, page_of, paginate, replayable, whole_list
from app.web.auth import current_user, require_role

PATH = ""
blp = Blueprint("admin_publicity", __name__, description="公示、异议处理与工作日历")


@blp.get("/publicity")
@require_role(*ZONE_STAFF)
@blp.arguments(StaffNoticeListArgs, location="query")
@blp.response(200, page_of(StaffNoticeOut))
def list_notices(args):
    """公示列表（含草稿；主管部门只见列有本部门项目的草稿，且只列本部门可见的项目）"""
    user = current_user()
    page = paginate(db.session, notices.staff_notices_query(user, args.get("state")), args["page"], args["per_page"])
    page["items"] = [notices.notice_view(n, viewer=user) for n in page["items"]]
    return page


@blp.post("/publicity")
@require_role(Role.INSTITUTE_STAFF)
@blp.arguments(NoticeIn)
@replayable
@blp.response(201, StaffNoticeOut)
@blp.alt_response(
    409,
    description="zone_in_other_notice：部分项目已在其他公示中（details.zone_ids）；"
    "calendar_not_loaded：公示期涉及的年份尚未录入节假日（details.unloaded_years）",
)
def create_notice(body):
    """新建公示（草稿）：某批次已通过现场核查的项目；给出 ends_at，或 working_days 自动计算"""
    return notices.notice_view(notices.create_notice(body, current_user()))


@blp.get("/publicity/<int:notice_id>")
@require_role(*ZONE_STAFF)
@blp.response(200, StaffNoticeOut)
def get_notice(notice_id):
    """公示详情；本人看不到的公示与不存在的一样为 404"""
    user = current_user()
    return notices.notice_view(notices.staff_notice(user, notice_id), viewer=user)


@blp.delete("/publicity/<int:notice_id>")
@require_role(Role.INSTITUTE_STAFF)
@replayable
@blp.response(204)
@blp.alt_response(409, description="already_published：已发布的公示不能撤回")
def withdraw_notice(notice_id):
    """撤回（删除）公示草稿，所列项目可列入新的公示；已发布的公示不能撤回（留痕）"""
    notices.withdraw_draft(notice_id, current_user())


@blp.post("/publicity/<int:notice_id>/publish")
@require_role(Role.INSTITUTE_STAFF)
@replayable
@blp.response(200, StaffNoticeOut)
@blp.alt_response(
    409,
    description="already_published；publicity_start_passed：公示开始日期已过，须重新设定公示期；"
    "calendar_not_loaded：公示期涉及的年份尚未录入节假日（details.unloaded_years）",
)
def publish_notice(notice_id):
    """发布公示：所列项目进入“公示中”"""
    return notices.notice_view(notices.publish_notice(notice_id, current_user()))


@blp.post("/publicity/<int:notice_id>/close")
@require_role(Role.INSTITUTE_STAFF)
@replayable
@blp.response(200, CloseReportOut)
@blp.alt_response(409, description="publicity_not_ended：公示期尚未结束")
def close_notice(notice_id):
    """公示期满后结束公示：无异议或异议均不成立→确定；有异议成立→未通过；仍有未办结异议→待办结后处理"""
    return settling.close_notice(notice_id, current_user())


@blp.get("/calendar/working-days")
@require_role(*ZONE_STAFF)
@blp.arguments(WorkingDaysArgs, location="query")
@blp.response(200, WorkingDaysOut)
def working_days(args):
    """计算“自某日起 N 个工作日”（跳过周末、法定节假日，计入调休上班日）；跨入尚未录入节假日的年份时
    unloaded_years 列出这些年份，warning 说明"""
    return calendar.working_days(args["start"], args["days"])


@blp.get("/calendar/days")
@require_role(*ZONE_STAFF)
@blp.arguments(CalendarArgs, location="query")
@blp.response(200, page_of(CalendarDayOut))
def calendar_days(args):
    """某年的法定节假日与调休上班日"""
    return whole_list(calendar.days_of_year(args["year"]), args)


@blp.put("/calendar/days")
@require_role(Role.INSTITUTE_STAFF)
@blp.arguments(CalendarDayIn)
@blp.response(200, CalendarDayOut)
def put_calendar_day(body):
    """新增或修改一天（holiday 放假 / workday 调休上班）"""
    return calendar.put_day(body["day"], body["kind"], body.get("note"), current_user())


@blp.get("/objections")
@require_role(*ZONE_STAFF)
@blp.arguments(StaffObjectionArgs, location="query")
@blp.response(200, page_of(StaffObjectionOut))
def list_objections(args):
    """异议列表（个人信息脱敏；主管部门可 reveal=1 查看本部门类型项目的原文，可附 reason 说明理由，留痕）"""
    user = current_user()
    stmt = objections.staff_objections_query(
        user,
        notice_id=args.get("notice_id"),
        zone_id=args.get("zone_id"),
        status=args.get("status"),
        needs_review=args.get("needs_review"),
    )
    page = paginate(db.session, stmt, args["page"], args["per_page"])
    if args["reveal"]:
        objections.reveal(user, page["items"], reason=args.get("reason"))
    page["items"] = [_staff_view(o, args["reveal"]) for o in page["items"]]
    return page


@blp.get("/objections/<int:objection_id>")
@require_role(*ZONE_STAFF)
@blp.arguments(RevealArgs, location="query")
@blp.response(200, StaffObjectionOut)
def get_objection(args, objection_id):
    """异议详情（reveal=1 查看完整个人信息，可附 reason 说明理由，留痕）"""
    user = current_user()
    objection = objections.get_objection(objection_id, user)
    if args["reveal"]:
        objections.reveal(user, [objection], reason=args.get("reason"))
    return _staff_view(objection, args["reveal"])


@blp.post("/objections/<int:objection_id>/decision")
@require_role(*ZONE_STAFF)
@blp.arguments(DecisionIn)
@replayable
@blp.response(200, StaffObjectionOut)
@blp.alt_response(409, description="invalid_decision：须按 受理/不予受理 → 调查核实 → 成立/不成立 的顺序")
def decide(body, objection_id):
    """处理异议并书面答复（异议人将收到订阅消息）"""
    objection = objections.decide(objection_id, body["status"], body["reply"], current_user())
    return _staff_view(objection, False)


def _staff_view(objection, revealed: bool) -> StaffObjectionView:
    return StaffObjectionView(objection, objections.personal_view(objection, revealed), revealed)


class StaffObjectionView:
    """An objection with its personal data as this officer may see it (masked or revealed)."""

    def __init__(self, objection, personal: dict, revealed: bool) -> None:
        self._objection, self.personal, self.revealed = objection, personal, revealed

    def __getattr__(self, name):
        return getattr(self._objection, name)
