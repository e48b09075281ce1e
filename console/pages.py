"""Signing in and out, and the dashboard: what needs action today, and charts."""

from __future__ import annotations

import time

from flask import flash, redirect, render_template, request, session, url_for
from sqlalchemy import select

from app import dashboard as dashboards
from app.accounts import services as accounts
from app.accounts import tokens
from app.accounts.roles import STAFF_ROLES
from app.accounts.schemas import StaffLoginIn
from app.errors import AppError
from app.extensions import db
from app.visits import alerts
from app.zones.constants import LEVEL_LABELS, STATUS_LABELS, TYPE_LABELS, Level, Status, ZoneType
from app.zones.models import Zone
from console import bp, charts, forms
from console.session import DRAFT, OWNER, SEEN, TOKEN, current, draft_of, require, safe_next, signed_in_user


@bp.get("/login")
def login():
    if signed_in_user() is not None:
        return redirect(safe_next(request.args.get("next")))
    return render_template("console/login.html", next=request.args.get("next", ""), username="")


@bp.post("/login")
def login_post():
    from app.web.ratelimit import limiter

    target = safe_next(request.form.get("next"))
    try:
        body = forms.load(StaffLoginIn)  # the staff API's sign-in rules (lengths, no NUL)
    except forms.FormInvalid as exc:
        return render_template(
            "console/login.html",
            next=target,
            username=request.form.get("username", ""),
            error=exc.message,
            errors=forms.field_errors(exc),
        ), exc.status
    username, password = body["username"].strip(), body["password"]
    try:
        with limiter.limit("10 per minute", key_func=lambda: f"console-login:{username}"):
            issued = accounts.login_staff(
                username, password, client=request.remote_addr, audience=tokens.AUDIENCE_CONSOLE
            )
    except AppError as exc:
        db.session.rollback()
        return render_template("console/login.html", next=target, username=username, error=exc.message), exc.status
    except Exception as exc:  # the limiter's own refusal
        from flask_limiter.errors import RateLimitExceeded

        if not isinstance(exc, RateLimitExceeded):
            raise
        return render_template(
            "console/login.html", next=target, username=username, error="尝试过于频繁，请稍后再试"
        ), 429
    draft = draft_of(issued.user.id)  # another staff member's draft never reaches this one
    session.clear()  # a new session id for a new sign-in (no fixation)
    if draft:
        session[DRAFT] = draft
    session.permanent = True
    session[TOKEN], session[SEEN], session[OWNER] = issued.token, int(time.time()), issued.user.id
    return redirect(target)


@bp.post("/logout")
def logout():
    token = session.get(TOKEN)
    if token:
        tokens.revoke_token(token)
    session.clear()  # the token is revoked above; any draft goes with the session
    flash("已退出登录", "info")
    return redirect(url_for("console.login"))


@bp.get("/")
@require(*STAFF_ROLES)
def dashboard():
    board = dashboards.dashboard(current())
    cells: dict[tuple[str, str], int] = {}
    by_status: dict[str, int] = {}
    for c in board.zones:
        key = (TYPE_LABELS.get(ZoneType(c.type), c.type), LEVEL_LABELS.get(Level(c.level), c.level))
        cells[key] = cells.get(key, 0) + c.count
        by_status[c.status] = by_status.get(c.status, 0) + c.count
    statuses = sorted(by_status.items(), key=lambda x: -x[1])
    figures = {
        "types_levels": charts.matrix(
            "示范区：类型 × 等级", sorted({r for r, _ in cells}), list(LEVEL_LABELS.values()), cells
        ),
        "by_status": charts.bar_chart(
            "示范区：按状态",
            [(STATUS_LABELS[Status(k)], n) for k, n in statuses],
            " 个",
            colours=[charts.STATUS_COLOURS[k] for k, _ in statuses],
        ),
        "per_notice": charts.bar_chart(
            "各公示的异议数", [(n.title, n.count) for n in board.objections_per_notice], " 件"
        ),
        "visits_month": charts.bar_chart(
            f"本月（{board.month_start:%Y-%m}）各基地实到人数",
            [(v.base_name, v.people) for v in board.visits_month],
            " 人",
        ),
        "co2": charts.bar_chart(
            "各活动减排量（教育性估算）", [(c.title, c.co2_kg) for c in board.campaigns_co2], " kg"
        ),
    }
    # The figures' own numbers, keyed by id, for scripts and tests (the same as GET /api/admin/v1/dashboard).
    data = {
        "zones": [[c.type, c.level, c.status, c.count] for c in board.zones],
        "objections_waiting_total": board.objections_waiting_total,
        "objections_waiting": [o.id for o in board.objections_waiting],
        "objections_per_notice": {n.notice_id: n.count for n in board.objections_per_notice},
        "notices_closing": [n.id for n in board.notices_closing],
        "visits_today": {v.base_id: [v.bookings, v.people] for v in board.visits_today},
        "visits_month": {v.base_id: [v.bookings, v.people] for v in board.visits_month},
        "campaigns_co2": {c.campaign_id: c.co2_kg for c in board.campaigns_co2},
        "reviews_waiting_total": board.reviews_waiting_total,
        "reports_overdue_total": board.reports_overdue_total,
        "problems_overdue_total": board.problems_overdue_total,
    }
    zone_names = dict(  # bases of the alerts, zones of the reports waiting
        db.session.execute(
            select(Zone.id, Zone.name).where(
                Zone.id.in_({a.base_id for a in board.alerts_unread} | {r.zone_id for r in board.reviews_waiting})
            )
        ).all()
    )
    return render_template(
        "console/dashboard.html",
        board=board,
        figures=figures,
        data=data,
        base_names=zone_names,
        describe_alert=alerts.describe,
    )
