"""The programme's public scoreboard (GET /programme, docs/domain.md "Showing results"): what the
programme has done, in figures that add up and name no one. It only reads.

- zones: public zones only (from publicity on), by type, level, status, type × level × status and
  district; each breakdown sums to `total`.
- titles: titles granted per year (the year of the transition to titled, APP_TIMEZONE); a revoked
  zone's title still counts in the year it was granted.
- construction: zones being built (confirmed, acceptance_review) and how many of those with data
  are on track (app.progress.series); the share is null when none has data.
- reductions: verified reductions against baselines, one row per unit — figures of unlike units are
  never added. A zone counts once per indicator: its baseline and its latest verified value.
- visits: education bases, and visitors received per month (checked-in people, never bookings).
- publicity: per year, notices published, objections received and upheld.
- campaigns: schools running campaigns, students taking part, check-ins, kg CO₂e avoided — an
  educational estimate, not a carbon credit.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import distinct, func, select, true

from app.campaigns.catalogue import ESTIMATE_NOTE
from app.campaigns.models import ActionCheckin, Campaign, ClassAction, Participation
from app.db_types import utcnow
from app.extensions import db
from app.progress.models import ZoneIndicatorValue
from app.publicity.constants import ObjectionStatus
from app.publicity.models import Objection, PublicityNotice
from app.times import app_timezone
from app.visits.models import Booking, BookingStatus
from app.zones.constants import (
    INDICATORS,
    LEVEL_LABELS,
    PUBLIC_STATUSES,
    STATUS_LABELS,
    TYPE_LABELS,
    Status,
    ZoneType,
)
from app.zones.meta import DISTRICT_KIND_LABELS
from app.zones.models import District, Zone, ZoneIndicator, ZoneTransition

UNDER_CONSTRUCTION = (Status.CONFIRMED.value, Status.ACCEPTANCE_REVIEW.value)
# Zones whose verified values the programme reports: being built or titled (not rejected or revoked).
IN_PROGRAMME = (*UNDER_CONSTRUCTION, Status.TITLED.value)
# Answers stay in the cache at most this long: zone changes, notices, objection decisions and progress
# (reports accepted, baselines, milestones) invalidate it at once (the zones namespace); check-ins,
# visits and new objections, too frequent to invalidate on, show within this time.
TTL_SECONDS = 300


def programme(now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    return {
        "generated_at": now,
        "zones": zone_counts(),
        "titles": titles_per_year(),
        "construction": construction(),
        "reductions": verified_reductions(),
        "visits": visits(),
        "publicity": publicity_per_year(),
        "campaigns": campaigns(),
    }


def _public():
    return Zone.published_at.is_not(None)


def _year(moment: datetime) -> int:
    return moment.astimezone(app_timezone()).year


# ---- zones --------------------------------------------------------------------------------------


def zone_counts() -> dict[str, Any]:
    cells = db.session.execute(
        select(Zone.type, Zone.level, Zone.status, func.count())
        .where(_public())
        .group_by(Zone.type, Zone.level, Zone.status)
        .order_by(Zone.type, Zone.level, Zone.status)
    ).all()
    by_type: dict[str, int] = defaultdict(int)
    by_level: dict[str, int] = defaultdict(int)
    by_status: dict[str, int] = defaultdict(int)
    for zone_type, level, status, count in cells:
        by_type[zone_type] += count
        by_level[level] += count
        by_status[status] += count
    districts = db.session.execute(
        select(District, func.count(Zone.id))
        .join(Zone, (Zone.district_id == District.id) & _public(), isouter=True)
        .group_by(District.id)
        .order_by(District.sort_order, District.id)
    ).all()
    return {
        "total": sum(count for *_, count in cells),
        "by_type": [{"code": t.value, "label": label, "count": by_type[t.value]} for t, label in TYPE_LABELS.items()],
        "by_level": [
            {"code": lv.value, "label": label, "count": by_level[lv.value]} for lv, label in LEVEL_LABELS.items()
        ],
        "by_status": [
            {"code": s.value, "label": STATUS_LABELS[s], "count": by_status[s.value]} for s in PUBLIC_STATUSES
        ],
        "by_type_level_status": [
            {"type": zone_type, "level": level, "status": status, "count": count}
            for zone_type, level, status, count in cells
        ],
        # Every active district, and any other that has public zones (so the rows sum to the total).
        "by_district": [
            {
                "id": d.id,
                "name": d.name,
                "code": d.code,
                "kind": d.kind,
                "kind_label": DISTRICT_KIND_LABELS[d.kind],
                "count": count,
            }
            for d, count in districts
            if d.is_active or count
        ],
    }


def titles_per_year() -> dict[str, Any]:
    moments = db.session.scalars(
        select(ZoneTransition.occurred_at)
        .join(Zone, Zone.id == ZoneTransition.zone_id)
        .where(ZoneTransition.to_status == Status.TITLED.value, _public())
    ).all()
    per_year: dict[int, int] = defaultdict(int)
    for moment in moments:
        per_year[_year(moment)] += 1
    return {
        "total": len(moments),
        "per_year": [{"year": year, "count": per_year[year]} for year in sorted(per_year)],
    }


def construction() -> dict[str, Any]:
    """Zones being built and whether they are on track (their headline indicator against the line
    from baseline to target): counted among those with the data only."""
    from app.progress.series import zone_progress  # progress builds on zones; read it, never the reverse

    zones = db.session.scalars(select(Zone).where(_public(), Zone.status.in_(UNDER_CONSTRUCTION)).order_by(Zone.id))
    verdicts = [zone_progress(zone)["on_track"] for zone in zones]
    with_data = [v for v in verdicts if v is not None]
    on_track = sum(1 for v in with_data if v)
    return {
        "total": len(verdicts),
        "with_data": len(with_data),
        "without_data": len(verdicts) - len(with_data),
        "on_track": on_track,
        "off_track": len(with_data) - on_track,
        "on_track_share": round(on_track / len(with_data), 3) if with_data else None,
    }


# ---- verified reductions ------------------------------------------------------------------------


def verified_reductions() -> dict[str, Any]:
    """Per unit: zones counted, their baselines and latest verified values summed, the reduction
    (baseline − latest: positive is less emitted) and its share of the baseline. Only zones being
    built or titled, only indicators with both a baseline and a verified value in the type's unit."""
    baselines = db.session.execute(
        select(Zone.id, Zone.type, ZoneIndicator.key, ZoneIndicator.baseline_value)
        .join(ZoneIndicator, ZoneIndicator.zone_id == Zone.id)
        .where(_public(), Zone.status.in_(IN_PROGRAMME), ZoneIndicator.baseline_value.is_not(None))
    ).all()
    if not baselines:
        return {"units": []}
    latest: dict[tuple[int, str], ZoneIndicatorValue] = {}
    values = db.session.scalars(
        select(ZoneIndicatorValue)
        .where(
            ZoneIndicatorValue.zone_id.in_(sorted({row.id for row in baselines})),
            ZoneIndicatorValue.superseded_at.is_(None),
        )
        .order_by(ZoneIndicatorValue.year)
    )
    for value in values:  # ascending years: the last one kept is the latest
        latest[(value.zone_id, value.indicator_key)] = value
    units: dict[str, dict[str, Any]] = {}
    for zone_id, zone_type, key, baseline in baselines:
        definition = next((d for d in INDICATORS[ZoneType(zone_type)] if d.key == key), None)
        value = latest.get((zone_id, key))
        if definition is None or value is None or value.unit != definition.unit:
            continue  # no verified value, or one in another unit: never added to this one
        row = units.setdefault(
            definition.unit,
            {
                "unit": definition.unit,
                "indicators": set(),
                "zones": set(),
                "baseline": Decimal(0),
                "latest": Decimal(0),
            },
        )
        row["indicators"].add(definition.name)
        row["zones"].add(zone_id)
        row["baseline"] += baseline
        row["latest"] += value.value
    return {"units": [_unit_row(units[unit]) for unit in sorted(units)]}


def _unit_row(row: dict[str, Any]) -> dict[str, Any]:
    reduction = row["baseline"] - row["latest"]
    return {
        "unit": row["unit"],
        "indicators": sorted(row["indicators"]),
        "zones": len(row["zones"]),
        "baseline": float(row["baseline"]),
        "latest": float(row["latest"]),
        "reduction": float(reduction),
        "reduction_pct": round(float(reduction / row["baseline"] * 100), 1) if row["baseline"] else None,
    }


# ---- visits -------------------------------------------------------------------------------------


def visits() -> dict[str, Any]:
    """Bases open to visitors now, and people received per month: checked-in bookings only, with the
    head count counted at the door when there is one."""
    bases = db.session.scalar(select(func.count()).select_from(Zone).where(_public(), Zone.is_education_base.is_(True)))
    people = func.coalesce(Booking.actual_headcount, Booking.headcount)
    per_day = db.session.execute(
        select(Booking.visit_date, func.sum(people))
        .where(Booking.status == BookingStatus.CHECKED_IN.value)
        .group_by(Booking.visit_date)
    ).all()
    per_month: dict[str, int] = defaultdict(int)
    for day, count in per_day:
        per_month[_month(day)] += int(count or 0)
    return {
        "education_bases": bases or 0,
        "visitors_total": sum(per_month.values()),
        "visitors_per_month": [{"month": month, "visitors": per_month[month]} for month in sorted(per_month)],
    }


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


# ---- publicity ----------------------------------------------------------------------------------


def publicity_per_year() -> dict[str, Any]:
    """Per year (APP_TIMEZONE): notices published (by the start of their window), objections received
    and upheld (by when they were raised)."""
    notices = db.session.scalars(
        select(PublicityNotice.starts_at).where(PublicityNotice.published_at.is_not(None))
    ).all()
    objections = db.session.execute(select(Objection.created_at, Objection.status)).all()
    years: dict[int, dict[str, int]] = defaultdict(lambda: {"notices": 0, "objections": 0, "upheld": 0})
    for starts_at in notices:
        years[_year(starts_at)]["notices"] += 1
    for created_at, status in objections:
        years[_year(created_at)]["objections"] += 1
        years[_year(created_at)]["upheld"] += status == ObjectionStatus.UPHELD.value
    per_year = [{"year": year, **years[year]} for year in sorted(years)]
    return {
        "notices": sum(y["notices"] for y in per_year),
        "objections": sum(y["objections"] for y in per_year),
        "upheld": sum(y["upheld"] for y in per_year),
        "per_year": per_year,
    }


# ---- campaigns ----------------------------------------------------------------------------------


def campaigns() -> dict[str, Any]:
    """School campaigns in sum. Voided check-ins count nowhere; a teacher's class action adds its CO₂e
    (and is counted under class_actions, not check-ins)."""
    schools, count = db.session.execute(select(func.count(distinct(Campaign.school_id)), func.count(Campaign.id))).one()
    students = db.session.scalar(select(func.count(distinct(Participation.user_id))))
    checkins, checkin_kg = db.session.execute(
        select(func.count(ActionCheckin.id), func.coalesce(func.sum(ActionCheckin.co2_kg), 0)).where(
            ActionCheckin.counts
        )
    ).one()
    class_actions, class_kg = db.session.execute(
        select(func.count(ClassAction.id), func.coalesce(func.sum(ClassAction.co2_kg), 0)).where(true())
    ).one()
    return {
        "schools": schools or 0,
        "campaigns": count or 0,
        "students": students or 0,
        "checkins": checkins or 0,
        "class_actions": class_actions or 0,
        "co2_kg": round(float(Decimal(checkin_kg) + Decimal(class_kg)), 3),
        "co2_is_estimate": True,
        "estimate_note": ESTIMATE_NOTE,
    }
