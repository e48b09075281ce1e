"""The headline indicator of a zone's type as a yearly series: baseline, target, one verified value
per year from accepted reports; the change against the baseline and whether the zone is on track."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from app import uow
from app.accounts.models import User
from app.audit import services as audit
from app.errors import ValidationFailed
from app.extensions import db
from app.progress.milestones import is_late, milestones_of, percent_done
from app.progress.models import ReportState, ZoneIndicatorValue, ZoneProgressReport
from app.progress.scope import ensure_staff_of, progress_zone
from app.times import local_today
from app.zones.constants import INDICATORS, IndicatorDefinition, Status, ZoneType
from app.zones.models import Zone, ZoneIndicator
from app.zones.registry import invalidate_cache


def definitions(zone: Zone) -> tuple[IndicatorDefinition, ...]:
    return INDICATORS[ZoneType(zone.type)]


def definition(zone: Zone, key: str | None) -> IndicatorDefinition:
    """The type's indicator named `key`; the headline (first) one when no key is given."""
    found = definitions(zone)
    if key is None:
        return found[0]
    for item in found:
        if item.key == key:
            return item
    raise ValidationFailed(
        details={"indicator_key": [f"该类型示范区的指标为：{'、'.join(d.key for d in found)}"]},
    )


def stored_indicator(zone: Zone, key: str) -> ZoneIndicator | None:
    return next((i for i in zone.indicators if i.key == key), None)


def check_value(zone: Zone, key: str | None, year: int | None, value: Decimal | None, unit: str | None = None) -> str:
    """An indicator value a report may carry: year and value together, never negative, in the unit
    of the type (units are fixed per type: never add unlike units), for a year from the baseline
    year to the target year and not in the future. Returns the indicator's key."""
    item = definition(zone, key)
    errors: dict[str, list[str]] = {}
    if unit is not None and unit != item.unit:
        errors["unit"] = [f"该指标的单位为 {item.unit}"]
    if (year is None) != (value is None):
        errors["indicator_value" if value is None else "indicator_year"] = ["指标年份与数值须同时填写"]
    if value is not None and value < 0:
        errors["indicator_value"] = ["指标数值不能为负数"]
    if year is not None:
        stored = stored_indicator(zone, item.key)
        if stored is not None and stored.baseline_year is not None and year < stored.baseline_year:
            errors.setdefault("indicator_year", []).append(f"不能早于基准年（{stored.baseline_year}）")
        if stored is not None and stored.target_year is not None and year > stored.target_year:
            errors.setdefault("indicator_year", []).append(f"不能晚于目标年（{stored.target_year}）")
        if year > local_today().year:
            errors.setdefault("indicator_year", []).append("不能晚于今年")
    if errors:
        raise ValidationFailed(details=errors)
    return item.key


def record_verified(zone: Zone, report: ZoneProgressReport, reviewer: User, at: datetime) -> ZoneIndicatorValue:
    """Step (no commit): an accepted report's value becomes the verified value of its year; an older
    verified value of that year is superseded (kept, with the time), never overwritten."""
    item = definition(zone, report.indicator_key)
    db.session.execute(
        update(ZoneIndicatorValue)
        .where(
            ZoneIndicatorValue.zone_id == zone.id,
            ZoneIndicatorValue.indicator_key == item.key,
            ZoneIndicatorValue.year == report.indicator_year,
            ZoneIndicatorValue.superseded_at.is_(None),
        )
        .values(superseded_at=at)
    )
    row = ZoneIndicatorValue(
        zone_id=zone.id,
        indicator_key=item.key,
        year=report.indicator_year,
        value=report.indicator_value,
        unit=item.unit,
        report_id=report.id,
        verified_by_id=reviewer.id,
        verified_at=at,
    )
    db.session.add(row)
    # The zone's card shows the latest value: keep it the latest verified one.
    stored = _indicator_row(zone, item.key)
    if stored.latest_year is None or report.indicator_year >= stored.latest_year:
        stored.latest_year, stored.latest_value = report.indicator_year, report.indicator_value
    db.session.flush()
    return row


def _indicator_row(zone: Zone, key: str) -> ZoneIndicator:
    stored = stored_indicator(zone, key)
    if stored is None:
        position = [d.key for d in definitions(zone)].index(key)
        stored = ZoneIndicator(zone_id=zone.id, key=key, position=position)
        zone.indicators.append(stored)
    return stored


def set_baseline_target(
    user: User,
    zone_id: int,
    indicator_key: str,
    baseline_year: int,
    baseline_value: Decimal,
    target_year: int,
    target_value: Decimal,
) -> Zone:
    """Use case (the zone's department or the institute): the baseline and target of one indicator."""
    zone = progress_zone(user, zone_id, lock=True)
    ensure_staff_of(user, zone)
    item = definition(zone, indicator_key)
    errors: dict[str, list[str]] = {}
    if target_year < baseline_year:
        errors["target_year"] = ["目标年不能早于基准年"]
    if baseline_value < 0:
        errors["baseline_value"] = ["不能为负数"]
    if target_value < 0:
        errors["target_value"] = ["不能为负数"]
    elif lower_is_better(item) and target_value > baseline_value:
        # on_track would call a zone whose emissions grow towards such a target "on track".
        errors["target_value"] = [f"{item.name}越低越好：目标值不能高于基准值（{baseline_value.normalize():f}）"]
    verified = _verified_values(zone.id, item.key)
    outside = sorted(v.year for v in verified if v.year < baseline_year or v.year > target_year)
    if outside:
        errors.setdefault("baseline_year", []).append(
            f"已核实的年度数值（{'、'.join(map(str, outside))}）须在基准年与目标年之间"
        )
    if errors:
        raise ValidationFailed(details=errors)
    stored = _indicator_row(zone, item.key)
    fields = ("baseline_year", "baseline_value", "target_year", "target_value")
    before = audit.snapshot(stored, fields) if stored.id else None
    stored.baseline_year, stored.baseline_value = baseline_year, baseline_value
    stored.target_year, stored.target_value = target_year, target_value
    db.session.flush()
    audit.record(
        user, "indicator.baseline_target", "zone", zone.id, before, {"key": item.key, **audit.snapshot(stored, fields)}
    )
    invalidate_cache()
    uow.commit()
    return zone


def _verified_values(zone_id: int, key: str) -> list[ZoneIndicatorValue]:
    stmt = (
        select(ZoneIndicatorValue)
        .where(
            ZoneIndicatorValue.zone_id == zone_id,
            ZoneIndicatorValue.indicator_key == key,
            ZoneIndicatorValue.superseded_at.is_(None),
        )
        .order_by(ZoneIndicatorValue.year)
    )
    return list(db.session.scalars(stmt))


def _num(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def change_pct(baseline: Decimal | None, latest: Decimal | None) -> float | None:
    """Latest against baseline in % (negative: down), one decimal; None without both or on a zero baseline."""
    if baseline is None or latest is None or baseline == 0:
        return None
    return round(float((latest - baseline) / baseline * 100), 1)


def lower_is_better(item: IndicatorDefinition) -> bool:
    """Every headline indicator is an emission (zones.constants: "what must go down"), so on_track
    reads a value at or below the line from baseline to target as good."""
    return True


def on_track(stored: ZoneIndicator | None, latest_year: int | None, latest: Decimal | None) -> bool | None:
    """The latest verified value at or below (better than) the straight line from baseline to target
    at its year; past the target year the line stays at the target. None without the data."""
    if stored is None or latest is None or latest_year is None:
        return None
    if None in (stored.baseline_year, stored.baseline_value, stored.target_year, stored.target_value):
        return None
    span = stored.target_year - stored.baseline_year
    if span <= 0 or latest_year >= stored.target_year:
        line = stored.target_value
    else:
        elapsed = max(latest_year - stored.baseline_year, 0)
        line = stored.baseline_value + (stored.target_value - stored.baseline_value) * Decimal(elapsed) / Decimal(span)
    return latest <= line


def indicator_series(zone: Zone, item: IndicatorDefinition) -> dict[str, Any]:
    """One indicator of the zone: baseline, target, verified values by year, change and on_track."""
    stored = stored_indicator(zone, item.key)
    values = _verified_values(zone.id, item.key)
    latest = values[-1] if values else None
    baseline = target = None
    if stored is not None and stored.baseline_year is not None and stored.baseline_value is not None:
        baseline = {"year": stored.baseline_year, "value": _num(stored.baseline_value)}
    if stored is not None and stored.target_year is not None and stored.target_value is not None:
        target = {"year": stored.target_year, "value": _num(stored.target_value)}
    return {
        "key": item.key,
        "name": item.name,
        "unit": item.unit,
        "baseline": baseline,
        "target": target,
        "series": [{"year": v.year, "value": _num(v.value), "verified_at": v.verified_at} for v in values],
        "change_pct": change_pct(stored.baseline_value if stored else None, latest.value if latest else None),
        "on_track": on_track(stored, latest.year if latest else None, latest.value if latest else None),
    }


def zone_series(zone: Zone) -> list[dict[str, Any]]:
    """Every indicator of the zone's type (the headline first), each as indicator_series gives it."""
    return [indicator_series(zone, item) for item in definitions(zone)]


def last_report_period(zone_id: int) -> str | None:
    """The latest quarter with an accepted report."""
    return db.session.scalar(
        select(ZoneProgressReport.period)
        .where(ZoneProgressReport.zone_id == zone_id, ZoneProgressReport.state == ReportState.ACCEPTED)
        .order_by(ZoneProgressReport.period.desc())
        .limit(1)
    )


def zone_progress(zone: Zone) -> dict[str, Any]:
    """What the public sees of a zone's construction: the plan (percent done, milestones, which are
    late), the headline indicator's verified series with baseline, target, change and on_track, and
    the last quarter reported. Nothing internal (notes, problems, returned reports, comments)."""
    milestones = milestones_of(zone.id)
    headline = indicator_series(zone, definitions(zone)[0])
    return {
        "percent": percent_done(milestones),
        "milestones": [
            {
                "id": m.id,
                "name": m.name,
                "planned_on": m.planned_on,
                "done_on": m.done_on,
                "late": is_late(m),
            }
            for m in milestones
        ],
        "indicator": {k: headline[k] for k in ("key", "name", "unit")},
        "series": [{"year": v["year"], "value": v["value"]} for v in headline["series"]],
        "baseline": headline["baseline"],
        "target": headline["target"],
        "change_pct": headline["change_pct"],
        # A revoked zone is no longer building towards a title: no verdict of being on track.
        "on_track": None if zone.status == Status.REVOKED.value else headline["on_track"],
        "last_report_period": last_report_period(zone.id),
    }


# Statuses whose zones show their construction progress to the public: under construction and after
# (titled, revoked). A zone rejected at acceptance had a construction period too; one rejected
# before confirmation never did.
PUBLIC_PROGRESS_STATUSES = ("confirmed", "acceptance_review", "titled", "revoked")


def public_progress(zone: Zone) -> dict[str, Any] | None:
    """The zone detail's `progress`: None for a zone that never reached construction."""
    from app.progress.tracking import confirmed_at

    if zone.status in PUBLIC_PROGRESS_STATUSES or (zone.status == "rejected" and confirmed_at(zone.id) is not None):
        return zone_progress(zone)
    return None
