"""Publicity notices, articles, campaigns and their statistics, users and roles, the audit log."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

from flask import current_app, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.roles import DEPARTMENT_LABELS, GRANTABLE_ROLES, ROLE_LABELS, ZONE_STAFF, Department, Role
from app.audit import services as audit
from app.errors import ValidationFailed
from app.extensions import db
from app.knowledge import services as knowledge
from app.knowledge.content import render as render_markdown
from app.publicity import calendar as publicity_calendar
from app.publicity import notices as publicity_notices
from app.publicity import settling
from app.publicity.models import PublicityNotice
from app.times import app_timezone
from app.zones.constants import Status
from app.zones.models import Zone
from console import bp
from console.session import current, draft_for, require
from console.views_zones import _page, page_of

# ---- publicity ----------------------------------------------------------------------------------


@bp.get("/notices")
@require(*ZONE_STAFF)
def notices():
    stmt = select(PublicityNotice).order_by(PublicityNotice.id.desc())
    return render_template("console/notices.html", result=page_of(stmt, _page()), state=publicity_notices.window_state)


@bp.get("/notices/<int:notice_id>")
@require(*ZONE_STAFF)
def notice(notice_id):
    item = publicity_notices.get_notice(notice_id, public=False)
    return render_template("console/notice.html", n=item, state=publicity_notices.window_state(item),
                           counts=publicity_notices.zone_counts(notice_id))  # fmt: skip


@bp.route("/notices/new", methods=["GET", "POST"])
@require(Role.INSTITUTE_STAFF)
def notice_new():
    form = request.form if request.method == "POST" else draft_for(request.path)
    if request.method == "POST":
        try:
            starts_on = datetime.fromisoformat(form.get("starts_on", "")).date()
            year = int(form.get("batch_year", ""))
        except ValueError:
            raise ValidationFailed("请填写批次年度和开始日期", details={"starts_on": ["日期无效"]}) from None
        starts_at = datetime.combine(starts_on, time(0), app_timezone())
        data = {"batch_year": year, "starts_at": starts_at, "title": form.get("title") or None,
                "office_phone": form.get("office_phone") or None, "office_address": form.get("office_address") or None}  # fmt: skip
        if form.get("working_days", "").isdigit():
            data["working_days"] = int(form["working_days"])
        else:
            raise ValidationFailed("请填写公示期（工作日数）", details={"working_days": ["须为整数"]})
        ids = [int(i) for i in request.form.getlist("zone_ids") if i.isdigit()]
        if ids:
            data["zone_ids"] = ids
        created = publicity_notices.create_notice(data, current())
        flash("公示草稿已创建", "info")
        return redirect(url_for("console.notice", notice_id=created.id))
    candidates = list(db.session.scalars(select(Zone).where(Zone.status == Status.SITE_CHECK.value).order_by(Zone.batch_year, Zone.name)))
    preview = None
    if request.args.get("starts_on") and request.args.get("working_days", "").isdigit():
        try:
            start = datetime.fromisoformat(request.args["starts_on"]).date()
            preview = publicity_calendar.window(start, int(request.args["working_days"]))
        except ValueError:
            preview = None
    return render_template("console/notice_new.html", form=form or request.args, candidates=candidates, preview=preview)


@bp.post("/notices/<int:notice_id>/publish")
@require(Role.INSTITUTE_STAFF)
def notice_publish(notice_id):
    publicity_notices.publish_notice(notice_id, current())
    flash("公示已发布，项目进入公示", "info")
    return redirect(url_for("console.notice", notice_id=notice_id))


@bp.post("/notices/<int:notice_id>/close")
@require(Role.INSTITUTE_STAFF)
def notice_close(notice_id):
    report = settling.close_notice(notice_id, current())
    flash(f"已办结：确定 {len(report.confirmed)} 个，未通过 {len(report.rejected)} 个，待异议办结 {len(report.waiting)} 个", "info")
    return redirect(url_for("console.notice", notice_id=notice_id))


# ---- articles -----------------------------------------------------------------------------------


@bp.get("/articles")
@require(Role.INSTITUTE_STAFF)
def articles():
    stmt = knowledge.articles_query(knowledge.ArticleFilters(q=request.args.get("q") or None), public=False)
    return render_template("console/articles.html", result=page_of(stmt, _page()), q=request.args.get("q", ""))


@bp.route("/articles/<int:article_id>", methods=["GET", "POST"])
@require(Role.INSTITUTE_STAFF)
def article(article_id):
    item = knowledge.get_article(str(article_id), public=False)
    preview = None
    form = draft_for(request.path)
    if request.method == "POST":
        form = request.form
        data = {"title": form.get("title", "").strip(), "summary": form.get("summary", "").strip(),
                "body_markdown": form.get("body_markdown", "")}  # fmt: skip
        if not data["title"]:
            raise ValidationFailed("标题不能为空", details={"title": ["不能为空"]})
        if form.get("action") == "preview":
            root = Path(current_app.config["CONTENT_ROOT"])
            html_body, _, broken = render_markdown(data["body_markdown"], root / "articles" / "staff.md", root / "images")
            preview = {"html": Markup(html_body), "broken": broken}  # noqa: S704 (sanitised by nh3 in render())
        else:
            knowledge.save_article(data, current(), item)
            flash("已保存并发布到小程序", "info")
            return redirect(url_for("console.article", article_id=article_id))
    return render_template("console/article.html", a=item, form=form, preview=preview)


# ---- users and the audit log --------------------------------------------------------------------


@bp.get("/users")
@require(Role.ADMIN)
def users():
    stmt = accounts.users_query(role=request.args.get("role") or None, q=request.args.get("q") or None)
    return render_template("console/users.html", result=page_of(stmt, _page()), labels=ROLE_LABELS,
                           q=request.args.get("q", ""), grantable=GRANTABLE_ROLES, departments=DEPARTMENT_LABELS,
                           draft=draft_for(request.path))  # fmt: skip


def _scope(form) -> dict:
    scope = {}
    if form.get("department"):
        scope["department"] = Department(form["department"]) if form["department"] in {d.value for d in Department} else None
    for key in ("base_id", "school_id"):
        if (form.get(key) or "").isdigit():
            scope[key] = int(form[key])
    return scope


@bp.post("/users")
@require(Role.ADMIN)
def user_create():
    form = request.form
    role = form.get("role", "")
    if role not in {r.value for r in GRANTABLE_ROLES}:
        raise ValidationFailed("请选择角色", details={"role": ["未知角色"]})
    username = (form.get("username") or "").strip()
    if not username:
        raise ValidationFailed("用户名不能为空", details={"username": ["不能为空"]})
    accounts.create_staff_user(username, form.get("password", ""), Role(role), display_name=form.get("display_name") or None,
                               granted_by=current(), **_scope(form))  # fmt: skip
    flash(f"已创建账号 {username}", "info")
    return redirect(url_for("console.users"))


@bp.post("/users/<int:user_id>/grants")
@require(Role.ADMIN)
def user_grant(user_id):
    form = request.form
    if form.get("role", "") not in {r.value for r in GRANTABLE_ROLES}:
        raise ValidationFailed("请选择角色", details={"role": ["未知角色"]})
    scope = _scope(form)
    changes = {"role": form["role"], "department": scope["department"].value if scope.get("department") else None,
               "base_id": scope.get("base_id"), "school_id": scope.get("school_id")}  # fmt: skip
    accounts.add_grant(accounts.get_user(user_id), changes, current())
    flash("已授予角色", "info")
    return redirect(url_for("console.users"))


@bp.post("/users/<int:user_id>/grants/<int:grant_id>/revoke")
@require(Role.ADMIN)
def user_revoke(user_id, grant_id):
    accounts.remove_grant(accounts.get_user(user_id), grant_id, current())
    flash("已收回角色", "info")
    return redirect(url_for("console.users"))


@bp.post("/users/<int:user_id>/active")
@require(Role.ADMIN)
def user_active(user_id):
    active = request.form.get("is_active") == "1"
    accounts.update_user(accounts.get_user(user_id), {"is_active": active}, current())
    flash("已启用账号" if active else "已停用账号", "info")
    return redirect(url_for("console.users"))


@bp.get("/audit")
@require(Role.ADMIN)
def audit_log():
    stmt = audit.entries_query(action=request.args.get("action") or None, entity_type=request.args.get("entity_type") or None)
    return render_template("console/audit.html", result=page_of(stmt, _page()), args=request.args)


bp.add_url_rule("/audit", endpoint="audit", view_func=audit_log)


# ---- background jobs and dead letters -----------------------------------------------------------

JOB_STAFF = (Role.ADMIN, Role.INSTITUTE_STAFF)


@bp.get("/jobs")
@require(*JOB_STAFF)
def jobs():
    from app.jobs import deadletters
    from app.jobs import queue as jobs_queue
    from app.jobs.schedule import PERIODIC, label_of

    show = request.args.get("show", "open")
    stmt = deadletters.query(unresolved=True if show == "open" else None)
    return render_template("console/jobs.html", periodic=list(PERIODIC.values()), runs=jobs_queue.last_runs(),
                           result=page_of(stmt, _page()), show=show, label_of=label_of)  # fmt: skip


@bp.post("/jobs/dead-letters/<int:letter_id>/<any(retry, dismiss):action>")
@require(*JOB_STAFF)
def dead_letter_action(letter_id, action):
    from app.jobs import deadletters

    (deadletters.retry if action == "retry" else deadletters.dismiss)(letter_id, current())
    flash("已重新执行" if action == "retry" else "已忽略", "info")
    return redirect(url_for("console.jobs"))
