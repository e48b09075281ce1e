"""Signing in and out, and the dashboard: what needs action today, and charts."""

from __future__ import annotations

import time
from datetime import timedelta

from flask import flash, redirect, render_template, request, session, url_for
from sqlalchemy import func, select

from app.accounts import services as accounts
from app.accounts.roles import STAFF_ROLES, Role
from app.campaigns.models import ActionCheckin, Campaign, ClassAction
from app.db_types import utcnow
from app.errors import AppError
from app.extensions import db
from app.publicity.constants import ObjectionStatus
from app.publicity.models import Objection, PublicityNotice
from app.times import app_timezone
from app.visits.models import Booking, BookingStatus
from app.zones.constants import LEVEL_LABELS, STATUS_LABELS, TYPE_LABELS, Level, Status, ZoneType
from app.zones.models import Zone
from console import bp, charts
from console.session import SEEN, TOKEN, current, require, safe_next, signed_in_user

OPEN_OBJECTIONS = (ObjectionStatus.RECEIVED.value, ObjectionStatus.ACCEPTED.value, ObjectionStatus.INVESTIGATING.value)


@bp.get("/login")
def login():
    if signed_in_user() is not None:
        return redirect(safe_next(request.args.get("next")))
    return render_template("console/login.html", next=request.args.get("next", ""), username="")


@bp.post("/login")
def login_post():
    from app.web.ratelimit import limiter

    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    target = safe_next(request.form.get("next"))
    try:
        with limiter.limit("10 per minute", key_func=lambda: f"console-login:{username}"):
            issued = accounts.login_staff(username, password, client=request.remote_addr)
    except AppError as exc:
        db.session.rollback()
        return render_template("console/login.html", next=target, username=username, error=exc.message), exc.status
    except Exception as exc:  # the limiter's own refusal
        from flask_limiter.errors import RateLimitExceeded

        if not isinstance(exc, RateLimitExceeded):
            raise
        return render_template("console/login.html", next=target, username=username,
                               error="尝试过于频繁，请稍后再试"), 429  # fmt: skip
    draft = session.get("console_draft")
    session.clear()  # a new session id for a new sign-in (no fixation)
    if draft:
        session["console_draft"] = draft
    session.permanent = True
    session[TOKEN], session[SEEN] = issued.token, int(time.time())
    return redirect(target)


@bp.post("/logout")
def logout():
    token = session.get(TOKEN)
    if token:
        accounts.revoke_token(token)
    session.clear()
    flash("已退出登录", "info")
    return redirect(url_for("console.login"))


@bp.get("/")
@require(*STAFF_ROLES)
def dashboard():
    user = current()
    types = accounts.zone_types_handled_by(user)
    now = utcnow()
    tz = app_timezone()
    today = now.astimezone(tz).date()

    zone_stmt = select(Zone.type, Zone.level, Zone.status, func.count()).group_by(Zone.type, Zone.level, Zone.status)
    if types is not None:
        zone_stmt = zone_stmt.where(Zone.type.in_(types))
    cells: dict[tuple[str, str], int] = {}
    by_status: dict[str, int] = {}
    for zone_type, level, status, n in db.session.execute(zone_stmt):
        key = (TYPE_LABELS.get(ZoneType(zone_type), zone_type), LEVEL_LABELS.get(Level(level), level))
        cells[key] = cells.get(key, 0) + n
        label = STATUS_LABELS.get(Status(status), status)
        by_status[label] = by_status.get(label, 0) + n

    waiting_stmt = (select(Objection).join(Zone, Zone.id == Objection.zone_id).where(Objection.status.in_(OPEN_OBJECTIONS))
                    .order_by(Objection.created_at).limit(20))  # fmt: skip
    if types is not None:
        waiting_stmt = waiting_stmt.where(Zone.type.in_(types))
    waiting = list(db.session.scalars(waiting_stmt))
    per_notice_stmt = (select(PublicityNotice.title, func.count(Objection.id))
                       .join(Objection, Objection.notice_id == PublicityNotice.id)
                       .group_by(PublicityNotice.id, PublicityNotice.title).order_by(func.count(Objection.id).desc()).limit(8))  # fmt: skip
    closing = list(db.session.scalars(
        select(PublicityNotice).where(PublicityNotice.published_at.is_not(None), PublicityNotice.closed_at.is_(None),
                                      PublicityNotice.ends_at >= now, PublicityNotice.ends_at <= now + timedelta(days=3))
        .order_by(PublicityNotice.ends_at)
    ))  # fmt: skip

    base_ids = None
    if not user.has_role(Role.INSTITUTE_STAFF):
        base_ids = [g.base_id for g in user.grants if g.role == Role.BASE_OPERATOR.value]
    visits_stmt = (select(Zone.name, func.count(Booking.id), func.coalesce(func.sum(Booking.headcount), 0))
                   .join(Zone, Zone.id == Booking.base_id)
                   .where(Booking.visit_date == today, Booking.status.in_([BookingStatus.CONFIRMED.value,
                                                                          BookingStatus.CHECKED_IN.value]))
                   .group_by(Zone.name).order_by(Zone.name))  # fmt: skip
    month_start = today.replace(day=1)
    month_stmt = (select(Zone.name, func.coalesce(func.sum(Booking.actual_headcount), 0)).join(Zone, Zone.id == Booking.base_id)
                  .where(Booking.visit_date >= month_start, Booking.status == BookingStatus.CHECKED_IN.value)
                  .group_by(Zone.name).order_by(Zone.name))  # fmt: skip
    if base_ids is not None:
        visits_stmt = visits_stmt.where(Booking.base_id.in_(base_ids or [0]))
        month_stmt = month_stmt.where(Booking.base_id.in_(base_ids or [0]))

    co2_rows = db.session.execute(
        select(Campaign.title, func.coalesce(func.sum(ActionCheckin.co2_kg), 0))
        .join(ActionCheckin, ActionCheckin.campaign_id == Campaign.id).group_by(Campaign.id, Campaign.title)
    ).all()  # fmt: skip
    class_co2 = dict(db.session.execute(
        select(Campaign.title, func.coalesce(func.sum(ClassAction.co2_kg), 0))
        .join(ClassAction, ClassAction.campaign_id == Campaign.id).group_by(Campaign.id, Campaign.title)
    ).all())  # fmt: skip
    co2 = sorted(((t, float(v) + float(class_co2.get(t, 0))) for t, v in co2_rows), key=lambda x: -x[1])[:8]

    figures = {
        "types_levels": charts.matrix("示范区：类型 × 等级", sorted({r for r, _ in cells}),
                                      list(LEVEL_LABELS.values()), cells),  # fmt: skip
        "by_status": charts.bar_chart("示范区：按状态", sorted(by_status.items(), key=lambda x: -x[1]), " 个"),
        "per_notice": charts.bar_chart("各公示的异议数", [(t, n) for t, n in db.session.execute(per_notice_stmt)], " 件"),
        "visits_month": charts.bar_chart(f"本月（{month_start:%Y-%m}）各基地实到人数",
                                         [(n, int(v)) for n, v in db.session.execute(month_stmt)], " 人"),  # fmt: skip
        "co2": charts.bar_chart("各活动减排量（教育性估算）", co2, " kg"),
    }
    return render_template("console/dashboard.html", waiting=waiting, closing=closing,
                           visits_today=db.session.execute(visits_stmt).all(), figures=figures, today=today,
                           tz=tz)  # fmt: skip
