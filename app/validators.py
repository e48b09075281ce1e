"""Field rules shared by objections and bookings: names, mainland mobile numbers, ID numbers."""

from __future__ import annotations

import re
from datetime import date

import marshmallow as ma

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# Chinese names (with the middle dot of minority names) or Latin names with spaces.
NAME_RE = re.compile(r"^[\u4e00-\u9fff·•]{2,20}$|^[A-Za-z][A-Za-z .'-]{1,49}$")

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def id_number_valid(value: str) -> bool:
    """GB 11643-1999: 17 digits, a check character (ISO 7064 MOD 11-2), a real birth date."""
    value = value.upper()
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    if born > date.today() or born.year < 1900:
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == value[17]


def validate_mobile(value: str) -> None:
    if not MOBILE_RE.match(value):
        raise ma.ValidationError("请填写 11 位中国大陆手机号码")


def validate_id_number(value: str) -> None:
    if not id_number_valid(value):
        raise ma.ValidationError("身份证号码无效（请核对 18 位号码及校验位）")


def validate_person_name(value: str) -> None:
    if not NAME_RE.match(value.strip()):
        raise ma.ValidationError("请填写真实姓名（2–20 个汉字）")


class Trimmed(ma.fields.String):
    """A string with surrounding spaces removed before validation."""

    def _deserialize(self, value, attr, data, **kwargs):
        result = super()._deserialize(value, attr, data, **kwargs)
        return result.strip()
