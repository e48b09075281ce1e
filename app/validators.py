"""Who a person is, as the programme's forms take it: real names, phones and identity documents.
Used by bookings and objections alike; every message is the Chinese a citizen reads."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

import marshmallow as ma

# ---- names --------------------------------------------------------------------------------

# Han characters: the basic block, extensions A–I (the rare characters of the Ministry of Public
# Security's rare-character work, e.g. 䶮 in A, 𠮷 in B), compatibility ideographs, and 〇.
_HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U000323af"
# The middle dot between the parts of a minority name, as people type it.
_DOTS = "·•・‧"
CHINESE_NAME_RE = re.compile(f"^[{_HAN}]+(?:[{_DOTS}][{_HAN}]+)*$")
MAX_HAN = 20
# Latin letters with accents (Latin-1, Extended-A/B, Extended Additional), spaces, ' - .
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
LATIN_NAME_RE = re.compile(f"^[{_LATIN}]+(?:(?:[ '’-]|\\. ?)[{_LATIN}]+)*\\.?$")
MAX_LATIN = 50


def validate_person_name(value: str) -> None:
    value = unicodedata.normalize("NFC", value.strip())
    if CHINESE_NAME_RE.match(value):
        han = sum(1 for c in value if c not in _DOTS)
        if 2 <= han <= MAX_HAN:
            return
        raise ma.ValidationError(f"中文姓名须为 2–{MAX_HAN} 个汉字（少数民族姓名可用“·”分隔）")
    if LATIN_NAME_RE.match(value):
        if 2 <= len(value) <= MAX_LATIN:
            return
        raise ma.ValidationError(f"外文姓名须为 2–{MAX_LATIN} 个字母（可含空格、连字符、撇号）")
    raise ma.ValidationError("请填写与证件一致的真实姓名（汉字，或外文字母）")


def is_ascii_number(text: str) -> bool:
    """Whether int(text) reads it as a whole number of ASCII digits. str.isdigit() alone is also true
    of "²" and "①" (int() refuses them: a 500) and of other scripts' digits."""
    return text.isascii() and text.isdigit()


# ---- phones -------------------------------------------------------------------------------

# re.ASCII: Python's \d also matches full-width and other scripts' digits ("13９…"), which the
# service must never store as a phone number.
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$", re.ASCII)
E164_RE = re.compile(r"^\+[1-9]\d{6,14}$", re.ASCII)
_PHONE_SEPARATORS = re.compile(r"[\s\-().·]")
_MAINLAND_WITH_COUNTRY_CODE = re.compile(r"^(?:\+86|0086|86)(1[3-9]\d{9})$", re.ASCII)


def normalise_phone(value: str) -> str:
    """A phone number as people type it, in the form the service keeps: full-width digits (a Chinese
    input method's) as ASCII, spaces, hyphens, dots and brackets dropped ("138 0000 0000",
    "(+852) 9123-4567" from a phone's autofill), a mainland mobile written with its country code (+86, 0086,
    86) as its 11 digits, and an international 00 prefix as "+"."""
    value = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", value))
    mainland = _MAINLAND_WITH_COUNTRY_CODE.match(value)
    if mainland:
        return mainland.group(1)
    if value.startswith("00"):
        return "+" + value[2:]
    return value


def validate_phone(value: str) -> None:
    """A mainland mobile (11 digits), or an international number in E.164 (+852…): ASCII digits only.
    A +86 number is a mainland one: only a mobile, which normalise_phone has made its 11 digits (a
    digit short, "+86 139 0000 444" would otherwise pass as some international number)."""
    if MOBILE_RE.match(value) or (E164_RE.match(value) and not value.startswith("+86")):
        return
    raise ma.ValidationError("请填写 11 位中国大陆手机号码，或以“+”和国家/地区代码开头的国际号码（如 +85291234567）")


# ---- identity documents -------------------------------------------------------------------


class IdType(StrEnum):
    RESIDENT_ID = "resident_id"  # 居民身份证
    HK_MACAO_PERMIT = "hk_macao_permit"  # 港澳居民来往内地通行证
    TAIWAN_PERMIT = "taiwan_permit"  # 台湾居民来往大陆通行证
    PASSPORT = "passport"  # 护照
    FOREIGN_PERMANENT_RESIDENT = "foreign_permanent_resident"  # 外国人永久居留身份证


ID_TYPE_LABELS = {
    IdType.RESIDENT_ID: "居民身份证",
    IdType.HK_MACAO_PERMIT: "港澳居民来往内地通行证",
    IdType.TAIWAN_PERMIT: "台湾居民来往大陆通行证",
    IdType.PASSPORT: "护照",
    IdType.FOREIGN_PERMANENT_RESIDENT: "外国人永久居留身份证",
}

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def _mod11_2_ok(value: str) -> bool:
    total = sum(int(d) * w for d, w in zip(value[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == value[17]


# The first two digits of the address code: a province-level division of GB/T 2260 (11 Beijing …
# 65 Xinjiang, 71 Taiwan, 81 Hong Kong, 82 Macao), and 83, which the residence permits of Taiwan
# residents (GB 11643 numbers too) carry.
PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
)
_CHINA = ZoneInfo("Asia/Shanghai")


def _china_today() -> date:
    """The date in China now: a resident ID's birth date is a Chinese date, whatever the server's zone
    (a baby born this morning in China has today's date while UTC is still yesterday)."""
    return datetime.now(_CHINA).date()


def id_number_valid(value: str) -> bool:
    """GB 11643-1999: 17 digits, a check character (ISO 7064 MOD 11-2), a real birth date (up to
    today in China), a real province in its address code."""
    return _resident_id_problem(value) is None


_RESIDENT_ID_INVALID = "居民身份证号码无效（请核对 18 位号码及末位校验码）"
# A birth date that cannot be (1999-02-29, a future year): said as such, not as the check character.
_RESIDENT_ID_BIRTH = "居民身份证号码无效（第 7 至 14 位的出生日期不存在）"


def _resident_id_problem(value: str) -> str | None:
    value = value.upper()
    if not re.fullmatch(r"\d{17}[\dX]", value, re.ASCII):
        return _RESIDENT_ID_INVALID
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return _RESIDENT_ID_BIRTH
    if born > _china_today() or born.year < 1900:
        return _RESIDENT_ID_BIRTH
    if not _mod11_2_ok(value):
        return _RESIDENT_ID_INVALID
    if int(value[:2]) not in PROVINCE_CODES:
        return "居民身份证号码无效（前两位不是有效的省级行政区划代码）"
    return None


def _hk_macao_ok(value: str) -> bool:
    # H (Hong Kong) or M (Macao), then 8 digits (cards since 2013; older ones had 10 digits).
    return re.fullmatch(r"[HM]\d{8}(\d{2})?", value, re.ASCII) is not None


def _taiwan_ok(value: str) -> bool:
    # 8 digits on the card since 2015; older booklets had 10 digits, sometimes with a letter.
    return re.fullmatch(r"\d{8}|\d{10}[A-Z]?", value, re.ASCII) is not None


def _passport_ok(value: str) -> bool:
    # ICAO 9303 allows up to 9 characters in the machine-readable zone; some states issue longer.
    return re.fullmatch(r"[A-Z0-9]{6,17}", value) is not None and re.search(r"\d", value) is not None


def _foreign_permanent_ok(value: str) -> bool:
    # 2017 card: three letters (country) and 12 digits; 2023 card: 18 characters starting with 9,
    # with the same MOD 11-2 check character as the resident ID.
    if re.fullmatch(r"[A-Z]{3}\d{12}", value, re.ASCII):
        return True
    return re.fullmatch(r"9\d{16}[\dX]", value, re.ASCII) is not None and _mod11_2_ok(value)


_DOCUMENT_CHECKS = {
    IdType.RESIDENT_ID: (id_number_valid, _RESIDENT_ID_INVALID),
    IdType.HK_MACAO_PERMIT: (_hk_macao_ok, "港澳居民来往内地通行证号码应为 H 或 M 加 8 位数字"),
    IdType.TAIWAN_PERMIT: (_taiwan_ok, "台湾居民来往大陆通行证号码应为 8 位数字"),
    IdType.PASSPORT: (_passport_ok, "护照号码应为 6–17 位字母和数字"),
    IdType.FOREIGN_PERMANENT_RESIDENT: (
        _foreign_permanent_ok,
        "外国人永久居留身份证号码应为 3 位字母加 12 位数字，或以 9 开头的 18 位号码",
    ),
}


def normalise_document_number(number: str) -> str:
    """Full-width characters (a Chinese input method's) as ASCII, spaces and hyphens dropped, upper case:
    the same document typed either way is one number, for the checks and the one-per-document rule."""
    return re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", number)).upper()


def document_problem(id_type: str, number: str) -> str | None:
    """Why this number is not a valid number of that document type, in Chinese; None if it is."""
    if IdType(id_type) == IdType.RESIDENT_ID:  # its message says which part is wrong
        return _resident_id_problem(normalise_document_number(number))
    check, message = _DOCUMENT_CHECKS[IdType(id_type)]
    return None if check(normalise_document_number(number)) else message


def person_key(id_type: str, number: str) -> str:
    """What the one-per-document rule compares: the pair (type, number). The resident ID keeps its
    bare number, so blind indexes made before other documents were accepted still match."""
    number = normalise_document_number(number)
    return number if id_type == IdType.RESIDENT_ID else f"{id_type}:{number}"


def _invisible(char: str) -> bool:
    """White space, or a format character one cannot see (zero-width space, BOM, direction marks);
    not the tag characters that end a flag emoji."""
    return char.isspace() or (unicodedata.category(char) == "Cf" and not "\U000e0000" <= char <= "\U000e007f")


def strip_invisible(text: str) -> str:
    """`text` without what cannot be seen at either end: a value of zero-width spaces is empty."""
    start, end = 0, len(text)
    while start < end and _invisible(text[start]):
        start += 1
    while end > start and _invisible(text[end - 1]):
        end -= 1
    return text[start:end]


BLANK = "不能为空"  # a required text left empty, or of spaces only (app.validation says it so too)

# Seven digits or more in a row: a phone or a document number.
_PERSONAL_NUMBER = re.compile(r"\d{7,}", re.ASCII)


def as_read(text: str) -> str:
    """`text` as a reader takes it in: full-width digits are digits (NFKC), and spaces or invisible
    characters hide nothing (138 1234 5678 is a phone number)."""
    return "".join(c for c in unicodedata.normalize("NFKC", text) if c.isprintable() and not c.isspace())


def shows_a_personal_number(text: str) -> bool:
    """Whether text others will read holds what reads as a phone or document number."""
    return bool(_PERSONAL_NUMBER.search(as_read(text)))


def no_control_characters(value: str) -> None:
    """One line of text (a name): no control characters (tab, CR, LF, …) nor line or paragraph
    separators."""
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value):
        raise ma.ValidationError("不能包含控制字符（如制表符、换行符）")


# Bidi embeddings, overrides and isolates: they reorder what follows on the reader's screen, so a
# text could show something else than what it says (a name read backwards, a forged audit line).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# A text field allowing more than this is prose (a body, a reply, a note, a policy) and keeps its line
# breaks; up to it (titles, names, reasons) a value is one line. Trimmed(multiline=…) says so outright.
ONE_LINE_MAX = 200


def text_problem(value: str, *, multiline: bool) -> str | None:
    """Why `value` is no text staff or citizens may show to others (control or bidi characters; in one
    line also tabs and line breaks), in Chinese; None if it is fine."""
    for char in value:
        if char == "\x00":
            return "不能包含空字符（\\0）"  # as the base schema says it (app.validation._storable_text)
        if char in _BIDI_CONTROLS:
            return "不能包含控制字符（如文字方向控制符）"
        if multiline and char in "\n\t":
            continue
        if unicodedata.category(char) == "Cc" or (not multiline and unicodedata.category(char) in ("Zl", "Zp")):
            return "不能包含控制字符（如制表符、换行符）" if not multiline else "不能包含控制字符（换行与制表符除外）"
    return None


class Trimmed(ma.fields.String):
    """A string with surrounding spaces, and invisible format characters, removed before validation
    (a reason of twenty zero-width spaces is empty, as one of twenty spaces is). Its maximum length
    (documented as the OpenAPI maxLength) holds for what was sent too, surrounding spaces included: a
    value the document says is too long is refused, not accepted because it shrank once trimmed.
    Control and bidi characters are refused (text_problem); `multiline` fields keep line breaks and
    tabs (a browser's CRLF read as LF), others are one line. Unsaid: multi-line when the maximum length
    is over ONE_LINE_MAX."""

    def __init__(self, *args, multiline: bool | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if multiline is None:
            limits = [v.max for v in self.validators if isinstance(v, ma.validate.Length) and v.max is not None]
            multiline = bool(limits) and min(limits) > ONE_LINE_MAX
        self.multiline = multiline

    def _deserialize(self, value, attr, data, **kwargs):
        result = super()._deserialize(value, attr, data, **kwargs)
        if self.multiline:
            result = result.replace("\r\n", "\n").replace("\r", "\n")
        for validator in self.validators:
            if isinstance(validator, ma.validate.Length) and validator.max is not None and len(result) > validator.max:
                validator(result)  # raises the length's own message
        result = strip_invisible(result)
        if self.required and not result and value:  # spaces only: blank, not "too short"
            raise ma.ValidationError(BLANK)
        problem = text_problem(result, multiline=self.multiline)
        if problem:
            raise ma.ValidationError(problem)
        return result


class Phone(Trimmed):
    """A phone number: normalised as people type it (normalise_phone), then checked (validate_phone);
    what is stored and answered is the normalised number."""

    def __init__(self, **kwargs) -> None:
        super().__init__(validate=validate_phone, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return normalise_phone(super()._deserialize(value, attr, data, **kwargs))


ID_TYPE_FIELD_DOC = "证件类型：" + "，".join(f"{t.value}（{label}）" for t, label in ID_TYPE_LABELS.items())


def id_type_field(**kwargs) -> ma.fields.String:
    return ma.fields.String(
        validate=ma.validate.OneOf([t.value for t in IdType], error="未知的证件类型，可选：" + "、".join(IdType)),
        metadata={"description": ID_TYPE_FIELD_DOC + "；默认 resident_id"},
        **kwargs,
    )


def check_document(data: dict, type_field: str = "id_type", number_field: str = "id_number") -> None:
    """Schema-level: the number fits its document type (the error names the number's field)."""
    number = data.get(number_field)
    if not number:
        return
    problem = document_problem(data.get(type_field) or IdType.RESIDENT_ID, number)
    if problem:
        raise ma.ValidationError(problem, number_field)
    data[number_field] = normalise_document_number(number)
