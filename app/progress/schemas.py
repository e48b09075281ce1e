"""Schemas of a zone's construction progress: staff input and output, and the public view."""

from __future__ import annotations

import marshmallow as ma

from app.accounts.roles import DEPARTMENT_LABELS, Department
from app.fields import LocalDateTime, MediaUrl
from app.progress.models import REPORT_STATES, ReportState
from app.progress.problems import is_overdue
from app.progress.tracking import PERIOD_PATTERN, due_on
from app.validation import Link, PageArgs, Schema, not_blank, one_of
from app.validators import Trimmed

PERIOD_ERROR = "季度格式为 YYYYQn（n 为 1–4），如 2026Q3"
MAX_TEXT = 2000
INDICATOR_VALUE = {"places": 3, "validate": ma.validate.Range(min=0, max=10**13 - 1)}

# ---- milestones ---------------------------------------------------------------------------


class MilestoneIn(Schema):
    # Public (the zone page): one line, no control or bidi characters.
    name = Trimmed(required=True, validate=[ma.validate.Length(min=1, max=120), not_blank])
    planned_on = ma.fields.Date(required=True, metadata={"description": "不早于示范区确定创建的日期"})


class MilestonePatchIn(Schema):
    done_on = ma.fields.Date(allow_none=True, metadata={"description": "完成日期，不晚于今天；null 为改回未完成"})
    evidence_urls = ma.fields.List(
        Link(validate=ma.validate.Length(max=512)),
        validate=ma.validate.Length(max=9),
        metadata={"description": "证明材料：本服务上传接口返回的本人图片地址（已有的可原样带回）"},
    )
    note = Trimmed(allow_none=True, multiline=True, validate=ma.validate.Length(max=500))


class MilestoneOut(Schema):
    id = ma.fields.Integer()
    zone_id = ma.fields.Integer()
    name = ma.fields.String()
    planned_on = ma.fields.Date()
    done_on = ma.fields.Date(allow_none=True)
    late = ma.fields.Method("_late", metadata={"description": "已过计划日期且未完成"})
    note = ma.fields.String(allow_none=True)
    evidence_urls = ma.fields.List(MediaUrl())
    created_at = LocalDateTime()
    updated_at = LocalDateTime()

    def _late(self, milestone) -> bool:
        from app.progress.milestones import is_late

        return is_late(milestone)


# ---- reports ------------------------------------------------------------------------------


def _period_field(**kwargs) -> ma.fields.String:
    return ma.fields.String(
        validate=ma.validate.Regexp(PERIOD_PATTERN, error=PERIOD_ERROR),
        metadata={"description": "季度，如 2026Q3", "example": "2026Q3"},
        **kwargs,
    )


class _ReportFields(Schema):
    public_summary = Trimmed(
        multiline=True,
        validate=[ma.validate.Length(min=1, max=MAX_TEXT), not_blank],
        metadata={"description": "对公众公开的进展摘要（审核通过后公开）"},
    )
    internal_note = Trimmed(
        allow_none=True,
        multiline=True,
        validate=ma.validate.Length(max=MAX_TEXT),
        metadata={"description": "内部说明，不公开"},
    )
    problems = Trimmed(
        allow_none=True,
        multiline=True,
        validate=ma.validate.Length(max=MAX_TEXT),
        metadata={"description": "存在的问题，不公开"},
    )
    indicator_key = ma.fields.String(
        allow_none=True,
        validate=ma.validate.Length(max=32),
        metadata={"description": "本类型的哪个指标（/meta 的 indicators），默认为核心指标"},
    )
    indicator_year = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(min=2000, max=2100))
    indicator_value = ma.fields.Decimal(
        allow_none=True, as_string=False, **INDICATOR_VALUE, metadata={"description": "不能为负；单位由类型决定"}
    )
    unit = ma.fields.String(
        load_only=True,
        validate=ma.validate.Length(max=32),
        metadata={"description": "可选；若填写须与该指标的单位一致（如 tCO₂e/年）"},
    )


class ProgressReportIn(_ReportFields):
    period = _period_field(required=True)
    public_summary = Trimmed(
        required=True,
        multiline=True,
        validate=[ma.validate.Length(min=1, max=MAX_TEXT), not_blank],
        metadata={"description": "对公众公开的进展摘要（审核通过后公开）"},
    )


class ProgressReportPatchIn(_ReportFields):
    """Any of the report's fields; the period stays."""


class ReportReviewIn(Schema):
    decision = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf([ReportState.ACCEPTED, ReportState.RETURNED], error="可选：accepted、returned"),
    )
    comment = Trimmed(
        allow_none=True,
        multiline=True,
        validate=ma.validate.Length(max=MAX_TEXT),
        metadata={"description": "退回时必填"},
    )


class ProgressReportListArgs(PageArgs):
    state = ma.fields.String(validate=ma.validate.OneOf(REPORT_STATES, error=f"可选：{', '.join(REPORT_STATES)}"))
    zone_id = ma.fields.Integer(validate=ma.validate.Range(min=1))


class ProgressReportOut(Schema):
    """A report as staff see it (internal fields included)."""

    id = ma.fields.Integer()
    zone_id = ma.fields.Integer()
    period = ma.fields.String()
    state = ma.fields.String()
    public_summary = ma.fields.String()
    internal_note = ma.fields.String(allow_none=True)
    problems = ma.fields.String(allow_none=True)
    indicator_key = ma.fields.String(allow_none=True)
    indicator_year = ma.fields.Integer(allow_none=True)
    indicator_value = ma.fields.Float(allow_none=True)
    review_comment = ma.fields.String(allow_none=True)
    reviewed_by_id = ma.fields.Integer(allow_none=True)
    reviewed_at = LocalDateTime(allow_none=True)
    submitted_at = LocalDateTime(allow_none=True)
    author_id = ma.fields.Integer(allow_none=True)
    # isoformat: a Function field hands its value to the JSON encoder as it is, which writes a date
    # in RFC 1123 ("Thu, 15 Oct 2026 00:00:00 GMT"); the API's dates are YYYY-MM-DD.
    due_on = ma.fields.Function(
        lambda r: due_on(r.period).isoformat(), metadata={"description": "该季度报告的截止日期"}
    )
    overdue = ma.fields.Function(
        lambda r: r.overdue_at is not None,
        metadata={"description": "截止日期已过而未提交（由每日任务标记；截止后才填写或提交的报告亦然），提交后保留"},
    )
    created_at = LocalDateTime()
    updated_at = LocalDateTime()


# ---- series -------------------------------------------------------------------------------


class BaselineTargetIn(Schema):
    baseline_year = ma.fields.Integer(required=True, validate=ma.validate.Range(min=2000, max=2100))
    baseline_value = ma.fields.Decimal(required=True, as_string=False, **INDICATOR_VALUE)
    target_year = ma.fields.Integer(required=True, validate=ma.validate.Range(min=2000, max=2100))
    target_value = ma.fields.Decimal(required=True, as_string=False, **INDICATOR_VALUE)


class YearValueOut(Schema):
    year = ma.fields.Integer()
    value = ma.fields.Float()


class VerifiedValueOut(YearValueOut):
    verified_at = LocalDateTime()


class IndicatorSeriesOut(Schema):
    key = ma.fields.String()
    name = ma.fields.String()
    unit = ma.fields.String()
    baseline = ma.fields.Nested(YearValueOut, allow_none=True)
    target = ma.fields.Nested(YearValueOut, allow_none=True)
    series = ma.fields.List(ma.fields.Nested(VerifiedValueOut))
    change_pct = ma.fields.Float(allow_none=True, metadata={"description": "最新核实值相对基准值的变化（%），负为下降"})
    on_track = ma.fields.Boolean(
        allow_none=True, metadata={"description": "最新核实值不高于基准到目标的直线；无数据为 null"}
    )


class SeriesOut(Schema):
    zone_id = ma.fields.Integer()
    percent = ma.fields.Integer(allow_none=True)
    indicators = ma.fields.List(ma.fields.Nested(IndicatorSeriesOut))
    last_report_period = ma.fields.String(allow_none=True)
    overdue_periods = ma.fields.List(ma.fields.String(), metadata={"description": "已逾期且仍未提交报告的季度"})


# ---- problems -----------------------------------------------------------------------------


class ReporterActiveIn(Schema):
    is_active = ma.fields.Boolean(required=True, metadata={"description": "false 停用（结束其登录会话），true 启用"})


class ProblemIn(Schema):
    title = Trimmed(required=True, validate=[ma.validate.Length(min=1, max=120), not_blank])
    department = ma.fields.String(required=True, validate=one_of(Department, "主管部门"))
    due_on = ma.fields.Date(required=True)


class ResolveIn(Schema):
    note = Trimmed(required=True, multiline=True, validate=[ma.validate.Length(min=1, max=500), not_blank])


class ProblemOut(Schema):
    id = ma.fields.Integer()
    zone_id = ma.fields.Integer()
    title = ma.fields.String()
    department = ma.fields.String()
    department_label = ma.fields.Function(lambda p: DEPARTMENT_LABELS[Department(p.department)])
    due_on = ma.fields.Date()
    overdue = ma.fields.Function(is_overdue)
    resolved_at = LocalDateTime(allow_none=True)
    resolution_note = ma.fields.String(allow_none=True)
    created_by_id = ma.fields.Integer(allow_none=True)
    created_at = LocalDateTime()


# ---- public -------------------------------------------------------------------------------


class PublicMilestoneOut(Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    planned_on = ma.fields.Date()
    done_on = ma.fields.Date(allow_none=True)
    late = ma.fields.Boolean()


class IndicatorRefOut(Schema):
    key = ma.fields.String()
    name = ma.fields.String()
    unit = ma.fields.String()


class ZoneProgressOut(Schema):
    """A zone's construction progress as the public sees it."""

    percent = ma.fields.Integer(allow_none=True, metadata={"description": "已完成里程碑 ÷ 全部里程碑（%，取整）"})
    milestones = ma.fields.List(ma.fields.Nested(PublicMilestoneOut))
    indicator = ma.fields.Nested(IndicatorRefOut)
    series = ma.fields.List(ma.fields.Nested(YearValueOut), metadata={"description": "核实的年度数值"})
    baseline = ma.fields.Nested(YearValueOut, allow_none=True)
    target = ma.fields.Nested(YearValueOut, allow_none=True)
    change_pct = ma.fields.Float(allow_none=True)
    on_track = ma.fields.Boolean(allow_none=True)
    last_report_period = ma.fields.String(allow_none=True)


class UpdateOut(Schema):
    kind = ma.fields.String(metadata={"description": "report、milestone、transition、re_review"})
    zone_id = ma.fields.Integer()
    zone_name = ma.fields.String()
    occurred_at = LocalDateTime()
    title = ma.fields.String()
    summary = ma.fields.String(allow_none=True)
    period = ma.fields.String(metadata={"description": "report：季度"})
    done_on = ma.fields.Date(metadata={"description": "milestone：完成日期"})
    from_status = ma.fields.String(allow_none=True, metadata={"description": "transition"})
    to_status = ma.fields.String(metadata={"description": "transition"})
    outcome = ma.fields.String(metadata={"description": "re_review：passed、failed"})
    reviewed_on = ma.fields.Date(metadata={"description": "re_review：复核日期"})
