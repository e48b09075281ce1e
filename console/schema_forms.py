"""A console form read through the staff API's own marshmallow schema: the same rules and the same
Chinese messages, shown beside each field instead of as JSON."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import request

from app.validation import translate


def typed_form(fields: tuple[str, ...], lists: tuple[str, ...] = ()) -> dict[str, Any]:
    """What was typed: blank fields left out (the schema then says which are required)."""
    typed: dict[str, Any] = {}
    for name in fields:
        value = (request.form.get(name) or "").strip()
        if value:
            typed[name] = value
    for name in lists:
        values = [v for v in request.form.getlist(name) if v.strip()]
        if values:
            typed[name] = values
    return typed


def load_form(schema: ma.Schema, typed: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """(the loaded data, {}) or (None, {field: [Chinese messages]})."""
    try:
        return schema.load(typed), {}
    except ma.ValidationError as exc:
        messages = translate(exc.messages)
        flat = {}
        for field, problem in messages.items():
            flat[field] = problem if isinstance(problem, list) else [str(problem)]
        return None, flat
