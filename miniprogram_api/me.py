from __future__ import annotations

from app.accounts import services as accounts
from app.accounts.schemas import PhoneIn, PhoneOut, ProfileIn, UserOut
from app.campaigns import students
from app.web.api import Blueprint, replayable
from app.web.auth import current_user, require_user

PATH = "/me"
blp = Blueprint("mp_me", __name__, description="我的")


@blp.get("")
@require_user
@blp.response(200, UserOut)
def get_me():
    """我的资料"""
    return current_user()


@blp.patch("")
@require_user
@blp.arguments(ProfileIn, required=False)
@blp.response(200, UserOut)
def patch_me(body):
    """修改资料"""
    return students.update_me(current_user(), body)


@blp.post("/phone")
@require_user
@blp.arguments(PhoneIn)
@replayable
@blp.response(200, PhoneOut)
@blp.alt_response(422, description="phone_code_invalid：手机号授权凭证无效")
@blp.alt_response(503, description="wechat_unavailable：微信服务不可用")
def verify_phone(body):
    """通过微信验证手机号（getuserphonenumber），供预约与异议预填"""
    user = accounts.verify_phone(current_user(), body["code"].strip())
    return {"phone": user.phone, "phone_verified": True}
