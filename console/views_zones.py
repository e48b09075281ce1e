"""Zones: the list with the public filters, a zone's page (facts, timeline, re-reviews), the allowed
transitions as buttons, editing, and the batch import with its row report."""

from __future__ import annotations

from datetime import date

from flask import Response, flash, redirect, render_template, request, url_for

from admin_api.zones import ImportForm
from app.accounts.roles import DEPARTMENT_LABELS, ZONE_STAFF, Role
from app.db_types import utcnow
from app.errors import AppError, ValidationFailed
from app.extensions import db
from app.zones import editing, importer, lifecycle, registry, scope
from app.zones.constants import APPLICANT_KIND_LABELS, LEVEL_LABELS, STATUS_LABELS, TRANSITIONS, TYPE_LABELS, Status
from app.zones.models import Zone
from app.zones.schemas import ReReviewIn, StaffZoneListArgs, TransitionIn, ZoneIn, ZonePatchIn
from console import bp, forms
from console.session import current, draft_for, require

EDITABLE = ("name", "address", "summary", "description")


def visible_zone(zone_id: int) -> Zone:
    """A zone the signed-in officer may open; outside their scope it is not found (scope.staff_zone)."""
    return scope.staff_zone(current(), zone_id, with_history=True)


FILTERS = ("type", "level", "status", "q", "district", "batch_year", "is_education_base")


def _zone_filters(args) -> registry.ZoneFilters:
    """The list's filters (loaded by the staff API's StaffZoneListArgs) as the zones service takes them."""
    return registry.resolve_filters(registry.ZoneFilters(**forms.filters_of(args)))


@bp.get("/zones")
@require(*ZONE_STAFF)
def zones_list():
    loaded = forms.query(StaffZoneListArgs)
    typed = {k: v for k, v in request.args.items() if v and k in FILTERS}  # to keep the filter form filled in
    try:
        filters = _zone_filters(loaded)
    except AppError as exc:  # e.g. a district no longer listed: say so, and show the whole list
        flash(exc.message, "error")
        filters = registry.ZoneFilters()
    stmt = scope.staff_zones_query(current(), filters)
    return render_template(
        "console/zones.html",
        result=forms.page(stmt, loaded),
        args=typed,
        types=TYPE_LABELS,
        levels=LEVEL_LABELS,
        statuses=STATUS_LABELS,
        districts=registry.active_districts(),
    )


@bp.get("/zones/export.csv")
@require(*ZONE_STAFF)
def zones_export():
    """The list as CSV, with the list's filters (the staff API's export, the same scope)."""
    filters = _zone_filters(forms.query(StaffZoneListArgs))
    body = importer.export_csv(scope.staff_zones_query(current(), filters))
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=zones-export.csv"})


bp.add_url_rule("/zones", endpoint="zones", view_func=zones_list)


@bp.get("/zones/<int:zone_id>")
@require(*ZONE_STAFF)
def zone(zone_id):
    item = visible_zone(zone_id)
    allowed = TRANSITIONS.get(Status(item.status), ())
    # Under publicity the window's closing decides: no buttons while it holds the zone.
    hold = lifecycle.publicity_hold(item.id, utcnow()) if item.status == Status.PUBLICITY else None
    return render_template(
        "console/zone.html",
        zone=item,
        allowed=allowed,
        hold=hold,
        labels=STATUS_LABELS,
        types=TYPE_LABELS,
        levels=LEVEL_LABELS,
        draft=draft_for(request.path),
        today=date.today(),
    )


@bp.post("/zones/<int:zone_id>/transitions")
@require(*ZONE_STAFF)
def zone_transition(zone_id):
    item = visible_zone(zone_id)
    expected = request.form.get("from", "")
    if expected and expected != item.status:  # a second click on an old page: say what happened
        raise AppError(
            f"该示范区已是「{STATUS_LABELS[Status(item.status)]}」，未重复变更", code="already_changed", status=409
        )
    body = forms.load(TransitionIn)
    lifecycle.transition(zone_id, body["to"], body.get("note"), current())
    flash(f"已变更为「{STATUS_LABELS[Status(body['to'])]}」", "info")
    return redirect(url_for("console.zone", zone_id=zone_id))


@bp.post("/zones/<int:zone_id>/re-reviews")
@require(*ZONE_STAFF)
def zone_re_review(zone_id):
    visible_zone(zone_id)
    body = forms.load(ReReviewIn)
    lifecycle.record_re_review(zone_id, body["reviewed_on"], body["outcome"], body.get("note"), current())
    flash("已记录复核结果", "info")
    return redirect(url_for("console.zone", zone_id=zone_id))


@bp.post("/zones/<int:zone_id>/edit")
@require(*ZONE_STAFF)
def zone_edit(zone_id):
    item = visible_zone(zone_id)
    changes = forms.load(ZonePatchIn(partial=True, only=EDITABLE))
    editing.update_zone(item, changes, current())
    flash("已保存", "info")
    return redirect(url_for("console.zone", zone_id=zone_id))


ZONE_FORM = (
    "name",
    "type",
    "level",
    "district_id",
    "applicant_name",
    "applicant_kind",
    "batch_year",
    "department",
    "address",
    "latitude",
    "longitude",
    "summary",
)


@bp.route("/zones/new", methods=["GET", "POST"])
@require(*ZONE_STAFF)
def zone_new():
    """Register an application (status 已申报) through the staff API's schema and the zones service."""
    typed, errors = {}, {}
    if request.method == "POST":
        typed = forms.typed(ZONE_FORM)
        try:
            made = editing.create_zone(forms.load(ZoneIn), current())
        except ValidationFailed as exc:  # the schema's rules, then the service's (the department's types, the district)
            db.session.rollback()
            errors = forms.field_errors(exc, "name")
        else:
            flash(f"已登记申报：{made.name}", "info")
            return redirect(url_for("console.zone", zone_id=made.id))
    status = 422 if errors else 200
    return render_template(
        "console/zone_new.html",
        typed=typed or draft_for(request.path),
        errors=errors,
        types=TYPE_LABELS,
        levels=LEVEL_LABELS,
        kinds=APPLICANT_KIND_LABELS,
        departments=DEPARTMENT_LABELS,
        districts=registry.active_districts(),
    ), status


@bp.route("/zones/import", methods=["GET", "POST"])
@require(Role.INSTITUTE_STAFF)
def zones_import():
    report, status = None, 200
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            year = forms.load(ImportForm)["batch_year"]  # the staff API's import form
            if upload is None or not upload.filename:
                raise AppError("请选择 CSV 或 XLSX 文件", code="validation_error", status=422)
            report = {
                "created": importer.import_batch(upload.filename, upload.read(importer.MAX_BYTES + 1), year, current())
            }
        except AppError as exc:
            db.session.rollback()
            report = {"error": exc.message, "rows": exc.details.get("rows") or [], "details": exc.details}
            status = exc.status
    return render_template("console/zones_import.html", report=report), status
