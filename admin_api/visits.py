from __future__ import annotations

from flask import Response

from app.accounts.roles import BASE_STAFF
from app.extensions import db
from app.visits import alerts, calendar, cancelling, reports
from app.visits.schemas import (
    AttendanceArgs,
    AttendanceDayOut,
    BaseOut,
    BaseProfileIn,
    BaseProfileOut,
    BasesArgs,
    CapacityAlertArgs,
    CapacityAlertOut,
    ClosureIn,
    ClosureItemOut,
    ClosureOut,
    ClosuresArgs,
    DoorArgs,
    ReopenedOut,
    SlotBookingsOut,
    SlotBulkIn,
    SlotsCreatedOut,
)
from app.web.api import Blueprint, load_path, page_of, paginate, replayable, whole_list
from app.web.auth import current_user, require_role

PATH = ""
blp = Blueprint("admin_visits", __name__, description="宣传教育基地：日历、预约、到馆统计")


@blp.get("/bases")
@require_role(*BASE_STAFF)
@blp.arguments(BasesArgs, location="query")
@blp.response(200, page_of(BaseOut))
def list_bases(args):
    """本人管理的宣传教育基地（基地管理员只见本基地）"""
    return paginate(db.session, calendar.staff_bases_query(current_user()), args["page"], args["per_page"])


@blp.put("/bases/<int:base_id>/profile")
@require_role(*BASE_STAFF)
@blp.arguments(BaseProfileIn, required=False)
@blp.response(200, BaseProfileOut)
def put_profile(body, base_id):
    """参观须知、开放规则、提前开放天数与放号时间"""
    return calendar.update_profile(base_id, body, current_user())


@blp.post("/bases/<int:base_id>/slots/bulk")
@require_role(*BASE_STAFF)
@blp.arguments(SlotBulkIn)
@replayable
@blp.response(201, SlotsCreatedOut)
def bulk_slots(body, base_id):
    """批量创建时段：日期范围 × 星期 × 时间段（已存在的、已闭馆日的、今天已结束的跳过；与已有时段重叠为 422）"""
    spec = {**body, "from": body.pop("start"), "to": body.pop("end")}
    done = calendar.create_calendar(base_id, spec, current_user())
    return {
        "created": len(done.slots),
        "slot_ids": [s.id for s in done.slots],
        "skipped_existing": done.skipped_existing,
        "skipped_closed": done.skipped_closed,
        "skipped_ended": done.skipped_ended,
    }


@blp.post("/bases/<int:base_id>/closures")
@require_role(*BASE_STAFF)
@blp.arguments(ClosureIn)
@replayable
@blp.response(200, ClosureOut)
def close_day(body, base_id):
    """闭馆一天（节假日、天气；可提前登记，当天尚无时段亦可，之后为该日创建的时段将跳过）：取消当天全部预约并通知"""
    cancelled = cancelling.close_day(base_id, body["date"], body["reason"], current_user())
    return {"date": body["date"], "cancelled_bookings": len(cancelled)}


@blp.get("/bases/<int:base_id>/closures")
@require_role(*BASE_STAFF)
@blp.arguments(ClosuresArgs, location="query")
@blp.response(200, page_of(ClosureItemOut))
def list_closures(args, base_id):
    """已登记的闭馆日（默认今天起），按日期"""
    stmt = calendar.closures_query(base_id, current_user(), args.get("start"), args.get("end"))
    return paginate(db.session, stmt, args["page"], args["per_page"])


@blp.delete("/bases/<int:base_id>/closures/<day>")
@require_role(*BASE_STAFF)
@replayable
@blp.response(200, ReopenedOut)
@blp.alt_response(404, description="not_found：这一天没有登记闭馆")
def reopen_day(base_id, day):
    """取消闭馆（path 中的日期 YYYY-MM-DD）：这一天可再创建时段，被闭馆关闭且尚未开始的时段重新开放；已取消的预约不恢复"""
    day = load_path(DoorArgs, date=day)["date"]
    return {"date": day, "reopened_slots": cancelling.reopen_day(base_id, day, current_user())}


@blp.get("/slots/<int:slot_id>/bookings")
@require_role(*BASE_STAFF)
@blp.response(200, SlotBookingsOut)
def slot_bookings(slot_id):
    """某时段的预约（个人信息脱敏）"""
    slot, bookings = reports.slot_bookings(slot_id, current_user())
    return {"slot": slot, "bookings": bookings}


@blp.get("/bases/<int:base_id>/door-list.csv")
@require_role(*BASE_STAFF)
@blp.arguments(DoorArgs, location="query")
@blp.response(200, description="CSV")
def door_list(args, base_id):
    """门口核验名单（某日，CSV；姓名、证件号与电话脱敏，按姓氏与证件号末位核对证件）"""
    body = reports.door_list_csv(base_id, args["date"], current_user())
    filename = f"door-{base_id}-{args['date'].isoformat()}.csv"
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f"attachment; filename={filename}"})


@blp.get("/bases/<int:base_id>/attendance")
@require_role(*BASE_STAFF)
@blp.arguments(AttendanceArgs, location="query")
@blp.response(200, page_of(AttendanceDayOut))
def attendance(args, base_id):
    """按月到馆统计：预约、入馆、未到、取消人数"""
    year, month = (int(p) for p in args["month"].split("-"))
    return whole_list(reports.attendance(base_id, year, month, current_user()))


@blp.get("/capacity-alerts")
@require_role(*BASE_STAFF)
@blp.arguments(CapacityAlertArgs, location="query")
@blp.response(200, page_of(CapacityAlertOut))
def capacity_alerts(args):
    """约满提醒：时段或全天预约达到 50%、80%、100% 时各一条（基地管理员只看本基地）"""
    stmt = alerts.alerts_query(current_user(), args.get("base_id"), args.get("unread"), args.get("since"))
    return paginate(db.session, stmt, args["page"], args["per_page"])


@blp.post("/capacity-alerts/<int:alert_id>/read")
@require_role(*BASE_STAFF)
@blp.response(200, CapacityAlertOut)
def read_capacity_alert(alert_id):
    """标记提醒为已读"""
    return alerts.mark_read(current_user(), alert_id)
