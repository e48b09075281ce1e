from __future__ import annotations

import math

from app.db_types import utcnow
from app.extensions import db
from app.validation import PageArgs
from app.visits import booking, calendar, cancelling, checkin, waitlist
from app.visits.rules import slots_namespace
from app.visits.schemas import (
    BOOKING_EXAMPLE,
    GROUP_BOOKING_EXAMPLE,
    GROUP_WAITLIST_EXAMPLE,
    MEMBERS_EXAMPLE,
    WAITLIST_EXAMPLE,
    BaseOut,
    BasesArgs,
    BookingIn,
    BookingOut,
    CheckinCodeOut,
    CheckinIn,
    ClosedDayOut,
    DoorBookingOut,
    MembersIn,
    SlotArgs,
    SlotOut,
    WaitlistIn,
    WaitlistOut,
)
from app.web.api import (
    Blueprint,
    idempotency_key,
    page_of,
    paginate,
    prepared_json,
    replayable,
    takes_idempotency_key,
    whole_list,
)
from app.web.auth import current_user, require_user
from app.web.caching import cached_response, json_bytes

PATH = ""
SLOTS_TTL = 600
blp = Blueprint("mp_visits", __name__, description="宣传教育基地与参观预约")


@blp.get("/bases")
@blp.arguments(BasesArgs, location="query")
@blp.response(200, page_of(BaseOut))
def list_bases(args):
    """宣传教育基地列表"""
    return paginate(db.session, calendar.bases_query(), args["page"], args["per_page"])


@blp.get("/bases/<int:base_id>")
@blp.response(200, BaseOut)
def get_base(base_id):
    """基地详情：参观须知、开放规则"""
    return calendar.get_base(base_id)


@blp.get("/bases/<int:base_id>/slots")
@blp.arguments(SlotArgs, location="query")
@blp.response(200, page_of(SlotOut))
def list_slots(args, base_id):
    """某段日期的开放时段与余量（remaining）、状态（status）与开放预约时间（opens_at）"""

    def build():
        now = utcnow()
        slots = calendar.slot_views(base_id, args["start"], args["end"], now)
        # Kept until the next release, start or end among them (states flip by the clock then), or
        # until a booking invalidates the base's slots.
        change = calendar.next_change(slots, now)
        ttl = SLOTS_TTL if change is None else max(1, min(SLOTS_TTL, math.ceil((change - now).total_seconds())))
        return json_bytes(page_of(SlotOut)().dump(whole_list(slots, args))), "application/json", ttl

    return cached_response(slots_namespace(base_id), build, args=_window(args), ttl=SLOTS_TTL)


def _window(args: dict) -> dict:
    """SlotArgs under the names the client sends (the cache's key): the window, and the page if asked."""
    return {"from": args["start"], "to": args["end"], "page": args.get("page"), "per_page": args.get("per_page")}


@blp.get("/bases/<int:base_id>/closures")
@blp.arguments(SlotArgs, location="query")
@blp.response(200, page_of(ClosedDayOut))
def list_closures(args, base_id):
    """某段日期内基地闭馆的日子与原因（这些日子不接待参观）"""

    def build():
        days = calendar.closures_between(base_id, args["start"], args["end"])
        return json_bytes(page_of(ClosedDayOut)().dump(whole_list(days, args))), "application/json"

    # The slots' namespace: closing a day and lifting a closure both change the base's slots.
    return cached_response(slots_namespace(base_id), build, args=_window(args))


BOOKING_OUT = BookingOut()  # built once: the rush's refusals should not pay for a schema each


@blp.post("/bookings")
@require_user
@takes_idempotency_key(required=True)
@blp.arguments(BookingIn, examples={"个人": {"value": BOOKING_EXAMPLE}, "团体": {"value": GROUP_BOOKING_EXAMPLE}})
@blp.response(201, BookingOut)
@blp.alt_response(409, description="slot_full（details.waitlist 给出候补接口）、person_already_booked、base_not_open")
@blp.alt_response(403, description="booking_suspended（details.suspended_until）")
@blp.alt_response(404, description="not_found：时段不存在")
def create_booking(body):
    """预约参观（须带 Idempotency-Key；个人 1–5 人实名，或团体）"""
    key = idempotency_key(required=True)
    outcome = booking.request_booking(current_user(), body, key, BOOKING_OUT.dump)
    return prepared_json(outcome.body, outcome.status)


@blp.get("/me/bookings")
@require_user
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(BookingOut))
def my_bookings(args):
    """我的预约"""
    return paginate(db.session, booking.my_bookings_query(current_user()), args["page"], args["per_page"])


@blp.get("/bookings/<int:booking_id>")
@require_user
@blp.response(200, BookingOut)
def get_booking(booking_id):
    """预约详情（仅本人）"""
    return booking.own_booking(current_user(), booking_id)


@blp.post("/bookings/<int:booking_id>/cancel")
@require_user
@replayable
@blp.response(200, BookingOut)
@blp.alt_response(422, description="cancel_cutoff_passed")
def cancel_booking(booking_id):
    """取消预约（开始前的截止时间之前）"""
    return cancelling.cancel(current_user(), booking_id)


@blp.put("/bookings/<int:booking_id>/members")
@require_user
@blp.arguments(MembersIn, example=MEMBERS_EXAMPLE)
@blp.response(200, BookingOut)
def put_members(body, booking_id):
    """团体名单（姓名、是否未成年；每 10 名未成年人至少 1 名成年人），参观开始前可提交或修改"""
    return booking.set_members(current_user(), booking_id, body["members"])


@blp.get("/bookings/<int:booking_id>/checkin-code")
@require_user
@blp.response(200, CheckinCodeOut)
def checkin_code(booking_id):
    """入馆核验码与二维码（小程序码，微信不可用时为普通二维码）"""
    return checkin.checkin_pass(current_user(), booking_id)


@blp.post("/slots/<int:slot_id>/waitlist")
@require_user
@blp.arguments(
    WaitlistIn,
    required=False,
    examples={"个人": {"value": WAITLIST_EXAMPLE}, "团体": {"value": GROUP_WAITLIST_EXAMPLE}},
)
@replayable
@blp.response(201, WaitlistOut)
@blp.alt_response(
    409,
    description="slot_has_places（仍有余位）、already_waiting、person_already_booked、"
    "person_already_waiting（该证件的参观人已在本时段候补，details.visitor 为其序号）、slot_closed、base_not_open",
)
@blp.alt_response(
    422, description="与预约相同的校验：团体超出时段团体上限、未成年人无成人带队、slot_not_released、slot_started 等"
)
def join_waitlist(body, slot_id):
    """加入候补（按预约的同样规则校验；有人取消时按先后顺序自动预约并通知）"""
    return waitlist.join_waitlist(current_user(), slot_id, body)


@blp.get("/me/waitlist")
@require_user
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(WaitlistOut))
def my_waitlist(args):
    """我的候补：时段、基地、状态（status_label）与候补中的排位（position），新的在前"""
    return paginate(db.session, waitlist.my_waitlist_query(current_user()), args["page"], args["per_page"])


@blp.delete("/waitlist/<int:entry_id>")
@require_user
@replayable
@blp.response(200, WaitlistOut)
@blp.alt_response(404, description="not_found：不是本人的候补")
@blp.alt_response(409, description="not_waiting：已候补成功、已失败或已取消")
def withdraw_waitlist(entry_id):
    """取消候补（仅候补中的本人记录）"""
    return waitlist.withdraw(current_user(), entry_id)


@blp.post("/checkins")
@require_user
@blp.arguments(CheckinIn)
@replayable
@blp.response(200, DoorBookingOut)
@blp.alt_response(409, description="already_checked_in")
def post_checkin(body):
    """基地管理员扫码核验入馆（答复中访客信息脱敏；实到人数：团体必填，个人不填为预约人数）"""
    return checkin.checkin(current_user(), body["code"], body.get("headcount"))
