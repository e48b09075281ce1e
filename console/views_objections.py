"""Objections: the triage queue (masked), revealing personal data (audited, with a reason), and
deciding with a written reply. A decision posted twice from the same page is refused, not repeated."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for

from app.accounts.roles import ZONE_STAFF
from app.errors import AppError
from app.publicity import objections as publicity_objections
from app.publicity.constants import DECISIONS, OBJECTION_LABELS, ObjectionStatus
from app.publicity.schemas import DecisionIn, RevealArgs, StaffObjectionArgs
from console import bp, forms
from console.session import current, draft_for, require


@bp.get("/objections")
@require(*ZONE_STAFF)
def objections():
    args = forms.query(StaffObjectionArgs)  # masked here: revealing is one objection at a time, with a reason
    stmt = publicity_objections.staff_objections_query(
        current(),
        notice_id=args.get("notice_id"),
        zone_id=args.get("zone_id"),
        status=args.get("status"),
        needs_review=args.get("needs_review"),
    )
    return render_template(
        "console/objections.html",
        result=forms.page(stmt, args),
        status=args.get("status"),
        labels=OBJECTION_LABELS,
        mask=publicity_objections.personal_view,
    )


def _detail(objection, revealed: bool, reason: str = "", refused: forms.Refusal = forms.NO_REFUSAL):
    allowed = DECISIONS[ObjectionStatus(objection.status)]
    path = url_for("console.objection", objection_id=objection.id)
    return render_template(
        "console/objection.html",
        o=objection,
        person=publicity_objections.personal_view(objection, revealed),
        revealed=revealed,
        allowed=allowed,
        labels=OBJECTION_LABELS,
        may_reveal=publicity_objections.may_reveal(current(), objection.zone.type),
        reason=reason,
        draft=refused.values_of("decision", draft_for(path) if not refused.form else {}),
        refusal=refused,
    ), refused.status


@bp.get("/objections/<int:objection_id>")
@require(*ZONE_STAFF)
def objection(objection_id):
    return _detail(publicity_objections.get_objection(objection_id, current()), revealed=False)


@bp.post("/objections/<int:objection_id>/reveal")
@require(*ZONE_STAFF)
def objection_reveal(objection_id):
    """The staff API's reveal (RevealArgs' reason, the same service and audit); the console asks for the reason."""
    item = publicity_objections.get_objection(objection_id, current())
    try:
        reason = forms.load(RevealArgs(only=("reason",))).get("reason")
        if not reason:
            raise forms.FormInvalid(details={"reason": ["请填写查看理由（将记入审计日志）"]})
        publicity_objections.reveal(current(), [item], reason=reason)
    except AppError as exc:
        refused = forms.refusal(exc, "reveal", fields=("reason",))
        return _detail(publicity_objections.get_objection(objection_id, current()), revealed=False, refused=refused)
    # Revealed once, for this page only: never stored by the browser (no-store: not in its cache nor
    # its back/forward cache), and the page's address put back to the objection's own, so a reload is
    # a GET of the masked page (no second reveal, no second audit entry) and no personal data is ever
    # in a URL or the session.
    page, status = _detail(item, revealed=True, reason=reason)
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/objections/<int:objection_id>/decision")
@require(*ZONE_STAFF)
def objection_decide(objection_id):
    item = publicity_objections.get_objection(objection_id, current())
    try:
        if request.form.get("from", "") != item.status:  # decided since this page was read: by whom, the record says
            raise AppError(
                f"这条异议已被处理为「{OBJECTION_LABELS[ObjectionStatus(item.status)]}」（见处理记录），"
                "您的这次处理未记录",
                code="already_decided",
                status=409,
            )
        body = forms.load(DecisionIn)
        publicity_objections.decide(objection_id, body["status"], body["reply"], current())
    except AppError as exc:  # the page again, the reply kept, each problem beside its field
        # Decided by someone else since the page was read: said beside the choice, the reply kept.
        about = {"already_decided": "status", "invalid_decision": "status"}
        refused = forms.refusal(exc, "decision", fields=("status", "reply"), about=about)
        return _detail(publicity_objections.get_objection(objection_id, current()), revealed=False, refused=refused)
    flash("已记录处理结果，并通知异议人", "info")
    return redirect(url_for("console.objection", objection_id=objection_id))
