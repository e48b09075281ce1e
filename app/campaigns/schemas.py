from __future__ import annotations

from decimal import Decimal

import marshmallow as ma

from app.campaigns import campaigns, lookups, moderation
from app.campaigns import checkins as campaign_checkins
from app.campaigns.board_scores import BOARD_DEPTH, BOARDS, METRICS
from app.campaigns.catalogue import ESTIMATE_NOTE
from app.campaigns.models import Audience, GuardianRelationship
from app.campaigns.moderation import author_name
from app.fields import NAMES_STUDENT, LocalDateTime, MediaUrl
from app.validation import Link, PageArgs, Schema, not_blank
from app.validators import Trimmed, no_control_characters
from app.zones.schemas import DistrictOut


class SchoolOut(Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    district = ma.fields.Nested(DistrictOut)
    followers = ma.fields.Integer()
    following = ma.fields.Boolean(metadata={"description": "调用者是否已关注（未登录为 false）"})
    campaigns_running = ma.fields.Integer()


class FactorOut(Schema):
    """A green action with the factor in force: every number says where it comes from."""

    code = ma.fields.String()
    name = ma.fields.String()
    unit = ma.fields.String()
    unit_label = ma.fields.String()
    unit_kind = ma.fields.String(metadata={"description": "count（整数）或 amount（可带小数）"})
    kg_co2e_per_unit = ma.fields.Float()
    baseline = ma.fields.String(metadata={"description": "减排量相对于什么计算"})
    source = ma.fields.Dict(metadata={"description": "publisher, document, data_year"})
    valid_from = ma.fields.Date()
    daily_cap = ma.fields.Float()
    points_per_unit = ma.fields.Float()
    commuting = ma.fields.Boolean(metadata={"description": "上学出行类：只在上学日计入"})


class CampaignCardOut(Schema):
    id = ma.fields.Integer()
    school_id = ma.fields.Integer()
    school_name = ma.fields.Function(lambda c: c.school.name)
    title = ma.fields.String()
    cover_image_url = MediaUrl(allow_none=True)
    starts_on = ma.fields.Date()
    ends_on = ma.fields.Date()
    audience = ma.fields.String(metadata={"description": "school（本校已确认学生）或 anyone"})
    state = ma.fields.Function(
        lambda c: lookups.campaign_state(c), metadata={"description": "upcoming, running, ended"}
    )


class CampaignOut(CampaignCardOut):
    description = ma.fields.String(allow_none=True)
    actions = ma.fields.Function(lambda c: FactorOut(many=True).dump(campaigns.campaign_actions(c)))
    estimate_note = ma.fields.Constant(ESTIMATE_NOTE)


class CampaignListArgs(PageArgs):
    school_id = ma.fields.Integer()


class JsonNumber(ma.fields.Decimal):
    """A number in a JSON body: a JSON number only. "3" is no number, as it is no integer (docs/api.md:
    JSON bodies are not coerced); a form's text goes through the form's own schema (ClassActionForm)."""

    default_error_messages = {"not_a_number": "须为数字"}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise self.make_error("not_a_number")
        return super()._deserialize(value, attr, data, **kwargs)


class ActionCheckinIn(Schema):
    action = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=32))
    quantity = JsonNumber(required=True, places=2, validate=ma.validate.Range(min=-1_000_000, max=1_000_000))
    day = ma.fields.Date(metadata={"description": "补记：最近 7 天内的某天（默认今天，中国时间）"})
    note = Trimmed(
        allow_none=True,
        validate=ma.validate.Length(max=500),
        metadata={"description": "本校同学可见（同学分享）：不能含电话号码、证件号（连续 7 位以上数字）"},
    )
    photo_url = Link(allow_none=True, validate=ma.validate.Length(max=300))


CHECKIN_EXAMPLE = {"action": "walk", "quantity": 2.5, "note": "今天走路上学"}


class ActionCheckinOut(Schema):
    id = ma.fields.Integer()
    action = ma.fields.String()
    day = ma.fields.Date()
    quantity = ma.fields.Float()
    co2_kg = ma.fields.Float(metadata={"description": "教育性估算的减排量（千克 CO2e）"})
    points = ma.fields.Float()
    evidence = ma.fields.String(metadata={"description": "self（自报）、photo（有照片）、teacher（老师确认）"})
    evidence_note = ma.fields.Function(
        lambda c: campaign_checkins.evidence_note(c),
        allow_none=True,
        metadata={"description": "带照片却按自报计分时说明原因（补记的日子、照片已在本活动加过分）"},
    )
    factor = ma.fields.Nested(FactorOut)
    needs_review = ma.fields.Boolean()
    estimate_note = ma.fields.Constant(ESTIMATE_NOTE)
    created_at = LocalDateTime()


class ProgressOut(Schema):
    campaign_id = ma.fields.Integer()
    checkins = ma.fields.Integer()
    points = ma.fields.Float()
    co2_kg = ma.fields.Float()
    current_streak = ma.fields.Integer()
    longest_streak = ma.fields.Integer()
    days = ma.fields.List(ma.fields.Date())
    estimate_note = ma.fields.Constant(ESTIMATE_NOTE)


class BoardEntryOut(Schema):
    """A student, class or school on a board (a student only if others may see them)."""

    id = ma.fields.Raw(
        metadata={"description": "学生榜：用户编号；班级榜：“学校编号:班级”；学校榜：学校编号（字符串）"}
    )
    name = ma.fields.String(metadata={**NAMES_STUDENT, "description": "学生的昵称（或“同学+编号”）、班级名或学校名"})
    rank = ma.fields.Integer(metadata={"description": "名次（并列同名次）"})
    points = ma.fields.Float()
    co2_kg = ma.fields.Float(metadata={"description": "教育性估算的减排量（千克 CO2e）"})
    enrolled = ma.fields.Integer(metadata={"description": "班级、学校榜：已确认的学生数"})
    participants = ma.fields.Integer(metadata={"description": "班级、学校榜：有打卡的学生数"})
    per_student = ma.fields.Float()
    participation = ma.fields.Float()
    total = ma.fields.Float()


class LeaderboardOut(Schema):
    items = ma.fields.List(ma.fields.Nested(BoardEntryOut))
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()
    total = ma.fields.Integer()
    by = ma.fields.String()
    metric = ma.fields.String()
    me = ma.fields.Nested(
        BoardEntryOut,
        allow_none=True,
        metadata={"description": "带登录凭证时：调用者自己（或其班级、学校）的名次，即使不公开显示"},
    )
    note = ma.fields.String(metadata={"description": "减排量为教育性估算"})


class LeaderboardArgs(Schema):
    by = ma.fields.String(load_default="student", validate=ma.validate.OneOf(BOARDS))
    metric = ma.fields.String(
        load_default="per_student",
        validate=ma.validate.OneOf(METRICS),
        metadata={"description": "班级、学校榜：人均积分（默认）、参与率或总分"},
    )
    top = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=100))
    # The list contract's paging: per_page is top's other name; page 2 is the next top entries.
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1))
    per_page = ma.fields.Integer(validate=ma.validate.Range(min=1, max=100), metadata={"description": "同 top"})

    @ma.post_load
    def _page_size(self, data, **_):
        data["top"] = data.pop("per_page", data["top"])
        if data["page"] * data["top"] > BOARD_DEPTH:
            raise ma.ValidationError(f"榜单最多列出前 {BOARD_DEPTH} 名", "page")
        return data


class JoinClassIn(Schema):
    join_code = ma.fields.String(required=True, validate=[ma.validate.Length(min=4, max=12), not_blank])


class CampaignIn(Schema):
    # Trimmed: a title of zero-width or full-width spaces is blank, and spaces around it go.
    title = Trimmed(required=True, validate=[ma.validate.Length(min=2, max=100), not_blank, no_control_characters])
    description = Trimmed(allow_none=True, validate=ma.validate.Length(max=5000))
    cover_image_url = Link(allow_none=True, validate=ma.validate.Length(max=512))
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(required=True)
    audience = ma.fields.String(
        load_default=Audience.SCHOOL.value, validate=ma.validate.OneOf([a.value for a in Audience])
    )
    actions = ma.fields.List(ma.fields.String(), required=True, validate=ma.validate.Length(min=1, max=20))


class ClassIn(Schema):
    name = Trimmed(required=True, validate=[ma.validate.Length(min=1, max=40), not_blank, no_control_characters])


class ClassOut(Schema):
    id = ma.fields.Integer()
    school_id = ma.fields.Integer()
    name = ma.fields.String()
    join_code = ma.fields.String()


class ConfirmIn(Schema):
    user_ids = ma.fields.List(ma.fields.Integer(), required=True, validate=ma.validate.Length(min=1, max=500))


class ConfirmedOut(Schema):
    confirmed = ma.fields.Integer()


class ConsentIn(Schema):
    method = ma.fields.String(
        load_default="statement",
        validate=ma.validate.OneOf(["statement", "signed_statement"]),
        metadata={
            "description": "statement：监护人签字同意书（signed_statement 为旧名）；微信同意只能由监护人本人在小程序中进行"
        },
    )


class StudentOut(Schema):
    user_id = ma.fields.Integer()
    school_id = ma.fields.Integer()
    class_name = ma.fields.String(allow_none=True)
    age_band = ma.fields.String()
    pending_age_band = ma.fields.String(
        allow_none=True, metadata={"description": "学生申报的更高年龄段，待学校确认（确认名单或班级码）后生效"}
    )
    nickname = ma.fields.String(allow_none=True, metadata=NAMES_STUDENT)
    confirmed = ma.fields.Function(lambda p: p.confirmed_at is not None)
    guardian_consent = ma.fields.Function(lambda p: p.guardian_consent_at is not None)
    guardian_consent_method = ma.fields.Function(
        lambda p: p.guardian_consent_method if p.guardian_consent_at is not None else None,
        metadata={"description": "statement（学校记录的签字同意书）或 wechat（监护人本人在微信中同意）；未同意为 null"},
    )
    guardian_consent_at = LocalDateTime(allow_none=True)
    guardian_consent_withdrawn_at = LocalDateTime(
        allow_none=True, metadata={"description": "监护人撤回微信同意的时间（此后无任何同意时）"}
    )
    on_public_boards = ma.fields.Boolean(attribute="may_appear")


class RelationshipOut(Schema):
    code = ma.fields.String()
    label = ma.fields.String()


class ChildOut(Schema):
    """A child as others would see them on public boards: nickname, class, school, points."""

    nickname = ma.fields.String(metadata=NAMES_STUDENT)
    class_name = ma.fields.String(allow_none=True)
    school = ma.fields.Dict(allow_none=True, metadata={"description": "{id, name}"})
    points = ma.fields.Float()


class GuardianLinkOut(Schema):
    code = ma.fields.String(
        metadata={
            "description": "一次性同意码（7 天内有效，只能使用一次），以卡片分享给监护人；形如 7K3M-Q9TX-2HDR-PW4N，"
            "输入时不分大小写，可带或不带短横线与空格"
        }
    )
    expires_at = LocalDateTime()


class GuardianLinkPreviewOut(Schema):
    expires_at = LocalDateTime()
    student = ma.fields.Nested(ChildOut)
    public = ma.fields.List(ma.fields.String(), metadata={"description": "同意后公开显示的内容"})
    schoolmates = ma.fields.List(ma.fields.String(), metadata={"description": "同意后本校同学可见的内容"})
    never_public = ma.fields.List(ma.fields.String(), metadata={"description": "任何时候都不公开的内容"})
    already_consented = ma.fields.Boolean(metadata={"description": "调用者是否已为该学生同意"})
    relationships = ma.fields.List(ma.fields.Nested(RelationshipOut))


class GuardianConsentIn(Schema):
    code = ma.fields.String(required=True, validate=[ma.validate.Length(min=1, max=100), not_blank])
    relationship = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf([r.value for r in GuardianRelationship]),
        metadata={"description": "father 父亲、mother 母亲、grandparent 祖父母/外祖父母、other_guardian 其他监护人"},
    )


class GuardianConsentOut(Schema):
    id = ma.fields.Integer()
    method = ma.fields.String(metadata={"description": "wechat"})
    relationship = ma.fields.String()
    relationship_label = ma.fields.String()
    consented_at = LocalDateTime()
    withdrawn_at = LocalDateTime(allow_none=True)
    student = ma.fields.Nested(ChildOut)


class StudentListArgs(PageArgs):
    confirmed = ma.fields.Boolean()
    awaiting = ma.fields.Boolean(
        metadata={"description": "true：待学校确认的学生（学校或班级未确认，或申报的年龄段待确认）"}
    )


class _StringOf(ma.fields.String):
    """A string the service derives from the object (`getter`), documented as the string it is."""

    def __init__(self, getter, **kwargs) -> None:
        super().__init__(**kwargs)
        self._getter = getter

    def get_value(self, obj, attr, accessor=None, default=ma.missing):
        return self._getter(obj)


class PostOut(Schema):
    """A check-in's note or photo as others see it: a nickname, never a name."""

    id = ma.fields.Integer()
    author = ma.fields.Function(
        lambda p: p.author if isinstance(p, lookups.StaffView) else author_name(p), metadata=NAMES_STUDENT
    )
    action = ma.fields.String()
    day = ma.fields.Date()
    note = ma.fields.String(allow_none=True)
    photo_url = MediaUrl(allow_none=True)
    report_count = ma.fields.Integer()
    hidden = ma.fields.Function(
        lambda p: moderation.is_hidden(p),
        metadata={"description": "只有作者与学校能看到被隐藏的内容"},
    )
    hidden_reason = _StringOf(moderation.why_hidden, allow_none=True)
    created_at = LocalDateTime()


class ReportIn(Schema):
    reason = Trimmed(required=True, validate=[ma.validate.Length(min=2, max=200), not_blank])


class ReportedOut(Schema):
    """A report's answer says nothing about the post."""

    reported = ma.fields.Boolean(required=True, metadata={"description": "总是 true：举报已记录（不透露内容本身）"})


class HideIn(Schema):
    reason = Trimmed(required=True, validate=[ma.validate.Length(min=2, max=200), not_blank])


class StaffCheckinOut(ActionCheckinOut):
    """A check-in as its school's teachers see it (to confirm): the student's number and class, no name."""

    user_id = ma.fields.Integer()
    class_name = ma.fields.Function(lambda c: (lookups.student_of_id(c.user_id) or _NoProfile).class_name)
    # As the reader may see it (lookups.as_staff_sees); a check-in not passed through it names nobody.
    nickname = ma.fields.Function(lambda c: getattr(c, "nickname", None), metadata=NAMES_STUDENT)
    voided = ma.fields.Function(
        lambda c: not c.counts, metadata={"description": "已作废：保留记录，不计入任何榜单和统计"}
    )
    voided_reason = ma.fields.String(allow_none=True)
    voided_at = LocalDateTime(allow_none=True)


class _NoProfile:
    class_name = None


class StaffCheckinArgs(PageArgs):
    class_name = ma.fields.String(validate=ma.validate.Length(max=40))
    day = ma.fields.Date()
    evidence = ma.fields.String(validate=ma.validate.OneOf(["self", "photo", "teacher"]))
    voided = ma.fields.Boolean(metadata={"description": "true 只看已作废的，false 只看计分的"})


class VoidIn(Schema):
    reason = Trimmed(
        required=True,
        validate=[ma.validate.Length(min=2, max=200), not_blank],
        metadata={"description": "作废原因（留档、写入审计日志）"},
    )


class VoidedOut(Schema):
    voided = ma.fields.Integer(metadata={"description": "这次作废的打卡条数（已作废的不重复计）"})


class ClassActionIn(Schema):
    class_name = Trimmed(required=True, validate=[ma.validate.Length(min=1, max=40), not_blank])
    action = ma.fields.String(load_default="lights_off", validate=ma.validate.Length(min=1, max=32))
    kw = JsonNumber(required=True, places=3, metadata={"description": "关掉的用电功率（千瓦）"})
    hours = JsonNumber(required=True, places=2, metadata={"description": "时长（小时）"})
    day = ma.fields.Date(metadata={"description": "默认今天（中国时间）；可补记最近 7 天"})
    note = Trimmed(allow_none=True, validate=ma.validate.Length(max=500))


class ClassActionForm(ClassActionIn):
    """The console's class-action form: the same fields, its numbers typed as text."""

    kw = ma.fields.Decimal(required=True, places=3)
    hours = ma.fields.Decimal(required=True, places=2)


class ClassActionOut(Schema):
    id = ma.fields.Integer()
    campaign_id = ma.fields.Integer()
    class_name = ma.fields.String()
    action = ma.fields.String()
    day = ma.fields.Date()
    kw = ma.fields.Float()
    hours = ma.fields.Float()
    quantity = ma.fields.Float(metadata={"description": "千瓦时 = 千瓦 × 小时"})
    co2_kg = ma.fields.Float(metadata={"description": "教育性估算的减排量（千克 CO2e）"})
    points = ma.fields.Float()
    factor = ma.fields.Nested(FactorOut)
    note = ma.fields.String(allow_none=True)
    estimate_note = ma.fields.Constant(ESTIMATE_NOTE)
    created_at = LocalDateTime()
