"""The staff dashboard's figures, as the console's dashboard shows them (app.dashboard)."""

from __future__ import annotations

import marshmallow as ma

from app import dashboard
from app.accounts.roles import GRANTABLE_ROLES
from app.campaigns.catalogue import ESTIMATE_NOTE
from app.fields import LocalDateTime
from app.progress.schemas import MilestoneOut, ProblemOut
from app.validation import Schema
from app.visits.schemas import CapacityAlertOut
from app.web.api import Blueprint
from app.web.auth import current_user, require_role

PATH = "/dashboard"
blp = Blueprint("admin_dashboard", __name__, description="工作台：待办与统计（按本人范围）")


class ZoneCountOut(Schema):
    type = ma.fields.String()
    level = ma.fields.String()
    status = ma.fields.String()
    count = ma.fields.Integer()


class WaitingObjectionOut(Schema):
    id = ma.fields.Integer()
    receipt_no = ma.fields.String()
    zone_id = ma.fields.Integer()
    zone_name = ma.fields.Function(lambda o: o.zone.name)
    notice_id = ma.fields.Integer()
    status = ma.fields.String()
    created_at = LocalDateTime()


class NoticeObjectionsOut(Schema):
    notice_id = ma.fields.Integer()
    title = ma.fields.String()
    count = ma.fields.Integer()


class ClosingNoticeOut(Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    ends_at = LocalDateTime()


class BaseVisitsOut(Schema):
    base_id = ma.fields.Integer()
    base_name = ma.fields.String()
    bookings = ma.fields.Integer()
    people = ma.fields.Integer()


class CampaignCo2Out(Schema):
    campaign_id = ma.fields.Integer()
    title = ma.fields.String()
    co2_kg = ma.fields.Float()


class SchoolRefOut(Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class CampaignRefOut(Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    school_id = ma.fields.Integer()
    starts_on = ma.fields.Date()
    ends_on = ma.fields.Date()


class WaitingReportOut(Schema):
    id = ma.fields.Integer()
    zone_id = ma.fields.Integer()
    zone_name = ma.fields.Function(lambda r: _zone_name(r.zone_id))
    period = ma.fields.String()
    submitted_at = LocalDateTime(allow_none=True)


class OverdueReportOut(Schema):
    zone_id = ma.fields.Integer()
    zone_name = ma.fields.String()
    period = ma.fields.String()


class ReportDueOut(Schema):
    period = ma.fields.String()
    due_on = ma.fields.Date()
    report_id = ma.fields.Integer(allow_none=True)
    state = ma.fields.String(allow_none=True, metadata={"description": "该季度报告的状态；null 为尚未填写"})


class ZoneAtAGlanceOut(Schema):
    zone_id = ma.fields.Integer()
    name = ma.fields.String()
    status = ma.fields.String()
    percent = ma.fields.Integer(allow_none=True)
    due = ma.fields.Nested(ReportDueOut, allow_none=True, metadata={"description": "下一份应交的季度报告"})
    overdue_periods = ma.fields.List(ma.fields.String(), metadata={"description": "已逾期且仍未提交报告的季度"})
    late_milestones = ma.fields.List(ma.fields.Nested(MilestoneOut), metadata={"description": "已过计划日期未完成"})


def _zone_name(zone_id: int) -> str:
    from app.extensions import db
    from app.zones.models import Zone

    return db.session.get(Zone, zone_id).name


class DashboardOut(Schema):
    today = ma.fields.Date()
    month_start = ma.fields.Date()
    week_start = ma.fields.Date(metadata={"description": "本周一"})
    week_end = ma.fields.Date(metadata={"description": "本周日（含）"})
    sections = ma.fields.List(
        ma.fields.String(),
        metadata={
            "description": "本人角色涉及的工作：zones（示范区、公示、异议）、bases（教育基地）、schools（低碳学校）、"
            "progress（示范区建设进展）；其他部分为空"
        },
    )
    zones = ma.fields.List(ma.fields.Nested(ZoneCountOut), metadata={"description": "示范区数：类型 × 等级 × 状态"})
    objections_waiting_total = ma.fields.Integer(
        metadata={"description": "待处理（已收到、已受理、调查核实中）的异议数"}
    )
    objections_waiting = ma.fields.List(
        ma.fields.Nested(WaitingObjectionOut), metadata={"description": "最早收到的 20 件待处理异议"}
    )
    objections_per_notice = ma.fields.List(
        ma.fields.Nested(NoticeObjectionsOut), metadata={"description": "异议最多的 8 个公示"}
    )
    notices_closing = ma.fields.List(ma.fields.Nested(ClosingNoticeOut), metadata={"description": "三天内结束的公示"})
    visits_today = ma.fields.List(ma.fields.Nested(BaseVisitsOut), metadata={"description": "今日各基地预约与人数"})
    visits_month = ma.fields.List(
        ma.fields.Nested(BaseVisitsOut), metadata={"description": "本月各基地入馆预约与实到人数"}
    )
    campaigns_co2 = ma.fields.List(ma.fields.Nested(CampaignCo2Out), metadata={"description": "减排量最多的 8 个活动"})
    co2_note = ma.fields.Constant(ESTIMATE_NOTE)
    visits_week = ma.fields.List(ma.fields.Nested(BaseVisitsOut), metadata={"description": "本周各基地预约与人数"})
    alerts_unread_total = ma.fields.Integer(metadata={"description": "未读的容量提醒数（今天及以后的参观日）"})
    alerts_unread = ma.fields.List(
        ma.fields.Nested(CapacityAlertOut), metadata={"description": "最新的 20 条未读容量提醒"}
    )
    schools = ma.fields.List(ma.fields.Nested(SchoolRefOut), metadata={"description": "学校管理员所管理的学校"})
    campaigns = ma.fields.List(
        ma.fields.Nested(CampaignRefOut), metadata={"description": "本人可见学校的活动（最新 20 个）"}
    )
    reviews_waiting_total = ma.fields.Integer(metadata={"description": "待本人审核的季度进展报告数"})
    reviews_waiting = ma.fields.List(
        ma.fields.Nested(WaitingReportOut), metadata={"description": "最早提交的 20 份待审核报告"}
    )
    reports_overdue_total = ma.fields.Integer(
        metadata={"description": "本人范围内已逾期且仍未提交报告的季度数（示范区 × 季度）"}
    )
    reports_overdue = ma.fields.List(
        ma.fields.Nested(OverdueReportOut), metadata={"description": "最早的 20 个逾期季度"}
    )
    problems_overdue_total = ma.fields.Integer(metadata={"description": "待本人办理、已过期限未办结的协调问题数"})
    problems_overdue = ma.fields.List(ma.fields.Nested(ProblemOut), metadata={"description": "期限最早的 20 个"})
    my_zones = ma.fields.List(
        ma.fields.Nested(ZoneAtAGlanceOut),
        metadata={"description": "建设主体填报员：本人负责的示范区（应交报告、逾期季度、逾期里程碑）"},
    )


@blp.get("")
@require_role(*GRANTABLE_ROLES)
@blp.response(200, DashboardOut)
def get_dashboard():
    """工作台：待处理的异议、即将结束的公示、今日参观与各项统计，均只含本人范围内的数据（与管理台工作台相同）"""
    return dashboard.dashboard(current_user())
