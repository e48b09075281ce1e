"""flask-smorest wiring: the Api, a Blueprint whose parser knows our JSON rules, pagination."""

from __future__ import annotations

import functools
import hashlib
import sys
import threading
from decimal import Decimal
from functools import cache
from typing import Any

import flask_smorest
import marshmallow as ma
from apispec import BasePlugin
from flask import Response, request
from sqlalchemy import Select, func, select
from webargs.core import missing
from webargs.flaskparser import FlaskParser
from werkzeug.routing import IntegerConverter

from app.errors import AppError, ValidationFailed
from app.validation import INT_MAX, Schema, json_type_errors, translate


def numeric_bounds(self, field, ret, **kwargs) -> dict:
    """apispec gives a Decimal field's Range as Decimals, which JSON writes as strings ("3.800000");
    OpenAPI wants numbers."""
    fixed = {}
    for name in ("minimum", "maximum"):
        if isinstance(ret.get(name), str | Decimal):
            fixed[name] = float(ret[name])
    return fixed


class ErrorBodySchema(Schema):
    code = ma.fields.String(required=True, metadata={"description": "snake_case error code"})
    message = ma.fields.String(required=True, metadata={"description": "human text (Chinese)"})
    details = ma.fields.Dict(metadata={"description": "per-field problems or extra facts"})


class ErrorSchema(Schema):
    """Documents the one error shape of docs/api.md (Conventions); app.web.errors builds it."""

    error = ma.fields.Nested(ErrorBodySchema, required=True)


class AppParser(FlaskParser):
    """JSON bodies must be JSON objects sent as JSON; anything else is a clear 4xx, not a 500."""

    # webargs builds a schema given as a class anew for every request (its fields deep-copied, each
    # nested schema copied again on first use): a tenth of a refused booking's time. Our schemas keep
    # nothing between loads, so one instance per class serves every request and thread.
    _instances: dict[type, ma.Schema] = {}

    def _get_schema(self, argmap, req):
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            schema = self._instances.get(argmap)
            if schema is None:
                schema = self._instances.setdefault(argmap, argmap())
            return schema
        return super()._get_schema(argmap, req)

    def load_json(self, req, schema):
        if req.get_data(cache=True) and not req.is_json:
            raise AppError(
                "请求体须为 JSON（Content-Type: application/json）",
                code="unsupported_media_type",
                status=415,
            )
        try:
            data = super().load_json(req, schema)
        except RecursionError:
            # JSON nested hundreds deep: no request of ours looks like that.
            raise AppError("请求体 JSON 嵌套过深", code="invalid_json", status=400) from None
        except ValueError:
            # Valid JSON, but an integer longer than Python converts (sys.get_int_max_str_digits(),
            # 4,300 digits): no field of ours takes one. (Invalid JSON is handled by webargs.)
            limit = sys.get_int_max_str_digits()
            raise ValidationFailed(details={"_schema": [f"数字过长（整数最多 {limit} 位）"]}) from None
        if data is not missing and not isinstance(data, dict):
            raise AppError("请求体须为 JSON 对象", code="body_not_object", status=400)
        return data

    def pre_load(self, location_data, *, schema, req, location):
        if location == "json" and (errors := json_type_errors(schema, location_data)):
            raise ma.ValidationError(errors)
        return location_data

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        raise AppError("请求体不是有效的 JSON", code="invalid_json", status=400)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = AppParser()


IDEMPOTENCY_KEY_MAX = 128


def idempotency_key_parameter(required: bool) -> dict:
    return {
        "in": "header",
        "name": "Idempotency-Key",
        "required": required,
        "schema": {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_MAX},
        "description": "每个新请求一个新值（如 UUID），重试时不变：24 小时内重试得到第一次的答复（状态码与内容相同），"
        "不会重复办理。同一个值用于不同的请求为 422 idempotency_key_reused；第一次仍在处理中为 409 "
        "idempotency_in_progress；为空或超过 128 个字符为 400 idempotency_key_invalid"
        + ("；缺少为 400 idempotency_key_required" if required else ""),
    }


def takes_idempotency_key(*, required: bool):
    """Documents the Idempotency-Key header of a write (the view reads it with `idempotency_key()`)."""
    return flask_smorest.Blueprint.doc(parameters=[idempotency_key_parameter(required)])


def _as_utf8(header: str) -> str:
    """A header's text: WSGI hands it over as Latin-1, so a key typed in Chinese (UTF-8 on the wire)
    arrives three characters per character; read it as the UTF-8 it was (the 128 are characters)."""
    try:
        return header.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return header


def idempotency_key(*, required: bool) -> str | None:
    """The request's Idempotency-Key, the same rule on every write that takes one."""
    sent = request.headers.get("Idempotency-Key")
    key = _as_utf8(sent or "").strip()
    if not key:
        if sent is not None:  # sent, but blank: a client bug, not "no key" (required or not)
            raise AppError("Idempotency-Key 不能为空", code="idempotency_key_invalid", status=400)
        if required:
            raise AppError(
                "该请求须带 Idempotency-Key 请求头（每个新请求一个新值，重试时不变）",
                code="idempotency_key_required",
                status=400,
            )
        return None
    if len(key) > IDEMPOTENCY_KEY_MAX:
        raise AppError(
            f"Idempotency-Key 过长（最多 {IDEMPOTENCY_KEY_MAX} 个字符）",
            code="idempotency_key_invalid",
            status=400,
            details={"max_length": IDEMPOTENCY_KEY_MAX},
        )
    return key


def replayable(view):
    """A write a client may retry: with an Idempotency-Key (optional), a retry gets the first answer,
    status and body, instead of the work done twice or refused as done (409); the same key on another
    request (other path ids, body or file) is 422 idempotency_key_reused. Put it right above
    `@blp.response`, below `@blp.arguments`: what it stores is the answer as the schema wrote it."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = idempotency_key(required=False)
        if key is None:
            return view(*args, **kwargs)
        from app import idempotency  # imports the models, which need app.extensions (which needs this module)
        from app.web.auth import current_user

        def work():
            response = view(*args, **kwargs)
            return response.status_code, None if response.status_code == 204 else response.get_json()

        seen = {"path": kwargs, "body": args, "files": _file_digests()}
        outcome = idempotency.run_once(current_user().id, request.endpoint, key, seen, work)
        if outcome.status == 204:
            return Response(status=204)
        return prepared_json(outcome.body, outcome.status)

    return takes_idempotency_key(required=False)(wrapper)


def _file_digests() -> dict[str, list[str]]:
    digests: dict[str, list[str]] = {}
    for name, upload in request.files.items(multi=True):
        digests.setdefault(name, []).append(hashlib.sha256(upload.stream.read()).hexdigest())
        upload.stream.seek(0)  # the view reads it again
    return digests


class ErrorResponses(BasePlugin):
    """Documents, on each operation, the errors every such operation can answer, in the one error
    shape: 401 where a token is needed, 403 where a role is, 404 where the path names a resource,
    400 on writes, 413 where a body is read (over MAX_CONTENT_LENGTH), 429 on writes (rate limits),
    503 everywhere (database down)."""

    def init_spec(self, spec):
        self.spec = spec

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, operation in (operations or {}).items():
            wanted = {503: "SERVICE_UNAVAILABLE"}
            if operation.get("security"):
                wanted[401] = "UNAUTHORIZED"
                wanted[403] = "FORBIDDEN"
            if "{" in (path or ""):
                wanted[404] = "NOT_FOUND"
            if method in ("post", "put", "patch", "delete"):
                wanted[429] = "TOO_MANY_REQUESTS"
                wanted[400] = "BAD_REQUEST"
            if "requestBody" in operation:
                wanted[413] = "REQUEST_ENTITY_TOO_LARGE"
            responses = operation.setdefault("responses", {})
            for status, name in wanted.items():
                responses.setdefault(str(status), self.spec.components.get_ref("response", name))
            # An operation's own errors (alt_response with a description of its codes) have the one
            # error shape too, so a client generated from the document can read them.
            for status, response in responses.items():
                if isinstance(response, dict) and str(status)[0] in "45" and not ({"$ref", "content"} & set(response)):
                    response["content"] = {
                        "application/json": {"schema": self.spec.components.get_ref("schema", "Error")}
                    }


class Api(flask_smorest.Api):
    """flask-smorest's Api, with the OpenAPI document written when it is first read (GET
    /api/openapi.json, `flask openapi`) rather than while the app is built: writing it was half of
    create_app's time, paid by every gunicorn worker at each start and recycle, and by every test app.
    The document is the same either way: the same blueprints, views and app, in the same order."""

    ERROR_SCHEMA = ErrorSchema
    _unwritten: list[tuple[Any, Any, str, Any]] = []  # (blueprint, app, name, parameters); per app

    def _init_spec(self, *args, **kwargs):
        self._unwritten = []
        self._writing = threading.Lock()
        super()._init_spec(*args, **kwargs)
        plugin = ErrorResponses()
        plugin.init_spec(self._spec)
        self._spec.plugins.append(plugin)

    def register_blueprint(self, blp, *, parameters=None, **options):
        """flask_smorest.Api.register_blueprint but for the document, written by `spec`."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._unwritten.append((blp, self._app, name, parameters))

    @property
    def spec(self):
        if self._unwritten:
            # Two threads of a worker may ask first at once: the second waits until all is written.
            with self._writing:
                for blp, app, name, parameters in self._unwritten:
                    blp.register_views_in_doc(self, app, self._spec, name=name, parameters=parameters)
                    self._spec.tag({"name": name, "description": blp.description})
                self._unwritten = []
        return self._spec

    @spec.setter
    def spec(self, value) -> None:
        self._spec = value

    def _register_error_handlers(self):
        """create_app registers app.web.errors.handle_error for every error instead."""


# The one Api, bound in create_app; the HTTP packages register their blueprints on it. It lives here,
# not in app.extensions, so the extensions (imported by every area for db) never import the web layer.
api = Api()


@cache
def page_of(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """The list envelope of docs/api.md (Conventions) around `item_schema` (cached: one OpenAPI component each)."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    return type(
        name,
        (Schema,),
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
            "page": ma.fields.Integer(required=True),
            "per_page": ma.fields.Integer(required=True),
            "total": ma.fields.Integer(required=True),
        },
    )


def whole_list(items: list, args: dict[str, Any] | None = None) -> dict[str, Any]:
    """A short list read whole, in the envelope. Without paging arguments (WholeListArgs) one page
    holding everything (per_page is never 0: a client dividing total by it must not divide by zero
    on an empty list); with them, the page asked for (per_page 20 unless given)."""
    items = list(items)
    args = args or {}
    if "page" not in args and "per_page" not in args:
        return {"items": items, "page": 1, "per_page": max(len(items), 1), "total": len(items)}
    page, per_page = args.get("page", 1), args.get("per_page", 20)
    return {
        "items": items[(page - 1) * per_page : page * per_page],
        "page": page,
        "per_page": per_page,
        "total": len(items),
    }


def paginate(session, stmt: Select, page: int, per_page: int) -> dict[str, Any]:
    """Two statements whatever the page size: a count and one page of rows."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": items, "page": page, "per_page": per_page, "total": total or 0}


def load_path(schema: type[ma.Schema], **parts: str) -> dict[str, Any]:
    """Parts of a path other than ids (a date), checked by a schema as a query would be: a 422
    naming the part, in Chinese."""
    try:
        return Blueprint.ARGUMENTS_PARSER._get_schema(schema, None).load(parts)
    except ma.ValidationError as exc:
        raise ValidationFailed(details=translate(exc.messages)) from None


def prepared_json(body: Any, status: int):
    """An already serialised answer (e.g. replayed for an Idempotency-Key), sent as it is."""
    from flask import jsonify

    response = jsonify(body)
    response.status_code = status
    return response


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` in routes: only ids the database's INTEGER can hold, in ASCII digits (werkzeug's \\d
    also matches other scripts' digits, which int() reads: /zones/١٢ would be zone 12)."""

    regex = r"[0-9]+"

    def __init__(self, map, *args, **kwargs):  # noqa: A002 (werkzeug's name)
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)
