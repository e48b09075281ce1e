"""School admins: classes and join codes, confirming students, guardian consent, campaigns."""

from __future__ import annotations

from flask import Response

from app.accounts.roles import Role
from app.campaigns import moderation, stats
from app.campaigns import services as campaigns
from app.campaigns.schemas import (
    CampaignIn,
    CampaignOut,
    ClassActionIn,
    ClassActionOut,
    ClassIn,
    ClassOut,
    ConfirmedOut,
    ConfirmIn,
    ConsentIn,
    HideIn,
    PostOut,
    StaffCheckinArgs,
    StaffCheckinOut,
    StudentListArgs,
    StudentOut,
)
from app.extensions import db
from app.web.api import Blueprint, PageArgs, page_of, paginate, replayable
from app.web.auth import current_user, require_role

PATH = ""
blp = Blueprint("admin_campaigns", __name__, description="低碳学校：班级、学生确认、监护人同意、活动")

SCHOOL_STAFF = (Role.SCHOOL_ADMIN, Role.INSTITUTE_STAFF)


@blp.post("/schools/<int:school_id>/classes")
@require_role(*SCHOOL_STAFF)
@blp.arguments(ClassIn)
@replayable
@blp.response(201, ClassOut)
def create_class(body, school_id):
    """新建班级，生成班级码（学生输入班级码即加入并确认）"""
    return campaigns.create_class(school_id, body["name"], current_user())


@blp.get("/schools/<int:school_id>/students")
@require_role(*SCHOOL_STAFF)
@blp.arguments(StudentListArgs, location="query")
@blp.response(200, page_of(StudentOut))
def list_students(args, school_id):
    """本校学生（不含真实姓名）"""
    stmt = campaigns.students_query(school_id, current_user(), args.get("confirmed"))
    return paginate(db.session, stmt, args["page"], args["per_page"])


@blp.post("/schools/<int:school_id>/students/confirm")
@require_role(*SCHOOL_STAFF)
@blp.arguments(ConfirmIn)
@replayable
@blp.response(200, ConfirmedOut)
def confirm_students(body, school_id):
    """按名单确认学生（只有已确认的学生计入班级与学校榜单）"""
    return {"confirmed": campaigns.confirm_students(school_id, body["user_ids"], current_user())}


@blp.post("/schools/<int:school_id>/students/<int:user_id>/guardian-consent")
@require_role(*SCHOOL_STAFF)
@blp.arguments(ConsentIn)
@blp.response(200, StudentOut)
def guardian_consent(body, school_id, user_id):
    """记录未满 14 周岁学生的监护人同意（签字同意书等）"""
    return campaigns.record_guardian_consent(school_id, user_id, body["method"], current_user())


@blp.post("/schools/<int:school_id>/campaigns")
@require_role(*SCHOOL_STAFF)
@blp.arguments(CampaignIn)
@replayable
@blp.response(201, CampaignOut)
def create_campaign(body, school_id):
    """新建活动：标题、说明、起止日期（中国时间）、参加范围、从目录中选的绿色行动"""
    return campaigns.create_campaign(school_id, body, current_user())


@blp.get("/campaigns/<int:campaign_id>/stats")
@require_role(*SCHOOL_STAFF, Role.DEPARTMENT_OFFICER)
@blp.response(200, description="参与人数、每日打卡、各行动与各班减排量")
def campaign_stats(campaign_id):
    """活动统计（学校管理员只看本校）"""
    return stats.campaign_stats(campaign_id, current_user())


@blp.get("/campaigns/<int:campaign_id>/checkins.csv")
@require_role(*SCHOOL_STAFF, Role.DEPARTMENT_OFFICER)
@blp.response(200, description="CSV")
def checkins_csv(campaign_id):
    """打卡明细导出（CSV，不含真实姓名）"""
    body = stats.checkins_csv(campaign_id, current_user())
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=campaign-{campaign_id}-checkins.csv"})  # fmt: skip


@blp.get("/schools/<int:school_id>/moderation")
@require_role(*SCHOOL_STAFF)
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(PostOut))
def moderation_queue(args, school_id):
    """被隐藏、待审核的学生内容"""
    return paginate(db.session, moderation.queue_query(school_id, current_user()), args["page"], args["per_page"])


@blp.post("/posts/<int:checkin_id>/hide")
@require_role(*SCHOOL_STAFF)
@blp.arguments(HideIn)
@blp.response(200, PostOut)
def hide_post(body, checkin_id):
    """立即隐藏（作者会看到原因；不删除）"""
    return moderation.hide(checkin_id, body["reason"], current_user())


@blp.post("/posts/<int:checkin_id>/unhide")
@require_role(*SCHOOL_STAFF)
@blp.response(200, PostOut)
def unhide_post(checkin_id):
    """审核后恢复显示（举报次数保留）"""
    return moderation.unhide(checkin_id, current_user())


@blp.get("/campaigns/<int:campaign_id>/checkins")
@require_role(*SCHOOL_STAFF)
@blp.arguments(StaffCheckinArgs, location="query")
@blp.response(200, page_of(StaffCheckinOut))
def list_checkins(args, campaign_id):
    """本活动的打卡（老师据此确认；可按班级、日期、凭证筛选）"""
    stmt = campaigns.checkins_query(campaign_id, current_user(), class_name=args.get("class_name"), day=args.get("day"),
                                    evidence=args.get("evidence"))  # fmt: skip
    return paginate(db.session, stmt, args["page"], args["per_page"])


@blp.post("/checkins/<int:checkin_id>/confirm")
@require_role(*SCHOOL_STAFF)
@blp.response(200, StaffCheckinOut)
def confirm_checkin(checkin_id):
    """老师确认学生的打卡（积分按老师确认计，是自报的 2 倍）"""
    return campaigns.confirm_checkin(checkin_id, current_user())


@blp.post("/campaigns/<int:campaign_id>/class-actions")
@require_role(*SCHOOL_STAFF)
@blp.arguments(ClassActionIn)
@replayable
@blp.response(201, ClassActionOut)
def record_class_action(body, campaign_id):
    """老师确认的班级行动（如全班关灯一小时：千瓦 × 小时 × 电网排放因子），计入班级"""
    return campaigns.record_class_action(campaign_id, body, current_user())


@blp.get("/campaigns/<int:campaign_id>/class-actions")
@require_role(*SCHOOL_STAFF, Role.DEPARTMENT_OFFICER)
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(ClassActionOut))
def list_class_actions(args, campaign_id):
    """本活动已记录的班级行动"""
    campaign = campaigns.get_campaign(campaign_id)
    campaigns.ensure_may_read_school(current_user(), campaign.school_id)
    return paginate(db.session, campaigns.class_actions_query(campaign_id), args["page"], args["per_page"])
