from __future__ import annotations

import json
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import EncryptedString, UTCDateTime, partial_index, utcnow
from app.extensions import db
from app.zones.models import Zone


class SlotStatus(StrEnum):
    """What staff set; what a visitor sees now is calendar.slot_state (released, full, started…)."""

    OPEN = "open"
    CLOSED = "closed"


class BookingStatus(StrEnum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    CHECKED_IN = "checked_in"
    NO_SHOW = "no_show"


# What visitors and staff read for a booking's status (the API's `status_label`, the door list).
BOOKING_STATUS_LABELS = {
    BookingStatus.CONFIRMED: "已预约",
    BookingStatus.CANCELLED: "已取消",
    BookingStatus.CHECKED_IN: "已入馆",
    BookingStatus.NO_SHOW: "未到",
}


class BookingKind(StrEnum):
    INDIVIDUAL = "individual"
    GROUP = "group"


class WaitlistStatus(StrEnum):
    WAITING = "waiting"
    PROMOTED = "promoted"
    FAILED = "failed"
    CANCELLED = "cancelled"
    PURGED = "purged"  # its slot is long past: the request's people were removed (retention)


# What the requester reads for a waitlist entry's status (the API's `status_label`).
WAITLIST_STATUS_LABELS = {
    WaitlistStatus.WAITING: "候补中",
    WaitlistStatus.PROMOTED: "候补成功，已预约",
    WaitlistStatus.FAILED: "候补未成功（轮到时已不能预约）",
    WaitlistStatus.CANCELLED: "已取消",
    WaitlistStatus.PURGED: "已过保存期限，内容已删除",
}


class BaseProfile(db.Model):
    """What a titled zone opened as an education base tells visitors, and its booking rules."""

    __tablename__ = "base_profiles"

    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True)
    visitor_notes: Mapped[str | None] = mapped_column(Text)
    opening_rules: Mapped[str | None] = mapped_column(Text)
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    # Slots become bookable `booking_days_ahead` days ahead, at `release_hour` local time.
    booking_days_ahead: Mapped[int] = mapped_column(Integer, default=7)
    release_hour: Mapped[int] = mapped_column(Integer, default=8)

    zone: Mapped[Zone] = relationship(lazy="joined", innerjoin=True)


class Slot(db.Model):
    __tablename__ = "visit_slots"
    __table_args__ = (
        UniqueConstraint("base_id", "starts_at", name="uq_visit_slots_base_starts"),
        # The database itself refuses overbooking, whatever the application does.
        CheckConstraint("booked >= 0 AND booked <= capacity", name="individual_capacity"),
        CheckConstraint("group_booked >= 0 AND group_booked <= group_capacity", name="group_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    visit_date: Mapped[date] = mapped_column(Date, index=True)  # local date
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int] = mapped_column(Integer)  # individual visitors
    booked: Mapped[int] = mapped_column(Integer, default=0)
    group_capacity: Mapped[int] = mapped_column(Integer, default=0)  # people in group bookings
    group_booked: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default=SlotStatus.OPEN)
    closed_reason: Mapped[str | None] = mapped_column(String(200))

    @property
    def remaining(self) -> int:
        return max(0, self.capacity - self.booked) if self.status == SlotStatus.OPEN else 0

    @property
    def group_remaining(self) -> int:
        return max(0, self.group_capacity - self.group_booked) if self.status == SlotStatus.OPEN else 0


class Closure(db.Model):
    """A day a base is closed (holiday, weather, works), recorded even before it has slots: slots
    created later for that day are skipped, so a closed day cannot be reopened by adding one."""

    __tablename__ = "visit_closures"
    __table_args__ = (UniqueConstraint("base_id", "visit_date", name="uq_visit_closures_base_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"))
    visit_date: Mapped[date] = mapped_column(Date)  # local date
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Booking(db.Model):
    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("visit_slots.id"), index=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("zones.id"), index=True)
    visit_date: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(16))  # individual, group
    headcount: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)  # confirmed, cancelled, checked_in, no_show
    organisation: Mapped[str | None] = mapped_column(EncryptedString())
    leader_name: Mapped[str | None] = mapped_column(EncryptedString())
    leader_phone: Mapped[str | None] = mapped_column(EncryptedString())
    # Groups: how many of the head count are minors, and the name list (JSON, encrypted: it names children).
    minors: Mapped[int | None] = mapped_column(Integer)
    member_list: Mapped[str | None] = mapped_column(EncryptedString())
    actual_headcount: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    late_cancel: Mapped[bool] = mapped_column(default=False)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    waitlist_entry_id: Mapped[int | None] = mapped_column(Integer)
    # Its visitors' and group's personal data were removed (retention, or the account deleted).
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    slot: Mapped[Slot] = relationship(lazy="joined", innerjoin=True)

    @property
    def members(self) -> list[dict] | None:
        return json.loads(self.member_list) if self.member_list else None

    visitors: Mapped[list[BookingVisitor]] = relationship(
        back_populates="booking", cascade="all, delete-orphan", lazy="selectin", order_by="BookingVisitor.id"
    )


class BookingVisitor(db.Model):
    __tablename__ = "booking_visitors"
    __table_args__ = (
        # One person (by ID number) at most once per base per day, among live bookings: in the database.
        partial_index(
            "uq_booking_visitors_person_base_day",
            "base_id",
            "visit_date",
            "id_index",
            where="active",
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    base_id: Mapped[int] = mapped_column(Integer)
    visit_date: Mapped[date] = mapped_column(Date)
    name: Mapped[str | None] = mapped_column(EncryptedString())
    id_type: Mapped[str] = mapped_column(String(32), default="resident_id", server_default="resident_id")
    id_number: Mapped[str | None] = mapped_column(EncryptedString())
    # Keyed hash of the document (type and number, app.validators.person_key): lets the database
    # compare people without holding the number.
    id_index: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(EncryptedString())
    active: Mapped[bool] = mapped_column(default=True, server_default=true())

    booking: Mapped[Booking] = relationship(back_populates="visitors")


class WaitlistEntry(db.Model):
    """Someone who found a slot full; first come, first served when places free up."""

    __tablename__ = "visit_waitlist"
    # One waiting request per account and slot, in the database (a second could only fail when promoted).
    __table_args__ = (
        partial_index("uq_visit_waitlist_waiting_user", "slot_id", "user_id", where="status = 'waiting'", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("visit_slots.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The booking request, kept (encrypted: it names people) to book it when places free up.
    request: Mapped[str] = mapped_column(EncryptedString())
    headcount: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=WaitlistStatus.WAITING)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # Loaded when asked for (the caller's list joins it): a joined load would make every
    # `SELECT … FOR UPDATE` of entries lock their slot too, out of the slot-first lock order.
    slot: Mapped[Slot] = relationship()


class WaitlistPerson(db.Model):
    """A visitor of a waiting request, by their document's blind index (as BookingVisitor.id_index):
    one person waits once for a slot, whichever account asks, in the database. A row lives as long as
    its request waits (waitlist.free_people removes it when the request leaves the queue)."""

    __tablename__ = "visit_waitlist_people"
    __table_args__ = (UniqueConstraint("slot_id", "id_index", name="uq_visit_waitlist_people_slot_person"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("visit_waitlist.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int] = mapped_column(Integer)
    id_index: Mapped[str] = mapped_column(String(64))


class BookingSuspension(db.Model):
    __tablename__ = "booking_suspensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)  # last day of the suspension
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CapacityAlert(db.Model):
    """Staff are told when a slot or a base's day passes 50 %, 80 % and 100 % booked: once per
    threshold (the unique constraint makes that hold across processes)."""

    __tablename__ = "visit_capacity_alerts"
    __table_args__ = (UniqueConstraint("base_id", "scope", "threshold", name="uq_capacity_alerts_scope_threshold"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    # "slot:<id>" or "day:<YYYY-MM-DD>"
    scope: Mapped[str] = mapped_column(String(32))
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("visit_slots.id", ondelete="CASCADE"))
    visit_date: Mapped[date] = mapped_column(Date)
    threshold: Mapped[int] = mapped_column(Integer)  # percent
    booked: Mapped[int] = mapped_column(Integer)  # people, when the alert was raised
    capacity: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    read_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
