"""Request and response schemas for accounts, shared by both APIs."""

from __future__ import annotations

import marshmallow as ma

from app.web.api import Schema


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
    role = ma.fields.String()
    department = ma.fields.String(allow_none=True)
    base_id = ma.fields.Integer(allow_none=True)
    school_id = ma.fields.Integer(allow_none=True)


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
    created_at = ma.fields.AwareDateTime()


class TokenOut(Schema):
    token = ma.fields.String()
    token_type = ma.fields.Constant("Bearer")
    expires_in = ma.fields.Integer(metadata={"description": "seconds"})
    user = ma.fields.Nested(UserOut)


class ProfileIn(Schema):
    display_name = ma.fields.String(validate=[ma.validate.Length(min=1, max=32), _not_blank])
    avatar_url = ma.fields.Url(schemes={"https", "http"}, validate=ma.validate.Length(max=512))


class PhoneOut(Schema):
    phone = ma.fields.String()
    phone_verified = ma.fields.Boolean()
