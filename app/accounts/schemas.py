"""Request and response schemas for accounts, shared by both APIs."""

from __future__ import annotations

import marshmallow as ma

from app.accounts.roles import GRANTABLE_ROLES, Department, Role, scope_field_problems
from app.fields import NAMES_STUDENT, LocalDateTime
from app.privacy import mask_phone
from app.validation import PageArgs, Schema
from app.validators import Trimmed


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ma.ValidationError("不能为空")


class WeChatLoginIn(Schema):
    code = ma.fields.String(
        required=True,
        validate=[ma.validate.Length(min=1, max=128), _not_blank],
        metadata={"description": "wx.login() 返回的临时登录凭证"},
    )


class PhoneIn(Schema):
    code = ma.fields.String(
        required=True,
        validate=[ma.validate.Length(min=1, max=128), _not_blank],
        metadata={"description": "getPhoneNumber 按钮返回的动态令牌"},
    )


class StaffLoginIn(Schema):
    username = ma.fields.String(required=True, validate=[ma.validate.Length(min=1, max=64), _not_blank])
    password = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=256), load_only=True)


class GrantOut(Schema):
    id = ma.fields.Integer()
    role = ma.fields.String()
    department = ma.fields.String(allow_none=True)
    base_id = ma.fields.Integer(allow_none=True)
    school_id = ma.fields.Integer(allow_none=True)
    zone_id = ma.fields.Integer(allow_none=True, metadata={"description": "zone_reporter: the one zone"})


class StudentSelfOut(Schema):
    """A student's own record, with what waits for the school's confirmation."""

    school_id = ma.fields.Integer()
    class_name = ma.fields.String(allow_none=True)
    age_band = ma.fields.String(metadata={"description": "生效的年龄段：under_14、14_17、18_plus"})
    pending_age_band = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "申报的更高年龄段，学校管理员在名单中确认后生效（班级码不确认年龄段）；此前仍按 age_band 对待"
        },
    )
    nickname = ma.fields.String(allow_none=True, metadata=NAMES_STUDENT)
    public_board = ma.fields.Boolean(metadata={"description": "本人是否愿意出现在公开榜单"})
    confirmed = ma.fields.Function(
        lambda p: p.confirmed_at is not None,
        metadata={"description": "学校已确认（班级码或名单）；确认前不出现在任何公开榜单，也不能参加仅限本校的活动"},
    )
    guardian_consent = ma.fields.Function(lambda p: p.guardian_consent_at is not None)
    guardian_consent_method = ma.fields.Function(
        lambda p: p.guardian_consent_method if p.guardian_consent_at is not None else None,
        metadata={"description": "statement（学校记录的签字同意书）或 wechat（监护人在微信中同意）；未同意为 null"},
    )
    on_public_boards = ma.fields.Boolean(
        attribute="may_appear", metadata={"description": "别人现在能否看到本人（榜单、打卡分享）"}
    )


class _StudentRecord(ma.fields.Nested):
    """The user's student record, looked up by the user's id (campaigns build on accounts, not the reverse)."""

    def serialize(self, attr, obj, accessor=None, **kwargs):
        from app.campaigns.models import StudentProfile
        from app.extensions import db

        return self._serialize(db.session.get(StudentProfile, obj.id), attr, obj, **kwargs)


class UserOut(Schema):
    """What a user sees of themselves (their own phone in full: it is theirs)."""

    id = ma.fields.Integer()
    roles = ma.fields.List(ma.fields.String())
    display_name = ma.fields.String(allow_none=True)
    avatar_url = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    phone_verified = ma.fields.Function(lambda u: u.phone_verified_at is not None)
    username = ma.fields.String(allow_none=True)
    grants = ma.fields.List(ma.fields.Nested(GrantOut))
    created_at = LocalDateTime()
    student = _StudentRecord(StudentSelfOut, allow_none=True, metadata={"description": "学生信息（未填学校为 null）"})
    needs_consent = ma.fields.Function(
        # The privacy policy is the citizens' (the mini-program's): a staff account signing in with a
        # username is never asked for it.
        lambda u: u.username is None and _policies().needs_consent(u.id),
        metadata={
            "description": "true：现行隐私政策（GET /policies/privacy）尚未同意（工作人员账号恒为 false）；同意（POST /me/consents）前预约、"
            "异议与活动打卡返回 428 consent_required"
        },
    )
    privacy_version_accepted = ma.fields.Function(
        lambda u: _policies().accepted_version(u.id), metadata={"description": "最近同意的隐私政策版本；未同意为 null"}
    )


def _policies():
    """Policies build on accounts, not the reverse: looked up when a user is shown."""
    from app.policies import services

    return services


class TokenOut(Schema):
    token = ma.fields.String()
    token_type = ma.fields.Constant("Bearer")
    expires_in = ma.fields.Integer(metadata={"description": "seconds"})
    user = ma.fields.Nested(UserOut)


class ProfileIn(Schema):
    display_name = Trimmed(validate=ma.validate.Length(min=1, max=32))
    avatar_url = ma.fields.Url(schemes={"https", "http"}, validate=ma.validate.Length(max=512))
    school_id = ma.fields.Integer(
        metadata={
            "description": "学生：所在学校（学校类示范区的 id）；改校或改班后须由学校重新确认（班级码或名单），"
            "确认前不出现在任何公开榜单，也不能参加仅限本校的活动"
        }
    )
    class_name = Trimmed(allow_none=True, validate=ma.validate.Length(min=1, max=40))
    age_band = ma.fields.String(
        validate=ma.validate.OneOf(["under_14", "14_17", "18_plus"]),
        metadata={
            "description": "under_14（未满 14 周岁：监护人同意前不在任何公开榜单出现）、14_17、18_plus；"
            "从 under_14 调高须学校确认后生效（见 student.pending_age_band），调低立即生效"
        },
    )
    nickname = Trimmed(
        allow_none=True,
        validate=ma.validate.Length(min=1, max=20),
        metadata={
            "description": "榜单上显示的昵称（不填则显示“同学+编号”，从不显示真实姓名）；不能含电话号码、证件号，"
            "须通过微信内容安全检测（未通过：422 content_risky；微信不可用：503 wechat_unavailable）"
        },
    )
    public_board = ma.fields.Boolean(metadata={"description": "false：不出现在公开榜单（本人仍可看到自己的名次）"})


class PhoneOut(Schema):
    phone = ma.fields.String()
    phone_verified = ma.fields.Boolean()


class StaffUserOut(Schema):
    """A user as staff see them in lists: personal data masked."""

    id = ma.fields.Integer()
    username = ma.fields.String(allow_none=True)
    display_name = ma.fields.String(allow_none=True)
    roles = ma.fields.List(ma.fields.String())
    grants = ma.fields.List(ma.fields.Nested(GrantOut))
    phone = ma.fields.Function(lambda u: mask_phone(u.phone), allow_none=True)
    is_active = ma.fields.Boolean()
    created_at = LocalDateTime()
    last_login_at = LocalDateTime(allow_none=True)
    deleted_at = LocalDateTime(allow_none=True, metadata={"description": "本人注销账号的时间（注销后仅留空壳记录）"})


class UserListArgs(PageArgs):
    role = ma.fields.String(validate=ma.validate.OneOf([r.value for r in Role]))
    q = ma.fields.String(validate=ma.validate.Length(min=1, max=64), metadata={"description": "用户名或昵称"})


class GrantIn(Schema):
    role = ma.fields.String(required=True, validate=ma.validate.OneOf([r.value for r in GRANTABLE_ROLES]))
    department = ma.fields.String(validate=ma.validate.OneOf([d.value for d in Department]))
    base_id = ma.fields.Integer(validate=ma.validate.Range(min=1))
    school_id = ma.fields.Integer(validate=ma.validate.Range(min=1))
    zone_id = ma.fields.Integer(
        validate=ma.validate.Range(min=1),
        metadata={"description": "zone_reporter（建设主体填报员）须指定其负责的示范区"},
    )

    @ma.validates_schema
    def _only_the_roles_scope(self, data, **kwargs):
        # Here too, not only in accounts.grant_role: a reporter's account is made by
        # progress.reporters, which takes the zone alone and would drop anything else unsaid.
        if "role" in data and (problems := scope_field_problems(Role(data["role"]), data)):
            raise ma.ValidationError(problems)


class StaffUserIn(GrantIn):
    username = ma.fields.String(
        required=True,
        validate=[ma.validate.Regexp(r"^[A-Za-z0-9_.-]{3,64}$", error="用户名须为 3–64 位字母、数字或 _ . -")],
    )
    password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(min=10, max=256))
    # Shown to others (the users list, the audit log): one line, no control or bidi characters.
    display_name = Trimmed(validate=[ma.validate.Length(min=1, max=64), _not_blank])


class PasswordIn(Schema):
    password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(min=10, max=256))


class UserPatchIn(Schema):
    is_active = ma.fields.Boolean()
    display_name = Trimmed(validate=[ma.validate.Length(min=1, max=64), _not_blank])


class DeletionIn(Schema):
    confirm = ma.fields.Boolean(
        required=True,
        validate=ma.validate.Equal(True, error="请确认注销：confirm 须为 true"),
        metadata={"description": "须为 true：注销不可撤销"},
    )


class DeletionOut(Schema):
    deleted = ma.fields.Constant(True)
    deleted_at = LocalDateTime()
    bookings_cancelled = ma.fields.Integer(metadata={"description": "取消的未来预约数（名额已让给候补）"})
    objections_kept_open = ma.fields.Integer(
        metadata={"description": "仍在处理中的异议数：处理完毕前保留，办结后其个人信息随即清除"}
    )


class ExportOut(Schema):
    """One JSON document: every section is the caller's own rows (times ISO 8601, APP_TIMEZONE)."""

    generated_at = ma.fields.String()
    user = ma.fields.Dict()
    student_profile = ma.fields.Dict(allow_none=True)
    bookings = ma.fields.List(ma.fields.Dict(), metadata={"description": "预约及参观人（本人可见全文）"})
    waitlist = ma.fields.List(ma.fields.Dict())
    objections = ma.fields.List(ma.fields.Dict(), metadata={"description": "异议及处理答复"})
    campaign_participations = ma.fields.List(ma.fields.Dict())
    checkins = ma.fields.List(ma.fields.Dict())
    school_follows = ma.fields.List(ma.fields.Dict())
    uploads = ma.fields.List(ma.fields.Dict())
    guardian_consents = ma.fields.List(ma.fields.Dict(), metadata={"description": "以监护人身份给出的同意"})
    post_reports = ma.fields.List(ma.fields.Dict(), metadata={"description": "本人对他人打卡分享的举报及理由"})
    # The tables no area exports itself (app.data_rights.other_user_tables), row by row.
    policy_consents = ma.fields.List(ma.fields.Dict(), metadata={"description": "隐私政策等的同意记录"})
    role_grants = ma.fields.List(ma.fields.Dict())
    zone_follows = ma.fields.List(ma.fields.Dict(), metadata={"description": "关注的示范区"})

    @ma.post_dump(pass_original=True)
    def _other_sections(self, data, original, **kwargs):
        """A table added later is still exported (the contract test then asks for its field here)."""
        return {**original, **data}
