"""The green-action catalogue (content/green-actions.yml): read, checked, published as versioned
factor records. A factor is chosen by the day of the check-in, so a new value applies from its
`valid_from` and never rewrites the past."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app import yamltext
from app.campaigns.models import ActionFactor
from app.errors import AppError
from app.extensions import db

CATALOGUE_FILE = "green-actions.yml"
REQUIRED = (
    "code",
    "name",
    "unit",
    "unit_label",
    "unit_kind",
    "kg_co2e_per_unit",
    "baseline",
    "source",
    "valid_from",
    "daily_cap",
    "points_per_unit",
)
ESTIMATE_NOTE = "减排量为教育性估算，不是碳信用，不能交易或抵消"


class CatalogueInvalid(AppError):
    status = 422
    code = "catalogue_invalid"
    message = "绿色行动目录有误"


def read_catalogue(content_root: Path) -> list[dict[str, Any]]:
    """Every record, checked; raises CatalogueInvalid listing each problem."""
    path = content_root / CATALOGUE_FILE
    if not path.exists():  # a content folder of articles only
        return []
    records = yamltext.safe_load(path.read_text(encoding="utf-8")) or []
    problems = []
    seen = set()
    for index, record in enumerate(records):
        missing = [k for k in REQUIRED if record.get(k) in (None, "")]
        if missing:
            problems.append(f"{CATALOGUE_FILE}[{index}]: 缺少 {', '.join(missing)}")
            continue
        try:
            for key in ("kg_co2e_per_unit", "daily_cap", "points_per_unit"):
                if Decimal(str(record[key])) < 0:
                    problems.append(f"{CATALOGUE_FILE}[{index}]: {key} 不能为负")
        except InvalidOperation:
            problems.append(f"{CATALOGUE_FILE}[{index}]: 数值无效")
        if record["unit_kind"] not in ("count", "amount"):
            problems.append(f"{CATALOGUE_FILE}[{index}]: unit_kind 须为 count 或 amount")
        if not isinstance(record["valid_from"], date):
            problems.append(f"{CATALOGUE_FILE}[{index}]: valid_from 须为日期")
        if not all(record["source"].get(k) for k in ("publisher", "document", "data_year")):
            problems.append(f"{CATALOGUE_FILE}[{index}]: source 须有 publisher、document、data_year")
        key = (record["code"], record["valid_from"])
        if key in seen:
            problems.append(f"{CATALOGUE_FILE}[{index}]: {record['code']} 在 {record['valid_from']} 重复")
        seen.add(key)
    if problems:
        raise CatalogueInvalid(details={"problems": problems})
    return records


def sync_catalogue(content_root: Path) -> int:
    """Upsert every factor version (step: the caller commits). Returns how many records there are."""
    records = read_catalogue(content_root)
    existing = {(f.code, f.valid_from): f for f in db.session.scalars(select(ActionFactor))}
    for record in records:
        factor = existing.get((record["code"], record["valid_from"])) or ActionFactor(
            code=record["code"], valid_from=record["valid_from"]
        )
        factor.name, factor.unit, factor.unit_label = record["name"], record["unit"], record["unit_label"]
        factor.unit_kind, factor.baseline, factor.source = record["unit_kind"], record["baseline"], record["source"]
        factor.kg_co2e_per_unit = Decimal(str(record["kg_co2e_per_unit"]))
        factor.daily_cap = Decimal(str(record["daily_cap"]))
        factor.points_per_unit = Decimal(str(record["points_per_unit"]))
        factor.commuting = bool(record.get("commuting"))
        db.session.add(factor)
    db.session.flush()
    return len(records)


def factor_in_force_query(code, day):
    """The version of an action's factor in force on `day`: the newest from on or before it (`code`
    and `day` may be bound parameters, for a statement built once)."""
    return (
        select(ActionFactor)
        .where(ActionFactor.code == code, ActionFactor.valid_from <= day)
        .order_by(ActionFactor.valid_from.desc())
        .limit(1)
    )


def factor_on(code: str, day: date) -> ActionFactor | None:
    """The version of an action's factor in force on `day`."""
    return db.session.scalar(factor_in_force_query(code, day))


def known_codes() -> set[str]:
    return set(db.session.scalars(select(ActionFactor.code)))


def action_names() -> dict[str, str]:
    """Each action code's Chinese name as people read it (the newest version's): lists, charts and CSV."""
    rows = db.session.execute(select(ActionFactor.code, ActionFactor.name).order_by(ActionFactor.valid_from))
    return dict(rows.all())  # later versions overwrite earlier ones


def action_name(code: str, names: dict[str, str] | None = None) -> str:
    """The Chinese name of `code`, or the code itself for one the catalogue no longer has."""
    return (names if names is not None else action_names()).get(code, code)
