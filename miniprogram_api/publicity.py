from __future__ import annotations

from flask import request

from app.extensions import db
from app.publicity import notices, objections
from app.publicity.schemas import (
    OBJECTION_EXAMPLE,
    MyObjectionOut,
    NoticeCardOut,
    NoticeListArgs,
    NoticeOut,
    ObjectionIn,
    ObjectionReceiptOut,
)
from app.validation import PageArgs
from app.web.api import Blueprint, idempotency_key, page_of, paginate, prepared_json, takes_idempotency_key
from app.web.auth import current_user, require_user
from app.web.caching import cached_response, json_bytes

PATH = ""
blp = Blueprint("mp_publicity", __name__, description="公示与异议")


@blp.get("/publicity")
@blp.arguments(NoticeListArgs, location="query")
@blp.response(200, page_of(NoticeCardOut))
def list_notices(args):
    """公示列表（state=open 公示期内 / upcoming 即将开始 / closed 已结束）"""

    def build():
        page = paginate(
            db.session, notices.notices_query(args.get("state"), public=True), args["page"], args["per_page"]
        )
        page["items"] = [notices.notice_view(n) for n in page["items"]]
        return json_bytes(page_of(NoticeCardOut)().dump(page)), "application/json"

    # Short-lived: open/closed depends on the clock, not only on writes.
    return cached_response(notices.CACHE_NAMESPACE, build, args=args, ttl=30)


@blp.get("/publicity/<int:notice_id>")
@blp.response(200, NoticeOut)
def get_notice(notice_id):
    """公示详情：项目、公示期、异议须知与受理单位；结束后各项目的异议数与成立数"""

    def build():
        notice = notices.get_notice(notice_id, public=True)
        return json_bytes(NoticeOut().dump(notices.notice_view(notice))), "application/json"

    return cached_response(notices.CACHE_NAMESPACE, build, ttl=30)


@blp.post("/publicity/<int:notice_id>/objections")
@require_user
@takes_idempotency_key(required=False)
@blp.arguments(ObjectionIn, example=OBJECTION_EXAMPLE)
@blp.response(201, ObjectionReceiptOut)
@blp.alt_response(422, description="publicity_closed / publicity_not_started（details 含公示起止时间）、content_risky")
def post_objection(body, notice_id):
    """提出异议（实名）；可带 Idempotency-Key 头，重试不会重复登记"""
    outcome = objections.submit_objection(
        current_user(), notice_id, body, idempotency_key(required=False), ObjectionReceiptOut().dump, request.host
    )
    return prepared_json(outcome.body, outcome.status)


@blp.get("/me/objections")
@require_user
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(MyObjectionOut))
def my_objections(args):
    """我的异议"""
    return paginate(db.session, objections.my_objections_query(current_user()), args["page"], args["per_page"])


@blp.get("/me/objections/<receipt_no>")
@require_user
@blp.response(200, MyObjectionOut)
def my_objection(receipt_no):
    """我的异议详情：处理进展与书面答复"""
    return objections.my_objection(current_user(), receipt_no)
