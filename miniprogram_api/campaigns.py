"""Schools, campaigns, check-ins, boards and the feed (/api/mp/v1)."""

from __future__ import annotations

from flask import request

from app.accounts.schemas import StudentSelfOut
from app.campaigns import boards, campaigns, checkins, lookups, moderation, schools, students
from app.campaigns.schemas import (
    CHECKIN_EXAMPLE,
    ActionCheckinIn,
    ActionCheckinOut,
    CampaignCardOut,
    CampaignListArgs,
    CampaignOut,
    JoinClassIn,
    LeaderboardArgs,
    LeaderboardOut,
    PostOut,
    ProgressOut,
    ReportedOut,
    ReportIn,
    SchoolOut,
)
from app.extensions import db
from app.validation import PageArgs
from app.web.api import Blueprint, page_of, paginate, replayable
from app.web.auth import current_user, optional_user, require_user

PATH = ""
blp = Blueprint("mp_campaigns", __name__, description="低碳学校：关注学校、参加活动、绿色行动打卡、榜单")


@blp.get("/schools")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(SchoolOut))
def list_schools(args):
    """学校（学校类示范区）：关注人数、调用者是否关注、进行中的活动数"""
    page = paginate(db.session, lookups.schools_query(), args["page"], args["per_page"])
    page["items"] = schools.school_cards(page["items"], optional_user())
    return page


@blp.post("/schools/<int:school_id>/follow")
@require_user
@blp.response(204)
def follow_school(school_id):
    """关注学校（不是学校的示范区为 422）"""
    schools.follow(current_user(), school_id)


@blp.delete("/schools/<int:school_id>/follow")
@require_user
@blp.response(204)
def unfollow_school(school_id):
    """取消关注"""
    schools.unfollow(current_user(), school_id)


@blp.post("/me/class")
@require_user
@blp.arguments(JoinClassIn)
@blp.response(200, StudentSelfOut)
def join_class(body):
    """用老师给的班级码加入班级（学校、班级与申报的年龄段一并由学校确认）"""
    return students.join_class(current_user(), body["join_code"])


@blp.get("/campaigns")
@blp.arguments(CampaignListArgs, location="query")
@blp.response(200, page_of(CampaignCardOut))
def list_campaigns(args):
    """低碳活动（可按学校筛选）"""
    return paginate(db.session, lookups.campaigns_query(args.get("school_id")), args["page"], args["per_page"])


@blp.get("/campaigns/<int:campaign_id>")
@blp.response(200, CampaignOut)
def get_campaign(campaign_id):
    """活动详情：绿色行动及其减排系数、基准与来源（均为教育性估算）"""
    return lookups.get_campaign(campaign_id)


@blp.post("/campaigns/<int:campaign_id>/join")
@require_user
@blp.response(204)
@blp.alt_response(403, description="not_this_school：仅限本校学生的活动；not_confirmed：学校尚未确认你是本校学生")
def join_campaign(campaign_id):
    """参加活动（仅限本校的活动：须是学校已确认的本校学生——班级码或学校名单确认）"""
    campaigns.join(current_user(), campaign_id)


@blp.post("/campaigns/<int:campaign_id>/checkins")
@require_user
@blp.arguments(ActionCheckinIn, example=CHECKIN_EXAMPLE)
@replayable
@blp.response(201, ActionCheckinOut)
@blp.alt_response(403, description="not_this_school / not_confirmed：仅限本校的活动，而你已不是学校确认的本校学生")
@blp.alt_response(409, description="already_checked_in（每项行动每天一次）、not_joined")
@blp.alt_response(
    422,
    description="campaign_not_started / campaign_ended、content_risky、commute_budget_exceeded（上学出行"
    "每天合计最多按一次往返计，details.remaining 为这项行动还能记的数量）、数量或日期不符",
)
def check_in(body, campaign_id):
    """绿色行动打卡 → 减排量 co2_kg（教育性估算）与积分 points。照片只在当天打卡时加分，且同一张照片在本活动只加一次；
    补记的日子按自报计分（evidence_note 说明原因）"""
    return checkins.check_in(current_user(), campaign_id, body, request.host)


@blp.get("/campaigns/<int:campaign_id>/me")
@require_user
@blp.response(200, ProgressOut)
def my_progress(campaign_id):
    """我的进度：打卡次数、积分、减排量、当前与最长连续天数"""
    return campaigns.my_progress(current_user(), campaign_id)


@blp.get("/campaigns/<int:campaign_id>/leaderboard")
@blp.arguments(LeaderboardArgs, location="query")
@blp.response(200, LeaderboardOut, description="榜单（并列同名次）；带登录凭证时 me 为调用者自己的名次")
def leaderboard(args, campaign_id):
    """榜单：学生、班级（人均/参与率）、学校。学生榜只列别人能看到的学生：学校已确认、未退出公开榜单、
    未满 14 周岁须有监护人同意；仅限本校的活动只列本校学生"""
    return boards.board(
        campaign_id, args["by"], optional_user(), metric=args["metric"], top=args["top"], page=args["page"]
    )


@blp.get("/campaigns/<int:campaign_id>/posts")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(PostOut))
def list_posts(args, campaign_id):
    """同学们打卡时写的话和照片：只有别人能看到的学生的（同榜单规则），被隐藏的只有作者本人看得到，并说明原因"""
    stmt = moderation.posts_query(campaign_id, optional_user())
    return paginate(db.session, stmt, args["page"], args["per_page"])


@blp.post("/posts/<int:checkin_id>/reports")
@require_user
@blp.arguments(ReportIn)
@replayable
@blp.response(201, ReportedOut)
@blp.alt_response(404, description="not_found：内容不存在，或调用者看不到（与活动的分享列表同一规则）")
@blp.alt_response(409, description="already_reported：每人对一条内容只能举报一次")
@blp.alt_response(422, description="own_post：不能举报自己的内容")
def report_post(body, checkin_id):
    """举报不当内容（举报达到一定人数后隐藏，等待学校审核）；答复只有 {"reported": true}"""
    moderation.report(current_user(), checkin_id, body["reason"])
    return {"reported": True}
