"""Guardians consenting for a child under 14 in their own WeChat (/api/mp/v1)."""

from __future__ import annotations

from app.campaigns import guardians
from app.campaigns.schemas import GuardianConsentIn, GuardianConsentOut, GuardianLinkPreviewOut
from app.extensions import db
from app.validation import PageArgs
from app.web.api import Blueprint, page_of, paginate, replayable
from app.web.auth import current_user, require_user

PATH = ""
blp = Blueprint("mp_guardians", __name__, description="监护人同意（未满 14 周岁学生）")


@blp.get("/guardian-links/<string:code>")
@require_user
@blp.response(200, GuardianLinkPreviewOut)
@blp.alt_response(
    403, description="guardian_link_own：学生本人的微信不能打开；guardian_is_a_minor：未满 18 周岁的学生不能作为监护人"
)
@blp.alt_response(404, description="guardian_link_not_found")
@blp.alt_response(410, description="guardian_link_used / guardian_link_expired：请让孩子重新生成")
def preview_link(code):
    """监护人打开孩子分享的同意卡片：同意后公开的内容（昵称、班级、学校、积分）与任何时候都不公开的内容"""
    return guardians.preview(code, current_user())


@blp.post("/guardian-consents")
@require_user
@blp.arguments(GuardianConsentIn)
@replayable
@blp.response(201, GuardianConsentOut)
@blp.alt_response(
    403,
    description="guardian_link_own：须由监护人用自己的微信同意；guardian_is_a_minor：未满 18 周岁的学生不能作为监护人",
)
@blp.alt_response(404, description="guardian_link_not_found")
@blp.alt_response(409, description="guardian_already_consented：已为该学生同意（链接未被使用）")
@blp.alt_response(410, description="guardian_link_used / guardian_link_expired")
def give_consent(body):
    """监护人同意处理该学生的个人信息（同意后学生可出现在公开榜单）；一个链接只能用一次"""
    record = guardians.consent(body["code"], body["relationship"], current_user())
    return guardians.consent_summary(record)


@blp.get("/guardian-consents")
@require_user
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(GuardianConsentOut))
def my_consents(args):
    """我作为监护人给出的同意（含已撤回的）"""
    page = paginate(db.session, guardians.my_consents_query(current_user()), args["page"], args["per_page"])
    page["items"] = [guardians.consent_summary(r) for r in page["items"]]
    return page


@blp.delete("/guardian-consents/<int:consent_id>")
@require_user
@blp.response(200, GuardianConsentOut)
@blp.alt_response(404, description="not_found：不是本人给出的同意")
def withdraw_consent(consent_id):
    """撤回同意（随时；学生立即从公开榜单移除）；再次撤回不改变任何内容"""
    return guardians.consent_summary(guardians.withdraw(consent_id, current_user()))
