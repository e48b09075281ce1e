"""Schemas for zones: filters, the public card and detail, the staff input."""

from __future__ import annotations

import marshmallow as ma

from app.accounts.roles import DEPARTMENT_LABELS, Department
from app.fields import LocalDateTime, MediaUrl
from app.validation import PageArgs, Schema, not_blank, one_of
from app.validators import Trimmed
from app.zones.constants import (
    APPLICANT_KIND_LABELS,
    DISTRICT_CODE,
    LEVEL_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
    ApplicantKind,
    Level,
    Status,
    ZoneType,
)
from app.zones.registry import SORTS, indicator_view
from app.zones.validation import ZoneFields

# ---- filters ------------------------------------------------------------------------------


class ZoneListArgs(PageArgs):
    type = ma.fields.String(validate=one_of(ZoneType, "类型"))
    level = ma.fields.String(validate=one_of(Level, "级别"))
    status = ma.fields.String(validate=one_of(Status, "状态"))
    district = ma.fields.String(
        validate=ma.validate.Length(min=1, max=64),
        metadata={"description": "district id from GET /meta, or its division code (220102) or name (南关区)"},
    )
    batch_year = ma.fields.Integer(validate=ma.validate.Range(min=2000, max=2100))
    q = ma.fields.String(validate=ma.validate.Length(max=50), metadata={"description": "名称、申报主体或地址中的文字"})
    sort = ma.fields.String(
        load_default="-updated_at",
        validate=ma.validate.OneOf(list(SORTS), error=f"可选：{', '.join(SORTS)}"),
    )


class StaffZoneListArgs(ZoneListArgs):
    is_education_base = ma.fields.Boolean()


# ---- output -------------------------------------------------------------------------------


class DistrictOut(Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    code = ma.fields.String(allow_none=True)
    kind = ma.fields.String()


class StaffDistrictOut(DistrictOut):
    sort_order = ma.fields.Integer()
    is_active = ma.fields.Boolean()


class LocationOut(Schema):
    latitude = ma.fields.Float()
    longitude = ma.fields.Float()
    coordinate_system = ma.fields.Constant("gcj02")


class ZoneCardOut(Schema):
    """A zone in lists; `indicator` is the type's headline indicator, `indicators` all of them."""

    id = ma.fields.Integer()
    name = ma.fields.String()
    type = ma.fields.String()
    type_label = ma.fields.Function(lambda z: TYPE_LABELS[ZoneType(z.type)])
    level = ma.fields.String()
    level_label = ma.fields.Function(lambda z: LEVEL_LABELS[Level(z.level)])
    status = ma.fields.String()
    status_label = ma.fields.Function(lambda z: STATUS_LABELS[Status(z.status)])
    district = ma.fields.Nested(DistrictOut)
    applicant_name = ma.fields.String()
    batch_year = ma.fields.Integer()
    address = ma.fields.String(allow_none=True)
    location = ma.fields.Nested(LocationOut, allow_none=True, metadata={"description": "GCJ-02"})
    cover_image_url = MediaUrl(allow_none=True)
    summary = ma.fields.String(allow_none=True)
    is_education_base = ma.fields.Boolean()
    indicators = ma.fields.Function(indicator_view)
    indicator = ma.fields.Function(lambda z: indicator_view(z)[0])
    status_changed_at = LocalDateTime()
    updated_at = LocalDateTime()


class TimelineEntryOut(Schema):
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String()
    to_label = ma.fields.Function(lambda t: STATUS_LABELS[Status(t.to_status)])
    note = ma.fields.String(allow_none=True)
    occurred_at = LocalDateTime()


class StaffTimelineEntryOut(TimelineEntryOut):
    actor_id = ma.fields.Integer(allow_none=True)


class ReReviewOut(Schema):
    id = ma.fields.Integer()
    reviewed_on = ma.fields.Date()
    outcome = ma.fields.String()
    outcome_label = ma.fields.Function(lambda r: "通过" if r.outcome == "passed" else "未通过")
    note = ma.fields.String(allow_none=True)


class NoticeRefOut(Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    starts_at = LocalDateTime()
    ends_at = LocalDateTime()
    outcome = ma.fields.String(allow_none=True, metadata={"description": "confirmed / rejected; null while open"})


def _notice_of(zone) -> dict | None:
    from app.publicity.notices import latest_notice_of  # publicity builds on zones, not the reverse

    found = latest_notice_of(zone.id)
    return NoticeRefOut().dump(found) if found else None


def _progress_of(zone) -> dict | None:
    from app.progress.schemas import ZoneProgressOut  # progress builds on zones, not the reverse
    from app.progress.series import public_progress

    found = public_progress(zone)
    return ZoneProgressOut().dump(found) if found is not None else None


class ZoneDetailOut(ZoneCardOut):
    applicant_kind = ma.fields.String()
    applicant_kind_label = ma.fields.Function(lambda z: APPLICANT_KIND_LABELS[ApplicantKind(z.applicant_kind)])
    department = ma.fields.String()
    department_label = ma.fields.Function(lambda z: DEPARTMENT_LABELS[Department(z.department)])
    description = ma.fields.String(allow_none=True)
    published_at = LocalDateTime(allow_none=True)
    timeline = ma.fields.List(ma.fields.Nested(TimelineEntryOut))
    re_reviews = ma.fields.List(ma.fields.Nested(ReReviewOut))
    notice = ma.fields.Function(
        _notice_of, metadata={"description": "the publicity notice the zone is or was in (null: never publicised)"}
    )
    progress = ma.fields.Function(
        _progress_of,
        metadata={
            "description": "construction progress (ZoneProgressOut: milestones, verified indicator series, on_track) "
            "from confirmation on; null before"
        },
    )


class StaffZoneOut(ZoneDetailOut):
    timeline = ma.fields.List(ma.fields.Nested(StaffTimelineEntryOut))
    created_at = LocalDateTime()


class StaffZoneCardOut(ZoneCardOut):
    department = ma.fields.String()


# ---- input --------------------------------------------------------------------------------


class ZoneIn(ZoneFields):
    """A zone as staff send it (create; PATCH takes the same fields, each optional)."""


class ZonePatchIn(ZoneIn):
    """ZoneIn with every field optional (used as ZonePatchIn(partial=True))."""


class TransitionIn(Schema):
    to = ma.fields.String(required=True, validate=one_of(Status, "状态"))
    note = Trimmed(allow_none=True, multiline=True, validate=ma.validate.Length(max=500))


class ReReviewIn(Schema):
    reviewed_on = ma.fields.Date(required=True)
    outcome = ma.fields.String(required=True, validate=ma.validate.OneOf(["passed", "failed"]))
    note = Trimmed(allow_none=True, multiline=True, validate=ma.validate.Length(max=500))


class EducationBaseIn(Schema):
    is_education_base = ma.fields.Boolean(required=True)


class DistrictIn(Schema):
    name = ma.fields.String(required=True, validate=[ma.validate.Length(min=2, max=64), not_blank])
    code = ma.fields.String(allow_none=True, validate=ma.validate.Regexp(DISTRICT_CODE, error="区划代码为 6 位数字"))
    kind = ma.fields.String(
        required=True, validate=ma.validate.OneOf(["district", "county", "city", "development_zone"])
    )
    sort_order = ma.fields.Integer(load_default=100)
    is_active = ma.fields.Boolean(load_default=True)


class DistrictPatchIn(Schema):
    name = ma.fields.String(validate=[ma.validate.Length(min=2, max=64), not_blank])
    code = ma.fields.String(allow_none=True, validate=ma.validate.Regexp(DISTRICT_CODE, error="区划代码为 6 位数字"))
    kind = ma.fields.String(validate=ma.validate.OneOf(["district", "county", "city", "development_zone"]))
    sort_order = ma.fields.Integer()
    is_active = ma.fields.Boolean()


class FollowStateOut(Schema):
    zone_id = ma.fields.Integer()
    following = ma.fields.Boolean(metadata={"description": "调用者是否已关注"})
    followers = ma.fields.Integer(metadata={"description": "关注人数"})
