"""A zone's plan of milestones during construction: add one, record it done with evidence."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlparse

from sqlalchemy import func, select

from app import uow
from app.accounts.models import User
from app.audit import services as audit
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.media.services import own_uploads, public_hosts
from app.progress.models import ZoneMilestone
from app.progress.scope import progress_scope, progress_zone
from app.progress.tracking import confirmed_on, ensure_under_construction
from app.times import local_today
from app.zones.models import Zone
from app.zones.registry import invalidate_cache

MILESTONE_NOT_FOUND = "里程碑不存在"
_FIELDS = ("name", "planned_on", "done_on", "note", "evidence_urls")


def milestones_of(zone_id: int) -> list[ZoneMilestone]:
    """A zone's plan in order: by planned date, then as added."""
    stmt = (
        select(ZoneMilestone)
        .where(ZoneMilestone.zone_id == zone_id)
        .order_by(ZoneMilestone.planned_on, ZoneMilestone.position, ZoneMilestone.id)
    )
    return list(db.session.scalars(stmt))


def is_late(milestone: ZoneMilestone, today: date | None = None) -> bool:
    """Past its planned date and not done."""
    return milestone.done_on is None and milestone.planned_on < (today or local_today())


def percent_done(milestones: list[ZoneMilestone]) -> int | None:
    """Done ÷ planned over all milestones, as a whole percent (rounded half up); None without a plan."""
    if not milestones:
        return None
    done = sum(1 for m in milestones if m.done_on is not None)
    return (done * 200 + len(milestones)) // (2 * len(milestones))


def add_milestone(user: User, zone_id: int, name: str, planned_on: date) -> ZoneMilestone:
    """Use case: a step of the zone's construction plan."""
    zone = progress_zone(user, zone_id, lock=True)
    ensure_under_construction(zone)
    _check_after_confirmation(zone, "planned_on", planned_on, "计划日期不能早于示范区确定创建的日期")
    name = name.strip()
    if not name:
        raise ValidationFailed(details={"name": ["不能为空"]})
    position = db.session.scalar(
        select(func.coalesce(func.max(ZoneMilestone.position), 0)).where(ZoneMilestone.zone_id == zone.id)
    )
    milestone = ZoneMilestone(
        zone_id=zone.id,
        name=name,
        planned_on=planned_on,
        evidence_urls=[],
        position=position + 1,
        created_by_id=user.id,
    )
    db.session.add(milestone)
    db.session.flush()
    audit.record(user, "milestone.create", "zone", zone.id, None, audit.snapshot(milestone, _FIELDS))
    invalidate_cache()  # the public progress shows the plan
    uow.commit()
    return milestone


def update_milestone(user: User, milestone_id: int, changes: dict, *, request_host: str | None = None) -> ZoneMilestone:
    """Use case: record a milestone done (or not yet), its evidence and a note. `changes` holds only
    the fields sent: done_on (a date, or None to undo), evidence_urls, note. `request_host`: the host
    the request came to, under which its own upload URLs may come back absolute."""
    milestone = get_milestone(user, milestone_id)
    zone = progress_zone(user, milestone.zone_id, lock=True)
    ensure_under_construction(zone)
    before = audit.snapshot(milestone, _FIELDS)
    if "done_on" in changes:
        done_on = changes["done_on"]
        if done_on is not None:
            if done_on > local_today():
                raise ValidationFailed(details={"done_on": ["完成日期不能晚于今天"]})
            _check_after_confirmation(zone, "done_on", done_on, "完成日期不能早于示范区确定创建的日期")
        milestone.done_on = done_on
    if "evidence_urls" in changes:
        milestone.evidence_urls = _evidence(user, milestone, changes["evidence_urls"] or [], request_host)
    if "note" in changes:
        milestone.note = (changes["note"] or "").strip() or None
    audit.record(user, "milestone.update", "zone", zone.id, before, audit.snapshot(milestone, _FIELDS))
    invalidate_cache()
    uow.commit()
    return milestone


def get_milestone(user: User, milestone_id: int) -> ZoneMilestone:
    """A milestone of a zone in the caller's scope; otherwise not found."""
    milestone = db.session.scalar(
        select(ZoneMilestone)
        .join(Zone, Zone.id == ZoneMilestone.zone_id)
        .where(ZoneMilestone.id == milestone_id, progress_scope(user))
    )
    if milestone is None:
        raise NotFound(MILESTONE_NOT_FOUND)
    return milestone


def _check_after_confirmation(zone: Zone, field: str, day: date, message: str) -> None:
    confirmed = confirmed_on(zone.id)
    if confirmed is not None and day < confirmed:
        raise ValidationFailed(details={field: [f"{message}（{confirmed.isoformat()}）"]})


def _evidence(user: User, milestone: ZoneMilestone, urls: list[str], request_host: str | None) -> list[str]:
    """Evidence is pictures uploaded to this service: those already on the milestone stay (sent back
    relative or absolute, as answers give them), new ones must be the caller's own uploads (app.media)."""
    hosts = public_hosts(request_host)
    kept = set(milestone.evidence_urls or [])

    def already(url: str) -> str | None:
        parsed = urlparse(url)
        own_host = not (parsed.scheme or parsed.netloc) or parsed.netloc in hosts
        return parsed.path if own_host and parsed.path in kept and not parsed.query else None

    new = [url for url in urls if already(url) is None]
    checked, _ = own_uploads(user.id, new, hosts) if new else ([], True)
    by_original = dict(zip(new, checked, strict=True))
    result: list[str] = []
    for url in urls:
        value = already(url) or by_original[url]
        if value not in result:
            result.append(value)
    return result
