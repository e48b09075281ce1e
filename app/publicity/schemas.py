from __future__ import annotations

import marshmallow as ma

from app.fields import LocalDateTime, Masked, MediaUrl
from app.privacy import mask_id_number, mask_phone
from app.publicity.constants import OBJECTION_LABELS, ObjectionStatus
from app.validation import INT_MAX, Link, PageArgs, Schema, WholeListArgs, not_blank
from app.validators import Phone, Trimmed, check_document, id_type_field, validate_person_name
from app.zones.constants import LEVEL_LABELS, STATUS_LABELS, TYPE_LABELS, Level, Status, ZoneType
from app.zones.schemas import DistrictOut

_STATES_DOC = "open：公示期内（可提出异议）；upcoming：已发布、尚未开始；closed：公示期已满"


class NoticeListArgs(PageArgs):
    state = ma.fields.String(
        validate=ma.validate.OneOf(["open", "upcoming", "closed"], error="可选：open, upcoming, closed"),
        metadata={"description": _STATES_DOC},
    )


class StaffNoticeListArgs(PageArgs):
    state = ma.fields.String(
        validate=ma.validate.OneOf(
            ["open", "upcoming", "closed", "draft"], error="可选：open, upcoming, closed, draft"
        ),
        metadata={"description": _STATES_DOC + "；draft：草稿"},
    )


class NoticeZoneOut(Schema):
    id = ma.fields.Function(lambda e: e.zone_id, metadata={"description": "the zone's id (as in /zones)"})
    zone_id = ma.fields.Integer()
    name = ma.fields.Function(lambda e: e.zone.name)
    type = ma.fields.Function(lambda e: e.zone.type)
    type_label = ma.fields.Function(lambda e: TYPE_LABELS[ZoneType(e.zone.type)])
    level = ma.fields.Function(lambda e: e.zone.level)
    level_label = ma.fields.Function(lambda e: LEVEL_LABELS[Level(e.zone.level)])
    applicant_name = ma.fields.Function(lambda e: e.zone.applicant_name)
    district = ma.fields.Function(
        lambda e: DistrictOut().dump(e.zone.district), metadata={"description": "as in /zones"}
    )
    status = ma.fields.Function(lambda e: e.zone.status)
    status_label = ma.fields.Function(lambda e: STATUS_LABELS[Status(e.zone.status)])
    outcome = ma.fields.String(allow_none=True, metadata={"description": "confirmed / rejected; null while open"})
    objections = ma.fields.Integer(allow_none=True, metadata={"description": "after closing only"})
    upheld = ma.fields.Integer(allow_none=True, metadata={"description": "after closing only"})


class NoticeCardOut(Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    batch_year = ma.fields.Integer()
    starts_at = LocalDateTime()
    ends_at = LocalDateTime()
    window_state = ma.fields.String(metadata={"description": "upcoming, open, closed (draft for staff)"})
    zone_count = ma.fields.Integer()


class NoticeOut(NoticeCardOut):
    office_name = ma.fields.String()
    office_phone = ma.fields.String(allow_none=True)
    office_address = ma.fields.String(allow_none=True)
    policy = ma.fields.String(metadata={"description": "异议须知：实名、方式、答复查看位置"})
    how_to_object = ma.fields.Dict()
    closed_at = LocalDateTime(allow_none=True)
    zones = ma.fields.List(ma.fields.Nested(NoticeZoneOut))


class StaffNoticeOut(NoticeOut):
    state = ma.fields.String()
    published_at = LocalDateTime(allow_none=True)


class NoticeIn(Schema):
    batch_year = ma.fields.Integer(required=True, validate=ma.validate.Range(min=2023, max=2100))
    # Each id within the database's INTEGER (the base schema bounds only top-level integers).
    zone_ids = ma.fields.List(
        ma.fields.Integer(validate=ma.validate.Range(min=1, max=INT_MAX)), validate=ma.validate.Length(min=1, max=500)
    )
    title = Trimmed(validate=[ma.validate.Length(min=4, max=200), not_blank])
    starts_at = LocalDateTime(required=True)
    ends_at = LocalDateTime(metadata={"description": "或给出 working_days"})
    working_days = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=30),
        metadata={"description": "自 starts_at 当日起的工作日数（跳过周末与法定节假日）"},
    )
    office_name = Trimmed(validate=ma.validate.Length(min=2, max=120))
    office_phone = Trimmed(validate=ma.validate.Length(min=5, max=40))
    office_address = Trimmed(validate=ma.validate.Length(max=200))
    policy = Trimmed(validate=ma.validate.Length(min=20, max=2000))

    @ma.validates_schema
    def _end(self, data, **kwargs):
        if ("ends_at" in data) == ("working_days" in data):
            raise ma.ValidationError("ends_at 与 working_days 须且只须给出一项", "ends_at")


class WorkingDaysArgs(Schema):
    start = ma.fields.Date(required=True, data_key="from")
    days = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=60))


class WorkingDaysOut(Schema):
    start = ma.fields.Date(data_key="from")
    days = ma.fields.Integer()
    last_working_day = ma.fields.Date()
    starts_at = LocalDateTime()
    ends_at = LocalDateTime()
    unloaded_years = ma.fields.List(
        ma.fields.Integer(),
        metadata={"description": "years the count runs through whose holidays are not entered (only weekends skipped)"},
    )
    warning = ma.fields.String(allow_none=True, metadata={"description": "said when unloaded_years is not empty"})


class CalendarDayIn(Schema):
    day = ma.fields.Date(required=True)
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(["holiday", "workday"]))
    note = Trimmed(validate=ma.validate.Length(max=64))


class CalendarDayOut(Schema):
    day = ma.fields.Date()
    kind = ma.fields.String()
    note = ma.fields.String(allow_none=True)


class CalendarArgs(WholeListArgs):
    year = ma.fields.Integer(required=True, validate=ma.validate.Range(min=2020, max=2100))


class ObjectionIn(Schema):
    zone_id = ma.fields.Integer(required=True)
    name = Trimmed(required=True, validate=validate_person_name)
    phone = Phone(required=True)
    organisation = Trimmed(allow_none=True, validate=ma.validate.Length(min=2, max=100))
    contact_person = Trimmed(allow_none=True, validate=validate_person_name)
    id_type = id_type_field(allow_none=True)
    id_number = Trimmed(allow_none=True, validate=ma.validate.Length(max=32))
    reason = Trimmed(required=True, validate=ma.validate.Length(min=10, max=2000))
    evidence_urls = ma.fields.List(
        Link(validate=ma.validate.Length(max=300)),
        validate=ma.validate.Length(max=9, error="证明图片最多 9 张"),
    )

    @ma.validates_schema
    def _document(self, data, **kwargs):
        check_document(data)


OBJECTION_EXAMPLE = {
    "zone_id": 1,
    "name": "张三",
    "phone": "13812345678",
    "reason": "该项目公示的年度能耗数据与实际运行情况不符，请核实。",
    "evidence_urls": [],
}


class ObjectionEventOut(Schema):
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String()
    to_label = ma.fields.Function(lambda e: OBJECTION_LABELS[ObjectionStatus(e.to_status)])
    reply = ma.fields.String(allow_none=True)
    at = LocalDateTime()


class ObjectionReceiptOut(Schema):
    receipt_no = ma.fields.String()
    status = ma.fields.String()
    status_label = ma.fields.Function(lambda o: OBJECTION_LABELS[ObjectionStatus(o.status)])
    needs_review = ma.fields.Boolean(metadata={"description": "内容待人工复核"})
    created_at = LocalDateTime()


class MyObjectionOut(ObjectionReceiptOut):
    """The objector's own view: their phone and document number masked, as their bookings show them
    (the page is often open on a phone in others' sight; the full values are in 导出我的数据)."""

    notice_id = ma.fields.Integer()
    zone_id = ma.fields.Integer()
    zone_name = ma.fields.Function(lambda o: o.zone.name)
    name = ma.fields.String(allow_none=True)
    phone = Masked(mask_phone, allow_none=True)
    organisation = ma.fields.String(allow_none=True)
    contact_person = ma.fields.String(allow_none=True)
    id_type = ma.fields.String(allow_none=True)
    id_number = Masked(mask_id_number, allow_none=True)
    reason = ma.fields.String(allow_none=True)
    evidence_urls = ma.fields.List(MediaUrl())
    events = ma.fields.List(ma.fields.Nested(ObjectionEventOut))


REVEAL_REASON_MAX = 200
REVEAL_DOC = "1：查看异议人完整个人信息（仅负责该类型项目的主管部门；记入审计日志）"


def reveal_reason() -> Trimmed:
    """Why personal data is revealed, kept in the audit entry. Optional in the staff API (the published
    contract calls `?reveal=1` alone: the audit then says no reason was given); the console asks for one."""
    return Trimmed(
        validate=ma.validate.Length(max=REVEAL_REASON_MAX),
        metadata={
            "description": f"查看完整个人信息的理由（与 reveal=1 一起使用，可选，最多 {REVEAL_REASON_MAX} 字，记入审计日志）"
        },
    )


class StaffObjectionArgs(PageArgs):
    notice_id = ma.fields.Integer()
    zone_id = ma.fields.Integer()
    status = ma.fields.String(validate=ma.validate.OneOf([s.value for s in ObjectionStatus]))
    needs_review = ma.fields.Boolean()
    reveal = ma.fields.Boolean(load_default=False, metadata={"description": REVEAL_DOC})
    reason = reveal_reason()


class RevealArgs(Schema):
    reveal = ma.fields.Boolean(load_default=False, metadata={"description": REVEAL_DOC})
    reason = reveal_reason()


class StaffObjectionOut(Schema):
    id = ma.fields.Integer()
    receipt_no = ma.fields.String()
    notice_id = ma.fields.Integer()
    zone_id = ma.fields.Integer()
    zone_name = ma.fields.Function(lambda o: o.zone.name)
    zone_type = ma.fields.Function(lambda o: o.zone.type)
    status = ma.fields.String()
    status_label = ma.fields.Function(lambda o: OBJECTION_LABELS[ObjectionStatus(o.status)])
    content_check = ma.fields.String()
    needs_review = ma.fields.Boolean()
    personal = ma.fields.Dict(metadata={"description": "masked unless ?reveal=1 by an entitled officer"})
    revealed = ma.fields.Boolean()
    reason = ma.fields.String(allow_none=True)
    evidence_urls = ma.fields.List(MediaUrl())
    created_at = LocalDateTime()
    settled_at = LocalDateTime(allow_none=True)
    purged = ma.fields.Function(lambda o: o.purged_at is not None)
    events = ma.fields.List(ma.fields.Nested(ObjectionEventOut))


class DecisionIn(Schema):
    status = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf([s.value for s in ObjectionStatus if s is not ObjectionStatus.RECEIVED]),
    )
    reply = Trimmed(required=True, validate=ma.validate.Length(min=2, max=2000))


class CloseReportOut(Schema):
    notice_id = ma.fields.Integer()
    confirmed = ma.fields.List(ma.fields.Integer())
    rejected = ma.fields.List(ma.fields.Integer())
    waiting = ma.fields.List(ma.fields.Integer())


class UploadOut(Schema):
    id = ma.fields.Integer()
    url = ma.fields.String()
    mimetype = ma.fields.String()
    size = ma.fields.Integer()
