"""School admins: classes and join codes, confirming students, guardian consent, campaigns."""

from __future__ import annotations

from flask import Response

from app.accounts.roles import SCHOOL_READERS, SCHOOL_STAFF
from app.campaigns import campaigns, lookups, moderation, school_checkins, schools, stats, students
from app.campaigns.schemas import (
    CampaignCardOut,
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
    SchoolOut,
    StaffCheckinArgs,
    StaffCheckinOut,
    StudentListArgs,
    StudentOut,
    VoidedOut,
    VoidIn,
)
from app.extensions import db
from app.validation import PageArgs
from app.web.api import Blueprint, page_of, paginate, replayable
from app.web.auth import current_user, require_role

PATH = ""
blp = Blueprint("admin_campaigns", __name__, description="低碳学校：班级、学生确认、监护人同意、活动")


@blp.get("/schools")
@require_role(*SCHOOL_READERS)
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(SchoolOut))
def list_schools(args):
    """本人范围内的学校（学校管理员只见本校；教育局与研究院见全部）"""
    page = paginate(db.session, schools.staff_schools_query(current_user()), args["page"], args["per_page"])
    page["items"] = schools.school_cards(page["items"], current_user())
    return page


@blp.get("/campaigns")
@require_role(*SCHOOL_READERS)
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(CampaignCardOut))
def list_campaigns(args):
    """本人范围内学校的活动（学校管理员只见本校）"""
    return paginate(db.session, schools.staff_campaigns_query(current_user()), args["page"], args["per_page"])


@blp.get("/schools/<int:school_id>/classes")
@require_role(*SCHOOL_STAFF)
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(ClassOut))
@blp.alt_response(403, description="not_this_school：只有本校管理员可以查看")
@blp.alt_response(404, description="学校不存在")
def list_classes(args, school_id):
    """本校班级及其班级码（本校管理员与研究院）"""
    return paginate(db.session, students.classes_query(school_id, current_user()), args["page"], args["per_page"])


@blp.post("/schools/<int:school_id>/classes")
@require_role(*SCHOOL_STAFF)
@blp.arguments(ClassIn)
@replayable
@blp.response(201, ClassOut)
def create_class(body, school_id):
    """新建班级，生成班级码（学生输入班级码即加入并确认）"""
    return students.create_class(school_id, body["name"], current_user())


@blp.get("/schools/<int:school_id>/students")
@require_role(*SCHOOL_STAFF)
@blp.arguments(StudentListArgs, location="query")
@blp.response(200, page_of(StudentOut))
def list_students(args, school_id):
    """本校学生（不含真实姓名）；pending_age_band 为学生申报、待学校确认的年龄段"""
    stmt = students.students_query(school_id, current_user(), args.get("confirmed"), args.get("awaiting"))
    page = paginate(db.session, stmt, args["page"], args["per_page"])
    page["items"] = lookups.as_staff_sees(page["items"], current_user())
    return page


@blp.post("/schools/<int:school_id>/students/confirm")
@require_role(*SCHOOL_STAFF)
@blp.arguments(ConfirmIn)
@replayable
@blp.response(200, ConfirmedOut)
def confirm_students(body, school_id):
    """按名单确认学生：学校、班级与申报的年龄段（只有已确认的学生出现在公开榜单、计入班级与学校榜单、参加仅限本校的活动）"""
    return {"confirmed": students.confirm_students(school_id, body["user_ids"], current_user())}


@blp.post("/schools/<int:school_id>/students/<int:user_id>/guardian-consent")
@require_role(*SCHOOL_STAFF)
@blp.arguments(ConsentIn, required=False)
@blp.response(200, StudentOut)
@blp.alt_response(409, description="guardian_consent_not_needed：年满 14 周岁的学生无需监护人同意")
def guardian_consent(body, school_id, user_id):
    """记录未满 14 周岁学生的监护人同意（签字同意书等）"""
    profile = students.record_guardian_consent(school_id, user_id, current_user())
    return lookups.as_staff_sees([profile], current_user())[0]


@blp.post("/schools/<int:school_id>/campaigns")
@require_role(*SCHOOL_STAFF)
@blp.arguments(CampaignIn)
@replayable
@blp.response(201, CampaignOut)
def create_campaign(body, school_id):
    """新建活动：标题、说明、起止日期（中国时间）、参加范围、从目录中选的绿色行动"""
    return campaigns.create_campaign(school_id, body, current_user())


@blp.get("/campaigns/<int:campaign_id>/stats")
@require_role(*SCHOOL_READERS)
@blp.response(200, description="参与人数、每日打卡、各行动与各班减排量")
def campaign_stats(campaign_id):
    """活动统计（学校管理员只看本校）"""
    return stats.campaign_stats(campaign_id, current_user())


@blp.get("/campaigns/<int:campaign_id>/checkins.csv")
@require_role(*SCHOOL_READERS)
@blp.response(200, description="CSV")
def checkins_csv(campaign_id):
    """打卡明细导出（CSV，不含真实姓名；本校管理员以外的读者看不到未经监护人同意的未满 14 周岁学生的昵称）"""
    body = stats.checkins_csv(campaign_id, current_user())
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=campaign-{campaign_id}-checkins.csv"},
    )


@blp.get("/schools/<int:school_id>/moderation")
@require_role(*SCHOOL_STAFF)
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(PostOut))
def moderation_queue(args, school_id):
    """被隐藏、待审核的学生内容"""
    page = paginate(db.session, moderation.queue_query(school_id, current_user()), args["page"], args["per_page"])
    page["items"] = lookups.as_staff_sees(page["items"], current_user())
    return page


@blp.post("/posts/<int:checkin_id>/hide")
@require_role(*SCHOOL_STAFF)
@blp.arguments(HideIn)
@blp.response(200, PostOut)
def hide_post(body, checkin_id):
    """立即隐藏（作者会看到原因；不删除）"""
    return _as_staff_sees(moderation.hide(checkin_id, body["reason"], current_user()))


@blp.post("/posts/<int:checkin_id>/unhide")
@require_role(*SCHOOL_STAFF)
@blp.response(200, PostOut)
def unhide_post(checkin_id):
    """审核后恢复显示（举报次数保留）"""
    return _as_staff_sees(moderation.unhide(checkin_id, current_user()))


@blp.get("/campaigns/<int:campaign_id>/checkins")
@require_role(*SCHOOL_STAFF)
@blp.arguments(StaffCheckinArgs, location="query")
@blp.response(200, page_of(StaffCheckinOut))
def list_checkins(args, campaign_id):
    """本活动的打卡（老师据此确认或作废；可按班级、日期、凭证、是否作废筛选）"""
    stmt = school_checkins.checkins_query(
        campaign_id,
        current_user(),
        class_name=args.get("class_name"),
        day=args.get("day"),
        evidence=args.get("evidence"),
        voided=args.get("voided"),
    )
    page = paginate(db.session, stmt, args["page"], args["per_page"])
    page["items"] = lookups.as_staff_sees(page["items"], current_user())
    return page


def _as_staff_sees(checkin):
    """A check-in (or post) the caller acted on, naming its student as the caller may see them."""
    return lookups.as_staff_sees([checkin], current_user())[0]


@blp.post("/checkins/<int:checkin_id>/confirm")
@require_role(*SCHOOL_STAFF)
@blp.response(200, StaffCheckinOut)
@blp.alt_response(409, description="checkin_voided：已作废的打卡不能确认")
def confirm_checkin(checkin_id):
    """老师确认学生的打卡（积分按老师确认计，是自报的 2 倍）"""
    return _as_staff_sees(school_checkins.confirm_checkin(checkin_id, current_user()))


@blp.post("/checkins/<int:checkin_id>/void")
@require_role(*SCHOOL_STAFF)
@blp.arguments(VoidIn)
@replayable
@blp.response(200, StaffCheckinOut)
@blp.alt_response(403, description="not_this_school：只有本校管理员可以作废")
def void_checkin(body, checkin_id):
    """作废一条打卡（保留记录与原因、写入审计日志；不再计入榜单、进度、统计与导出）。重复作废不改变任何东西"""
    return _as_staff_sees(school_checkins.void_checkin(checkin_id, body["reason"], current_user()))


@blp.post("/campaigns/<int:campaign_id>/students/<int:user_id>/void")
@require_role(*SCHOOL_STAFF)
@blp.arguments(VoidIn)
@replayable
@blp.response(200, VoidedOut)
@blp.alt_response(403, description="not_this_school：只有本校管理员可以作废")
@blp.alt_response(404, description="活动不存在，或该学生没有参加本活动")
def void_student_checkins(body, campaign_id, user_id):
    """作废某学生在本活动的全部打卡（如集中补记刷分）；榜单随即重算。重复作废不改变任何东西"""
    return {"voided": school_checkins.void_student_checkins(campaign_id, user_id, body["reason"], current_user())}


@blp.post("/campaigns/<int:campaign_id>/class-actions")
@require_role(*SCHOOL_STAFF)
@blp.arguments(ClassActionIn)
@replayable
@blp.response(201, ClassActionOut)
def record_class_action(body, campaign_id):
    """老师确认的班级行动（如全班关灯一小时：千瓦 × 小时 × 电网排放因子），计入班级"""
    return school_checkins.record_class_action(campaign_id, body, current_user())


@blp.get("/campaigns/<int:campaign_id>/class-actions")
@require_role(*SCHOOL_READERS)
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(ClassActionOut))
def list_class_actions(args, campaign_id):
    """本活动已记录的班级行动"""
    campaign = lookups.get_campaign(campaign_id)
    lookups.ensure_may_read_school(current_user(), campaign.school_id)
    return paginate(db.session, school_checkins.class_actions_query(campaign_id), args["page"], args["per_page"])
