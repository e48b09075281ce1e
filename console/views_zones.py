"""Zones: the list with the public filters, a zone's page (facts, timeline, re-reviews), the allowed
transitions as buttons, editing, and the batch import with its row report."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for

from admin_api.zones import ImportForm
from app import idempotency
from app.accounts.roles import DEPARTMENT_LABELS, ZONE_STAFF, Role
from app.accounts.scope import zone_types_handled_by
from app.db_types import utcnow
from app.errors import AppError, ValidationFailed
from app.extensions import db
from app.times import local_today
from app.zones import editing, importer, lifecycle, registry, scope
from app.zones.constants import APPLICANT_KIND_LABELS, LEVEL_LABELS, STATUS_LABELS, TYPE_LABELS, Status, hand_steps
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
    # A district that is not (or no longer) listed is the staff API's 422 naming `district`: never the
    # whole list shown as if it were filtered.
    stmt = scope.staff_zones_query(current(), _zone_filters(loaded))
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
    return _zone_page(visible_zone(zone_id))


def _zone_page(item: Zone, refused: forms.Refusal = forms.NO_REFUSAL):
    """The zone's page; with `refused`, the form that was refused filled in again with its messages."""
    allowed = hand_steps(Status(item.status))
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
        draft=draft_for(request.path) if not refused.form else {},
        refusal=refused,
        today=local_today(),  # China's today, as the re-review's service checks it (not the server's UTC)
        form_key=forms.new_form_key(),
    ), refused.status


@bp.post("/zones/<int:zone_id>/transitions")
@require(*ZONE_STAFF)
def zone_transition(zone_id):
    item = visible_zone(zone_id)
    expected = request.form.get("from", "")
    if expected and expected != item.status:  # a second click on an old page: say what happened
        raise AppError(
            f"该示范区已是「{STATUS_LABELS[Status(item.status)]}」，未重复变更", code="already_changed", status=409
        )
    try:
        body = forms.load(TransitionIn)
        lifecycle.transition(zone_id, body["to"], body.get("note"), current())
    except AppError as exc:  # the button's own form again, its note kept and the reason beside it
        refused = forms.refusal(exc, f"transition-{request.form.get('to', '')}", fields=("note",))
        return _zone_page(visible_zone(zone_id), refused)
    flash(f"已变更为「{STATUS_LABELS[Status(body['to'])]}」", "info")
    return redirect(url_for("console.zone", zone_id=zone_id))


@bp.post("/zones/<int:zone_id>/re-reviews")
@require(*ZONE_STAFF)
def zone_re_review(zone_id):
    visible_zone(zone_id)
    try:
        body = forms.load(ReReviewIn)

        def work():
            review = lifecycle.record_re_review(
                zone_id, body["reviewed_on"], body["outcome"], body.get("note"), current()
            )
            return 201, {"id": review.id}

        seen = {"zone_id": zone_id, **body}
        idempotency.once(current().id, "console.re_review", forms.posted_form_key(), seen, work)
    except AppError as exc:
        refused = forms.refusal(exc, "re_review", fields=("reviewed_on", "outcome", "note"))
        return _zone_page(visible_zone(zone_id), refused)
    flash("已记录复核结果", "info")
    return redirect(url_for("console.zone", zone_id=zone_id))


@bp.post("/zones/<int:zone_id>/edit")
@require(*ZONE_STAFF)
def zone_edit(zone_id):
    item = visible_zone(zone_id)
    try:
        editing.update_zone(item, forms.load(ZonePatchIn(partial=True, only=EDITABLE)), current())
    except AppError as exc:
        return _zone_page(visible_zone(zone_id), forms.refusal(exc, "edit", fields=EDITABLE))
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
    refused = forms.NO_REFUSAL
    if request.method == "POST":
        try:
            made = editing.create_zone(forms.load(ZoneIn), current())
        except AppError as exc:  # the schema's rules, then the service's (the department's types, the district)
            refused = forms.refusal(
                exc, "zone", fields=ZONE_FORM, about={"department_scope": "type", "duplicate_zone": "name"}
            )
        else:
            flash(f"已登记申报：{made.name}", "info")
            return redirect(url_for("console.zone", zone_id=made.id))
    handled = zone_types_handled_by(current())  # an officer is offered only the department's types
    return render_template(
        "console/zone_new.html",
        typed=refused.values_of("zone", draft_for(request.path)),
        errors=refused.errors,
        types={k: v for k, v in TYPE_LABELS.items() if handled is None or k.value in handled},
        levels=LEVEL_LABELS,
        kinds=APPLICANT_KIND_LABELS,
        departments=DEPARTMENT_LABELS,
        districts=registry.active_districts(),
    ), refused.status


@bp.route("/zones/import", methods=["GET", "POST"])
@require(Role.INSTITUTE_STAFF)
def zones_import():
    report, status, refused = None, 200, forms.NO_REFUSAL
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            year = forms.load(ImportForm)["batch_year"]  # the staff API's import form
            if upload is None or not upload.filename:
                raise ValidationFailed(details={"file": ["请选择 CSV 或 XLSX 文件"]})
            report = {
                "created": importer.import_batch(upload.filename, upload.read(importer.MAX_BYTES + 1), year, current())
            }
        except AppError as exc:
            if exc.details.get("rows"):  # the file read, some rows wrong: each listed below the form
                db.session.rollback()
                report, status = {"error": exc.message, "rows": exc.details["rows"]}, exc.status
            else:  # the year, or the file as a whole (its type, size, columns): beside that field
                if isinstance(exc, importer.ImportRejected):
                    exc = ValidationFailed(exc.message, details={"file": [exc.message, *_file_problems(exc.details)]})
                refused = forms.refusal(exc, "import", fields=("batch_year", "file"))
                status = refused.status
    return render_template("console/zones_import.html", report=report, refusal=refused), status


COLUMN_PROBLEMS = {"missing": "缺少列", "unknown": "无法识别的列", "duplicated": "重复的列"}


def _file_problems(details: dict) -> list[str]:
    """A rejected file's header problems in words (its details name columns, not form fields)."""
    return [f"{label}：{'、'.join(details[key])}" for key, label in COLUMN_PROBLEMS.items() if details.get(key)]
