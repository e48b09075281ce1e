"""Reading the console's forms and query strings through the staff API's own schemas (the `…In` and
`…Args` classes), so a rule the API checks is the console's rule too; and one page envelope for lists."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import marshmallow as ma
from flask import request
from werkzeug.datastructures import MultiDict

from app.errors import AppError, ValidationFailed
from app.extensions import db
from app.validation import PageArgs, translate
from app.web.api import IDEMPOTENCY_KEY_MAX, paginate
from console.session import SECRET_FIELD


class FormInvalid(ValidationFailed):
    """A form (or a list's filters) the schema refused; details are the schema's messages per field,
    keyed by the form's own field names (the page shows each beside its field)."""

    message = "填写有误，请按提示修改"


def form_data(schema: ma.Schema, source: Mapping, names: Mapping[str, str]) -> dict[str, Any]:
    """The schema's input from a form: lists for list fields, and an empty field is a missing one (a
    browser sends every input, filled in or not), or None where the schema allows it (and, when editing,
    an emptied field is sent as it is, for the schema to refuse). Fields the schema does not know (the CSRF token,
    buttons) are not its business."""
    multi = source if isinstance(source, MultiDict) else MultiDict(source)
    data: dict[str, Any] = {}
    for name, field in schema.load_fields.items():
        key = field.data_key or name
        typed = names.get(key, key)
        if isinstance(field, ma.fields.List):
            values = [v for v in multi.getlist(typed) if v != ""]
            if values:
                data[key] = values
        elif typed in multi:
            value = multi.get(typed)
            if value != "":
                data[key] = value
            elif field.allow_none:  # a cleared optional field (editing) is cleared, not left as it was
                data[key] = None
            elif schema.partial:  # editing: a field emptied is not "unchanged", the schema judges it
                data[key] = value
    return data


def load(
    schema: type[ma.Schema] | ma.Schema, source: Mapping | None = None, *, names: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """`source` (the posted form by default) loaded by `schema`; FormInvalid (422) when it refuses.
    `names` maps a schema key to the form's name for it where they differ (e.g. {"date": "day"})."""
    schema = schema() if isinstance(schema, type) else schema
    names = names or {}
    try:
        return schema.load(form_data(schema, request.form if source is None else source, names))
    except ma.ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise FormInvalid(details=translate(by_form_name(messages, names))) from None


def by_form_name(details: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """Errors keyed by the schema's (or a service's) names, keyed by the form's instead."""
    return {names.get(k, k): v for k, v in details.items()}


def query(schema: type[ma.Schema] | ma.Schema, **kwargs) -> dict[str, Any]:
    """A list's filters and page from the query string (a bad one is the schema's 422, like the API's)."""
    return load(schema, request.args, **kwargs)


def page(stmt, args: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One page of `stmt` in the API's envelope (PageArgs' bounds), plus the page count for the pager."""
    args = args if args is not None else query(PageArgs)
    result = paginate(db.session, stmt, args["page"], args["per_page"])
    result["pages"] = max(1, -(-result["total"] // result["per_page"]))
    return result


def filters_of(args: Mapping[str, Any]) -> dict[str, Any]:
    """The loaded filters without the page's own keys (what a service's query takes)."""
    return {k: v for k, v in args.items() if k not in ("page", "per_page")}


def field_errors(exc: AppError, fallback: str | None = None) -> dict[str, list[str]]:
    """A refusal's messages per field, each a list of plain strings (a list field's messages per item
    are joined); a refusal without details goes beside `fallback`, or in the page's summary."""
    errors = {str(k): _messages(v) for k, v in (exc.details or {}).items()}
    return errors or {fallback or SUMMARY: [exc.message]}


def _messages(value: Any) -> list[str]:
    if isinstance(value, Mapping):
        return [m for v in value.values() for m in _messages(v)]
    if isinstance(value, list | tuple):
        return [m for v in value for m in _messages(v)]
    return [str(value)]


# The key of messages about no one field: they are shown in the summary at the top of the form.
SUMMARY = "_schema"


@dataclasses.dataclass(frozen=True)
class Refusal:
    """A posted form refused: which of the page's forms (`form`), what was typed (`values`, never a
    password), the messages per field (the form's own names), and the answer's status. The page is
    rendered again with it: each message beside its field, the others in a summary at the top."""

    form: str = ""
    values: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    errors: Mapping[str, list[str]] = dataclasses.field(default_factory=dict)
    status: int = 200

    def errors_of(self, form: str) -> Mapping[str, list[str]]:
        """The messages for `form` (another form of the same page shows none)."""
        return self.errors if form == self.form else {}

    def values_of(self, form: str, fallback: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
        """What was typed into `form`, to fill it in again (else `fallback`, e.g. a draft)."""
        return self.values if form == self.form else (fallback or {})


NO_REFUSAL = Refusal()


def refusal(
    exc: AppError,
    form: str,
    *,
    fields: Iterable[str] = (),
    names: Mapping[str, str] | None = None,
    fallback: str | None = None,
    about: Mapping[str, str] | None = None,
) -> Refusal:
    """`exc` as a refusal of the posted `form`, to show on the form's page; or `exc` raised again when it
    is not about what was typed (neither a validation failure nor a refusal naming one of `fields`:
    a 409 or a 403 stays the error page). `about` names the field that refusals with these codes concern
    though they name none (409 `class_exists`: the class's name); their message goes beside it. The
    failed request's writes are rolled back here."""
    field = (about or {}).get(exc.code)
    details = {field: [exc.message]} if field else by_form_name(exc.details or {}, names or {})
    if not isinstance(exc, ValidationFailed) and not set(details) & set(fields):
        raise exc
    db.session.rollback()
    errors = field_errors(AppError(exc.message, details=details), fallback)
    values = MultiDict([(k, v) for k, v in request.form.items(multi=True) if not SECRET_FIELD.search(k)])
    return Refusal(form, values, errors, exc.status)


# One key per rendered form (a hidden `idempotency_key`): the same form sent again (a double click, a
# reload, a lost answer) replays the first result through app.idempotency instead of doing it twice.
def new_form_key() -> str:
    return uuid.uuid4().hex


def posted_form_key() -> str | None:
    return (request.form.get("idempotency_key") or "").strip()[:IDEMPOTENCY_KEY_MAX] or None
