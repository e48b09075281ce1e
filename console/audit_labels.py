"""The audit log in words: each known action and kind of object by its Chinese name, and an entry's
change as 字段：旧值 → 新值 lines, each field by its Chinese name, a state or other code by the label
the app has for it, a role grant as the users page writes it and a time as the console writes times
(a field or code not listed here is shown as it is stored)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

ACTIONS = {
    "account.delete": "注销账号",
    "article.save": "保存科普文章",
    "base.close_day": "基地闭馆",
    "base.reopen_day": "取消闭馆",
    "base.profile": "修改基地信息",
    "booking.checkin": "入馆核验",
    "calendar.put": "设置开放日历",
    "campaign.create": "新建活动",
    "checkin.confirm": "老师确认打卡",
    "checkin.void": "作废一条打卡",
    "checkins.void": "作废学生全部打卡",
    "class_action.create": "记录班级行动",
    "dead_letter.dismissed": "忽略失败任务",
    "dead_letter.retried": "重新执行失败任务",
    "district.create": "新增区域",
    "district.update": "修改区域",
    "guardian_consent.give": "记录监护人同意",
    "guardian_consent.withdraw": "撤回监护人同意",
    "indicator.baseline_target": "设定指标基线与目标",
    "milestone.create": "新增里程碑",
    "milestone.update": "修改里程碑",
    "objection.decision": "处理异议",
    "objection.reveal": "查看异议人完整信息",
    "post.hide": "隐藏学生内容",
    "post.unhide": "恢复显示学生内容",
    "problem.create": "提出协调问题",
    "problem.resolve": "办结协调问题",
    "publicity.close": "办结公示",
    "publicity.create": "新建公示草稿",
    "publicity.publish": "发布公示",
    "publicity.withdraw": "撤回公示草稿",
    "report.create": "新建进展报告",
    "report.review": "审核进展报告",
    "report.submit": "提交进展报告",
    "report.update": "修改进展报告",
    "school_class.create": "新建班级",
    "slots.create": "新增预约时段",
    "student.guardian_consent": "记录监护人签字同意",
    "students.confirm": "确认学生",
    "user.create": "新建账号",
    "user.grant": "授予角色",
    "user.password_reset": "重置密码",
    "user.revoke": "收回角色",
    "user.update": "修改账号",
    "zone.create": "登记申报",
    "zone.education_base": "设定宣传教育基地",
    "zone.import": "批量导入申报",
    "zone.re_review": "复核",
    "zone.transition": "示范区状态变更",
    "zone.update": "修改示范区信息",
}

ENTITIES = {
    "article": "科普文章",
    "batch": "导入批次",
    "booking": "预约",
    "calendar_day": "开放日",
    "campaign": "活动",
    "campaign_checkin": "打卡",
    "campaign_class_action": "班级行动",
    "dead_letter": "失败任务",
    "district": "区域",
    "objection": "异议",
    "publicity_notice": "公示",
    "school": "学校",
    "school_class": "班级",
    "student": "学生",
    "user": "账号",
    "zone": "示范区",
}

# Every field an audit entry's before and after can hold (the snapshots the services record), by
# its Chinese name; tests/test_console_audit_words.py walks app/ for the names and checks each is here.
FIELDS = {
    "status": "状态",
    "state": "状态",
    "reason": "原因",
    "note": "备注",
    "name": "名称",
    "title": "标题",
    "reply": "答复",
    "comment": "审核意见",
    "grants": "角色",
    "is_active": "启用",
    "display_name": "姓名",
    "username": "用户名",
    "user_id": "用户",
    "user_ids": "用户",
    "id": "编号",
    "checkin_ids": "打卡",
    "school_id": "学校",
    "base_id": "基地",
    "zone_id": "示范区",
    "zone_ids": "示范区",
    "department": "主管部门",
    "outcome": "结果",
    "date": "日期",
    "day": "日期",
    "kind": "类别",
    "count": "数量",
    "file": "文件",
    # zones (zone.create, zone.update, zone.transition, zone.re_review)
    "type": "类型",
    "level": "级别",
    "district_id": "所在区域",
    "applicant_name": "申报主体",
    "applicant_kind": "申报主体类型",
    "batch_year": "批次年度",
    "address": "地址",
    "latitude": "纬度",
    "longitude": "经度",
    "description": "介绍",
    "is_education_base": "宣传教育基地",
    "re_review_id": "复核记录",
    "reviewed_on": "复核日期",
    # a zone's indicators (zone.update) and their baseline and target (indicator.baseline_target)
    "indicators": "指标",
    "key": "指标",
    "unit": "单位",
    "baseline_value": "基准值",
    "baseline_year": "基准年",
    "latest_value": "最新值",
    "latest_year": "最新年度",
    "change": "变化量",
    "change_percent": "变化率（%）",
    "target_value": "目标值",
    "target_year": "目标年",
    # districts
    "code": "区划代码",
    "sort_order": "排序",
    # progress: reports, milestones, problems
    "report_id": "进展报告",
    "period": "报告期",
    "public_summary": "公开摘要",
    "internal_note": "内部说明",
    "problems": "存在的问题",
    "indicator_key": "指标",
    "indicator_year": "指标年份",
    "indicator_value": "指标数值",
    "review_comment": "审核意见",
    "planned_on": "计划日期",
    "done_on": "完成日期",
    "evidence_urls": "佐证材料",
    "problem_id": "协调问题",
    "due_on": "办理期限",
    # publicity: notices, their settling, objections
    "starts_at": "公示开始",
    "ends_at": "公示结束",
    "confirmed": "公示通过的示范区",
    "rejected": "公示未通过的示范区",
    "waiting": "待定的示范区",
    "receipt_no": "回执号",
    # education bases: profile, slots, closed days, check-ins at the door
    "visitor_notes": "参观须知",
    "opening_rules": "开放规则",
    "contact_phone": "联系电话",
    "booking_days_ahead": "可提前预约天数",
    "release_hour": "每日放号时间（时）",
    "from": "起始日期",
    "to": "截止日期",
    "skipped_closed": "跳过的闭馆日时段",
    "skipped_ended": "跳过的已过时段",
    "slots": "时段",
    "cancelled": "取消的预约",
    "actual_headcount": "实到人数",
    # campaigns, check-ins, students and guardians
    "starts_on": "开始日期",
    "ends_on": "结束日期",
    "actions": "行动项目",
    "action": "行动项目",
    "audience": "参与对象",
    "evidence": "打卡凭据",
    "points": "积分",
    "co2_kg": "减排量（kgCO₂e）",
    "kwh": "节约电量（千瓦时）",
    "class_name": "班级",
    "hidden_reason": "隐藏原因",
    "needs_review": "待复查",
    "report_count": "被举报次数",
    "relationship": "与学生关系",
    "consent_id": "同意记录",
    "method": "同意方式",
    # account deletion
    "bookings_cancelled": "取消的预约",
    "waitlist_promoted": "候补转为预约",
    "objections_kept_open": "保留办理的异议",
    # articles (article.save records every field it changed)
    "slug": "文章标识",
    "summary": "摘要",
    "body_markdown": "正文",
    "cover_image_url": "封面图片",
    "author": "作者",
    "source": "来源",
    "published_on": "发布日期",
    "draft": "草稿",
    "is_published": "已发布",
    "category": "分类",
    "tags": "标签",
}

# Codes with no label table elsewhere, in the words the console's pages use for them.
RE_REVIEW_OUTCOMES = {"passed": "通过", "failed": "不通过"}  # the zone page's re-review form
CALENDAR_DAY_KINDS = {"holiday": "放假", "workday": "调休上班"}
DEAD_LETTER_KINDS = {"message": "订阅消息", "job": "定时任务"}  # the jobs page
AUDIENCES = {"school": "本校已确认的学生", "anyone": "所有人"}  # the new-campaign form
EVIDENCE = {"self": "本人打卡", "photo": "照片佐证", "teacher": "老师确认"}
CONSENT_METHODS = {"statement": "学校登记的书面同意", "wechat": "监护人在微信中同意"}
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def action_label(code: str | None) -> str:
    return ACTIONS.get(code or "", code or "")


def entity_label(code: str | None) -> str:
    return ENTITIES.get(code or "", code or "")


def field_label(name: str) -> str:
    """A field by its Chinese name (one not listed as it is stored)."""
    return FIELDS.get(name, name)


def _value(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_value(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and _ISO_TIME.match(value):
        return _local_time(value)
    return str(value)


def _local_time(text: str) -> str:
    """An ISO time as the console writes times (its `local` filter)."""
    from console.filters import local

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return local(moment) if moment.tzinfo is not None else text


def _codes(entity: str | None, key: str) -> dict[str, str]:
    """The Chinese names of the codes field `key` of this kind of object holds: a zone's status, a
    notice's state, a report's state (its entries are the zone's), a department, a role grant."""
    from app.accounts.roles import DEPARTMENT_LABELS
    from app.campaigns.models import RELATIONSHIP_LABELS
    from app.publicity.constants import OBJECTION_LABELS, NoticeState
    from app.visits.models import BOOKING_STATUS_LABELS
    from app.zones.constants import APPLICANT_KIND_LABELS, INDICATORS, LEVEL_LABELS, STATUS_LABELS, TOTAL, TYPE_LABELS
    from app.zones.meta import DISTRICT_KIND_LABELS
    from console.filters import WINDOW_STATES
    from console.views_progress import REPORT_STATES

    by_entity = {
        ("zone", "status"): STATUS_LABELS,
        ("zone", "state"): REPORT_STATES,  # report.update and report.review are entries of the zone
        ("zone", "outcome"): RE_REVIEW_OUTCOMES,
        ("objection", "status"): OBJECTION_LABELS,
        ("booking", "status"): BOOKING_STATUS_LABELS,
        ("publicity_notice", "state"): {NoticeState.DRAFT: WINDOW_STATES["draft"], NoticeState.PUBLISHED: "已发布"},
        ("district", "kind"): DISTRICT_KIND_LABELS,
        ("calendar_day", "kind"): CALENDAR_DAY_KINDS,
        ("dead_letter", "kind"): DEAD_LETTER_KINDS,
    }
    indicators = {d.key: d.name for defs in INDICATORS.values() for d in defs} | {TOTAL.key: TOTAL.name}
    by_field = {
        "type": TYPE_LABELS,
        "level": LEVEL_LABELS,
        "applicant_kind": APPLICANT_KIND_LABELS,
        "department": DEPARTMENT_LABELS,
        "relationship": RELATIONSHIP_LABELS,
        "key": indicators,
        "indicator_key": indicators,
        "audience": AUDIENCES,
        "evidence": EVIDENCE,
        "method": CONSENT_METHODS,
    }
    if key in ("action", "actions"):  # a campaign's actions, by the catalogue's names
        from app.campaigns.catalogue import action_names

        return action_names()
    table = by_entity.get((entity or "", key)) or by_field.get(key, {})
    return {str(k): v for k, v in table.items()}


def grant_words(scope_keys: list[str]) -> str:
    """Role grants (their stored scope keys "role:department:base:school[:zone]") as the users page
    writes them: 系统管理员; 主管部门 · 市住房和城乡建设局; 基地管理员 · 基地 某基地（#3）."""
    from sqlalchemy import select

    from app.accounts.roles import DEPARTMENT_LABELS, ROLE_LABELS
    from app.extensions import db
    from app.zones.models import Zone

    grants = [(key.split(":") + ["", "", "", ""])[:5] for key in scope_keys]
    ids = {int(i) for g in grants for i in g[2:] if i.isdigit()}
    names = dict(db.session.execute(select(Zone.id, Zone.name).where(Zone.id.in_(ids))).all()) if ids else {}
    roles, departments = {str(k): v for k, v in ROLE_LABELS.items()}, {str(k): v for k, v in DEPARTMENT_LABELS.items()}
    words = []
    for role, department, *places in grants:
        text = roles.get(role, role) + (f" · {departments.get(department, department)}" if department else "")
        for kind, place in zip(("基地", "学校", "示范区"), places, strict=True):
            if place.isdigit():
                text += f" · {kind} {names.get(int(place), '（不存在）')}（#{place}）"
        words.append(text)
    return "、".join(words) if words else "—"


def change_lines(before: Any, after: Any, entity: str | None = None) -> list[str]:
    """The fields an entry changed, one line each: "字段：旧值 → 新值" (the new value alone for a
    field that was not there before, "→ （无）" for one that went)."""
    if before is None and after is None:
        return []
    old_fields = {} if before is None else before
    new_fields = {} if after is None else after
    if not isinstance(old_fields, dict) or not isinstance(new_fields, dict):
        return [f"{_value(before)} → {_value(after)}"]

    def shown(key: str, value: Any) -> str:
        if key == "grants" and isinstance(value, list):
            return grant_words(value)
        if isinstance(value, dict):  # an indicator of zone.update: its fields in words (its name, not its key)
            parts = {k: v for k, v in value.items() if not (k == "key" and "name" in value)}
            return "，".join(f"{field_label(k)} {shown(k, v)}" for k, v in parts.items())
        if isinstance(value, list) and any(isinstance(v, dict) for v in value):
            return "；".join(shown(key, v) for v in value)
        codes = _codes(entity, key)
        if isinstance(value, str) and value in codes:
            return codes[value]
        if isinstance(value, list) and codes:
            return _value([codes.get(v, v) if isinstance(v, str) else v for v in value])
        return _value(value)

    lines = []
    for key in [*old_fields, *(k for k in new_fields if k not in old_fields)]:
        old, new = old_fields.get(key), new_fields.get(key)
        if key in old_fields and key in new_fields and old == new:
            continue
        label = field_label(key)
        if key not in old_fields:
            lines.append(f"{label}：{shown(key, new)}")
        elif key not in new_fields:
            lines.append(f"{label}：{shown(key, old)} → （无）")
        else:
            lines.append(f"{label}：{shown(key, old)} → {shown(key, new)}")
    return lines
