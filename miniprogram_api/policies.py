"""Policies to read and accept (/api/mp/v1/policies)."""

from __future__ import annotations

from app.policies import services as policies
from app.policies.schemas import PolicyOut
from app.web.api import Blueprint

PATH = "/policies"
blp = Blueprint("mp_policies", __name__, description="隐私政策")


@blp.get("/privacy")
@blp.response(200, PolicyOut)
@blp.alt_response(404, description="policy_not_published：尚未发布")
def privacy_policy():
    """现行隐私政策：版本、标题、正文（HTML）、生效日期；同意用 POST /me/consents"""
    return policies.current_or_404(policies.PRIVACY)
