"""Following zones, the feed of what one follows, the list of it (/api/mp/v1)."""

from __future__ import annotations

import marshmallow as ma

from app import feed
from app.fields import LocalDateTime, MediaUrl
from app.validation import PageArgs, Schema, WholeListArgs
from app.web.api import Blueprint, page_of, whole_list
from app.web.auth import current_user, require_user
from app.zones import follows
from app.zones.constants import LEVEL_LABELS, STATUS_LABELS, TYPE_LABELS, Level, Status, ZoneType
from app.zones.schemas import FollowStateOut

PATH = ""
blp = Blueprint("mp_follows", __name__, description="关注：示范区、我的关注、动态")


class FeedZoneOut(Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    type = ma.fields.String()
    type_label = ma.fields.String()
    status = ma.fields.String()
    status_label = ma.fields.String()


class FeedItemOut(Schema):
    """One item of the feed. Every item: `kind`, `occurred_at`, `title`, `summary`. A `campaign` item
    also has the campaign card's fields (`id` is the campaign's); a `zone_update` item has `zone`
    and `update_kind`."""

    kind = ma.fields.String(required=True, metadata={"description": "campaign 或 zone_update"})
    occurred_at = LocalDateTime(required=True, metadata={"description": "活动发布或示范区动态发生的时间"})
    title = ma.fields.String(required=True)
    summary = ma.fields.String(allow_none=True)
    # kind = campaign
    id = ma.fields.Integer(metadata={"description": "活动 id（仅 campaign）"})
    school_id = ma.fields.Integer()
    school_name = ma.fields.String()
    cover_image_url = MediaUrl(allow_none=True)
    starts_on = ma.fields.Date()
    ends_on = ma.fields.Date()
    audience = ma.fields.String()
    state = ma.fields.String(metadata={"description": "upcoming, running, ended"})
    # kind = zone_update
    update_kind = ma.fields.String(
        metadata={"description": "transition（状态变更）、re_review（复核）、report（进展报告）、milestone（节点完成）"}
    )
    zone = ma.fields.Nested(FeedZoneOut)


class FollowedOut(Schema):
    kind = ma.fields.String(metadata={"description": "zone（示范区动态与通知）或 school（学校活动）"})
    id = ma.fields.Integer(metadata={"description": "示范区 id（学校也是示范区）"})
    name = ma.fields.String()
    type = ma.fields.String()
    type_label = ma.fields.Function(lambda f: TYPE_LABELS[ZoneType(f.type)])
    level = ma.fields.String()
    level_label = ma.fields.Function(lambda f: LEVEL_LABELS[Level(f.level)])
    status = ma.fields.String()
    status_label = ma.fields.Function(lambda f: STATUS_LABELS[Status(f.status)])
    is_education_base = ma.fields.Boolean()
    followed_at = LocalDateTime()


@blp.post("/zones/<int:zone_id>/follow")
@require_user
@blp.response(204)
@blp.alt_response(404, description="not_found：示范区不存在或尚未公示（与示范区详情相同）")
def follow_zone(zone_id):
    """关注示范区：动态进入“我的动态”，授予称号、撤销称号、开放参观时收到订阅消息（再次关注无变化）"""
    follows.follow(current_user(), zone_id)


@blp.delete("/zones/<int:zone_id>/follow")
@require_user
@blp.response(204)
@blp.alt_response(404, description="not_found：示范区不存在或尚未公示")
def unfollow_zone(zone_id):
    """取消关注示范区（未关注时也是 204）"""
    follows.unfollow(current_user(), zone_id)


@blp.get("/zones/<int:zone_id>/follow")
@require_user
@blp.response(200, FollowStateOut)
@blp.alt_response(404, description="not_found：示范区不存在或尚未公示")
def zone_follow_state(zone_id):
    """调用者是否关注了该示范区、关注人数（示范区详情是公共缓存页面，不含个人信息，故单列）"""
    return follows.follow_state(current_user(), zone_id)


@blp.get("/me/feed")
@require_user
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(FeedItemOut))
def my_feed(args):
    """我的动态：关注的学校（及本校）的活动、关注的示范区的动态，按时间倒序；每项有 kind"""
    return feed.my_feed(current_user(), args["page"], args["per_page"])


@blp.get("/me/follows")
@require_user
@blp.arguments(WholeListArgs, location="query")
@blp.response(200, page_of(FollowedOut))
def my_follows(args):
    """我的关注：关注的示范区与学校（不带 page、per_page 时一页列出全部）"""
    return whole_list(feed.my_follows(current_user()), args)
