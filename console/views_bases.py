"""Education bases: the slot calendar, bookings per slot, closing a day, monthly attendance, and the
door: checking a visitor in by typing or scanning the booking's code (a phone-sized page)."""

from __future__ import annotations

from datetime import date, timedelta

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from app.accounts.roles import BASE_STAFF
from app.errors import AppError, ValidationFailed
from app.extensions import db
from app.privacy import mask_name
from app.times import local_today as today
from app.visits import booking as bookings
from app.visits import calendar, checkin, reports
from app.visits.models import Booking
from console import bp
from console.session import current, draft_for, require


def _day(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        raise ValidationFailed("日期格式应为 YYYY-MM-DD", details={"day": ["日期无效"]}) from None


@bp.get("/bases")
@require(*BASE_STAFF)
def bases():
    return render_template("console/bases.html", bases=list(db.session.scalars(calendar.staff_bases_query(current()))))


@bp.get("/bases/<int:base_id>")
@require(*BASE_STAFF)
def base(base_id):
    zone = calendar.get_base(base_id)
    calendar.ensure_operates(current(), base_id)
    first = _day(request.args.get("day"), today())
    views = calendar.slot_views(base_id, first, first + timedelta(days=6))
    slot_ids = [v.id for v in views]
    per_slot: dict[int, list[Booking]] = {}
    for b in db.session.scalars(select(Booking).where(Booking.slot_id.in_(slot_ids or [0])).order_by(Booking.id)):
        per_slot.setdefault(b.slot_id, []).append(b)
    days = sorted({v.visit_date for v in views})
    return render_template("console/base_detail.html", zone=zone, views=views, per_slot=per_slot, days=days, first=first,
                           prev=first - timedelta(days=7), next=first + timedelta(days=7), mask_name=mask_name,
                           draft=draft_for(request.path))  # fmt: skip


@bp.post("/bases/<int:base_id>/close-day")
@require(*BASE_STAFF)
def base_close_day(base_id):
    day = _day(request.form.get("day"), today())
    reason = (request.form.get("reason") or "").strip()
    if len(reason) < 2:
        raise ValidationFailed("请填写闭馆原因（会告知已预约的参观者）", details={"reason": ["不能为空"]})
    if request.form.get("confirmed") != "1":  # one click cancels a whole day: ask first, with the numbers
        zone = calendar.get_base(base_id)
        booked, visitors = bookings.close_day_impact(base_id, day, current())
        return render_template("console/close_day.html", zone=zone, day=day, reason=reason, booked=booked,
                               visitors=visitors)  # fmt: skip
    cancelled = bookings.close_day(base_id, day, reason, current())
    flash(f"{day.isoformat()} 已闭馆，取消了 {len(cancelled)} 个预约并通知参观者", "info")
    return redirect(url_for("console.base", base_id=base_id, day=day.isoformat()))


@bp.get("/bases/<int:base_id>/attendance")
@require(*BASE_STAFF)
def base_attendance(base_id):
    zone = calendar.get_base(base_id)
    month = request.args.get("month") or today().strftime("%Y-%m")
    try:
        year, number = (int(p) for p in month.split("-"))
        rows = reports.attendance(base_id, year, number, current())
    except ValueError:
        raise ValidationFailed("月份格式应为 YYYY-MM", details={"month": ["月份无效"]}) from None
    return render_template("console/attendance.html", zone=zone, rows=rows, month=month)


@bp.route("/door", methods=["GET", "POST"])
@require(*BASE_STAFF)
def door():
    """Check-in at the door: type the code, or scan it (a scanner that types, or the camera)."""
    result = None
    code = ""
    if request.method == "POST":
        code = (request.form.get("code") or "").strip()
        headcount = request.form.get("headcount") or None
        try:
            done = checkin.checkin(current(), code, int(headcount) if headcount and headcount.isdigit() else None)
            result = {"ok": True, "booking": done}
        except AppError as exc:
            db.session.rollback()
            result = {"ok": False, "message": exc.message, "details": exc.details}
    return render_template("console/door.html", result=result, code=code)
