"""Validation shared by every layer: the base schema (what the database can hold), and the Chinese
wording of marshmallow's messages (what citizens and staff read). Domain rules (zones' fields,
names, phones, documents) build on it; so do the HTTP schemas."""

from __future__ import annotations

import re

import marshmallow as ma

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
]


def to_chinese(message: str) -> str:
    if message in _EXACT:
        return _EXACT[message]
    for pattern, replacement in _PATTERNS:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    return message


def translate(messages):
    """Walk marshmallow's nested message structure, translating each string."""
    if isinstance(messages, str):
        return to_chinese(messages)
    if isinstance(messages, list):
        return [translate(m) for m in messages]
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
        if isinstance(field_obj, ma.fields.Integer):
            field_obj.validators = [*field_obj.validators, ma.validate.Range(min=INT_MIN, max=INT_MAX)]
        elif isinstance(field_obj, ma.fields.String):
            field_obj.validators = [*field_obj.validators, _storable_text]


_SURROGATES = re.compile("[\ud800-\udfff]")


def _storable_text(value: str) -> None:
    # PostgreSQL text cannot hold NUL, and no UTF-8 text can hold a lone surrogate ("\ud800",
    # which JSON allows): say so instead of failing in the driver.
    if "\x00" in value:
        raise ma.ValidationError("不能包含空字符（\\0）")
    if _SURROGATES.search(value):
        raise ma.ValidationError("含有无效的 Unicode 字符")


def one_of(enum, label: str):
    values = [e.value for e in enum]
    return ma.validate.OneOf(values, error=f"未知的{label}，可选：{', '.join(values)}")


def not_blank(value: str) -> None:
    if not value.strip():
        raise ma.ValidationError("不能为空")
