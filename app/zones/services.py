"""The zone registry and its lifecycle (docs/domain.md: Zones). Plain functions; callers
are the staff API, the public API, the importer and the seed."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import cache, uow
from app.accounts.models import User
from app.accounts.roles import Role
from app.accounts.services import escape_like, zone_types_handled_by
from app.audit import services as audit
from app.db_types import utcnow
from app.errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.times import local_iso, period_words
from app.zones.constants import (
    APPLICANT_KINDS,
    DEFAULT_DEPARTMENT,
    INDICATORS,
    NOTE_REQUIRED,
    STATUS_LABELS,
    TRANSITIONS,
    ApplicantKind,
    Status,
    ZoneType,
)
from app.zones.models import District, ReReview, Zone, ZoneIndicator, ZoneTransition

CACHE_NAMESPACE = "zones"

# What the audit log keeps of a zone, before and after each change.
AUDITED_FIELDS = (
    "name", "type", "level", "status", "district_id", "applicant_name", "applicant_kind", "batch_year",
    "department", "address", "latitude", "longitude", "cover_image_url", "summary", "description",
    "is_education_base",
)  # fmt: skip

SORTS = {
    "-updated_at": (Zone.updated_at.desc(), Zone.id.desc()),
    "updated_at": (Zone.updated_at.asc(), Zone.id.asc()),
    "name": (Zone.name.asc(), Zone.id.asc()),
    "-name": (Zone.name.desc(), Zone.id.desc()),
    "batch_year": (Zone.batch_year.asc(), Zone.id.asc()),
    "-batch_year": (Zone.batch_year.desc(), Zone.id.desc()),
}
DEFAULT_SORT = "-updated_at"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    message = "不允许的状态变更"


class PublicityNotSettled(Conflict):
    """A zone under publicity leaves it only when its notice is closed (docs/domain.md: Publicity and objections)."""

    code = "publicity_window_open"


# ---- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZoneFilters:
    type: str | None = None
    level: str | None = None
    status: str | None = None
    district: int | str | None = None
    batch_year: int | None = None
    q: str | None = None
    is_education_base: bool | None = None
    sort: str = DEFAULT_SORT


def zones_query(filters: ZoneFilters, *, public: bool) -> Select:
    """Zones matching the filters, one page-able statement (district joined, indicators selectin)."""
    stmt = select(Zone)
    if public:
        stmt = stmt.where(Zone.published_at.is_not(None))
    if filters.type:
        stmt = stmt.where(Zone.type == filters.type)
    if filters.level:
        stmt = stmt.where(Zone.level == filters.level)
    if filters.status:
        stmt = stmt.where(Zone.status == filters.status)
    if filters.district is not None:
        stmt = stmt.where(Zone.district_id == filters.district)
    if filters.batch_year is not None:
        stmt = stmt.where(Zone.batch_year == filters.batch_year)
    if filters.is_education_base is not None:
        stmt = stmt.where(Zone.is_education_base.is_(filters.is_education_base))
    if filters.q and filters.q.strip():
        # Literal substring (% and _ match themselves); the trigram index serves it on PostgreSQL.
        pattern = "%" + escape_like(search_text_of(filters.q)) + "%"
        stmt = stmt.where(Zone.search_text.like(pattern, escape="\\"))
    return stmt.order_by(*SORTS[filters.sort])


def resolve_filters(filters: ZoneFilters) -> ZoneFilters:
    """Filters that need the database: the district is data, given by id, division code or name."""
    if filters.district is None:
        return filters
    value = str(filters.district).strip()
    district = None
    if re.fullmatch(r"\d{6}", value):
        district = db.session.scalar(select(District).where(District.code == value))
    if district is None and value.isdigit():
        district = db.session.get(District, int(value))
    if district is None:
        district = db.session.scalar(select(District).where(District.name == value))
    if district is None:
        raise ValidationFailed(details={"district": ["未知的县（市）区或开发区（可用 /meta 中的 id、区划代码或名称）"]})
    return dataclasses.replace(filters, district=district.id)


def search_text_of(*parts: str | None) -> str:
    return "\n".join(p.strip().lower() for p in parts if p)


ZONE_NOT_FOUND = "示范区项目不存在或尚未公示"


def get_zone(zone_id: int, *, public: bool, with_history: bool = False) -> Zone:
    stmt = select(Zone).where(Zone.id == zone_id)
    if with_history:
        stmt = stmt.options(selectinload(Zone.timeline), selectinload(Zone.re_reviews))
    zone = db.session.scalar(stmt)
    if zone is None or (public and not zone.is_public):
        raise NotFound(ZONE_NOT_FOUND)
    return zone


def active_districts() -> list[District]:
    return list(db.session.scalars(select(District).order_by(District.sort_order, District.id)))


def indicator_view(zone: Zone) -> list[dict[str, Any]]:
    """The type's headline indicators with the computed change (negative = emissions down)."""
    stored = {i.key: i for i in zone.indicators}
    result = []
    for definition in INDICATORS[ZoneType(zone.type)]:
        item = stored.get(definition.key)
        baseline = item.baseline_value if item else None
        latest = item.latest_value if item else None
        change = change_percent = None
        if baseline is not None and latest is not None:
            change = latest - baseline
            if baseline != 0:
                change_percent = round(float(change / baseline * 100), 1)
        result.append(
            {
                "key": definition.key,
                "name": definition.name,
                "unit": definition.unit,
                "baseline_value": _num(baseline),
                "baseline_year": item.baseline_year if item else None,
                "latest_value": _num(latest),
                "latest_year": item.latest_year if item else None,
                "change": _num(change),
                "change_percent": change_percent,
            }
        )
    return result


def _num(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


# ---- scope --------------------------------------------------------------------------------


def staff_scope(user: User) -> ColumnElement[bool]:
    """The zones a staff member may see, as a condition on Zone: a department officer its
    department's types (unpublished ones too), institute staff and admins every zone, anyone else none.
    Every staff list, page, export and count of zones, and of what hangs off a zone, goes through it."""
    types = zone_types_handled_by(user)
    return true() if types is None else Zone.type.in_(sorted(types))


def staff_zones_query(user: User, filters: ZoneFilters) -> Select:
    """The staff list and export: published or not, within the caller's scope."""
    return zones_query(filters, public=False).where(staff_scope(user))


def staff_zone(user: User, zone_id: int, *, with_history: bool = False) -> Zone:
    """A zone's staff page. Outside the caller's scope it is not found, the same answer as a zone
    that does not exist (an unpublished application of another department is not even confirmed)."""
    stmt = select(Zone).where(Zone.id == zone_id, staff_scope(user))
    if with_history:
        stmt = stmt.options(selectinload(Zone.timeline), selectinload(Zone.re_reviews))
    zone = db.session.scalar(stmt)
    if zone is None:
        raise NotFound(ZONE_NOT_FOUND)
    return zone


def ensure_may_handle(user: User, zone_type: str) -> None:
    """A department officer acts only on the types of its department; institute staff and admins
    on all."""
    types = zone_types_handled_by(user)
    if types is not None and zone_type not in types:
        raise Forbidden(
            "该类型示范区不属于本部门职责范围",
            code="department_scope",
            details={"zone_type": zone_type, "your_types": sorted(types)},
        )


# ---- writing ------------------------------------------------------------------------------


def _district(district_id: int) -> District:
    district = db.session.get(District, district_id)
    if district is None or not district.is_active:
        raise ValidationFailed(details={"district_id": ["未知的县（市）区或开发区"]})
    return district


def _check_applicant_kind(zone_type: str, kind: str) -> None:
    allowed = APPLICANT_KINDS[ZoneType(zone_type)]
    if ApplicantKind(kind) not in allowed:
        raise ValidationFailed(
            details={"applicant_kind": [f"该类型的申报主体须为：{', '.join(k.value for k in allowed)}"]}
        )


def _apply_indicators(zone: Zone, indicators: list[dict[str, Any]]) -> None:
    allowed = {d.key: position for position, d in enumerate(INDICATORS[ZoneType(zone.type)])}
    errors = {}
    for index, item in enumerate(indicators):
        if item["key"] not in allowed:
            errors[str(index)] = [f"该类型的指标须为：{', '.join(allowed)}"]
    if errors:
        raise ValidationFailed(details={"indicators": errors})
    existing = {i.key: i for i in zone.indicators}
    for item in indicators:
        row = existing.get(item["key"])
        if row is None:
            row = ZoneIndicator(key=item["key"], position=allowed[item["key"]])
            zone.indicators.append(row)
        for field in ("baseline_value", "baseline_year", "latest_value", "latest_year"):
            if field in item:
                setattr(row, field, item[field])


def _refresh_search_text(zone: Zone) -> None:
    zone.search_text = search_text_of(zone.name, zone.applicant_name, zone.address)


def _unique_name(zone: Zone) -> None:
    with db.session.no_autoflush:  # compare against what is stored, before our change is flushed
        clash = db.session.scalar(
            select(Zone.id).where(Zone.batch_year == zone.batch_year, Zone.name == zone.name, Zone.id != zone.id)
        )
    if clash is not None:
        raise AppError("同一批次中已有同名示范区项目", code="duplicate_zone", status=409, details={"zone_id": clash})


def create_zone(data: dict[str, Any], actor: User | None) -> Zone:
    """Use case: a new application (status `applied`), with its first timeline entry."""
    zone = add_zone(data, actor)
    uow.commit()
    return zone


def add_zone(data: dict[str, Any], actor: User | None, *, at: datetime | None = None) -> Zone:
    """Step (no commit), for create_zone and for batch use cases (import, demo data)."""
    if actor is not None:
        ensure_may_handle(actor, data["type"])
    _district(data["district_id"])
    _check_applicant_kind(data["type"], data["applicant_kind"])
    fields = {k: v for k, v in data.items() if k != "indicators"}
    fields.setdefault("department", DEFAULT_DEPARTMENT[ZoneType(data["type"])].value)
    at = at or utcnow()
    zone = Zone(
        **fields,
        status=Status.APPLIED.value,
        status_changed_at=at,
        created_at=at,
        updated_at=at,
        created_by_id=actor.id if actor else None,
    )
    _refresh_search_text(zone)
    _unique_name(zone)
    _apply_indicators(zone, data.get("indicators") or [])
    db.session.add(zone)
    zone.timeline.append(
        ZoneTransition(
            from_status=None,
            to_status=Status.APPLIED.value,
            note="提交申报材料",
            actor_id=actor.id if actor else None,
            occurred_at=at,
        )
    )
    db.session.flush()
    audit.record(actor, "zone.create", "zone", zone.id, None, audit.snapshot(zone, AUDITED_FIELDS))
    _changed()
    return zone


# Fields that are part of the public record once the zone is public.
LOCKED_WHEN_PUBLIC = ("type", "batch_year")


def update_zone(zone: Zone, changes: dict[str, Any], actor: User) -> Zone:
    ensure_may_handle(actor, zone.type)
    if "type" in changes:
        ensure_may_handle(actor, changes["type"])
    if zone.is_public:
        locked = [f for f in LOCKED_WHEN_PUBLIC if f in changes and changes[f] != getattr(zone, f)]
        if locked:
            raise AppError(
                "项目公示后不能修改类型或批次",
                code="field_locked",
                status=409,
                details={field: ["公示后不可修改"] for field in locked},
            )
    before = audit.snapshot(zone, AUDITED_FIELDS)
    before["indicators"] = indicator_view(zone)
    if "district_id" in changes:
        _district(changes["district_id"])
    new_type = changes.get("type", zone.type)
    if "type" in changes or "applicant_kind" in changes:
        _check_applicant_kind(new_type, changes.get("applicant_kind", zone.applicant_kind))
    if "type" in changes and changes["type"] != zone.type:
        zone.indicators.clear()  # another type measures other things
        if "department" not in changes:
            changes["department"] = DEFAULT_DEPARTMENT[ZoneType(new_type)].value
    for field, value in changes.items():
        if field != "indicators":
            setattr(zone, field, value)
    _refresh_search_text(zone)
    _unique_name(zone)
    if "indicators" in changes:
        _apply_indicators(zone, changes["indicators"])
    zone.updated_at = utcnow()
    after = audit.snapshot(zone, AUDITED_FIELDS)
    after["indicators"] = indicator_view(zone)
    audit.record(actor, "zone.update", "zone", zone.id, before, after)
    _changed()
    uow.commit()
    return zone


def _locked_zone(zone_id: int) -> Zone:
    """The zone with its row locked until commit, so two officers cannot both move it."""
    zone = db.session.scalar(select(Zone).where(Zone.id == zone_id).with_for_update())
    if zone is None:
        raise NotFound("示范区项目不存在")
    return zone


def transition(zone_id: int, to: str, note: str | None, actor: User | None) -> Zone:
    """Use case: move a zone one step along its lifecycle."""
    zone = apply_transition(zone_id, to, note, actor)
    uow.commit()
    return zone


def apply_transition(zone_id: int, to: str, note: str | None, actor: User | None, *, at: datetime | None = None) -> Zone:
    """Step (no commit): move a zone one step along the lifecycle (docs/domain.md), recording who,
    when and why. Also used by publicity (publishing, settling) inside its own unit of work."""
    zone = _locked_zone(zone_id)
    if actor is not None:
        ensure_may_handle(actor, zone.type)
    current = Status(zone.status)
    target = Status(to)
    allowed = TRANSITIONS[current]
    if target not in allowed:
        raise InvalidTransition(
            f"不能从「{STATUS_LABELS[current]}」变更为「{STATUS_LABELS[target]}」",
            details={
                "from": current.value,
                "to": target.value,
                "allowed": [s.value for s in allowed],
                **({"hint": "撤销称号须通过复核（re-review）"} if target is Status.REVOKED else {}),
            },
        )
    if target in NOTE_REQUIRED and not (note and note.strip()):
        raise ValidationFailed(details={"note": ["变更为此状态须填写理由"]})
    if current is Status.PUBLICITY and (hold := publicity_hold(zone.id, at or utcnow())) is not None:
        raise hold
    # The plan: the responsible departments grant the title.
    if target is Status.TITLED and actor is not None and not actor.has_role(Role.DEPARTMENT_OFFICER, Role.ADMIN):
        raise Forbidden("称号由主管部门授予", code="department_only")
    _move(zone, target, note, actor, at or utcnow())
    return zone


def publicity_hold(zone_id: int, now: datetime) -> PublicityNotSettled | None:
    """Why a zone in publicity may not leave it yet, or None. Settling is the job of closing the
    window (app.publicity.services.close_notice), which marks the entry settled before it moves the
    zone: so while a published notice lists the zone unsettled, or its objections are still open,
    no one moves it by hand."""
    from app.publicity.constants import OPEN, NoticeState
    from app.publicity.models import NoticeZone, Objection, PublicityNotice

    notice = db.session.scalar(
        select(PublicityNotice)
        .join(NoticeZone, NoticeZone.notice_id == PublicityNotice.id)
        .where(NoticeZone.zone_id == zone_id, NoticeZone.outcome.is_(None))
        .where(PublicityNotice.state == NoticeState.PUBLISHED)
        .order_by(PublicityNotice.ends_at.desc())
        .limit(1)
    )
    window = None
    if notice is not None:
        window = {"notice_id": notice.id, "starts_at": local_iso(notice.starts_at), "ends_at": local_iso(notice.ends_at)}
        if now < notice.ends_at:
            return PublicityNotSettled(
                f"公示期尚未结束（公示期为 {period_words(notice.starts_at, notice.ends_at)}），"
                "公示期满后由系统根据异议处理结果确定",
                details=window,
            )
    pending = db.session.scalar(
        select(func.count(Objection.id)).where(Objection.zone_id == zone_id, Objection.status.in_([s.value for s in OPEN]))
    )
    if pending:
        return PublicityNotSettled(
            f"该项目尚有 {pending} 条异议未办结，办结后由系统确定公示结果",
            code="objections_pending",
            details={"pending_objections": pending, **(window or {})},
        )
    if notice is not None:
        return PublicityNotSettled(
            "公示期已满，待办结公示时统一确定结果（公示页面“办结公示”）",
            code="publicity_not_settled",
            details=window,
        )
    return None


def _move(zone: Zone, target: Status, note: str | None, actor: User | None, at: datetime) -> None:
    before = audit.snapshot(zone, ("status", "is_education_base"))
    entry = ZoneTransition(
        zone_id=zone.id,
        from_status=zone.status,
        to_status=target.value,
        note=(note or "").strip() or None,
        actor_id=actor.id if actor else None,
        occurred_at=at,
    )
    db.session.add(entry)
    zone.status = target.value
    zone.status_changed_at = at
    zone.updated_at = at
    if target is Status.PUBLICITY and zone.published_at is None:
        zone.published_at = at
    if target in (Status.REVOKED, Status.REJECTED):
        zone.is_education_base = False  # a base must be a titled zone
    audit.record(
        actor, "zone.transition", "zone", zone.id, before,
        {**audit.snapshot(zone, ("status", "is_education_base")), "note": entry.note},
    )  # fmt: skip
    _changed()


def record_re_review(zone_id: int, reviewed_on: date, outcome: str, note: str | None, actor: User | None) -> ReReview:
    """Use case: a dated re-review of a titled zone."""
    review = add_re_review(zone_id, reviewed_on, outcome, note, actor)
    uow.commit()
    return review


def add_re_review(zone_id: int, reviewed_on: date, outcome: str, note: str | None, actor: User | None) -> ReReview:
    """Step (no commit): a dated re-review; a failed one revokes the title (timeline entry too)."""
    zone = _locked_zone(zone_id)
    if actor is not None:
        ensure_may_handle(actor, zone.type)
    if zone.status != Status.TITLED.value:
        raise InvalidTransition(
            "只有已授予称号的示范区可以复核",
            code="not_titled",
            details={"status": zone.status},
        )
    if reviewed_on > utcnow().date():
        raise ValidationFailed(details={"reviewed_on": ["复核日期不能晚于今天"]})
    if outcome == "failed" and not (note and note.strip()):
        raise ValidationFailed(details={"note": ["复核不通过须填写理由"]})
    review = ReReview(
        zone_id=zone.id,
        reviewed_on=reviewed_on,
        outcome=outcome,
        note=(note or "").strip() or None,
        actor_id=actor.id if actor else None,
    )
    db.session.add(review)
    db.session.flush()
    audit.record(
        actor,
        "zone.re_review",
        "zone",
        zone.id,
        None,
        {"re_review_id": review.id, "reviewed_on": reviewed_on, "outcome": outcome, "note": review.note},
    )
    if outcome == "failed":
        _move(zone, Status.REVOKED, f"复核未通过：{review.note}", actor, utcnow())
    _changed()
    return review


def set_education_base(zone_id: int, designated: bool, actor: User) -> Zone:
    zone = _locked_zone(zone_id)
    ensure_may_handle(actor, zone.type)
    if designated and zone.status != Status.TITLED.value:
        raise AppError(
            "只有已授予称号的示范区可以设为宣传教育基地", code="not_titled", status=409, details={"status": zone.status}
        )
    before = audit.snapshot(zone, ("is_education_base",))
    zone.is_education_base = designated
    zone.updated_at = utcnow()
    audit.record(actor, "zone.education_base", "zone", zone.id, before, {"is_education_base": designated})
    _changed()
    uow.commit()
    return zone


# ---- districts ----------------------------------------------------------------------------


DISTRICT_FIELDS = ("name", "code", "kind", "sort_order", "is_active")


def create_district(data: dict[str, Any], actor: User) -> District:
    district = District(**data)
    _unique_district(district)
    db.session.add(district)
    _save_district(flush_only=True)
    audit.record(actor, "district.create", "district", district.id, None, audit.snapshot(district, DISTRICT_FIELDS))
    _save_district()
    return district


def update_district(district_id: int, changes: dict[str, Any], actor: User) -> District:
    district = db.session.get(District, district_id)
    if district is None:
        raise NotFound("县（市）区不存在")
    before = audit.snapshot(district, DISTRICT_FIELDS)
    for field, value in changes.items():
        setattr(district, field, value)
    _unique_district(district)
    audit.record(actor, "district.update", "district", district.id, before, audit.snapshot(district, DISTRICT_FIELDS))
    _save_district()
    return district


class DuplicateDistrict(AppError):
    status = 409
    code = "duplicate_district"
    message = "名称或区划代码已存在"


def _unique_district(district: District) -> None:
    with db.session.no_autoflush:  # compare against what is stored, before our change is flushed
        clash = db.session.scalar(
            select(District.id).where(
                ((District.name == district.name) | ((District.code == district.code) & District.code.is_not(None))),
                District.id != district.id if district.id else True,
            )
        )
    if clash is not None:
        raise DuplicateDistrict()


def _save_district(flush_only: bool = False) -> None:
    try:
        if flush_only:
            db.session.flush()
        else:
            _changed()
            uow.commit()
    except IntegrityError as exc:  # the same name saved a moment ago by someone else
        db.session.rollback()
        raise DuplicateDistrict() from exc


def _changed() -> None:
    """Public zone pages (lists, details, /meta, open data) are rebuilt once this change commits."""
    uow.after_commit(cache.invalidate, CACHE_NAMESPACE)
