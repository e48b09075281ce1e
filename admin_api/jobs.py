from __future__ import annotations

import marshmallow as ma

from app.accounts.roles import Role
from app.extensions import db
from app.fields import LocalDateTime
from app.jobs import deadletters
from app.jobs import queue as jobs_queue
from app.jobs.schedule import PERIODIC, label_of
from app.validation import PageArgs, Schema, WholeListArgs
from app.web.api import Blueprint, page_of, paginate, replayable, whole_list
from app.web.auth import current_user, require_role

PATH = "/jobs"
blp = Blueprint("admin_jobs", __name__, description="后台任务与失败任务（系统管理员、研究院工作人员）")
OPERATORS = (Role.ADMIN, Role.INSTITUTE_STAFF)


class DeadLetterArgs(PageArgs):
    kind = ma.fields.String(validate=ma.validate.OneOf(["job", "message"], error="未知的类别，可选：job, message"))
    unresolved = ma.fields.Boolean(metadata={"description": "true：只看未处理的"})


class DeadLetterOut(Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"description": "job：定时任务多次重试仍失败；message：订阅消息多次发送失败"})
    name = ma.fields.String(metadata={"description": "任务名或消息类别"})
    label = ma.fields.Function(lambda d: label_of(d.kind, d.name), metadata={"description": "中文名称"})
    ref_id = ma.fields.Integer(allow_none=True, metadata={"description": "消息的 outbox 编号"})
    error = ma.fields.String()
    attempts = ma.fields.Integer()
    created_at = LocalDateTime()
    resolved_at = LocalDateTime(allow_none=True)
    resolution = ma.fields.String(allow_none=True, metadata={"description": "retried | dismissed"})
    resolved_by_id = ma.fields.Integer(allow_none=True)


class LastRunOut(Schema):
    period = ma.fields.String()
    started_at = LocalDateTime()
    finished_at = LocalDateTime()
    outcome = ma.fields.String(metadata={"description": "ok | failed"})
    summary = ma.fields.String()


class JobOut(Schema):
    name = ma.fields.String()
    label = ma.fields.String()
    schedule = ma.fields.String()
    last_run = ma.fields.Nested(LastRunOut, allow_none=True)


@blp.get("")
@require_role(*OPERATORS)
@blp.arguments(WholeListArgs, location="query")
@blp.response(200, page_of(JobOut))
def list_jobs(args):
    """定时任务及其最近一次运行"""
    runs = jobs_queue.last_runs()
    return whole_list(
        [
            {"name": job.name, "label": job.label, "schedule": job.describe(), "last_run": runs.get(job.name)}
            for job in PERIODIC.values()
        ],
        args,
    )


@blp.get("/dead-letters")
@require_role(*OPERATORS)
@blp.arguments(DeadLetterArgs, location="query")
@blp.response(200, page_of(DeadLetterOut))
def list_dead_letters(args):
    """失败任务（死信）：重试用尽仍失败的定时任务与订阅消息"""
    stmt = deadletters.query(kind=args.get("kind"), unresolved=args.get("unresolved"))
    return paginate(db.session, stmt, args["page"], args["per_page"])


@blp.post("/dead-letters/<int:letter_id>/retry")
@require_role(*OPERATORS)
@replayable
@blp.response(200, DeadLetterOut)
@blp.alt_response(409, description="dead_letter_resolved：已处理过")
def retry_dead_letter(letter_id):
    """重试：任务重新入队；消息重新开始发送（记入审计日志）"""
    return deadletters.retry(letter_id, current_user())


@blp.post("/dead-letters/<int:letter_id>/dismiss")
@require_role(*OPERATORS)
@replayable
@blp.response(200, DeadLetterOut)
@blp.alt_response(409, description="dead_letter_resolved：已处理过")
def dismiss_dead_letter(letter_id):
    """忽略（记入审计日志）"""
    return deadletters.dismiss(letter_id, current_user())
