"""CSV cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return at
the start) are written with a leading apostrophe, so a zone name or a visitor's name typed as
`=HYPERLINK(…)` stays text when staff open an export in Excel or WPS. Numbers stay numbers."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in row]
