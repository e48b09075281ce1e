"""Validation shared by every layer: the base schema (what the database can hold), and the Chinese
wording of marshmallow's messages (what citizens and staff read). Domain rules (zones' fields,
names, phones, documents) build on it; so do the HTTP schemas."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import marshmallow as ma

from app.validators import BLANK

_EXACT = {
    "Missing data for required field.": "缺少必填字段",
    "Field may not be null.": "不能为空",
    "Invalid value.": "取值无效",
    "Unknown field.": "不支持的字段",
    "Not a valid string.": "应为字符串",
    "Not a valid integer.": "应为整数",
    "Not a valid number.": "应为数字",
    "Not a valid boolean.": "应为布尔值",
    "Not a valid list.": "应为列表",
    "Not a valid mapping type.": "应为对象",
    "Not a valid URL.": "不是有效的网址",
    "Not a valid email address.": "不是有效的电子邮箱",
    "Not a valid date.": "不是有效的日期（格式 YYYY-MM-DD）",
    "Not a valid datetime.": "不是有效的时间（ISO 8601，带时区）",
    "Not a valid aware datetime.": "时间须带时区（ISO 8601）",
    "Not a valid time.": "不是有效的时刻（格式 HH:MM，00:00 至 23:59）",
    "Not a valid period of time.": "不是有效的时长",
    "Not a valid tuple.": "应为数组",
    "Not a valid UUID.": "不是有效的 UUID",
    "Not a valid utf-8 string.": "不是有效的 UTF-8 文本",
    "Not a valid IP address.": "不是有效的 IP 地址",
    "Not a valid IPv4 address.": "不是有效的 IPv4 地址",
    "Not a valid IPv6 address.": "不是有效的 IPv6 地址",
    "Not a valid IP interface.": "不是有效的 IP 网段",
    "Not a valid IPv4 interface.": "不是有效的 IPv4 网段",
    "Not a valid IPv6 interface.": "不是有效的 IPv6 网段",
    "Invalid type.": "类型不正确",
    "Special numeric values (nan or infinity) are not permitted.": "不能为 NaN 或无穷大",
    "Invalid input type.": "请求体格式不正确",
    "Invalid input.": "取值无效",
    "String does not match expected pattern.": "格式不正确",
    "Number too large.": "数值过大",
}

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), r"长度不能少于 \1"),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), r"长度不能超过 \1"),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), r"长度须在 \1 到 \2 之间"),
    (re.compile(r"^Length must be (\d+)\.$"), r"长度须为 \1"),
    (
        re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
        r"须在 \1 到 \2 之间",
    ),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), r"不能小于 \1"),
    (re.compile(r"^Must be less than or equal to (\S+)\.$"), r"不能大于 \1"),
    (re.compile(r"^Must be greater than (\S+)\.$"), r"须大于 \1"),
    (re.compile(r"^Must be less than (\S+)\.$"), r"须小于 \1"),
    (re.compile(r"^Must be one of: (.*)\.$"), r"须为以下之一：\1"),
    (re.compile(r"^Must be equal to (.*)\.$"), r"须等于 \1"),
    (re.compile(r"^Not a valid aware (date|datetime|time)\.$"), "须带时区"),
    (re.compile(r"^Not a valid naive (date|datetime|time)\.$"), "不能带时区"),
    (re.compile(r"^One or more of the choices you made was not in: (.*)\.$"), r"所选项须在以下范围内：\1"),
    (re.compile(r"^One or more of the choices you made was in: (.*)\.$"), r"所选项不能是：\1"),
]


def to_chinese(message: str) -> str:
    if message in _EXACT:
        return _EXACT[message]
    for pattern, replacement in _PATTERNS:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    return message


def translate(messages):
    """Walk marshmallow's nested message structure, translating each string. A value left blank (spaces
    only, trimmed away) is said to be blank, not also to be too short: "长度须在 1 到 40 之间；不能为空"
    read as if what was typed had been measured."""
    if isinstance(messages, str):
        return to_chinese(messages)
    if isinstance(messages, list):
        said = [translate(m) for m in messages]
        if BLANK in said:
            said = [m for m in said if not (isinstance(m, str) and m.startswith("长度须"))]
        return said
    if isinstance(messages, dict):
        return {key: translate(value) for key, value in messages.items()}
    return messages


# The database's INTEGER: anything outside is a 422 here, not an overflow in the driver.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


class Schema(ma.Schema):
    """Base for every request and response schema: unknown fields are an error, not ignored;
    integers stay within what the database can hold."""

    class Meta:
        unknown = ma.RAISE
        ordered = True

    def on_bind_field(self, field_name: str, field_obj: ma.fields.Field) -> None:
        for number in (field_obj, getattr(field_obj, "inner", None)):
            if isinstance(number, ma.fields.Number):
                _ascii_digits_only(number)
        if isinstance(field_obj, ma.fields.Integer):
            field_obj.validators = _within_the_database(field_obj.validators)
        elif isinstance(field_obj, ma.fields.String):
            field_obj.validators = [*field_obj.validators, _storable_text]
            if isinstance(field_obj, ma.fields.Url):
                field_obj.validators = [*field_obj.validators, safe_link]
        elif isinstance(field_obj, ma.fields.DateTime | ma.fields.Date):
            field_obj.validators = [*field_obj.validators, _in_programme_years]


def _within_the_database(validators: list) -> list:
    """An integer field's validators, bounded by the database's INTEGER. A range open above (a page:
    at least 1) is closed at INT_MAX, so a page too large is told 须在 1 到 2147483647 之间, not a
    range starting at -2147483648 that no page number could be in."""
    for i, rule in enumerate(validators):
        if isinstance(rule, ma.validate.Range) and rule.max is None and rule.min is not None and rule.error is None:
            closed = ma.validate.Range(min=rule.min, max=INT_MAX, min_inclusive=rule.min_inclusive)
            return [*validators[:i], closed, *validators[i + 1 :]]
    return [*validators, ma.validate.Range(min=INT_MIN, max=INT_MAX)]


def _ascii_digits_only(field: ma.fields.Number) -> None:
    """A number written as text (a query string, a form) in ASCII only: int() and Decimal() also read
    other scripts' digits ("١٢" is 12), which nobody types meaning an id. JSON numbers pass as they are."""
    if getattr(field, "_ascii_for", None) == id(field):
        return  # a copy of a bound field is wrapped again (its copied wrapper reads the original)
    read = type(field)._validated

    def _validated(value):
        if isinstance(value, str) and not value.isascii():
            raise field.make_error("invalid", input=value)
        return read(field, value)

    field._validated = _validated
    field._ascii_for = id(field)


# The programme's dates and times all fall in this century; far outside it a time zone's rules turn
# odd (before 1901 Asia/Shanghai is local mean time, +08:05:43, which no ISO 8601 client reads).
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


def _in_programme_years(value: date) -> None:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ma.ValidationError(f"须在 {EARLIEST_YEAR} 年至 {LATEST_YEAR} 年之间")


def json_type_errors(schema: ma.Schema, data: Any) -> dict:
    """What a JSON body got wrong about types that marshmallow would quietly coerce: 0 or "yes" is no
    boolean, 2.5 or "3" is no integer, "5" is no number. Same shape as marshmallow's errors (nested by field and index)."""
    if not isinstance(data, dict):
        return {}
    fields = {field.data_key or name: field for name, field in schema.load_fields.items()}
    errors: dict = {}
    for key, value in data.items():
        field = fields.get(key)
        if field is not None and (problem := _json_type_error(field, value)):
            errors[key] = problem
    return errors


def _json_type_error(field: ma.fields.Field, value: Any):
    if value is None:
        return None  # allow_none is marshmallow's to judge
    if isinstance(field, ma.fields.Boolean):
        return None if isinstance(value, bool) else ["须为 true 或 false"]
    if isinstance(field, ma.fields.Integer):
        return None if isinstance(value, int) and not isinstance(value, bool) else ["须为整数"]
    if isinstance(field, ma.fields.Number):  # Decimal, Float: "5", "1e3" or " 12 " is text, not a number
        return None if isinstance(value, int | float | Decimal) and not isinstance(value, bool) else ["须为数字"]
    if isinstance(field, ma.fields.Nested) and isinstance(field.schema, ma.Schema):
        if field.many and isinstance(value, list):
            nested = {i: e for i, item in enumerate(value) if (e := json_type_errors(field.schema, item))}
        else:
            nested = json_type_errors(field.schema, value)
        return nested or None
    if isinstance(field, ma.fields.List) and isinstance(value, list):
        inner = {i: e for i, item in enumerate(value) if (e := _json_type_error(field.inner, item))}
        return inner or None
    return None


_SURROGATES = re.compile("[\ud800-\udfff]")


def _storable_text(value: str) -> None:
    # PostgreSQL text cannot hold NUL, and no UTF-8 text can hold a lone surrogate ("\ud800",
    # which JSON allows): say so instead of failing in the driver.
    if "\x00" in value:
        raise ma.ValidationError("不能包含空字符（\\0）")
    if _SURROGATES.search(value):
        raise ma.ValidationError("含有无效的 Unicode 字符")


# How a browser (WHATWG URL) or a mini-program reads an address before its scheme: leading C0 controls
# and spaces are dropped, tabs and newlines anywhere; the scheme is case-insensitive.
_URL_LEADING = "".join(map(chr, range(0x21)))
_URL_IGNORED = re.compile("[\t\n\r]")
_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
LINK_SCHEMES = frozenset({"http", "https"})


def safe_link(value: str | None) -> None:
    """An address a client opens or shows (covers, photos, avatars, evidence): http(s), or a path on
    this service. Never `javascript:` (nor data:, vbscript:, …), however it is written."""
    if value is None:
        return
    scheme = _URL_SCHEME.match(_URL_IGNORED.sub("", value.lstrip(_URL_LEADING)))
    if scheme and scheme.group(1).lower() not in LINK_SCHEMES:
        raise ma.ValidationError("网址须以 http:// 或 https:// 开头，或为本服务的图片路径")


class Link(ma.fields.String):
    """A link or image address in a request (see `safe_link`); `ma.fields.Url` fields get the same
    check from the base schema."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.validators = [*self.validators, safe_link]


def one_of(enum, label: str):
    values = [e.value for e in enum]
    return ma.validate.OneOf(values, error=f"未知的{label}，可选：{', '.join(values)}")


def not_blank(value: str) -> None:
    if not value.strip():
        raise ma.ValidationError(BLANK)


class PageArgs(Schema):
    """?page=&per_page= of every list (docs/api.md, Conventions)."""

    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1))
    per_page = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=100))


class WholeListArgs(Schema):
    """?page=&per_page= of a short list answered whole (a user's follows, a year's calendar): without
    them everything on one page; with them the page asked for, under the same rules as every list,
    so a client that pages every list gets what it asks for."""

    page = ma.fields.Integer(validate=ma.validate.Range(min=1))
    per_page = ma.fields.Integer(validate=ma.validate.Range(min=1, max=100))
