from __future__ import annotations

import marshmallow as ma

from app.validation import Schema
from app.web.api import Blueprint
from app.web.caching import cached_response, json_bytes
from app.zones import meta
from app.zones.registry import CACHE_NAMESPACE

PATH = ""
blp = Blueprint("mp_meta", __name__, description="字典：类型、级别、状态、县（市）区")


class MetaOut(Schema):
    types = ma.fields.List(ma.fields.Dict())
    levels = ma.fields.List(ma.fields.Dict())
    statuses = ma.fields.List(ma.fields.Dict())
    districts = ma.fields.List(ma.fields.Dict())
    departments = ma.fields.List(ma.fields.Dict())


@blp.get("/meta")
@blp.response(200, MetaOut)
def get_meta():
    """类型（含各类型指标与申报主体）、级别、状态、县（市）区，均带中文名称"""
    return cached_response(CACHE_NAMESPACE, lambda: (json_bytes(meta.meta()), "application/json"))
