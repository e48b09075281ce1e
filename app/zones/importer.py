"""Bulk import of a batch from CSV or XLSX, and the staff CSV export.

All or nothing: every row is checked first (schema, district, applicant kind, duplicate names in the
file and in the batch); one bad row means nothing is imported and the answer lists every problem
by row number. Headers may be the English keys or their Chinese names.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import marshmallow as ma
from sqlalchemy import select

from app import uow
from app.accounts.models import User
from app.audit import services as audit
from app.csvsafe import safe_row
from app.errors import AppError, ValidationFailed
from app.extensions import db
from app.times import local_iso
from app.validation import translate
from app.zones import editing, registry
from app.zones.constants import APPLICANT_KINDS, INDICATORS, ApplicantKind, ZoneType
from app.zones.models import District, Zone
from app.zones.validation import IndicatorFields, ZoneFields, name_key

# column key -> Chinese header (both accepted)
COLUMNS = {
    "name": "项目名称",
    "type": "类型",
    "level": "级别",
    "district": "县（市）区",
    "applicant_name": "申报主体",
    "applicant_kind": "申报主体类型",
    "address": "地址",
    "latitude": "纬度",
    "longitude": "经度",
    "summary": "简介",
    "department": "主管部门",
    "baseline_value": "基准值",
    "baseline_year": "基准年",
    "latest_value": "最新值",
    "latest_year": "最新年",
}
REQUIRED = ("name", "type", "level", "district", "applicant_name", "applicant_kind")
MAX_ROWS = 2000
MAX_BYTES = 5 * 1024 * 1024


class ImportRejected(AppError):
    status = 422
    code = "import_invalid"
    message = "导入文件有误，未导入任何数据"


def _header_key(raw: Any) -> str:
    text = str(raw or "").strip().lstrip("\ufeff")
    if text in COLUMNS:
        return text
    for key, label in COLUMNS.items():
        if text == label:
            return key
    return text


def read_rows(filename: str, content: bytes) -> tuple[list[str], list[dict[str, Any]]]:
    """(header keys, rows as dicts) from a .csv or .xlsx file."""
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        rows = list(_xlsx_rows(content))
    elif lower.endswith(".csv"):
        rows = list(_csv_rows(content))
    else:
        raise ImportRejected("仅支持 .csv 或 .xlsx 文件", code="import_file_type")
    if not rows:
        raise ImportRejected("文件为空", code="import_empty")
    header = [_header_key(h) for h in rows[0]]
    body = [r for r in rows[1:] if any(str(c or "").strip() for c in r)]
    if len(body) > MAX_ROWS:
        raise ImportRejected(f"一次最多导入 {MAX_ROWS} 行", code="import_too_large")
    return header, [dict(zip(header, r, strict=False)) for r in body]


def _csv_rows(content: bytes) -> Iterator[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("gb18030")  # Excel in China often saves CSV as GBK
        except UnicodeDecodeError as exc:
            raise ImportRejected("无法识别文件编码（请使用 UTF-8）", code="import_encoding") from exc
    yield from csv.reader(io.StringIO(text))


def _xlsx_rows(content: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise ImportRejected("无法读取 XLSX 文件", code="import_unreadable") from exc
    try:
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            yield ["" if c is None else c for c in row]
    finally:
        workbook.close()


def _check_columns(header: list[str]) -> None:
    unknown = [h for h in header if h not in COLUMNS]
    missing = [c for c in REQUIRED if c not in header]
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if unknown or missing or duplicated:
        raise ImportRejected(
            "表头不正确",
            code="import_columns",
            details={"missing": missing, "unknown": unknown, "duplicated": duplicated, "expected": list(COLUMNS)},
        )


def _districts() -> dict[str, int]:
    by_key: dict[str, int] = {}
    for district in db.session.scalars(select(District).where(District.is_active.is_(True))):
        by_key[district.name] = district.id
        if district.code:
            by_key[district.code] = district.id
    return by_key


def _to_zone_input(row: dict[str, Any], batch_year: int, districts: dict[str, int]) -> dict[str, Any]:
    """Row -> zone data (ZoneFields), raising ma.ValidationError with per-field messages."""
    cells = {k: (str(v).strip() if v is not None else "") for k, v in row.items()}
    errors: dict[str, list[str]] = {}
    district_id = districts.get(cells.get("district", ""))
    if district_id is None:
        errors["district"] = ["未知的县（市）区或开发区（填写名称或区划代码）"]
    data: dict[str, Any] = {"batch_year": batch_year, "district_id": district_id or 1}
    for key in ("name", "type", "level", "applicant_name", "applicant_kind", "address", "summary", "department"):
        if cells.get(key):
            data[key] = cells[key]
    if cells.get("latitude") or cells.get("longitude"):
        data["latitude"], data["longitude"] = cells.get("latitude") or None, cells.get("longitude") or None
    indicator = {
        k: cells[k] for k in ("baseline_value", "baseline_year", "latest_value", "latest_year") if cells.get(k)
    }
    try:
        loaded = ZoneFields().load(data)
    except ma.ValidationError as exc:
        errors.update(translate(exc.messages))
        raise ma.ValidationError(errors) from None
    if errors:
        raise ma.ValidationError(errors)
    allowed_kinds = APPLICANT_KINDS[ZoneType(loaded["type"])]
    if ApplicantKind(loaded["applicant_kind"]) not in allowed_kinds:
        raise ma.ValidationError({"applicant_kind": [f"该类型的申报主体须为：{', '.join(allowed_kinds)}"]})
    if indicator:
        key = INDICATORS[ZoneType(loaded["type"])][0].key
        try:
            loaded["indicators"] = [IndicatorFields().load({"key": key, **indicator})]
        except ma.ValidationError as exc:
            raise ma.ValidationError(translate(exc.messages)) from None
    return loaded


def import_batch(filename: str, content: bytes, batch_year: int, actor: User) -> list[Zone]:
    if len(content) > MAX_BYTES:
        raise ImportRejected("文件过大（最大 5 MB）", code="import_too_large")
    header, rows = read_rows(filename, content)
    _check_columns(header)
    if not rows:
        raise ImportRejected("文件中没有数据行", code="import_empty")
    districts = _districts()
    # Names compare as editing does (name_key: full-width and ASCII, case, spacing alike).
    existing = {name_key(n) for n in db.session.scalars(select(Zone.name).where(Zone.batch_year == batch_year))}
    seen: dict[str, int] = {}
    problems, prepared = [], []
    for index, row in enumerate(rows, start=2):  # row 1 is the header, as a spreadsheet shows it
        try:
            data = _to_zone_input(row, batch_year, districts)
        except ma.ValidationError as exc:
            problems.append({"row": index, "errors": exc.messages})
            continue
        name = name_key(data["name"])
        if name in seen:
            problems.append({"row": index, "errors": {"name": [f"与第 {seen[name]} 行重名"]}})
            continue
        if name in existing:
            problems.append({"row": index, "errors": {"name": [f"{batch_year} 年批次中已有同名项目"]}})
            continue
        seen[name] = index
        prepared.append(data)
    if problems:
        raise ImportRejected(details={"rows": problems, "row_count": len(rows)})
    try:
        created = [editing.add_zone(data, actor) for data in prepared]
        audit.record(actor, "zone.import", "batch", batch_year, None, {"count": len(created), "file": filename})
        uow.commit()
    except (AppError, ValidationFailed):
        db.session.rollback()
        raise
    return created


EXPORT_COLUMNS = [
    "id",
    "name",
    "type",
    "level",
    "status",
    "district",
    "batch_year",
    "applicant_name",
    "applicant_kind",
    "department",
    "address",
    "latitude",
    "longitude",
    "is_education_base",
    "baseline_value",
    "baseline_year",
    "latest_value",
    "latest_year",
    "updated_at",
]


def export_csv(stmt) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for zone in db.session.scalars(stmt):
        headline = registry.indicator_view(zone)[0]
        writer.writerow(
            safe_row(
                [
                    zone.id,
                    zone.name,
                    zone.type,
                    zone.level,
                    zone.status,
                    zone.district.name,
                    zone.batch_year,
                    zone.applicant_name,
                    zone.applicant_kind,
                    zone.department,
                    zone.address or "",
                    zone.latitude if zone.latitude is not None else "",
                    zone.longitude if zone.longitude is not None else "",
                    "1" if zone.is_education_base else "0",
                    *(
                        ("" if headline[k] is None else headline[k])
                        for k in ("baseline_value", "baseline_year", "latest_value", "latest_year")
                    ),
                    local_iso(zone.updated_at),
                ]
            )
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
