"""Check-in at the door: signed codes, the QR code, one check-in per booking, its base and day."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from app import uow
from app.accounts.models import User
from app.accounts.scope import bases_operated_by
from app.audit import services as audit
from app.db_types import utcnow
from app.errors import AppError, Conflict, Forbidden, ValidationFailed
from app.extensions import db
from app.times import local_iso
from app.validators import is_ascii_number
from app.visits.calendar import ensure_operates
from app.visits.models import Booking, BookingKind, BookingStatus
from app.visits.rules import rules
from app.wechat import services as wechat

log = logging.getLogger(__name__)

# ---- check-in -----------------------------------------------------------------------------


def _signature(booking: Booking) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"checkin:{booking.id}:{booking.base_id}:{booking.visit_date.isoformat()}".encode()
    return base64.urlsafe_b64encode(hmac.new(key, message, hashlib.sha256).digest()[:15]).decode()


def checkin_code(booking: Booking) -> str:
    """Short enough for a mini-program code's scene (32 characters), unguessable without SECRET_KEY."""
    if booking.status not in (BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN):
        raise Conflict("该预约已不能入馆", code="booking_not_active", details={"status": booking.status})
    return f"{booking.id}.{_signature(booking)}"


def checkin_pass(user: User, booking_id: int) -> dict[str, Any]:
    """Use case: the visitor's check-in code for their own booking, with its QR image."""
    from app.visits.booking import own_booking

    booking = own_booking(user, booking_id)
    code = checkin_code(booking)
    png, source = checkin_png(code)
    return {
        "code": code,
        "qr_png_base64": base64.b64encode(png).decode(),
        "qr_source": source,
        "visit_date": booking.visit_date,
    }


# The mini-program's door page (扫码核验, miniprogram/src/packages/visits/door/): WeChat's own scanner
# opens it with the code as its `scene`; WeChat refuses a page the published mini-program lacks.
CHECKIN_PAGE = "packages/visits/door/index"


def checkin_png(code: str) -> tuple[bytes, str]:
    """The mini-program code from WeChat, or a plain QR code made here when WeChat is unavailable."""
    try:
        return wechat.get_wxa_code(code, page=CHECKIN_PAGE), "wechat"
    except AppError:
        from app.wechat.fake import png_qr

        return png_qr(code), "local"


class InvalidCheckinCode(AppError):
    status = 400
    code = "invalid_checkin_code"
    message = "核验码无效"


def checkin(operator: User, code: str, actual_headcount: int | None, now: datetime | None = None) -> Booking:
    """The operator admits a booking at the door, recording how many came (1 to the booked head
    count: a group must say it; individuals default to all of them)."""
    r = rules()
    now = now or utcnow()
    if bases_operated_by(operator) == frozenset():
        # Someone who runs no base at all: a matter of their role, said before the code is looked at.
        raise Forbidden("只有基地工作人员可以扫码核验入馆")
    booking_id, _, signature = code.strip().partition(".")
    if not is_ascii_number(booking_id) or not signature:
        raise InvalidCheckinCode()
    booking = db.session.scalar(
        select(Booking)
        .where(Booking.id == int(booking_id))
        .with_for_update(of=Booking)
        .execution_options(populate_existing=True)
    )
    if booking is None or not hmac.compare_digest(_signature(booking), signature):
        raise InvalidCheckinCode()
    try:
        ensure_operates(operator, booking.base_id)
    except Forbidden as exc:
        # At the door the question is the booking's, not the operator's rights: say it in those words.
        raise Forbidden("不是本基地的预约", code=exc.code, details=exc.details) from None
    if booking.status == BookingStatus.CHECKED_IN:
        raise Conflict(
            "该预约已核验入馆",
            code="already_checked_in",
            details={"checked_in_at": local_iso(booking.checked_in_at, r.timezone)},
        )
    if booking.status != BookingStatus.CONFIRMED:
        raise Conflict("该预约已取消或已失效", code="booking_not_active", details={"status": booking.status})
    today = r.today(now)
    if booking.visit_date != today:
        raise AppError(
            "不是预约当天" if booking.visit_date > today else "核验码已过期",
            code="wrong_day",
            status=422,
            details={"visit_date": booking.visit_date.isoformat()},
        )
    if actual_headcount is None:
        if booking.kind == BookingKind.GROUP:
            raise ValidationFailed(details={"headcount": ["团体预约须填写实到人数"]})
        actual_headcount = booking.headcount  # individuals: all of them, unless the door says fewer
    if not 1 <= actual_headcount <= booking.headcount:
        raise ValidationFailed(details={"headcount": [f"实到人数须在 1 到 {booking.headcount} 之间"]})
    booking.actual_headcount = actual_headcount
    booking.status = BookingStatus.CHECKED_IN
    booking.checked_in_at = now
    booking.checked_in_by_id = operator.id
    audit.record(
        operator,
        "booking.checkin",
        "booking",
        booking.id,
        {"status": BookingStatus.CONFIRMED.value},
        {"status": BookingStatus.CHECKED_IN.value, "actual_headcount": booking.actual_headcount},
    )
    uow.commit()
    return booking
