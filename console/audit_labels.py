"""The audit log in words: each known action and kind of object by its Chinese name, and an entry's
change as 字段：旧值 → 新值 lines (a code not listed here is shown as it is stored)."""

from __future__ import annotations

import json
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

# Names of the fields an entry's change mentions most often.
FIELDS = {
    "status": "状态",
    "reason": "原因",
    "note": "备注",
    "name": "名称",
    "title": "标题",
    "reply": "答复",
    "grants": "角色",
    "is_active": "启用",
    "display_name": "姓名",
    "username": "用户名",
    "user_id": "用户",
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
    "state": "状态",
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


def action_label(code: str | None) -> str:
    return ACTIONS.get(code or "", code or "")


def entity_label(code: str | None) -> str:
    return ENTITIES.get(code or "", code or "")


def _value(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_value(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _status_labels(entity: str | None) -> dict[str, str]:
    """A status of this kind of object by its Chinese name (a zone's, an objection's)."""
    from app.publicity.constants import OBJECTION_LABELS
    from app.zones.constants import STATUS_LABELS

    table = {"zone": STATUS_LABELS, "objection": OBJECTION_LABELS}.get(entity or "", {})
    return {str(k.value): v for k, v in table.items()}


def change_lines(before: Any, after: Any, entity: str | None = None) -> list[str]:
    """The fields an entry changed, one line each: "字段：旧值 → 新值" (the new value alone for a
    field that was not there before, "→ （无）" for one that went)."""
    if before is None and after is None:
        return []
    old_fields = {} if before is None else before
    new_fields = {} if after is None else after
    if not isinstance(old_fields, dict) or not isinstance(new_fields, dict):
        return [f"{_value(before)} → {_value(after)}"]
    statuses = _status_labels(entity)

    def shown(key: str, value: Any) -> str:
        if key in ("status", "outcome") and isinstance(value, str):
            return statuses.get(value, value)
        return _value(value)

    lines = []
    for key in [*old_fields, *(k for k in new_fields if k not in old_fields)]:
        old, new = old_fields.get(key), new_fields.get(key)
        if key in old_fields and key in new_fields and old == new:
            continue
        label = FIELDS.get(key, key)
        if key not in old_fields:
            lines.append(f"{label}：{shown(key, new)}")
        elif key not in new_fields:
            lines.append(f"{label}：{shown(key, old)} → （无）")
        else:
            lines.append(f"{label}：{shown(key, old)} → {shown(key, new)}")
    return lines
