"""Quarterly progress reports of a zone under construction: the construction entity writes a draft,
submits it, and the zone's department (or the institute) accepts it or returns it with a comment.
An accepted report's indicator value becomes the verified value of its year."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from app import uow
from app.accounts.models import User
from app.audit import services as audit
from app.db_types import utcnow
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.progress import series
from app.progress.models import ReportState, ZoneProgressReport
from app.progress.scope import ensure_reviewer, progress_scope, progress_zone
from app.progress.tracking import (
    PERIOD_PATTERN,
    confirmed_on,
    due_on,
    ensure_under_construction,
    period_label,
    period_of,
)
from app.times import local_today
from app.zones.models import Zone
from app.zones.registry import invalidate_cache

REPORT_NOT_FOUND = "进展报告不存在"
EDITABLE = (ReportState.DRAFT, ReportState.RETURNED)
_FIELDS = (
    "period",
    "state",
    "public_summary",
    "internal_note",
    "problems",
    "indicator_key",
    "indicator_year",
    "indicator_value",
    "review_comment",
)
TEXT_FIELDS = ("public_summary", "internal_note", "problems")


class ReportExists(Conflict):
    code = "report_exists"


class ReportNotEditable(Conflict):
    code = "report_not_editable"


class ReportNotSubmitted(Conflict):
    code = "report_not_submitted"


def create_report(
    user: User,
    zone_id: int,
    period: str,
    public_summary: str,
    internal_note: str | None = None,
    indicator_year: int | None = None,
    indicator_value: Decimal | None = None,
    problems: str | None = None,
    *,
    indicator_key: str | None = None,
    unit: str | None = None,
) -> ZoneProgressReport:
    """Use case: a draft report for one quarter of a zone under construction."""
    zone = progress_zone(user, zone_id, lock=True)
    ensure_under_construction(zone)
    _check_period(zone, period)
    _refuse_second(zone.id, period)
    report = ZoneProgressReport(zone_id=zone.id, period=period, state=ReportState.DRAFT, author_id=user.id)
    _fill(
        zone,
        report,
        {
            "public_summary": public_summary,
            "internal_note": internal_note,
            "problems": problems,
            "indicator_key": indicator_key,
            "indicator_year": indicator_year,
            "indicator_value": indicator_value,
            "unit": unit,
        },
    )
    _mark_if_late(report)
    db.session.add(report)
    _flush_unique(period)
    audit.record(user, "report.create", "zone", zone.id, None, {"report_id": report.id, "period": period})
    uow.commit()
    return report


def update_report(user: User, report_id: int, changes: dict) -> ZoneProgressReport:
    """Use case: edit a draft or returned report (only the fields sent)."""
    report, zone = _for_write(user, report_id)
    if report.state not in EDITABLE:
        raise ReportNotEditable("只有草稿或已退回的报告可以修改", details={"state": report.state})
    if report.state == ReportState.RETURNED:  # followed by a new report: the edit could never be sent
        _refuse_second(zone.id, report.period, but=report.id, returned=True)
    before = audit.snapshot(report, _FIELDS)
    _fill(zone, report, changes)
    audit.record(user, "report.update", "zone", zone.id, before, audit.snapshot(report, _FIELDS))
    uow.commit()
    return report


def submit_report(user: User, report_id: int) -> ZoneProgressReport:
    """Use case: a draft (or a corrected returned report) goes to the department for review."""
    report, zone = _for_write(user, report_id)
    ensure_under_construction(zone)
    if report.state not in EDITABLE:
        raise ReportNotEditable("该报告已提交", details={"state": report.state})
    if report.state == ReportState.RETURNED:
        _refuse_second(zone.id, report.period, but=report.id, returned=True)
    # The values are checked again: the baseline or target may have changed since the draft.
    series.check_value(zone, report.indicator_key, report.indicator_year, report.indicator_value)
    if report.state == ReportState.DRAFT:
        _mark_if_late(report)
    report.state = ReportState.SUBMITTED
    report.submitted_at = utcnow()
    _flush_unique(report.period)
    audit.record(user, "report.submit", "zone", zone.id, None, {"report_id": report.id, "period": report.period})
    uow.commit()
    return report


def review_report(user: User, report_id: int, decision: str, comment: str | None) -> ZoneProgressReport:
    """Use case: the zone's department (or the institute) accepts a submitted report or returns it
    with a comment. Nobody reviews their own report. Accepting verifies its indicator value."""
    report, zone = _for_write(user, report_id)
    ensure_reviewer(user, zone)
    if report.author_id == user.id:
        raise Forbidden("不能审核本人填报的报告", code="own_report")
    if report.state != ReportState.SUBMITTED:
        raise ReportNotSubmitted("只有已提交的报告可以审核", details={"state": report.state})
    comment = (comment or "").strip() or None
    if decision == ReportState.RETURNED and comment is None:
        raise ValidationFailed(details={"comment": ["退回须填写意见"]})
    if decision not in (ReportState.ACCEPTED, ReportState.RETURNED):
        raise ValidationFailed(details={"decision": ["可选：accepted、returned"]})
    now = utcnow()
    before = audit.snapshot(report, ("state",))
    report.state = decision
    report.review_comment = comment
    report.reviewed_by_id = user.id
    report.reviewed_at = now
    if decision == ReportState.ACCEPTED:
        # No status check here: a report submitted during construction is reviewed even if the zone
        # has been titled since (it tells of the construction period).
        if report.indicator_value is not None:
            series.check_value(zone, report.indicator_key, report.indicator_year, report.indicator_value)
            series.record_verified(zone, report, user, now)
        invalidate_cache()  # the public updates and progress show accepted reports
    audit.record(
        user, "report.review", "zone", zone.id, before, {"report_id": report.id, "state": decision, "comment": comment}
    )
    uow.commit()
    return report


def _for_write(user: User, report_id: int) -> tuple[ZoneProgressReport, Zone]:
    """The report and its zone, the zone's row locked: every write on a zone's reports takes that one
    lock (creating one too), so two reviewers or a review and an edit cannot interleave. The report is
    read again once the lock is held."""
    report = get_report(user, report_id)
    zone = progress_zone(user, report.zone_id, lock=True)
    db.session.refresh(report)
    return report, zone


def get_report(user: User, report_id: int) -> ZoneProgressReport:
    """A report of a zone in the caller's scope; otherwise not found."""
    stmt = (
        select(ZoneProgressReport)
        .join(Zone, Zone.id == ZoneProgressReport.zone_id)
        .where(ZoneProgressReport.id == report_id, progress_scope(user))
    )
    report = db.session.scalar(stmt)
    if report is None:
        raise NotFound(REPORT_NOT_FOUND)
    return report


def zone_reports_query(user: User, zone_id: int) -> Select:
    """A zone's reports, newest period first (the zone must be in the caller's scope)."""
    zone = progress_zone(user, zone_id)
    return (
        select(ZoneProgressReport)
        .where(ZoneProgressReport.zone_id == zone.id)
        .order_by(ZoneProgressReport.period.desc(), ZoneProgressReport.id.desc())
    )


def reports_query(user: User, state: str | None = None, zone_id: int | None = None) -> Select:
    """Reports in the caller's scope (the review queue with state=submitted), oldest submission first.
    A `zone_id` outside the scope is 422, as for an unknown zone (docs/api.md, staff scope)."""
    stmt = select(ZoneProgressReport).join(Zone, Zone.id == ZoneProgressReport.zone_id).where(progress_scope(user))
    if state:
        stmt = stmt.where(ZoneProgressReport.state == state)
    if zone_id is not None:
        if db.session.scalar(select(Zone.id).where(Zone.id == zone_id, progress_scope(user))) is None:
            raise ValidationFailed(details={"zone_id": ["项目不存在"]})
        stmt = stmt.where(ZoneProgressReport.zone_id == zone_id)
    return stmt.order_by(
        ZoneProgressReport.submitted_at.asc().nulls_last(), ZoneProgressReport.period, ZoneProgressReport.id
    )


def _check_period(zone: Zone, period: str) -> None:
    if not PERIOD_PATTERN.fullmatch(period or ""):
        raise ValidationFailed(details={"period": ["格式为 YYYYQn，如 2026Q3"]})
    current = period_of(local_today())
    if period > current:
        raise ValidationFailed(details={"period": [f"不能为尚未开始的季度（本季度为 {current}）"]})
    confirmed = confirmed_on(zone.id)
    if confirmed is not None and period < period_of(confirmed):
        raise ValidationFailed(
            details={"period": [f"不能早于示范区确定创建的季度（{period_label(period_of(confirmed))}）"]}
        )


def _mark_if_late(report: ZoneProgressReport) -> None:
    """`overdue` is the deadline job's mark on the quarter's draft and returned reports once the due
    date has passed (app.progress.deadlines), and it stays after submission: the report was late. A
    report begun after the job passed, or a draft submitted late before the job's next run, would
    escape it; so a draft written or submitted after the due date (China time) is marked here."""
    if report.overdue_at is None and local_today() > due_on(report.period):
        report.overdue_at = utcnow()


def superseding(zone_id: int, period: str, *, but: int | None = None) -> ZoneProgressReport | None:
    """The quarter's live report (draft, submitted or accepted) other than `but`: once a returned
    report is followed by one, the returned one can no longer be corrected or sent."""
    stmt = select(ZoneProgressReport).where(
        ZoneProgressReport.zone_id == zone_id,
        ZoneProgressReport.period == period,
        ZoneProgressReport.state != ReportState.RETURNED,
    )
    if but is not None:
        stmt = stmt.where(ZoneProgressReport.id != but)
    return db.session.scalar(stmt.limit(1))


def _refuse_second(zone_id: int, period: str, *, but: int | None = None, returned: bool = False) -> None:
    """One live report (draft, submitted or accepted) per zone and quarter; a returned one may be
    corrected and resubmitted, or followed by a new one (`returned`: the refusal is of that one)."""
    existing = superseding(zone_id, period, but=but)
    if existing is not None:
        message = f"{period_label(period)}已有进展报告"
        if returned:
            message = f"{period_label(period)}已有新的进展报告（编号 {existing.id}），这份已退回的报告不能再修改或提交"
        raise ReportExists(message, details={"report_id": existing.id, "state": existing.state, "period": period})


def _flush_unique(period: str) -> None:
    """The partial unique index catches two reports for one quarter written at the same moment."""
    try:
        db.session.flush()
    except IntegrityError:
        uow.rollback()
        raise ReportExists(f"{period_label(period)}已有进展报告", details={"period": period}) from None


def _fill(zone: Zone, report: ZoneProgressReport, changes: dict) -> None:
    for name in TEXT_FIELDS:
        if name in changes:
            value = (changes[name] or "").strip() or None
            if name == "public_summary" and value is None:
                raise ValidationFailed(details={"public_summary": ["不能为空"]})
            setattr(report, name, value)
    indicator = {
        "key": changes.get("indicator_key", report.indicator_key),
        "year": changes.get("indicator_year", report.indicator_year),
        "value": changes.get("indicator_value", report.indicator_value),
    }
    touched = any(k in changes for k in ("indicator_key", "indicator_year", "indicator_value", "unit"))
    if touched or report.indicator_key is None:
        key = series.check_value(zone, indicator["key"], indicator["year"], indicator["value"], changes.get("unit"))
        report.indicator_key = key
        report.indicator_year, report.indicator_value = indicator["year"], indicator["value"]
