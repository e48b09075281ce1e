from __future__ import annotations

import re

import marshmallow as ma

from app.fields import LocalDateTime, Masked
from app.privacy import mask_id_number, mask_name, mask_phone
from app.times import local_iso
from app.validation import PageArgs, Schema, WholeListArgs
from app.validators import (
    ID_TYPE_LABELS,
    IdType,
    Phone,
    Trimmed,
    check_document,
    id_type_field,
    person_key,
    validate_person_name,
)
from app.visits import cancelling
from app.visits.alerts import alert_kind
from app.visits.alerts import describe as describe_alert
from app.visits.calendar import base_name, profile_of
from app.visits.models import BOOKING_STATUS_LABELS, WAITLIST_STATUS_LABELS, WaitlistStatus
from app.visits.waitlist import waitlist_position
from app.zones.schemas import ZoneCardOut


class VisitorIn(Schema):
    name = Trimmed(required=True, validate=validate_person_name)
    id_type = id_type_field(load_default=IdType.RESIDENT_ID.value)
    id_number = Trimmed(required=True, validate=ma.validate.Length(min=1, max=32))
    phone = Phone(required=True)

    @ma.validates_schema
    def _document(self, data, **kwargs):
        check_document(data)


class MemberIn(Schema):
    name = Trimmed(required=True, validate=validate_person_name)
    minor = ma.fields.Boolean(load_default=False, metadata={"description": "未满 18 周岁"})


class GroupIn(Schema):
    organisation = Trimmed(required=True, validate=ma.validate.Length(min=2, max=100))
    leader_name = Trimmed(required=True, validate=validate_person_name)
    leader_phone = Phone(required=True)
    headcount = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=500))
    minors = ma.fields.Integer(
        validate=ma.validate.Range(min=0, max=500),
        metadata={"description": "其中未成年人数（每 10 名须至少 1 名成年人）"},
    )
    members = ma.fields.List(
        ma.fields.Nested(MemberIn),
        validate=ma.validate.Length(min=1, max=500),
        metadata={"description": "团体名单（可预约后再交，参观开始前可修改）；人数须与 headcount 一致"},
    )


class MembersIn(Schema):
    members = ma.fields.List(ma.fields.Nested(MemberIn), required=True, validate=ma.validate.Length(min=1, max=500))


class BookingIn(Schema):
    slot_id = ma.fields.Integer(required=True)
    base_id = ma.fields.Integer(metadata={"description": "可选：预约页面所属基地，时段须属于该基地"})
    visitors = ma.fields.List(
        ma.fields.Nested(VisitorIn), validate=ma.validate.Length(min=1, max=5, error="每次预约 1–5 人")
    )
    group = ma.fields.Nested(GroupIn)

    @ma.validates_schema
    def _one_kind(self, data, **kwargs):
        if ("visitors" in data) == ("group" in data):
            raise ma.ValidationError("须填写 visitors（个人）或 group（团体）之一", "visitors")
        ids = [person_key(v["id_type"], v["id_number"]) for v in data.get("visitors", [])]
        if len(ids) != len(set(ids)):
            raise ma.ValidationError("同一预约中证件不能重复", "visitors")


class WaitlistIn(BookingIn):
    """The booking request a waitlist entry books when places free up; its slot is the path's."""

    slot_id = ma.fields.Integer(metadata={"description": "可选：路径中已有时段；若填写须与之一致"})


# Documented in the OpenAPI document (and used by its fuzzing as a valid starting point).
BOOKING_EXAMPLE = {
    "slot_id": 1,
    "visitors": [{"name": "张三", "id_type": "resident_id", "id_number": "11010519491231002X", "phone": "13812345678"}],
}
GROUP_BOOKING_EXAMPLE = {
    "slot_id": 1,
    "group": {
        "organisation": "长春市第一实验小学",
        "leader_name": "李老师",
        "leader_phone": "13912345678",
        "headcount": 12,
        "minors": 10,
    },
}
# The waitlist's slot is in its path.
WAITLIST_EXAMPLE = {k: v for k, v in BOOKING_EXAMPLE.items() if k != "slot_id"}
GROUP_WAITLIST_EXAMPLE = {k: v for k, v in GROUP_BOOKING_EXAMPLE.items() if k != "slot_id"}
MEMBERS_EXAMPLE = {"members": [{"name": "王小明", "minor": True}, {"name": "李老师", "minor": False}]}


class SlotArgs(WholeListArgs):
    """A window of days; a page of it when ?page=&per_page= are sent (WholeListArgs)."""

    start = ma.fields.Date(required=True, data_key="from")
    end = ma.fields.Date(required=True, data_key="to")


class SlotOut(Schema):
    id = ma.fields.Integer()
    visit_date = ma.fields.Date()
    starts_at = LocalDateTime()
    ends_at = LocalDateTime()
    capacity = ma.fields.Integer()
    remaining = ma.fields.Integer()
    group_capacity = ma.fields.Integer()
    group_remaining = ma.fields.Integer()
    status = ma.fields.String(
        attribute="state",
        metadata={
            "description": "此刻的状态：not_released（未开放，opens_at 开放）；open（可预约）；"
            "individual_full（个人名额已满：个人可加入候补，团体仍可预约，见 group_remaining）；"
            "groups_only（不设个人名额，仅接受团体预约）；full（个人与团体均已约满，可候补）；"
            "started（已开始）；ended（已结束）；closed（闭馆，见 closed_reason）"
        },
    )
    status_label = ma.fields.String(attribute="state_label", metadata={"description": "status 的中文说明"})
    bookable = ma.fields.Boolean(
        metadata={
            "description": "现在有人可以预约（open；individual_full 与 groups_only 时仅团体可约）。"
            "个人看 remaining，团体看 group_remaining"
        }
    )
    closed_reason = ma.fields.String(allow_none=True)
    opens_at = LocalDateTime(metadata={"description": "何时开放预约"})


class BaseProfileOut(Schema):
    visitor_notes = ma.fields.String(allow_none=True)
    opening_rules = ma.fields.String(allow_none=True)
    contact_phone = ma.fields.String(allow_none=True)
    booking_days_ahead = ma.fields.Integer()
    release_hour = ma.fields.Integer()


class BaseOut(ZoneCardOut):
    profile = ma.fields.Function(lambda zone: BaseProfileOut().dump(profile_of(zone.id)))


class BaseProfileIn(Schema):
    visitor_notes = Trimmed(allow_none=True, validate=ma.validate.Length(max=5000))
    opening_rules = Trimmed(allow_none=True, validate=ma.validate.Length(max=5000))
    contact_phone = Trimmed(allow_none=True, validate=ma.validate.Length(max=40))
    booking_days_ahead = ma.fields.Integer(validate=ma.validate.Range(min=1, max=60))
    release_hour = ma.fields.Integer(validate=ma.validate.Range(min=0, max=23))


# One time range of a bulk request; calendar.check_times checks them (end after start, no repeats
# or overlaps) for every caller.
class TimeRangeIn(Schema):
    start = ma.fields.Time(required=True, format="%H:%M")
    end = ma.fields.Time(required=True, format="%H:%M")


class SlotBulkIn(Schema):
    start = ma.fields.Date(required=True, data_key="from")
    end = ma.fields.Date(required=True, data_key="to")
    weekdays = ma.fields.List(
        ma.fields.Integer(validate=ma.validate.Range(min=1, max=7)),
        load_default=[2, 3, 4, 5, 6, 7],
        validate=ma.validate.Length(min=1),
        metadata={"description": "1=周一 … 7=周日"},
    )
    times = ma.fields.List(ma.fields.Nested(TimeRangeIn), required=True, validate=ma.validate.Length(min=1, max=12))
    capacity = ma.fields.Integer(required=True, validate=ma.validate.Range(min=0, max=5000))
    group_capacity = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=5000))


class SlotsCreatedOut(Schema):
    created = ma.fields.Integer(metadata={"description": "新建的时段数"})
    slot_ids = ma.fields.List(ma.fields.Integer())
    skipped_existing = ma.fields.Integer(metadata={"description": "当天已有同一时段，未重复创建"})
    skipped_closed = ma.fields.Integer(metadata={"description": "当天已登记闭馆，未创建"})
    skipped_ended = ma.fields.Integer(metadata={"description": "今天已结束的时段，未创建"})


class ClosureIn(Schema):
    date = ma.fields.Date(required=True)
    reason = Trimmed(required=True, validate=ma.validate.Length(min=2, max=200))


class ClosureOut(Schema):
    date = ma.fields.Date()
    cancelled_bookings = ma.fields.Integer()


class ClosuresArgs(PageArgs):
    start = ma.fields.Date(data_key="from", metadata={"description": "自哪天起（默认今天）"})
    end = ma.fields.Date(data_key="to", metadata={"description": "到哪天为止（默认不限）"})


class ClosedDayOut(Schema):
    date = ma.fields.Date(attribute="visit_date")
    reason = ma.fields.String(metadata={"description": "闭馆原因"})


class ClosureItemOut(ClosedDayOut):
    created_at = LocalDateTime(metadata={"description": "登记时间"})


class ReopenedOut(Schema):
    date = ma.fields.Date()
    reopened_slots = ma.fields.Integer(metadata={"description": "重新开放预约的时段数（此前被取消的预约不恢复）"})


class VisitorOut(Schema):
    name = ma.fields.String()
    id_type = ma.fields.String()
    id_type_label = ma.fields.Function(lambda v: ID_TYPE_LABELS[IdType(v.id_type)])
    id_number = Masked(mask_id_number, allow_none=True)
    phone = Masked(mask_phone, allow_none=True)


class BookingSlotOut(Schema):
    id = ma.fields.Integer()
    starts_at = LocalDateTime()
    ends_at = LocalDateTime()


class BookingOut(Schema):
    id = ma.fields.Integer()
    base_id = ma.fields.Integer()
    visit_date = ma.fields.Date()
    slot = ma.fields.Nested(BookingSlotOut)
    kind = ma.fields.String()
    headcount = ma.fields.Integer()
    status = ma.fields.String()
    status_label = ma.fields.Function(lambda b: BOOKING_STATUS_LABELS[b.status])
    visitors = ma.fields.List(ma.fields.Nested(VisitorOut))
    organisation = ma.fields.String(allow_none=True)
    leader_name = ma.fields.String(allow_none=True)
    leader_phone = Masked(mask_phone, allow_none=True)
    minors = ma.fields.Integer(allow_none=True)
    members = ma.fields.Raw(allow_none=True, metadata={"description": "团体名单 [{name, minor}]"})
    actual_headcount = ma.fields.Integer(allow_none=True)
    created_at = LocalDateTime()
    cancelled_at = LocalDateTime(allow_none=True)
    checked_in_at = LocalDateTime(allow_none=True)
    cancellable_until = ma.fields.Function(
        lambda b: local_iso(cancelling.cancellable_until(b)),
        metadata={
            "type": "string",
            "format": "date-time",
            "description": "取消预约的截止时间（参观开始前 BOOKING_CANCEL_CUTOFF_MINUTES 分钟）",
        },
    )


class StaffVisitorOut(Schema):
    name = Masked(mask_name, allow_none=True)
    id_type = ma.fields.String()
    id_type_label = ma.fields.Function(lambda v: ID_TYPE_LABELS[IdType(v.id_type)])
    id_number = Masked(mask_id_number, allow_none=True)
    phone = Masked(mask_phone, allow_none=True)


class DoorBookingOut(BookingOut):
    """A booking as the base's operators read it (docs/privacy.md: masked), the door included:
    names masked as in the door list, document numbers and phones as in every list."""

    visitors = ma.fields.List(ma.fields.Nested(StaffVisitorOut))
    leader_name = Masked(mask_name, allow_none=True)
    members = ma.fields.Function(
        lambda b: [{**m, "name": mask_name(m["name"])} for m in b.members] if b.members else None,
        metadata={"description": "团体名单 [{name, minor}]（姓名脱敏）"},
    )


class StaffBookingOut(DoorBookingOut):
    user_id = ma.fields.Integer()


class SlotBookingsOut(Schema):
    slot = ma.fields.Nested(SlotOut)
    bookings = ma.fields.List(ma.fields.Nested(StaffBookingOut))


class CheckinCodeOut(Schema):
    code = ma.fields.String()
    qr_png_base64 = ma.fields.String()
    qr_source = ma.fields.String(metadata={"description": "wechat（小程序码）或 local（普通二维码）"})
    visit_date = ma.fields.Date()


class CheckinIn(Schema):
    code = Trimmed(required=True, validate=ma.validate.Length(min=3, max=64))
    headcount = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=500),
        metadata={"description": "实到人数（1 到预约人数）：团体必填；个人不填为预约人数"},
    )


class WaitlistOut(Schema):
    id = ma.fields.Integer()
    slot_id = ma.fields.Integer()
    slot = ma.fields.Nested(BookingSlotOut, metadata={"description": "候补的时段"})
    visit_date = ma.fields.Date(attribute="slot.visit_date", metadata={"description": "参观日期"})
    base_id = ma.fields.Integer(attribute="slot.base_id")
    base_name = ma.fields.Function(lambda e: base_name(e.slot.base_id), metadata={"description": "基地名称"})
    headcount = ma.fields.Integer()
    status = ma.fields.String(
        metadata={"description": "waiting（候补中）、promoted（已约上，见 booking_id）、failed、cancelled、purged"}
    )
    status_label = ma.fields.Function(
        lambda e: WAITLIST_STATUS_LABELS[WaitlistStatus(e.status)], metadata={"description": "status 的中文说明"}
    )
    position = ma.fields.Function(
        waitlist_position, allow_none=True, metadata={"description": "候补中时排在第几位（1 为下一个）；否则为空"}
    )
    booking_id = ma.fields.Integer(allow_none=True, metadata={"description": "候补成功后的预约"})
    created_at = LocalDateTime()


class DoorArgs(Schema):
    date = ma.fields.Date(required=True)


class AttendanceArgs(Schema):
    month = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(r"^20\d{2}-(0[1-9]|1[0-2])$", re.ASCII, error="格式 YYYY-MM（2000–2099 年）"),
    )


class AttendanceDayOut(Schema):
    date = ma.fields.Date()
    bookings = ma.fields.Integer()
    booked_people = ma.fields.Integer()
    checked_in_people = ma.fields.Integer()
    no_show_people = ma.fields.Integer()
    cancelled_people = ma.fields.Integer()


class BasesArgs(PageArgs):
    pass


class CapacityAlertArgs(PageArgs):
    base_id = ma.fields.Integer()
    unread = ma.fields.Boolean(metadata={"description": "true：只看未读"})
    since = ma.fields.Date(metadata={"description": "参观日期不早于此日"})


class CapacityAlertOut(Schema):
    id = ma.fields.Integer()
    base_id = ma.fields.Integer()
    slot_id = ma.fields.Integer(allow_none=True, metadata={"description": "空：整日"})
    kind = ma.fields.Function(
        lambda a: alert_kind(a), metadata={"description": "individual（个人名额）或 group（团体名额），分别计算"}
    )
    visit_date = ma.fields.Date()
    threshold = ma.fields.Integer(metadata={"description": "50、80 或 100（%）"})
    booked = ma.fields.Integer()
    capacity = ma.fields.Integer()
    message = ma.fields.Function(lambda a: describe_alert(a))
    created_at = LocalDateTime()
    read_at = LocalDateTime(allow_none=True)
