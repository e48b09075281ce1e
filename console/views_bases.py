"""Education bases: the slot calendar, bookings per slot, closing a day, monthly attendance, and the
door: checking a visitor in by typing or scanning the booking's code (a phone-sized page)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app import idempotency
from app.accounts.roles import BASE_STAFF
from app.errors import AppError, ValidationFailed
from app.extensions import db
from app.privacy import mask_name
from app.times import local_today as today
from app.validation import PageArgs
from app.visits import calendar, cancelling, checkin, reports
from app.visits.models import BOOKING_STATUS_LABELS, Booking, BookingStatus
from app.visits.schemas import AttendanceArgs, CheckinIn, ClosureIn, DoorArgs, SlotBulkIn
from console import bp, forms
from console.session import current, draft_for, require

# The console's form names for the staff API's keys.
DAY = {"date": "day"}
CLOSE_AHEAD = "close-ahead"  # the base page's form closing a day of choice, slots or not


def door_lines(details: dict) -> list[str]:
    """A refused code's details as door staff read them: the booking's status, when it was checked in,
    its day (the service's details are codes and ISO times, for programs)."""
    lines = []
    if details.get("status") in BOOKING_STATUS_LABELS:
        lines.append(f"预约状态：{BOOKING_STATUS_LABELS[BookingStatus(details['status'])]}")
    if details.get("checked_in_at"):
        at = datetime.fromisoformat(details["checked_in_at"])
        lines.append(f"入馆时间：{at.month} 月 {at.day} 日 {at:%H:%M}")
    if details.get("visit_date"):
        day = date.fromisoformat(details["visit_date"])
        lines.append(f"预约日期：{day.year} 年 {day.month} 月 {day.day} 日")
    return lines


@bp.get("/bases")
@require(*BASE_STAFF)
def bases():
    return render_template("console/bases.html", bases=list(db.session.scalars(calendar.staff_bases_query(current()))))


@bp.get("/bases/<int:base_id>")
@require(*BASE_STAFF)
def base(base_id):
    # A day of the programme's years (DoorArgs' date), so a week on either side is still a date.
    first = forms.query(DoorArgs, names=DAY)["date"] if request.args.get("day") else today()
    return _base_page(base_id, first)


def _base_page(base_id: int, first, refused: forms.Refusal = forms.NO_REFUSAL):
    """A week of the base's calendar from `first`; with `refused`, the day's closing form that was refused."""
    zone = calendar.get_base(base_id)
    calendar.ensure_operates(current(), base_id)
    views = calendar.slot_views(base_id, first, first + timedelta(days=6))
    closures = calendar.closed_days(base_id, first, first + timedelta(days=6))
    # The coming closed days, paged (?page=), the week's own `day` kept by the pager's links.
    coming = forms.page(calendar.closures_query(base_id, current()), forms.query(PageArgs))
    slot_ids = [v.id for v in views]
    per_slot: dict[int, list[Booking]] = {}
    for b in db.session.scalars(select(Booking).where(Booking.slot_id.in_(slot_ids or [0])).order_by(Booking.id)):
        per_slot.setdefault(b.slot_id, []).append(b)
    days = sorted({v.visit_date for v in views} | set(closures))  # a day closed ahead has no slots yet
    return render_template(
        "console/base_detail.html",
        zone=zone,
        views=views,
        closures=closures,
        coming=coming,
        today=today(),
        per_slot=per_slot,
        days=days,
        first=first,
        prev=first - timedelta(days=7),
        next=first + timedelta(days=7),
        mask_name=mask_name,
        draft=draft_for(request.path) if not refused.form else {},
        refusal=refused,
    ), refused.status


@bp.post("/bases/<int:base_id>/close-day")
@require(*BASE_STAFF)
def base_close_day(base_id):
    try:
        body = forms.load(ClosureIn, names=DAY)
        day, reason = body["date"], body["reason"]
        if request.form.get("confirmed") != "1":  # one click cancels a whole day: ask first, with the numbers
            zone = calendar.get_base(base_id)
            booked, visitors = cancelling.close_day_impact(base_id, day, current())
            return render_template(
                "console/close_day.html", zone=zone, day=day, reason=reason, booked=booked, visitors=visitors
            )
        cancelled = cancelling.close_day(base_id, day, reason, current())
    except AppError as exc:  # the calendar again (the posted day's week, if it is one), the day's form filled in
        posted = request.form.get("day", "")
        # The form that closes any day ahead (under the week) or a listed day's own form.
        form = CLOSE_AHEAD if request.form.get("form") == CLOSE_AHEAD else f"close-{posted}"
        refused = forms.refusal(exc, form, fields=("day", "reason"), names=DAY)
        return _base_page(base_id, _week_of(posted), refused)
    flash(f"{day.isoformat()} 已闭馆，取消了 {len(cancelled)} 个预约并通知参观者", "info")
    return redirect(url_for("console.base", base_id=base_id, day=day.isoformat()))


SLOTS_FORM = "slots"
# The console's form names for the bulk request's keys: the time ranges are typed one a line.
SLOT_NAMES = {"times": "times_text"}
_TIME_RANGE = re.compile(r"^(\d{1,2})[:：](\d{2})\s*[-–—~～至到]\s*(\d{1,2})[:：](\d{2})$")


def typed_times(text: str) -> list[dict[str, str]]:
    """The time ranges typed one a line (09:00-10:30, 9:00–10:30, 09：00 至 10：30) as the bulk
    request's `times`; FormInvalid naming the line that cannot be read."""
    times = []
    lines = [line.strip() for line in unicodedata.normalize("NFKC", text).splitlines() if line.strip()]
    for number, line in enumerate(lines, start=1):
        found = _TIME_RANGE.match(line)
        if not found:
            raise forms.FormInvalid(details={"times_text": [f"第 {number} 行“{line}”无法识别，请写成 09:00-10:30"]})
        h1, m1, h2, m2 = found.groups()
        times.append({"start": f"{int(h1):02d}:{m1}", "end": f"{int(h2):02d}:{m2}"})
    return times


@bp.post("/bases/<int:base_id>/slots")
@require(*BASE_STAFF)
def base_create_slots(base_id):
    """Slots in bulk, as the staff API's POST /bases/{id}/slots/bulk (the same rules: existing slots and
    closed days skipped, an overlap refused); running it twice adds nothing."""
    try:
        source = MultiDict(request.form)
        source.setlist("times", typed_times(request.form.get("times_text", "")))
        if not source.getlist("weekdays"):  # the API's default (Tuesday to Sunday) is no answer to boxes left empty
            raise forms.FormInvalid(details={"weekdays": ["请至少选择一天"]})
        body = forms.load(SlotBulkIn, source)
        spec = {**body, "from": body.pop("start"), "to": body.pop("end")}
        done = calendar.create_calendar(base_id, spec, current())
    except AppError as exc:  # the page again, what was typed kept, each problem beside its field
        refused = forms.refusal(
            exc,
            SLOTS_FORM,
            fields=("from", "to", "weekdays", "times_text", "capacity", "group_capacity"),
            names=SLOT_NAMES,
        )
        return _base_page(base_id, _week_of(request.form.get("from", "")), refused)
    skipped = [
        f"{label} {n} 个"
        for label, n in (
            ("当天已有", done.skipped_existing),
            ("闭馆日", done.skipped_closed),
            ("已结束", done.skipped_ended),
        )
        if n
    ]
    flash(f"已创建 {len(done.slots)} 个时段" + (f"（跳过：{'，'.join(skipped)}）" if skipped else ""), "info")
    return redirect(url_for("console.base", base_id=base_id, day=spec["from"].isoformat()))


@bp.post("/bases/<int:base_id>/reopen-day")
@require(*BASE_STAFF)
def base_reopen_day(base_id):
    day = forms.load(DoorArgs, names=DAY)["date"]  # a refusal is the console's error page, saying why
    reopened = cancelling.reopen_day(base_id, day, current())
    flash(f"{day.isoformat()} 已取消闭馆，{reopened} 个时段重新开放预约（已取消的预约不会恢复）", "info")
    return redirect(url_for("console.base", base_id=base_id, day=day.isoformat()))


def _week_of(day: str):
    """The posted day when DoorArgs takes it as a day of the calendar, else today."""
    try:
        return forms.load(DoorArgs, {"day": day}, names=DAY)["date"]
    except forms.FormInvalid:
        return today()


@bp.get("/bases/<int:base_id>/attendance")
@require(*BASE_STAFF)
def base_attendance(base_id):
    zone = calendar.get_base(base_id)
    month = forms.query(AttendanceArgs)["month"] if request.args.get("month") else today().strftime("%Y-%m")
    year, number = (int(p) for p in month.split("-"))
    rows = reports.attendance(base_id, year, number, current())
    return render_template("console/attendance.html", zone=zone, rows=rows, month=month)


@bp.route("/door", methods=["GET", "POST"])
@require(*BASE_STAFF)
def door():
    """Check-in at the door: type the code, or scan it (a scanner that types, or the camera)."""
    result, status = None, 200
    refused = forms.NO_REFUSAL
    if request.method == "POST":
        # One key per rendered form: the same form sent again (a double tap, a reload, a lost
        # answer) shows the first result instead of "already checked in".
        key = forms.posted_form_key()
        try:
            body = forms.load(CheckinIn)

            def work():
                done = checkin.checkin(current(), body["code"], body.get("headcount"))
                return 200, {"id": done.id, "actual_headcount": done.actual_headcount, "visit_date": done.visit_date}

            seen = {"code": body["code"], "headcount": body.get("headcount")}
            outcome = idempotency.once(current().id, "console.door", key, seen, work)
            result = {"ok": True, "booking": outcome.body}
        except AppError as exc:  # the reason in words door staff read, on the same page
            status = exc.status
            result = {"ok": False, "message": exc.message}
            if isinstance(exc, ValidationFailed):  # what was typed is kept (the code too), each beside its field
                refused = forms.refusal(exc, "door", fields=("code", "headcount"))
            else:  # the code was read and refused: the field is empty, ready for the next code
                db.session.rollback()
                result["lines"] = door_lines(exc.details or {})
    return render_template("console/door.html", result=result, refusal=refused, form_key=forms.new_form_key()), status
