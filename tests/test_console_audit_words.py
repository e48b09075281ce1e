"""What an admin found on console pages shown in English: the audit log's field names, states, role
grants and ISO times (every field the app records has a Chinese name, found by walking app/ for the
audit records and the snapshots they keep); the jobs page's "worker"; and a report form offering
units the zone's indicator is never kept in."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from app.extensions import db
from console import audit_labels
from tests import test_console_progress
from tests.progress_helpers import confirmed_zone
from tests.test_console import console_of, signed_in, staff_account, text

site = test_console_progress.site  # fixture: a building zone, its reporter signed in

APP = Path(__file__).resolve().parent.parent / "app"

# ---- every field the app records, walked from its source ----------------------------------------


def _is_audit(node, name: str) -> bool:
    """A call `audit.<name>(...)`."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == name
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "audit"
    )


def _named(key) -> bool:
    """A field named in the source (x["name"]), not computed."""
    return isinstance(key, ast.Constant) and isinstance(key.value, str)


class AuditedFields:
    """The field names the before and after of app's audit.record calls can hold: the keys of the dicts
    written there (or in the variables passed there), the fields audit.snapshot is given, and the
    keys of the helpers that build them (_user_snapshot, indicator_view, _audit_view)."""

    def __init__(self):
        self.functions: dict[str, list[tuple[ast.FunctionDef, str]]] = {}
        for path in sorted(APP.rglob("*.py")):
            module = ".".join(path.relative_to(APP.parent).with_suffix("").parts)
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef):
                    self.functions.setdefault(node.name, []).append((node, module))
        self.helpers_seen: set[str] = set()

    def records(self):
        for found in list(self.functions.values()):
            for function, module in found:
                for call in (c for c in ast.walk(function) if _is_audit(c, "record")):
                    yield call, function, module

    def fields(self) -> set[str]:
        names: set[str] = set()
        for call, function, module in self.records():
            for argument in call.args[4:6] + [k.value for k in call.keywords if k.arg in ("before", "after")]:
                names |= self.of(argument, function, module)
                for variable in {n.id for n in ast.walk(argument) if isinstance(n, ast.Name)}:
                    names |= self.assigned(variable, function, module)
        return names

    def actions(self) -> set[str]:
        return {
            call.args[1].value
            for call, _, _ in self.records()
            if isinstance(call.args[1], ast.Constant) and isinstance(call.args[1].value, str)
        }

    def assigned(self, variable: str, function, module) -> set[str]:
        names: set[str] = set()
        for node in (n for n in ast.walk(function) if isinstance(n, ast.Assign)):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id == variable:
                    names |= self.of(node.value, function, module)
                if (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == variable
                ):
                    names |= {target.slice.value} | self.of(node.value, function, module)
        return names

    def of(self, expression, function, module, deep: bool = True) -> set[str]:
        names: set[str] = set()
        for node in ast.walk(expression) if deep else [expression]:
            if isinstance(node, ast.Dict):
                names |= {k.value for k in node.keys if _named(k)}
            elif _is_audit(node, "snapshot"):
                names |= self.snapshot_fields(node.args[1], function, module)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                names |= self.helper(node.func.id)
        return names

    def snapshot_fields(self, fields, function, module) -> set[str]:
        if isinstance(fields, ast.Name):
            local = [
                a.value
                for a in ast.walk(function)
                if isinstance(a, ast.Assign) and any(isinstance(t, ast.Name) and t.id == fields.id for t in a.targets)
            ]
            if not local:  # a module's tuple (some built from others): its value
                return set(getattr(importlib.import_module(module), fields.id))
            fields = local[0]
        return {element.value for element in fields.elts}

    def helper(self, name: str) -> set[str]:
        if name in self.helpers_seen or name not in self.functions:
            return set()
        self.helpers_seen.add(name)
        names: set[str] = set()
        for function, module in self.functions[name]:
            for node in ast.walk(function):
                names |= self.of(node, function, module, deep=False)
                if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) and _named(node.slice):
                    names.add(node.slice.value)
        return names


WALK = AuditedFields()
RECORDED_FIELDS = sorted(WALK.fields())
RECORDED_ACTIONS = sorted(WALK.actions())

# What the tester saw in English: the walk must find these (it is not looking at nothing).
SEEN_IN_ENGLISH = ("internal_note", "public_summary", "ends_at", "starts_at", "batch_year", "receipt_no", "grants")


@pytest.mark.parametrize("name", SEEN_IN_ENGLISH)
def test_the_walk_finds_a_field_the_tester_saw(name):
    assert name in RECORDED_FIELDS


@pytest.mark.parametrize("name", RECORDED_FIELDS)
def test_every_field_the_app_records_has_a_chinese_name(name):
    assert re.search(r"[\u4e00-\u9fff]", audit_labels.FIELDS.get(name, ""))


@pytest.mark.parametrize("code", RECORDED_ACTIONS)
def test_every_action_the_app_records_has_a_chinese_name(code):
    assert code in audit_labels.ACTIONS


# ---- the audit log page in words -----------------------------------------------------------------


def audited(app, action, entity, before, after):
    from app.audit import services as audit

    with app.app_context():
        audit.record(None, action, entity, 7, before, after)
        db.session.commit()


def changes_of(app, username) -> list[str]:
    """Every change line of the audit log's first page."""
    page = text(signed_in(app, "admin", username).get("/console/audit"))
    return re.findall(r"<div>([^<]*)</div>", page.split('id="audit-entries"', 1)[1])


def test_a_reports_internal_note_is_named_in_chinese(app):
    audited(app, "report.update", "zone", {"internal_note": "施工进度"}, {"internal_note": "探针B"})
    assert "内部说明：施工进度 → 探针B" in changes_of(app, "audit-w1")


def test_a_reports_public_summary_is_named_in_chinese(app):
    audited(app, "report.update", "zone", {"public_summary": "甲"}, {"public_summary": "乙"})
    assert "公开摘要：甲 → 乙" in changes_of(app, "audit-w2")


def test_a_notices_end_is_a_local_time_in_the_consoles_format(app):
    audited(app, "publicity.create", "publicity_notice", None, {"ends_at": "2026-11-28T12:52:44+08:00"})
    assert "公示结束：2026-11-28 12:52" in changes_of(app, "audit-w3")


def test_a_notices_start_given_in_utc_is_shown_in_local_time(app):
    audited(app, "publicity.create", "publicity_notice", None, {"starts_at": "2026-11-21T00:00:00+00:00"})
    assert "公示开始：2026-11-21 08:00" in changes_of(app, "audit-w4")


def test_a_notices_batch_year_is_named_in_chinese(app):
    audited(app, "publicity.create", "publicity_notice", None, {"batch_year": 2026})
    assert "批次年度：2026" in changes_of(app, "audit-w5")


def test_a_receipt_number_is_named_in_chinese(app):
    audited(app, "objection.reveal", "objection", None, {"receipt_no": "YY2026-000007", "reason": "核实"})
    assert "回执号：YY2026-000007" in changes_of(app, "audit-w6")


def test_a_published_notices_state_reads_in_chinese(app):
    audited(app, "publicity.publish", "publicity_notice", {"state": "draft"}, {"state": "published"})
    assert "状态：草稿 → 已发布" in changes_of(app, "audit-w7")


def test_a_reviewed_reports_state_reads_in_chinese(app):
    audited(app, "report.review", "zone", {"state": "submitted"}, {"report_id": 3, "state": "accepted"})
    assert "状态：待审核 → 已通过" in changes_of(app, "audit-w8")


def test_a_bookings_check_in_reads_in_chinese(app):
    audited(app, "booking.checkin", "booking", {"status": "confirmed"}, {"status": "checked_in"})
    assert "状态：已预约 → 已入馆" in changes_of(app, "audit-w9")


def test_a_re_reviews_outcome_reads_in_chinese(app):
    audited(app, "zone.re_review", "zone", None, {"outcome": "failed"})
    assert "结果：不通过" in changes_of(app, "audit-w10")


def test_a_role_granted_reads_as_the_users_page_writes_it(app):
    audited(
        app,
        "user.grant",
        "user",
        {"grants": ["admin:::"]},
        {"grants": ["admin:::", "department_officer:education::"]},
    )
    assert "角色：系统管理员 → 系统管理员、主管部门 · 市教育局" in changes_of(app, "audit-w11")


def test_a_role_without_scope_reads_in_chinese(app):
    audited(app, "user.create", "user", None, {"grants": ["institute_staff:::"]})
    assert "角色：碳中和研究院" in changes_of(app, "audit-w12")


def test_a_reporters_zone_is_named_as_on_the_users_page(app):
    from app.zones.models import Zone

    zone_id = confirmed_zone(app, "building")
    with app.app_context():
        name = db.session.get(Zone, zone_id).name
    audited(app, "user.create", "user", None, {"grants": [f"zone_reporter::::{zone_id}"]})
    assert f"角色：建设主体填报员 · 示范区 {name}（#{zone_id}）" in changes_of(app, "audit-w13")


def test_a_zones_type_reads_in_chinese(app):
    audited(app, "zone.create", "zone", None, {"type": "building"})
    assert "类型：建筑" in changes_of(app, "audit-w14")


def test_a_zones_indicator_reads_by_its_name_not_as_json(app):
    indicator = {"key": "total_emissions", "name": "建筑碳排放总量", "unit": "tCO₂e/年", "baseline_value": 100}
    audited(
        app, "zone.update", "zone", {"indicators": [indicator]}, {"indicators": [{**indicator, "baseline_value": 90}]}
    )
    line = "指标：名称 建筑碳排放总量，单位 tCO₂e/年，基准值 100 → 名称 建筑碳排放总量，单位 tCO₂e/年，基准值 90"
    assert line in changes_of(app, "audit-w15")


# ---- the jobs page -------------------------------------------------------------------------------


def jobs_state(app, monkeypatch, state: str, username: str) -> str:
    from app.jobs import queue

    monkeypatch.setattr(queue, "redis_url", lambda: None)
    monkeypatch.setattr(queue, "workers_state", lambda: state)
    page = text(signed_in(app, "admin", username).get("/console/jobs"))
    return page.split('id="workers-state">', 1)[1].split("</p>", 1)[0]


def test_the_jobs_page_says_the_job_process_runs_in_chinese(app, monkeypatch):
    assert jobs_state(app, monkeypatch, "running", "jobs-w1") == "后台任务进程正在运行。"


@pytest.mark.parametrize("state", ["no_redis", "unreachable", "no_worker"])
def test_the_jobs_pages_warning_has_no_english_word_outside_a_command(app, monkeypatch, state):
    said = re.sub(r"<code>.*?</code>", "", jobs_state(app, monkeypatch, state, f"jobs-{state}"))
    assert "worker" not in said


def test_a_job_that_never_ran_says_why_in_chinese(app, monkeypatch):
    from app.jobs import queue

    monkeypatch.setattr(queue, "redis_url", lambda: None)
    page = text(signed_in(app, "admin", "jobs-w2").get("/console/jobs"))
    assert "尚未运行（没有后台任务进程）" in page


# ---- the report form's unit -----------------------------------------------------------------------


def report_page(site) -> str:
    return text(site["reporter"].get(f"/console/progress/zones/{site['zone_id']}/reports/new"))


def test_a_building_zones_report_form_asks_no_unit(site):
    assert '<select id="unit"' not in report_page(site)


def test_a_building_zones_report_form_names_its_one_unit(site):
    assert "数值的单位：tCO₂e/年" in report_page(site)


def test_a_building_zones_report_form_offers_no_unit_of_another_type(site):
    assert "kgCO₂e/人次" not in report_page(site)


def community_units(app) -> list[str]:
    zone_id = confirmed_zone(app, "community")
    staff_account(app, "zone_reporter", "c-community", zone_id=zone_id)
    page = text(console_of(app, "c-community").get(f"/console/progress/zones/{zone_id}/reports/new"))
    select = page.split('<select id="unit" name="unit">', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="([^"]+)"', select)


def test_a_community_zones_report_form_offers_its_indicators_units(app):
    assert community_units(app) == ["kgCO₂e/(m²·年)", "tCO₂e/年"]
