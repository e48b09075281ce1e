"""Fields shared by schemas."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import marshmallow as ma
from flask import current_app


class LocalDateTime(ma.fields.AwareDateTime):
    """Serialised in APP_TIMEZONE (China time, +08:00) so windows read as people expect; accepts any
    ISO 8601 with an offset, or a naive one taken as APP_TIMEZONE."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=None, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(ZoneInfo(current_app.config["APP_TIMEZONE"])).isoformat(timespec="seconds")

    def _deserialize(self, value, attr, data, **kwargs):
        self.default_timezone = ZoneInfo(current_app.config["APP_TIMEZONE"])
        return super()._deserialize(value, attr, data, **kwargs)
