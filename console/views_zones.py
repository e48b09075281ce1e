"""Zones: the list with the public filters, a zone's page (facts, timeline, re-reviews), the allowed
transitions as buttons, editing, and the batch import with its row report."""

from __future__ import annotations

from datetime import date

from flask import Response, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from app.accounts.roles import ZONE_STAFF, Role
from app.db_types import utcnow
from app.errors import AppError, ValidationFailed
from app.extensions import db
from app.zones import editing, importer, lifecycle, registry, scope
from app.zones.constants import LEVEL_LABELS, STATUS_LABELS, TRANSITIONS, TYPE_LABELS, Status
from app.zones.models import Zone
from console import bp
from console.session import current, draft_for, require

PER_PAGE = 30
EDITABLE = ("name", "address", "summary", "description")


def page_of(stmt, page: int):
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = list(db.session.scalars(stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    return {"items": items, "page": page, "total": total, "pages": max(1, -(-total // PER_PAGE))}


def _page() -> int:
    value = request.args.get("page", "1")
    return max(1, min(int(value), 10_000)) if value.isdigit() else 1


def visible_zone(zone_id: int) -> Zone:
    """A zone the signed-in officer may open; outside their scope it is not found (scope.staff_zone)."""
    return scope.staff_zone(current(), zone_id, with_history=True)


FILTERS = ("type", "level", "status", "q", "district", "batch_year", "is_education_base")


def _zone_filters() -> tuple[dict[str, str], registry.ZoneFilters]:
    """The list's filters as typed in the query string, and as the zones service takes them."""
    args = {k: v for k, v in request.args.items() if v and k in FILTERS}
    typed = dict(args)
    typed["batch_year"] = int(args["batch_year"]) if args.get("batch_year", "").isdigit() else None
    typed["is_education_base"] = {"1": True, "0": False}.get(args.get("is_education_base", ""))
    return args, registry.resolve_filters(registry.ZoneFilters(**typed))


@bp.get("/zones")
@require(*ZONE_STAFF)
def zones_list():
    try:
        args, filters = _zone_filters()
    except AppError as exc:
        flash(exc.message, "error")
        args, filters = {k: v for k, v in request.args.items() if v and k in FILTERS}, registry.ZoneFilters()
    stmt = scope.staff_zones_query(current(), filters)
    return render_template("console/zones.html", result=page_of(stmt, _page()), args=args, types=TYPE_LABELS,
                           levels=LEVEL_LABELS, statuses=STATUS_LABELS, districts=registry.active_districts())  # fmt: skip


@bp.get("/zones/export.csv")
@require(*ZONE_STAFF)
def zones_export():
    """The list as CSV, with the list's filters (the staff API's export, the same scope)."""
    _, filters = _zone_filters()
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
    return render_template("console/zone.html", zone=item, allowed=allowed, hold=hold, labels=STATUS_LABELS, types=TYPE_LABELS,
                           levels=LEVEL_LABELS, draft=draft_for(request.path), today=date.today())  # fmt: skip


@bp.post("/zones/<int:zone_id>/transitions")
@require(*ZONE_STAFF)
def zone_transition(zone_id):
    item = visible_zone(zone_id)
    target, expected = request.form.get("to", ""), request.form.get("from", "")
    if expected and expected != item.status:  # a second click on an old page: say what happened
        raise AppError(f"该示范区已是「{STATUS_LABELS[Status(item.status)]}」，未重复变更", code="already_changed", status=409)
    lifecycle.transition(zone_id, target, request.form.get("note") or None, current())
    flash(f"已变更为「{STATUS_LABELS[Status(target)]}」", "info")
    return redirect(url_for("console.zone", zone_id=zone_id))


@bp.post("/zones/<int:zone_id>/re-reviews")
@require(*ZONE_STAFF)
def zone_re_review(zone_id):
    visible_zone(zone_id)
    try:
        reviewed_on = date.fromisoformat(request.form.get("reviewed_on", ""))
    except ValueError:
        raise ValidationFailed(details={"reviewed_on": ["请填写复核日期"]}) from None
    lifecycle.record_re_review(zone_id, reviewed_on, request.form.get("outcome", ""), request.form.get("note") or None,
                           current())  # fmt: skip
    flash("已记录复核结果", "info")
    return redirect(url_for("console.zone", zone_id=zone_id))


@bp.post("/zones/<int:zone_id>/edit")
@require(*ZONE_STAFF)
def zone_edit(zone_id):
    item = visible_zone(zone_id)
    changes = {k: (request.form.get(k) or "").strip() or None for k in EDITABLE if k in request.form}
    if not changes.get("name"):
        raise ValidationFailed(details={"name": ["名称不能为空"]})
    editing.update_zone(item, changes, current())
    flash("已保存", "info")
    return redirect(url_for("console.zone", zone_id=zone_id))


@bp.route("/zones/import", methods=["GET", "POST"])
@require(Role.INSTITUTE_STAFF)
def zones_import():
    report = None
    if request.method == "POST":
        upload = request.files.get("file")
        year = request.form.get("batch_year", "")
        if upload is None or not upload.filename:
            report = {"error": "请选择 CSV 或 XLSX 文件"}
        elif not year.isdigit():
            report = {"error": "请填写批次年度"}
        else:
            try:
                created = importer.import_batch(upload.filename, upload.read(importer.MAX_BYTES + 1), int(year), current())
                report = {"created": created}
            except AppError as exc:
                db.session.rollback()
                report = {"error": exc.message, "rows": exc.details.get("rows") or [], "details": exc.details}
    return render_template("console/zones_import.html", report=report)
