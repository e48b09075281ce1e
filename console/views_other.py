"""Publicity notices, articles, campaigns and their statistics, users and roles, the audit log."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

import marshmallow as ma
from flask import current_app, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import select

from admin_api.audit import AuditArgs
from admin_api.jobs import DeadLetterArgs
from app.accounts import schemas as account_schemas
from app.accounts import services as accounts
from app.accounts.roles import DEPARTMENT_LABELS, GRANTABLE_ROLES, ROLE_LABELS, ZONE_STAFF, Department, Role
from app.audit import services as audit
from app.errors import AppError
from app.extensions import db
from app.knowledge import services as knowledge
from app.knowledge.content import render as render_markdown
from app.knowledge.schemas import ArticlePatchIn, StaffArticleArgs
from app.progress.tracking import UNDER_CONSTRUCTION
from app.publicity import calendar as publicity_calendar
from app.publicity import notices as publicity_notices
from app.publicity import settling
from app.publicity.schemas import NoticeIn, StaffNoticeListArgs, WorkingDaysArgs
from app.times import app_timezone
from app.validators import is_ascii_number
from app.zones.constants import Status
from app.zones.models import Zone
from console import audit_labels, bp, forms
from console.session import current, draft_for, require

# ---- publicity ----------------------------------------------------------------------------------


@bp.get("/notices")
@require(*ZONE_STAFF)
def notices():
    args = forms.query(StaffNoticeListArgs)
    stmt = publicity_notices.staff_notices_query(current(), args.get("state"))  # the staff API's list
    return render_template("console/notices.html", result=forms.page(stmt, args), state=publicity_notices.window_state)


@bp.get("/notices/<int:notice_id>")
@require(*ZONE_STAFF)
def notice(notice_id):
    item = publicity_notices.staff_notice(current(), notice_id)
    # The staff API's view: only the zones the caller may know of, objection counts after closing only.
    return render_template(
        "console/notice.html",
        n=item,
        view=publicity_notices.notice_view(item, viewer=current()),
        state=publicity_notices.window_state(item),
    )


class NoticeForm(NoticeIn):
    """NoticeIn as the console's form sends it: the start is a day (an <input type="date">), the
    window opening at 00:00 China time; so a wrong one gets a date's message, not an ISO time's."""

    starts_at = ma.fields.Date(required=True)

    @ma.post_load
    def _start_of_day(self, data, **kwargs):
        data["starts_at"] = datetime.combine(data["starts_at"], time(), app_timezone())
        return data


# The form's names for NoticeIn's keys (a day, not a time: the window opens at 00:00 China time).
NOTICE_FORM = {"starts_at": "starts_on"}
NOTICE_FIELDS = (
    "title",
    "batch_year",
    "starts_on",
    "working_days",
    "ends_at",
    "office_phone",
    "office_address",
    "zone_ids",
)


# Refusals naming no form field (or only ids), shown in words beside the field they are about.
NOTICE_REFUSALS = {"zone_in_other_notice": "zone_ids", "calendar_not_loaded": "working_days"}


@bp.route("/notices/new", methods=["GET", "POST"])
@require(Role.INSTITUTE_STAFF)
def notice_new():
    if request.method == "POST":
        try:
            created = publicity_notices.create_notice(forms.load(NoticeForm, names=NOTICE_FORM), current())
        except AppError as exc:  # the schema's or the service's: beside the fields, the form kept
            refused = forms.refusal(exc, "notice", fields=NOTICE_FIELDS, names=NOTICE_FORM, about=NOTICE_REFUSALS)
            return _notice_form(refused.values, refused.errors), refused.status
        flash("公示草稿已创建", "info")
        return redirect(url_for("console.notice", notice_id=created.id))
    return _notice_form(draft_for(request.path) or request.args)


def _notice_form(form, errors: dict | None = None):
    candidates = list(
        db.session.scalars(
            select(Zone).where(Zone.status == Status.SITE_CHECK.value).order_by(Zone.batch_year, Zone.name)
        )
    )
    preview = None
    if request.args.get("starts_on"):  # the working-days calculator: the staff API's own arguments
        try:
            days = forms.query(WorkingDaysArgs, names={"from": "starts_on", "days": "working_days"})
            preview = publicity_calendar.working_days(days["start"], days["days"])
        except forms.FormInvalid:
            preview = None
    chosen = {int(i) for i in form.getlist("zone_ids") if is_ascii_number(i)} if hasattr(form, "getlist") else set()
    return render_template(
        "console/notice_new.html", form=form, candidates=candidates, preview=preview, errors=errors or {}, chosen=chosen
    )


@bp.post("/notices/<int:notice_id>/publish")
@require(Role.INSTITUTE_STAFF)
def notice_publish(notice_id):
    publicity_notices.publish_notice(notice_id, current())
    flash("公示已发布，项目进入公示", "info")
    return redirect(url_for("console.notice", notice_id=notice_id))


@bp.post("/notices/<int:notice_id>/withdraw")
@require(Role.INSTITUTE_STAFF)
def notice_withdraw(notice_id):
    """Withdraw a draft (the staff API's DELETE /publicity/{id}); its zones may go into another notice."""
    publicity_notices.withdraw_draft(notice_id, current())
    flash("公示草稿已撤回，所列项目可列入新的公示", "info")
    return redirect(url_for("console.notices"))


@bp.post("/notices/<int:notice_id>/close")
@require(Role.INSTITUTE_STAFF)
def notice_close(notice_id):
    report = settling.close_notice(notice_id, current())
    flash(
        f"已办结：确定 {len(report.confirmed)} 个，未通过 {len(report.rejected)} 个，待异议办结 {len(report.waiting)} 个",
        "info",
    )
    return redirect(url_for("console.notice", notice_id=notice_id))


# ---- articles -----------------------------------------------------------------------------------


@bp.get("/articles")
@require(Role.INSTITUTE_STAFF)
def articles():
    args = forms.query(StaffArticleArgs)
    stmt = knowledge.articles_query(knowledge.ArticleFilters(**forms.filters_of(args)), public=False)
    return render_template("console/articles.html", result=forms.page(stmt, args), q=request.args.get("q", ""))


ARTICLE_FIELDS = ("title", "summary", "body_markdown")


@bp.route("/articles/<int:article_id>", methods=["GET", "POST"])
@require(Role.INSTITUTE_STAFF)
def article(article_id):
    item = knowledge.get_article(str(article_id), public=False)
    preview = None
    form = draft_for(request.path)
    if request.method == "POST":
        form = request.form
        try:
            data = forms.load(ArticlePatchIn(only=ARTICLE_FIELDS))
            if form.get("action") == "preview":
                root = Path(current_app.config["CONTENT_ROOT"])
                html_body, _, broken = render_markdown(
                    data.get("body_markdown", ""), root / "articles" / "staff.md", root / "images"
                )
                preview = {"html": Markup(html_body), "broken": broken}  # noqa: S704 (sanitised by nh3 in render())
            else:
                knowledge.save_article(data, current(), item)
                flash("已保存并发布到小程序", "info")
                return redirect(url_for("console.article", article_id=article_id))
        except AppError as exc:
            refused = forms.refusal(exc, "article", fields=ARTICLE_FIELDS)
            item = knowledge.get_article(str(article_id), public=False)
            return render_template(
                "console/article.html", a=item, form=refused.values, preview=None, errors=refused.errors
            ), refused.status
    return render_template("console/article.html", a=item, form=form, preview=preview, errors={})


# ---- users and the audit log --------------------------------------------------------------------


@bp.get("/users")
@require(Role.ADMIN)
def users():
    return _users_page(draft_for(request.path))


def _users_page(draft, errors: dict | None = None, refused: forms.Refusal = forms.NO_REFUSAL):
    args = forms.query(account_schemas.UserListArgs)
    stmt = accounts.users_query(role=args.get("role"), q=args.get("q"))
    result = forms.page(stmt, args)
    # The bases, schools and zones the listed grants cover, by name (all three are zones).
    covered = {i for u in result["items"] for g in u.grants for i in (g.base_id, g.school_id, g.zone_id) if i}
    building = select(Zone).where(Zone.status.in_(UNDER_CONSTRUCTION)).order_by(Zone.name, Zone.id)
    return render_template(
        "console/users.html",
        result=result,
        labels=ROLE_LABELS,
        q=request.args.get("q", ""),
        grantable=GRANTABLE_ROLES,
        departments=DEPARTMENT_LABELS,
        zone_names=dict(db.session.execute(select(Zone.id, Zone.name).where(Zone.id.in_(covered))).all()),
        building_zones=list(db.session.scalars(building)),  # a reporter's zone: one under construction
        draft=draft,
        errors=errors or {},
        refusal=refused,
    ), refused.status


USER_FIELDS = ("username", "display_name", "password", "role", "department", "base_id", "school_id", "zone_id")
GRANT_FIELDS = ("role", "department", "base_id", "school_id", "zone_id")


@bp.post("/users")
@require(Role.ADMIN)
def user_create():
    try:
        body = forms.load(account_schemas.StaffUserIn)
        accounts.create_staff_user(
            body["username"],
            body["password"],
            Role(body["role"]),
            display_name=body.get("display_name"),
            department=Department(body["department"]) if body.get("department") else None,
            base_id=body.get("base_id"),
            school_id=body.get("school_id"),
            zone_id=body.get("zone_id"),
            granted_by=current(),
        )
    except AppError as exc:  # the form again, filled in (never the password), each problem beside its field
        refused = forms.refusal(exc, "user", fields=USER_FIELDS, about={"username_taken": "username"})
        return _users_page(refused.values, refused.errors, refused)
    flash(f"已创建账号 {body['username']}", "info")
    return redirect(url_for("console.users"))


@bp.post("/users/<int:user_id>/grants")
@require(Role.ADMIN)
def user_grant(user_id):
    try:
        accounts.add_grant(accounts.get_user(user_id), forms.load(account_schemas.GrantIn), current())
    except AppError as exc:  # the user's row again, the grant filled in and each problem beside its field
        # A reporter's second zone (409) is about the zone chosen: said beside it.
        refused = forms.refusal(
            exc,
            f"grant-{user_id}",
            fields=GRANT_FIELDS,
            about={"reporter_zone_bound": "zone_id", "no_staff_sign_in": "role"},
        )
        return _users_page({}, refused=refused)
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
    try:
        body = forms.load(account_schemas.UserPatchIn(only=("is_active",)))
        accounts.update_user(accounts.get_user(user_id), body, current())
    except AppError as exc:
        return _users_page({}, refused=forms.refusal(exc, f"active-{user_id}", fields=("is_active",)))
    flash("已启用账号" if body.get("is_active") else "已停用账号", "info")
    return redirect(url_for("console.users"))


@bp.post("/users/<int:user_id>/password")
@require(Role.ADMIN)
def user_password(user_id):
    try:
        body = forms.load(account_schemas.PasswordIn)
        user = accounts.set_password(accounts.get_user(user_id), body["password"], current())
    except AppError as exc:  # beside the account's own form (never the password typed)
        return _users_page({}, refused=forms.refusal(exc, f"password-{user_id}", fields=("password",)))
    flash(f"已为 {user.username} 设置新密码，该账号须用新密码重新登录", "info")
    return redirect(url_for("console.users"))


@bp.get("/audit")
@require(Role.ADMIN)
def audit_log():
    args = forms.query(AuditArgs)
    stmt = audit.entries_query(**forms.filters_of(args))
    return render_template(
        "console/audit.html",
        result=forms.page(stmt, args),
        args=request.args,
        actions=audit_labels.ACTIONS,
        entities=audit_labels.ENTITIES,
        action_label=audit_labels.action_label,
        entity_label=audit_labels.entity_label,
        change_lines=audit_labels.change_lines,
    )


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
    args = forms.query(DeadLetterArgs)
    stmt = deadletters.query(kind=args.get("kind"), unresolved=True if show == "open" else args.get("unresolved"))
    return render_template(
        "console/jobs.html",
        periodic=list(PERIODIC.values()),
        runs=jobs_queue.last_runs(),
        result=forms.page(stmt, args),
        show=show,
        label_of=label_of,
        workers=jobs_queue.workers_state(),
    )


@bp.post("/jobs/dead-letters/<int:letter_id>/<any(retry, dismiss):action>")
@require(*JOB_STAFF)
def dead_letter_action(letter_id, action):
    from app.jobs import deadletters

    (deadletters.retry if action == "retry" else deadletters.dismiss)(letter_id, current())
    flash("已重新执行" if action == "retry" else "已忽略", "info")
    return redirect(url_for("console.jobs"))
