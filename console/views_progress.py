"""A zone's construction progress (建设进展): the zones under construction, and a zone's page
(milestones with evidence pictures, reports, the indicator series as a chart, problems, baseline and
target, reporter accounts); the reports are views_reports. Every rule is app.progress's (the staff
API's services and schemas); a refused form comes back filled in with each message beside its field."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from app import idempotency
from app.accounts import schemas as account_schemas
from app.accounts.roles import DEPARTMENT_LABELS, PROGRESS_STAFF, ZONE_STAFF
from app.accounts.scope import zones_reported_by
from app.errors import AppError, ValidationFailed
from app.extensions import db
from app.media import services as media
from app.progress import deadlines, milestones, problems, reporters, reports, series, worklist
from app.progress.models import ReportState
from app.progress.schemas import (
    BaselineTargetIn,
    MilestoneIn,
    MilestonePatchIn,
    ProblemIn,
    ReporterActiveIn,
    ResolveIn,
)
from app.progress.scope import is_reviewer, progress_zone
from app.progress.tracking import UNDER_CONSTRUCTION, period_label
from app.times import local_today
from app.validation import PageArgs
from console import bp, charts, forms
from console.session import current, require

REPORT_STATES = {
    ReportState.DRAFT: "草稿",
    ReportState.SUBMITTED: "待审核",
    ReportState.ACCEPTED: "已通过",
    ReportState.RETURNED: "已退回",
}
# Pictures of evidence sent with one form (each at most UPLOAD_MAX_BYTES); a milestone keeps at most 9.
PICTURES_PER_FORM = 3


@bp.app_template_filter("report_state")
def report_state(state: str) -> str:
    return REPORT_STATES.get(state, state)


@bp.app_template_filter("quarter")
def quarter(period: str) -> str:
    return period_label(period)


# ---- lists --------------------------------------------------------------------------------------


@bp.get("/progress")
@require(*PROGRESS_STAFF)
def progress_zones():
    """The zones under construction in the caller's scope; a reporter goes straight to their zone."""
    me = current()
    own = sorted(zones_reported_by(me))
    if len(own) == 1 and not me.has_role(*ZONE_STAFF):
        return redirect(url_for("console.progress_zone_page", zone_id=own[0]))
    args = forms.query(PageArgs)
    result = forms.page(worklist.under_construction(me), args)
    plans = {z.id: milestones.percent_done(milestones.milestones_of(z.id)) for z in result["items"]}
    overdue = {z.id: deadlines.overdue_periods(z.id) for z in result["items"]}
    return render_template("console/progress_zones.html", result=result, plans=plans, overdue=overdue)


# ---- a zone's page ------------------------------------------------------------------------------


def _zone_page(zone_id: int, failed: str | None = None, errors: dict | None = None, typed=None, status: int = 200):
    me = current()
    zone = progress_zone(me, zone_id)
    plan = milestones.milestones_of(zone.id)
    indicators = series.zone_series(zone)
    figures = [
        charts.series_chart(
            f"{zone.name}：{item['name']}（核实值、基准与目标）",
            item["unit"],
            [(p["year"], p["value"]) for p in item["series"]],
            (item["baseline"]["year"], item["baseline"]["value"]) if item["baseline"] else None,
            (item["target"]["year"], item["target"]["value"]) if item["target"] else None,
        )
        for item in indicators
    ]
    under_construction = zone.status in UNDER_CONSTRUCTION
    return render_template(
        "console/progress_zone.html",
        zone=zone,
        plan=plan,
        late={m.id for m in plan if milestones.is_late(m)},
        percent=milestones.percent_done(plan),
        reports=list(db.session.scalars(reports.zone_reports_query(me, zone.id))),
        indicators=indicators,
        figures=figures,
        problems=list(db.session.scalars(problems.zone_problems_query(me, zone.id))),
        is_overdue=problems.is_overdue,
        overdue_periods=deadlines.overdue_periods(zone.id),
        due=worklist.report_due(zone.id) if under_construction else None,
        under_construction=under_construction,
        reviewer=is_reviewer(me, zone),
        # The zone's reporter accounts, for those who make and disable them.
        zone_reporters=list(db.session.scalars(reporters.reporters_query(me, zone.id)))
        if is_reviewer(me, zone)
        else [],
        reporter=zone.id in zones_reported_by(me),
        departments=DEPARTMENT_LABELS,
        today=local_today(),
        failed=failed,
        errors=errors or {},
        typed=typed or {},
        pictures=PICTURES_PER_FORM,
        form_key=forms.new_form_key(),
    ), status


@bp.get("/progress/zones/<int:zone_id>")
@require(*PROGRESS_STAFF)
def progress_zone_page(zone_id):
    return _zone_page(zone_id)


def _refused(zone_id: int, failed: str, exc: ValidationFailed, fallback: str, typed=None):
    db.session.rollback()
    return _zone_page(zone_id, failed, forms.field_errors(exc, fallback), typed or request.form, exc.status)


@bp.post("/progress/zones/<int:zone_id>/milestones")
@require(*PROGRESS_STAFF)
def progress_milestone_add(zone_id):
    try:
        body = forms.load(MilestoneIn)

        def work():
            made = milestones.add_milestone(current(), zone_id, body["name"], body["planned_on"])
            return 201, {"id": made.id}

        # Sent twice (a reload, a lost answer): added once.
        idempotency.once(current().id, "console.milestone", forms.posted_form_key(), {"zone_id": zone_id, **body}, work)
    except ValidationFailed as exc:
        return _refused(zone_id, "milestone-new", exc, "name")
    flash(f"已添加里程碑：{body['name']}", "info")
    return redirect(url_for("console.progress_zone_page", zone_id=zone_id) + "#milestones")


@bp.before_app_request  # before the console's CSRF check, which reads the form
def _allow_pictures():
    """Evidence pictures come with the milestone form: room for a few, each within the upload limit."""
    if request.endpoint == "console.progress_milestone_update":
        request.max_content_length = current_app.config["UPLOAD_MAX_BYTES"] * PICTURES_PER_FORM + 256 * 1024


@bp.post("/progress/milestones/<int:milestone_id>")
@require(*PROGRESS_STAFF)
def progress_milestone_update(milestone_id):
    """Done (a date), a note and evidence: pictures kept (ticked) plus new ones uploaded through
    app.media, each the signed-in user's own upload."""
    me = current()
    item = milestones.get_milestone(me, milestone_id)
    zone_id, failed = item.zone_id, f"milestone-{milestone_id}"
    kept = [u for u in request.form.getlist("evidence_urls") if u]
    try:
        pictures = [f for f in request.files.getlist("pictures") if f and f.filename]
        if len(pictures) > PICTURES_PER_FORM:
            raise ValidationFailed(details={"pictures": [f"每次最多上传 {PICTURES_PER_FORM} 张图片"]})
        for picture in pictures:  # each its own use case: a picture once stored stays offered below
            stored = media.store_image(me.id, picture.read(current_app.config["UPLOAD_MAX_BYTES"] + 1))
            kept.append(media.url_of(stored))
        form = MultiDict(request.form)
        form.setlist("evidence_urls", kept)
        changes = forms.load(MilestonePatchIn(partial=True), form)
        changes.setdefault("evidence_urls", [])  # every picture unticked: none kept
        milestones.update_milestone(me, milestone_id, changes, request_host=request.host)
    except ValidationFailed as exc:
        typed = MultiDict(request.form)
        typed.setlist("evidence_urls", kept)
        return _refused(zone_id, failed, _pictures_error(exc), "done_on", typed)
    except AppError as exc:  # a picture refused (not an image, too large, risky): beside the picture field
        db.session.rollback()
        typed = MultiDict(request.form)
        typed.setlist("evidence_urls", kept)
        return _zone_page(zone_id, failed, {"pictures": [exc.message]}, typed, exc.status)
    flash(f"已更新里程碑：{item.name}", "info")
    return redirect(url_for("console.progress_zone_page", zone_id=zone_id) + "#milestones")


def _pictures_error(exc: ValidationFailed) -> ValidationFailed:
    """The evidence list's per-picture messages, shown once beside the pictures."""
    details = dict(exc.details or {})
    found = details.pop("evidence_urls", None)
    if found:
        flat = found.values() if isinstance(found, dict) else [found]
        details["pictures"] = sorted({m for v in flat for m in (v if isinstance(v, list) else [v])})
    return ValidationFailed(exc.message, details=details)


@bp.post("/progress/zones/<int:zone_id>/problems")
@require(*PROGRESS_STAFF)
def progress_problem_add(zone_id):
    try:
        body = forms.load(ProblemIn)

        def work():
            made = problems.add_problem(current(), zone_id, body["title"], body["department"], body["due_on"])
            return 201, {"id": made.id}

        idempotency.once(current().id, "console.problem", forms.posted_form_key(), {"zone_id": zone_id, **body}, work)
    except ValidationFailed as exc:
        return _refused(zone_id, "problem-new", exc, "title")
    flash("已提请协调", "info")
    return redirect(url_for("console.progress_zone_page", zone_id=zone_id) + "#problems")


@bp.post("/progress/problems/<int:problem_id>/resolve")
@require(*PROGRESS_STAFF)
def progress_problem_resolve(problem_id):
    item = problems.get_problem(current(), problem_id)
    try:
        problems.resolve_problem(current(), problem_id, forms.load(ResolveIn)["note"])
    except ValidationFailed as exc:
        return _refused(item.zone_id, f"problem-{problem_id}", exc, "note")
    flash("已办结", "info")
    return redirect(url_for("console.progress_zone_page", zone_id=item.zone_id) + "#problems")


@bp.post("/progress/zones/<int:zone_id>/series/<string:indicator_key>")
@require(*ZONE_STAFF)
def progress_series(zone_id, indicator_key):
    try:
        body = forms.load(BaselineTargetIn)
        series.set_baseline_target(
            current(),
            zone_id,
            indicator_key,
            body["baseline_year"],
            body["baseline_value"],
            body["target_year"],
            body["target_value"],
        )
    except ValidationFailed as exc:
        return _refused(zone_id, f"series-{indicator_key}", exc, "baseline_year")
    flash("已保存基准值与目标值", "info")
    return redirect(url_for("console.progress_zone_page", zone_id=zone_id) + "#series")


@bp.post("/progress/zones/<int:zone_id>/reporters")
@require(*ZONE_STAFF)
def progress_reporter_add(zone_id):
    """An account for the zone's construction entity (建设主体填报员), bound to this zone."""
    typed = {k: v for k, v in request.form.items() if k != "password"}  # never the password
    try:
        body = forms.load(account_schemas.StaffUserIn(only=("username", "password", "display_name")))
        made = reporters.create_reporter(
            current(), body["username"], body["password"], zone_id, body.get("display_name")
        )
    except ValidationFailed as exc:
        return _refused(zone_id, "reporter", exc, "username", typed)
    except AppError as exc:
        if exc.code != "username_taken":
            raise
        db.session.rollback()
        return _zone_page(zone_id, "reporter", {"username": [exc.message]}, typed, exc.status)
    flash(f"已创建建设主体填报员账号 {made.username}", "info")
    return redirect(url_for("console.progress_zone_page", zone_id=zone_id) + "#reporter-account")


@bp.post("/progress/zones/<int:zone_id>/reporters/<int:user_id>/active")
@require(*ZONE_STAFF)
def progress_reporter_active(zone_id, user_id):
    """Disable a reporter who left the construction entity (their sessions end), or enable them again."""
    active = forms.load(ReporterActiveIn)["is_active"]
    made = reporters.set_reporter_active(current(), zone_id, user_id, active)
    flash(f"已{'启用' if active else '停用'}填报员账号 {made.username}", "info")
    return redirect(url_for("console.progress_zone_page", zone_id=zone_id) + "#reporter-account")
