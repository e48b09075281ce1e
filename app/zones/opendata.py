"""Open data: every public zone as CSV and as GeoJSON, with a licence line and a generated-at time."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from app.csvsafe import safe_cell
from app.extensions import db
from app.zones.constants import LEVEL_LABELS, STATUS_LABELS, TYPE_LABELS, Level, Status, ZoneType
from app.zones.models import Zone
from app.zones.registry import indicator_view

LICENCE = "本数据由长春市碳中和研究院发布，依据知识共享署名 4.0 协议（CC BY 4.0）开放，使用时请注明来源。"
PUBLISHER = "长春市碳中和研究院"

CSV_COLUMNS = [
    "id",
    "name",
    "type",
    "type_label",
    "level",
    "level_label",
    "status",
    "status_label",
    "district",
    "district_code",
    "batch_year",
    "applicant_name",
    "address",
    "latitude",
    "longitude",
    "coordinate_system",
    "is_education_base",
    "indicator_name",
    "indicator_unit",
    "baseline_value",
    "baseline_year",
    "latest_value",
    "latest_year",
    "change_percent",
]


def _public_zones() -> list[Zone]:
    stmt = select(Zone).where(Zone.published_at.is_not(None)).order_by(Zone.id)
    return list(db.session.scalars(stmt))


def _row(zone: Zone) -> dict:
    headline = indicator_view(zone)[0]
    return {
        "id": zone.id,
        "name": zone.name,
        "type": zone.type,
        "type_label": TYPE_LABELS[ZoneType(zone.type)],
        "level": zone.level,
        "level_label": LEVEL_LABELS[Level(zone.level)],
        "status": zone.status,
        "status_label": STATUS_LABELS[Status(zone.status)],
        "district": zone.district.name,
        "district_code": zone.district.code or "",
        "batch_year": zone.batch_year,
        "applicant_name": zone.applicant_name,
        "address": zone.address or "",
        "latitude": float(zone.latitude) if zone.latitude is not None else None,
        "longitude": float(zone.longitude) if zone.longitude is not None else None,
        "coordinate_system": "GCJ-02",
        "is_education_base": zone.is_education_base,
        "indicator_name": headline["name"],
        "indicator_unit": headline["unit"],
        "baseline_value": headline["baseline_value"],
        "baseline_year": headline["baseline_year"],
        "latest_value": headline["latest_value"],
        "latest_year": headline["latest_year"],
        "change_percent": headline["change_percent"],
    }


def _generated_at(timezone: str) -> str:
    return datetime.now(ZoneInfo(timezone)).isoformat(timespec="seconds")


def zones_csv() -> bytes:
    timezone = current_app.config["APP_TIMEZONE"]
    buffer = io.StringIO()
    # Licence and time first, as comment lines; the header row follows.
    buffer.write(f"# {LICENCE}\n# 生成时间: {_generated_at(timezone)}；发布单位: {PUBLISHER}\n")
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for zone in _public_zones():
        row = _row(zone)
        writer.writerow({k: _csv_cell(v) for k, v in row.items()})
    # A BOM so Excel (what most readers open it with in China) detects UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return safe_cell(str(value))


def zones_geojson() -> bytes:
    timezone = current_app.config["APP_TIMEZONE"]
    features = []
    for zone in _public_zones():
        row = _row(zone)
        if row["latitude"] is None:
            continue  # GeoJSON points need a position; the CSV has every zone
        properties = {k: v for k, v in row.items() if k not in ("latitude", "longitude")}
        features.append(
            {
                "type": "Feature",
                "id": zone.id,
                # GeoJSON order: longitude, latitude.
                "geometry": {"type": "Point", "coordinates": [row["longitude"], row["latitude"]]},
                "properties": properties,
            }
        )
    document = {
        "type": "FeatureCollection",
        "license": LICENCE,
        "publisher": PUBLISHER,
        "generated_at": _generated_at(timezone),
        "coordinate_system": "GCJ-02",
        "features": features,
    }
    return json.dumps(document, ensure_ascii=False).encode("utf-8")
