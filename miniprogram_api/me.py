from __future__ import annotations

from app import data_rights
from app.accounts import services as accounts
from app.accounts.schemas import DeletionIn, DeletionOut, ExportOut, PhoneIn, PhoneOut, ProfileIn, UserOut
from app.campaigns import guardians, students
from app.campaigns.schemas import GuardianLinkOut
from app.policies import services as policies
from app.policies.schemas import PolicyConsentIn, PolicyConsentOut
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


@blp.post("/deletion")
@require_user
@blp.arguments(DeletionIn)
@blp.response(200, DeletionOut)
@blp.alt_response(409, description="staff_account：工作人员账号请联系系统管理员注销")
def delete_me(body):
    """注销账号：立即撤销全部登录凭证，删除个人资料、学生信息、关注与打卡内容，取消未来预约（名额让给候补），
    清除预约参观人信息；仍在处理中的异议保留至办结。再次以原凭证调用为 401（凭证已失效）。
    之后用同一微信登录将是一个全新的空账号。"""
    return data_rights.delete_account(current_user())


@blp.get("/export")
@require_user
@blp.response(200, ExportOut)
def export_me():
    """我的数据副本：本人的全部个人信息（一份 JSON），不含任何他人的信息"""
    return data_rights.export(current_user())


@blp.post("/consents")
@require_user
@blp.arguments(PolicyConsentIn)
@blp.response(200, PolicyConsentOut)
@blp.alt_response(409, description="policy_version_not_current：不是现行版本（details.current_version）")
@blp.alt_response(422, description="policy_version_unknown：没有这个版本")
def accept_policy(body):
    """同意现行隐私政策（document: privacy，version 取自 GET /policies/privacy）；再次同意返回首次同意的记录"""
    return policies.accept(current_user(), body["document"], body["version"].strip())


@blp.post("/guardian-link")
@require_user
@replayable
@blp.response(201, GuardianLinkOut)
@blp.alt_response(403, description="not_a_student：尚未选择学校")
@blp.alt_response(409, description="guardian_consent_not_needed：年满 14 周岁")
def guardian_link():
    """未满 14 周岁的学生生成监护人同意码（7 天内有效，只能使用一次），以卡片分享给监护人"""
    code, link = guardians.create_link(current_user())
    return {"code": code, "expires_at": link.expires_at}
