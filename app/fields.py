"""Fields shared by schemas."""

from __future__ import annotations

import re

import marshmallow as ma
from flask import current_app, has_request_context, request

from app.times import app_timezone, local_iso

# Marks, in the OpenAPI document, a field that names a student (a nickname): the tests find every
# operation that returns one there and call it as an outsider (tests/test_campaign_visibility.py).
NAMES_STUDENT = {"x-names-student": True}


class LocalDateTime(ma.fields.AwareDateTime):
    """Serialised in APP_TIMEZONE (China time, +08:00) so windows read as people expect; accepts any
    ISO 8601 with an offset, or a naive one taken as APP_TIMEZONE."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=None, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return local_iso(value)

    def _deserialize(self, value, attr, data, **kwargs):
        # Naive times are China time. Years outside the programme's are refused by the base schema
        # (app.validation), like every date.
        self.default_timezone = app_timezone()
        return super()._deserialize(value, attr, data, **kwargs)


def public_base_url() -> str:
    """Where this service is reached: PUBLIC_BASE_URL, else (development) the request's own origin."""
    configured = current_app.config.get("PUBLIC_BASE_URL")
    if configured:
        return configured
    return request.host_url.rstrip("/") if has_request_context() else ""


def absolute_url(path: str | None) -> str | None:
    """This service's own paths (`/media/…`) as full URLs: the mini-program's <image> and rich-text
    need them. Full URLs elsewhere are left as they are."""
    if not path or not path.startswith("/"):
        return path
    return public_base_url() + path


_OWN_SRC = re.compile(r'(\ssrc=")(/media/)')


class MediaUrl(ma.fields.String):
    """A media URL in a response, always absolute."""

    def _serialize(self, value, attr, obj, **kwargs):
        return absolute_url(super()._serialize(value, attr, obj, **kwargs))


class AbsoluteMediaHtml(ma.fields.String):
    """Article HTML with this service's own image paths made absolute."""

    def _serialize(self, value, attr, obj, **kwargs):
        html = super()._serialize(value, attr, obj, **kwargs)
        return _OWN_SRC.sub(lambda m: m.group(1) + public_base_url() + m.group(2), html) if html else html


class Masked(ma.fields.String):
    """A personal value shown masked (app.privacy's mask_phone, mask_id_number…): documented as the
    string it is, which a Function field would not be."""

    def __init__(self, mask, **kwargs):
        super().__init__(**kwargs)
        self.mask = mask

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(self.mask(value), attr, obj, **kwargs)
