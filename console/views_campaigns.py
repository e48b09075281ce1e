"""Low-carbon schools: campaigns and their statistics; for a school's admins (its teachers) also
classes and join codes, confirming students, guardians' consent, confirming and voiding check-ins,
class actions, and reviewing hidden posts."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from app.accounts.roles import SCHOOL_READERS, SCHOOL_STAFF
from app.accounts.scope import schools_run_by
from app.campaigns import campaigns, catalogue, checkins, lookups, moderation, school_checkins, students
from app.campaigns import schools as campaign_schools
from app.campaigns import stats as campaign_stats
from app.campaigns.models import ActionCheckin, AgeBand, SchoolClass
from app.campaigns.schemas import CampaignIn, ClassActionForm, ClassIn, ConfirmIn, HideIn, StudentListArgs, VoidIn
from app.errors import AppError
from app.extensions import db
from app.validation import PageArgs
from console import bp, charts, forms
from console.session import current, draft_for, require


@bp.get("/campaigns")
@require(*SCHOOL_READERS)
def campaigns_list():
    stmt = campaign_schools.staff_campaigns_query(current())
    return render_template("console/campaigns.html", result=forms.page(stmt, forms.query(PageArgs)))


bp.add_url_rule("/campaigns", endpoint="campaigns", view_func=campaigns_list)


@bp.get("/schools")
@require(*SCHOOL_READERS)
def schools():
    """The schools the signed-in user reads; those they run link to their page (classes, students)."""
    result = forms.page(campaign_schools.staff_schools_query(current()), forms.query(PageArgs))
    result["items"] = campaign_schools.school_cards(result["items"], current())
    return render_template("console/schools.html", result=result, runs=schools_run_by(current()))


@bp.get("/campaigns/<int:campaign_id>")
@require(*SCHOOL_READERS)
def campaign(campaign_id):
    return _campaign_page(campaign_id)


def _campaign_page(campaign_id: int, refused: forms.Refusal = forms.NO_REFUSAL):
    """The campaign's page; with `refused`, the teacher's form that was refused, filled in, with its messages."""
    figures = campaign_stats.campaign_stats(campaign_id, current())
    item = lookups.get_campaign(campaign_id)
    is_teacher = _teaches(item.school_id)
    recent = (
        lookups.as_staff_sees(
            db.session.scalars(school_checkins.checkins_query(campaign_id, current()).limit(30)), current()
        )
        if is_teacher
        else []
    )
    names = catalogue.action_names()
    chart = charts.bar_chart(
        "各行动减排量（kg，教育性估算）",
        [(catalogue.action_name(a["action"], names), a["co2_kg"]) for a in figures["per_action"]],
        " kg",
    )
    # An open campaign's classes come from several schools, and two schools may both have 三年级一班.
    several = len({c["school_id"] for c in figures["per_class"]}) > 1
    per_class = charts.bar_chart(
        "各班减排量（kg）",
        [(_class_label(c) if several else c["class_name"], c["co2_kg"]) for c in figures["per_class"]],
        " kg",
    )
    classes = list(
        db.session.scalars(
            select(SchoolClass).where(SchoolClass.school_id == item.school_id).order_by(SchoolClass.name)
        )
    )
    return render_template(
        "console/campaign.html",
        c=item,
        s=figures,
        chart=chart,
        per_class=per_class,
        recent=recent,
        is_teacher=is_teacher,
        classes=classes,
        draft=draft_for(request.path) if not refused.form else {},
        refusal=refused,
    ), refused.status


def _class_label(row: dict) -> str:
    return f"{row['school_name'] or '未填写学校'} {row['class_name']}"


def _teaches(school_id: int) -> bool:
    return lookups.is_school_admin(current(), school_id)


@bp.post("/checkins/<int:checkin_id>/confirm")
@require(*SCHOOL_STAFF)
def checkin_confirm(checkin_id):
    confirmed = school_checkins.confirm_checkin(checkin_id, current())
    flash("已确认，积分按老师确认计算", "info")
    return redirect(url_for("console.campaign", campaign_id=confirmed.campaign_id))


@bp.post("/checkins/<int:checkin_id>/void")
@require(*SCHOOL_STAFF)
def checkin_void(checkin_id):
    try:
        voided = school_checkins.void_checkin(checkin_id, forms.load(VoidIn)["reason"], current())
    except AppError as exc:  # the check-in's row again, the reason kept and the message beside it
        return _campaign_page(
            _checkin_campaign(checkin_id), forms.refusal(exc, f"void-{checkin_id}", fields=("reason",))
        )
    flash("已作废这条打卡，不再计入榜单和统计", "info")
    return redirect(url_for("console.campaign", campaign_id=voided.campaign_id))


def _checkin_campaign(checkin_id: int) -> int:
    """The campaign of a check-in this teacher may act on (the service's own look-up and rule)."""
    return school_checkins.school_checkin(checkin_id, current()).campaign_id


@bp.route("/campaigns/<int:campaign_id>/students/<int:user_id>/void", methods=["GET", "POST"])
@require(*SCHOOL_STAFF)
def student_checkins_void(campaign_id, user_id):
    """Voiding all of a student's check-ins: a page of its own first (how many, and a reason of its
    own), then the confirmed form (like closing a base's day)."""
    if request.method == "GET":
        return _void_student_page(campaign_id, user_id)
    try:
        reason = forms.load(VoidIn)["reason"]
        if request.form.get("confirmed") != "1":  # one click voids a whole campaign's work: ask first
            return _void_student_page(campaign_id, user_id, reason=reason)
        count = school_checkins.void_student_checkins(campaign_id, user_id, reason, current())
    except AppError as exc:  # the reason beside its field, on the page it was typed into
        if request.form.get("confirmed") == "1":
            return _void_student_page(campaign_id, user_id, forms.refusal(exc, "void-student", fields=("reason",)))
        form = f"void-{request.form.get('checkin_id', '')}"  # posted from one of the student's rows
        return _campaign_page(campaign_id, forms.refusal(exc, form, fields=("reason",)))
    flash(f"已作废该学生在本活动的 {count} 条打卡，榜单已重算", "info")
    return redirect(url_for("console.campaign", campaign_id=campaign_id))


def _void_student_page(campaign_id: int, user_id: int, refused: forms.Refusal = forms.NO_REFUSAL, reason: str = ""):
    """How many of the student's check-ins still count (what voiding them all would void), and the form."""
    stmt = school_checkins.checkins_query(campaign_id, current(), voided=False).where(ActionCheckin.user_id == user_id)
    rows = list(db.session.scalars(stmt))
    student = lookups.as_staff_sees(rows[:1], current())
    return render_template(
        "console/void_student.html",
        c=lookups.get_campaign(campaign_id),
        user_id=user_id,
        author=student[0].author if student else f"#{user_id}",
        count=len(rows),
        typed=refused.values_of("void-student", {"reason": reason}),
        errors=refused.errors,
    ), refused.status


@bp.post("/campaigns/<int:campaign_id>/class-actions")
@require(*SCHOOL_STAFF)
def class_action(campaign_id):
    try:
        made = school_checkins.record_class_action(campaign_id, forms.load(ClassActionForm), current())
    except AppError as exc:
        fields = ("class_name", "kw", "hours", "note", "day")
        return _campaign_page(campaign_id, forms.refusal(exc, "class_action", fields=fields))
    flash(
        f"已记录班级行动：{made.class_name} {checkins.plain(made.quantity)} 千瓦时，约减排 {checkins.plain(made.co2_kg)} kg",
        "info",
    )
    return redirect(url_for("console.campaign", campaign_id=campaign_id))


@bp.get("/schools/<int:school_id>")
@require(*SCHOOL_STAFF)
def school(school_id):
    return _school_page(school_id)


def _school_page(school_id: int, refused: forms.Refusal = forms.NO_REFUSAL):
    """The school's page; with `refused`, its form that was refused, filled in, with its messages."""
    zone = lookups.get_school(school_id)
    # "待确认" (awaiting=1): whatever waits for the school — an unconfirmed school or class, or a declared age band.
    args = forms.query(StudentListArgs)
    stmt = students.students_query(school_id, current(), args.get("confirmed"), args.get("awaiting"))
    classes = list(db.session.scalars(students.classes_query(school_id, current())))
    hidden = lookups.as_staff_sees(
        db.session.scalars(moderation.queue_query(school_id, current()).limit(50)), current()
    )
    result = forms.page(stmt, args)
    result["items"] = lookups.as_staff_sees(result["items"], current())
    return render_template(
        "console/school.html",
        zone=zone,
        result=result,
        classes=classes,
        hidden=hidden,
        under_14=AgeBand.UNDER_14.value,
        refusal=refused,
    ), refused.status


CAMPAIGN_FORM = ("title", "description", "starts_on", "ends_on", "audience", "actions")


@bp.route("/schools/<int:school_id>/campaigns/new", methods=["GET", "POST"])
@require(*SCHOOL_STAFF)
def campaign_new(school_id):
    """A new campaign through the staff API's CampaignIn schema and campaigns.create_campaign."""
    zone = lookups.get_school(school_id)
    lookups.ensure_school_admin(current(), school_id)
    refused = forms.NO_REFUSAL
    if request.method == "POST":
        try:
            made = campaigns.create_campaign(school_id, forms.load(CampaignIn), current())
        except AppError as exc:  # the schema's rules, then the service's (dates in order, known actions)
            refused = forms.refusal(exc, "campaign", fields=CAMPAIGN_FORM, fallback="title")
        else:
            flash(f"已新建活动：{made.title}", "info")
            return redirect(url_for("console.campaign", campaign_id=made.id))
    return render_template(
        "console/campaign_new.html",
        zone=zone,
        typed=refused.values_of("campaign"),
        errors=refused.errors,
        actions=catalogue.action_names(),
    ), refused.status


@bp.post("/schools/<int:school_id>/classes")
@require(*SCHOOL_STAFF)
def school_class_create(school_id):
    try:
        made = students.create_class(school_id, forms.load(ClassIn)["name"], current())
    except AppError as exc:
        refused = forms.refusal(exc, "class", fields=("name",), about={"class_exists": "name"})
        return _school_page(school_id, refused)
    flash(f"已新建班级 {made.name}，班级码 {made.join_code}", "info")
    return redirect(url_for("console.school", school_id=school_id))


@bp.post("/schools/<int:school_id>/students/confirm")
@require(*SCHOOL_STAFF)
def students_confirm(school_id):
    try:
        confirmed = students.confirm_students(school_id, forms.load(ConfirmIn)["user_ids"], current())
    except AppError as exc:
        return _school_page(school_id, forms.refusal(exc, "confirm", fields=("user_ids",)))
    flash(f"已确认 {confirmed} 名学生", "info")
    return redirect(url_for("console.school", school_id=school_id))


@bp.post("/schools/<int:school_id>/students/<int:user_id>/consent")
@require(*SCHOOL_STAFF)
def student_consent(school_id, user_id):
    students.record_guardian_consent(school_id, user_id, current())
    flash("已记录监护人签字同意", "info")
    return redirect(url_for("console.school", school_id=school_id))


@bp.post("/posts/<int:checkin_id>/unhide")
@require(*SCHOOL_STAFF)
def post_unhide(checkin_id):
    post = moderation.unhide(checkin_id, current())
    flash("已恢复显示", "info")
    return redirect(url_for("console.school", school_id=lookups.get_campaign(post.campaign_id).school_id))


@bp.post("/posts/<int:checkin_id>/hide")
@require(*SCHOOL_STAFF)
def post_hide(checkin_id):
    try:
        post = moderation.hide(checkin_id, forms.load(HideIn)["reason"], current())
    except AppError as exc:
        refused = forms.refusal(exc, f"hide-{checkin_id}", fields=("reason",))
        return _campaign_page(_checkin_campaign(checkin_id), refused)
    flash("已隐藏：同学们看不到这条分享（可在学校页面恢复显示）", "info")
    return redirect(url_for("console.campaign", campaign_id=post.campaign_id))
