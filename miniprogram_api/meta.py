from __future__ import annotations

import marshmallow as ma
from flask import current_app

from app.config import FAKE_WECHAT_APPID
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
    dev_login = ma.fields.Boolean(
        metadata={"description": "true when the service signs in through the bundled fake WeChat (development)"}
    )
    subscribe_templates = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(),
        metadata={
            "description": "subscribe-message template ids the mini-program asks the user to accept, by purpose "
            "(objection_result, booking_reminder, booking_change, campaign_new); only the configured ones"
        },
    )


@blp.get("/meta")
@blp.response(200, MetaOut)
def get_meta():
    """类型（含各类型指标与申报主体）、级别、状态、县（市）区，均带中文名称；`dev_login`：是否使用内置的模拟微信（开发用登录）"""
    return cached_response(
        CACHE_NAMESPACE,
        lambda: (
            json_bytes({**meta.meta(), "dev_login": dev_login(), "subscribe_templates": subscribe_templates()}),
            "application/json",
        ),
    )


def dev_login() -> bool:
    """The h5 pages offer a typed-name sign-in only when logins go to the bundled fake WeChat. A
    setting of the process, so the cached answer stays true for as long as the process runs."""
    config = current_app.config
    return config["WECHAT_APPID"] == FAKE_WECHAT_APPID and config["APP_ENV"] != "production"


# The messages a citizen may opt in to (wx.requestSubscribeMessage needs the template ids on the device);
# staff alerts (capacity) are not asked for in the mini-program.
SUBSCRIBE_TEMPLATE_SETTINGS = {
    "objection_result": "WECHAT_TEMPLATE_OBJECTION_RESULT",
    "booking_reminder": "WECHAT_TEMPLATE_BOOKING_REMINDER",
    "booking_change": "WECHAT_TEMPLATE_BOOKING_CHANGE",
    "campaign_new": "WECHAT_TEMPLATE_CAMPAIGN_NEW",
}


def subscribe_templates() -> dict[str, str]:
    """The configured templates by purpose, so the mini-program asks for exactly what the service sends."""
    config = current_app.config
    return {purpose: config[name] for purpose, name in SUBSCRIBE_TEMPLATE_SETTINGS.items() if config.get(name)}
