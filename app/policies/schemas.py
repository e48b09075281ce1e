from __future__ import annotations

import marshmallow as ma

from app.fields import LocalDateTime
from app.policies.services import DOCUMENTS
from app.validation import Schema, not_blank


class PolicyOut(Schema):
    version = ma.fields.String()
    title = ma.fields.String()
    body_html = ma.fields.String(metadata={"description": "已清理的 HTML（小程序 rich-text 可直接显示）"})
    effective_on = ma.fields.Date()


class PolicyConsentIn(Schema):
    document = ma.fields.String(required=True, validate=ma.validate.OneOf(DOCUMENTS))
    version = ma.fields.String(required=True, validate=[ma.validate.Length(min=1, max=32), not_blank])


class PolicyConsentOut(Schema):
    document = ma.fields.String()
    version = ma.fields.String()
    accepted_at = LocalDateTime()
