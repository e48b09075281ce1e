from __future__ import annotations

import marshmallow as ma

from app.accounts.roles import Role
from app.audit import services as audit
from app.extensions import db
from app.fields import LocalDateTime
from app.validation import PageArgs, Schema
from app.web.api import Blueprint, page_of, paginate
from app.web.auth import require_role

PATH = "/audit-log"
blp = Blueprint("admin_audit", __name__, description="审计日志（系统管理员）")


class AuditArgs(PageArgs):
    action = ma.fields.String(validate=ma.validate.Length(max=64))
    entity_type = ma.fields.String(validate=ma.validate.Length(max=32))
    entity_id = ma.fields.Integer()
    actor_id = ma.fields.Integer()


class AuditEntryOut(Schema):
    id = ma.fields.Integer()
    at = LocalDateTime()
    actor_id = ma.fields.Integer(allow_none=True)
    actor_label = ma.fields.String(metadata={"description": "操作人：用户名，系统，或「已注销用户」"})
    action = ma.fields.String()
    entity_type = ma.fields.String()
    entity_id = ma.fields.Integer(allow_none=True)
    before = ma.fields.Dict(allow_none=True)
    after = ma.fields.Dict(allow_none=True)
    request_id = ma.fields.String(allow_none=True)


@blp.get("")
@require_role(Role.ADMIN)
@blp.arguments(AuditArgs, location="query")
@blp.response(200, page_of(AuditEntryOut))
def list_entries(args):
    """谁、何时、做了什么（修改前后）"""
    stmt = audit.entries_query(
        action=args.get("action"),
        entity_type=args.get("entity_type"),
        entity_id=args.get("entity_id"),
        actor_id=args.get("actor_id"),
    )
    return paginate(db.session, stmt, args["page"], args["per_page"])
