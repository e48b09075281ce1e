"""Open data: the indicators of every public zone, one row per zone, indicator and year: the baseline
and the target (as set by the department, `verified` false) and the values verified by accepted
quarterly reports (`verified` true)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from app.csvsafe import safe_cell
from app.extensions import db
from app.progress.models import ZoneIndicatorValue
from app.zones.constants import INDICATORS, ZoneType
from app.zones.models import Zone, ZoneIndicator
from app.zones.opendata import LICENCE, PUBLISHER

CSV_COLUMNS = ["zone_id", "zone", "year", "indicator", "indicator_name", "value", "unit", "kind", "verified"]


def indicators_csv() -> bytes:
    timezone = current_app.config["APP_TIMEZONE"]
    buffer = io.StringIO()
    generated = datetime.now(ZoneInfo(timezone)).isoformat(timespec="seconds")
    buffer.write(f"# {LICENCE}\n# 生成时间: {generated}；发布单位: {PUBLISHER}\n")
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in _rows():
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _rows():
    zones = list(db.session.scalars(select(Zone).where(Zone.published_at.is_not(None)).order_by(Zone.id)))
    verified: dict[int, list[ZoneIndicatorValue]] = {}
    for value in db.session.scalars(
        select(ZoneIndicatorValue)
        .join(Zone, Zone.id == ZoneIndicatorValue.zone_id)
        .where(Zone.published_at.is_not(None), ZoneIndicatorValue.superseded_at.is_(None))
        .order_by(ZoneIndicatorValue.zone_id, ZoneIndicatorValue.indicator_key, ZoneIndicatorValue.year)
    ):
        verified.setdefault(value.zone_id, []).append(value)
    for zone in zones:
        stored: dict[str, ZoneIndicator] = {i.key: i for i in zone.indicators}
        for item in INDICATORS[ZoneType(zone.type)]:
            base = {"zone_id": zone.id, "zone": zone.name, "indicator": item.key, "indicator_name": item.name}
            indicator = stored.get(item.key)
            if indicator is not None and indicator.baseline_year is not None and indicator.baseline_value is not None:
                yield {
                    **base,
                    "year": indicator.baseline_year,
                    "value": indicator.baseline_value,
                    "unit": item.unit,
                    "kind": "baseline",
                    "verified": False,
                }
            for value in (v for v in verified.get(zone.id, []) if v.indicator_key == item.key):
                yield {
                    **base,
                    "year": value.year,
                    "value": value.value,
                    "unit": value.unit,
                    "kind": "verified",
                    "verified": True,
                }
            if indicator is not None and indicator.target_year is not None and indicator.target_value is not None:
                yield {
                    **base,
                    "year": indicator.target_year,
                    "value": indicator.target_value,
                    "unit": item.unit,
                    "kind": "target",
                    "verified": False,
                }


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return safe_cell(str(value))
