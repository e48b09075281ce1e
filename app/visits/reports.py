"""What base operators and the institute read: bookings per slot, attendance per month."""

from __future__ import annotations

import csv
import io
import logging
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from app.accounts.models import User
from app.csvsafe import safe_row
from app.db_types import utcnow
from app.errors import NotFound
from app.extensions import db
from app.privacy import mask_id_number, mask_name, mask_phone
from app.visits.calendar import SlotView, ensure_operates, get_base, profile_of, slot_view, slots_between
from app.visits.models import BOOKING_STATUS_LABELS, Booking, BookingKind, BookingStatus, Slot
from app.visits.rules import rules

log = logging.getLogger(__name__)

# ---- staff views --------------------------------------------------------------------------


def slot_bookings(slot_id: int, user: User) -> tuple[SlotView, list[Booking]]:
    r = rules()
    slot = db.session.get(Slot, slot_id)
    if slot is None:
        raise NotFound("时段不存在")
    ensure_operates(user, slot.base_id)
    bookings = db.session.scalars(select(Booking).where(Booking.slot_id == slot_id).order_by(Booking.id)).all()
    return slot_view(slot, profile_of(slot.base_id), r, utcnow()), list(bookings)


def attendance(base_id: int, year: int, month: int, user: User) -> list[dict[str, Any]]:
    """Per day of the month: people booked, checked in, no-shows, cancelled."""
    get_base(base_id)
    ensure_operates(user, base_id)
    first = date(year, month, 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    people = func.coalesce(Booking.actual_headcount, Booking.headcount)
    rows = db.session.execute(
        select(
            Booking.visit_date, Booking.status, func.count(Booking.id), func.sum(Booking.headcount), func.sum(people)
        )
        .where(Booking.base_id == base_id, Booking.visit_date.between(first, last))
        .group_by(Booking.visit_date, Booking.status)
    )
    days: dict[date, dict[str, Any]] = {}
    for day, status, count, headcount, actual in rows:
        item = days.setdefault(
            day,
            {
                "date": day,
                "bookings": 0,
                "booked_people": 0,
                "checked_in_people": 0,
                "no_show_people": 0,
                "cancelled_people": 0,
            },
        )
        item["bookings"] += count
        if status != BookingStatus.CANCELLED:
            item["booked_people"] += headcount or 0
        key = {"checked_in": "checked_in_people", "no_show": "no_show_people", "cancelled": "cancelled_people"}.get(
            status
        )
        if key:
            item[key] += (actual if status == BookingStatus.CHECKED_IN else headcount) or 0
    return [days[d] for d in sorted(days)]


DOOR_LIST_HEADER = ["预约号", "时段", "类型", "姓名/单位", "证件号", "电话", "人数", "状态"]


def _door_status(booking: Booking) -> str:
    """The booking's status as the door list says it: with how many came when fewer than booked
    (the attendance counts those; the list's rows are the people booked)."""
    label = BOOKING_STATUS_LABELS[booking.status]
    came = booking.actual_headcount
    if booking.status == BookingStatus.CHECKED_IN and came is not None and came != booking.headcount:
        return f"{label}（到 {came}/{booking.headcount} 人）"
    return label


def door_list_csv(base_id: int, day: date, user: User) -> bytes:
    """The day's list for the door (CSV with a BOM for Excel): names, document numbers and phones
    masked as in the JSON lists (docs/privacy.md: the base's operators see visitors masked; the
    surname and the document's last digits match the document shown at the door); statuses in the
    API's words (`status_label`); formula-like cells neutralised."""
    get_base(base_id)
    ensure_operates(user, base_id)
    r = rules()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(DOOR_LIST_HEADER)
    for slot in slots_between(base_id, day, day):
        when = slot.starts_at.astimezone(r.timezone).strftime("%H:%M")
        live = db.session.scalars(
            select(Booking)
            .where(Booking.slot_id == slot.id, Booking.status != BookingStatus.CANCELLED)
            .order_by(Booking.id)
        )
        for booking in live:
            status = _door_status(booking)
            if booking.kind == BookingKind.GROUP:
                writer.writerow(
                    safe_row(
                        [
                            booking.id,
                            when,
                            "团体",
                            f"{booking.organisation}（领队 {mask_name(booking.leader_name)}）",
                            "",
                            mask_phone(booking.leader_phone),
                            booking.headcount,
                            status,
                        ]
                    )
                )
                for member in booking.members or []:
                    label = mask_name(member["name"]) + ("（未成年）" if member["minor"] else "")
                    writer.writerow(safe_row([booking.id, when, "团体成员", label, "", "", 1, status]))
            for visitor in booking.visitors:
                writer.writerow(
                    safe_row(
                        [
                            booking.id,
                            when,
                            "个人",
                            mask_name(visitor.name),
                            mask_id_number(visitor.id_number),
                            mask_phone(visitor.phone),
                            1,
                            status,
                        ]
                    )
                )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
