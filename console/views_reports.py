"""Quarterly progress reports in the console: the form (a new report, a draft or a returned one
corrected, saved or submitted), a report's page with the officer's comment, and the review queue
with the review form for the zone's reviewers only. The rules are app.progress.reports'."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from app.accounts.roles import PROGRESS_STAFF, ZONE_STAFF
from app.accounts.scope import zones_reported_by
from app.errors import AppError, ValidationFailed
from app.extensions import db
from app.progress import reports, series, worklist
from app.progress.models import ReportState
from app.progress.reports import ReportExists
from app.progress.schemas import ProgressReportIn, ProgressReportPatchIn, ReportReviewIn
from app.progress.scope import is_reviewer, progress_zone
from app.progress.tracking import due_on
from app.validation import PageArgs
from console import bp, forms
from console.filters import plain
from console.session import current, draft_for, require
from console.views_progress import report_state


@bp.get("/progress/reviews")
@require(*ZONE_STAFF)
def progress_reviews():
    """Submitted reports waiting for the caller's review, oldest first."""
    args = forms.query(PageArgs)
    result = forms.page(worklist.review_queue(current()), args)
    names = {r.zone_id: progress_zone(current(), r.zone_id).name for r in result["items"]}
    return render_template("console/progress_reviews.html", result=result, names=names)


# ---- reports ------------------------------------------------------------------------------------


def _report_form(zone, report=None, typed=None, errors: dict | None = None, status: int = 200, review=None):
    me = current()
    definitions = series.definitions(zone)
    if typed is None and report is not None:
        typed = {
            "public_summary": report.public_summary,
            "internal_note": report.internal_note or "",
            "problems": report.problems or "",
            "indicator_key": report.indicator_key or "",
            "indicator_year": report.indicator_year or "",
            "indicator_value": "" if report.indicator_value is None else plain(report.indicator_value),
            "unit": series.definition(zone, report.indicator_key).unit,
        }
    editable = report is None or report.state in reports.EDITABLE
    # A returned report followed by a new one of its quarter can no longer be corrected or sent.
    superseded = (
        reports.superseding(zone.id, report.period, but=report.id)
        if report is not None and report.state == ReportState.RETURNED
        else None
    )
    editable = editable and superseded is None
    may_review = (
        report is not None
        and report.state == ReportState.SUBMITTED
        and is_reviewer(me, zone)
        and report.author_id != me.id
    )
    return render_template(
        "console/progress_report.html",
        zone=zone,
        report=report,
        typed=typed or {"unit": definitions[0].unit, "indicator_key": definitions[0].key},
        errors=errors or {},
        definitions=definitions,
        # The units of this zone's own indicators (series.check_value refuses any other: units are
        # never mixed); the form asks which one only when there is more than one.
        units=list(dict.fromkeys(d.unit for d in definitions)),
        editable=editable and (report is None or zone.id in zones_reported_by(me) or report.author_id == me.id),
        superseded=superseded,
        may_review=may_review,
        due_on=due_on(report.period) if report else None,
        due=worklist.report_due(zone.id) if report is None else None,
        review=review or {},
    ), status


def _report_changes(partial: bool) -> dict:
    schema = ProgressReportPatchIn(partial=True) if partial else ProgressReportIn()
    return forms.load(schema)


@bp.route("/progress/zones/<int:zone_id>/reports/new", methods=["GET", "POST"])
@require(*PROGRESS_STAFF)
def progress_report_new(zone_id):
    zone = progress_zone(current(), zone_id)
    if request.method == "GET":  # with what was typed before a session expired, if anything
        return _report_form(zone, None, draft_for(request.path) or None)
    try:
        body = _report_changes(partial=False)
        made = reports.create_report(
            current(),
            zone.id,
            body["period"],
            body["public_summary"],
            body.get("internal_note"),
            body.get("indicator_year"),
            body.get("indicator_value"),
            body.get("problems"),
            indicator_key=body.get("indicator_key"),
            unit=body.get("unit"),
        )
    except ValidationFailed as exc:
        db.session.rollback()
        return _report_form(zone, None, request.form, forms.field_errors(exc, "public_summary"), exc.status)
    return _after_save(made)


@bp.get("/progress/reports/<int:report_id>")
@require(*PROGRESS_STAFF)
def progress_report(report_id):
    item = reports.get_report(current(), report_id)
    draft = draft_for(request.path)  # what was typed before a session expired: the report's form or the review's
    typed, review = (draft, None) if "public_summary" in draft else (None, draft or None)
    return _report_form(progress_zone(current(), item.zone_id), item, typed, review=review)


@bp.post("/progress/reports/<int:report_id>")
@require(*PROGRESS_STAFF)
def progress_report_edit(report_id):
    """Save a draft or returned report; with action=submit, send it (again) for review."""
    item = reports.get_report(current(), report_id)
    zone = progress_zone(current(), item.zone_id)
    try:
        changes = _report_changes(partial=True)
        changes.pop("period", None)  # a report keeps its quarter
        item = reports.update_report(current(), report_id, changes)
    except ValidationFailed as exc:
        db.session.rollback()
        return _report_form(zone, item, request.form, forms.field_errors(exc, "public_summary"), exc.status)
    except ReportExists as exc:  # followed meanwhile by a new report: the page says so, nothing saved
        db.session.rollback()
        return _report_form(zone, item, request.form, {"_schema": [exc.message]}, exc.status)
    return _after_save(item)


def _after_save(item):
    if request.form.get("action") != "submit":
        flash("已保存草稿", "info")
        return redirect(url_for("console.progress_report", report_id=item.id))
    try:
        reports.submit_report(current(), item.id)
    except ValidationFailed as exc:  # e.g. the baseline moved since: the saved draft, the message beside its field
        db.session.rollback()
        zone = progress_zone(current(), item.zone_id)
        return _report_form(zone, item, request.form, forms.field_errors(exc, "public_summary"), exc.status)
    flash("已提交审核", "info")
    return redirect(url_for("console.progress_report", report_id=item.id))


@bp.post("/progress/reports/<int:report_id>/review")
@require(*ZONE_STAFF)
def progress_report_review(report_id):
    item = reports.get_report(current(), report_id)
    zone = progress_zone(current(), item.zone_id)
    if request.form.get("from", "") != item.state:  # a second click on an old page: say what happened
        raise AppError(f"该报告已是「{report_state(item.state)}」，未重复审核", code="already_reviewed", status=409)
    try:
        body = forms.load(ReportReviewIn)
        reports.review_report(current(), report_id, body["decision"], body.get("comment"))
    except ValidationFailed as exc:
        db.session.rollback()
        return _report_form(zone, item, None, forms.field_errors(exc, "comment"), exc.status, review=request.form)
    flash("已通过，指标数值已记为核实值" if body["decision"] == ReportState.ACCEPTED else "已退回并附意见", "info")
    return redirect(url_for("console.progress_report", report_id=report_id))
