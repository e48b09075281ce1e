"""Demo construction progress for `seed demo`: every demo zone that reached confirmation gets its
headline indicator's target and verified yearly values; the zones under construction (confirmed,
acceptance review) get a plan of milestones (some done, some late), quarterly reports since their
confirmation (accepted, one returned with the officer's comment, one waiting for review, quarters
overdue), and problems (one overdue). A reporter account `reporter` is bound to one of them.

The rows are dated in the past, as if written over the construction period, so they are written as
rows (the use cases stamp "now"); verified values go through series.record_verified as an accepted
report's would. Idempotent: a zone that has milestones already is left as it is."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from app import uow
from app.accounts import services as accounts
from app.accounts.models import User
from app.accounts.roles import Department, Role
from app.extensions import db
from app.progress import deadlines, series
from app.progress.deadlines import OVERDUE
from app.progress.models import (
    ReportNotice,
    ReportState,
    ZoneIndicatorValue,
    ZoneMilestone,
    ZoneProblem,
    ZoneProgressReport,
)
from app.progress.tracking import (
    UNDER_CONSTRUCTION,
    confirmed_on,
    due_on,
    period_of,
    period_start,
    previous_period,
)
from app.times import app_timezone, local_today
from app.zones.models import Zone

REPORTER = ("reporter", "reporter-demo-2026", "示例机关事务服务中心 赵工")
REPORTER_ZONE = "示例市民服务中心"  # a building zone, under construction: the demo housing officer reviews it
# What each zone under construction shows beyond accepted reports (by name; others: all accepted).
RETURNED_LAST = {"示例市民服务中心"}  # the last quarter returned with a comment, waiting for correction
SUBMITTED_LAST = {"示例近零能耗图书馆", "净月数字经济产业园"}  # the last quarter waiting for review
UNREPORTED = {"净月示例零碳社区": 2}  # the last n quarters never reported (overdue), a draft for this one
RETURNED_EARLIER = {"净月数字经济产业园"}  # an early quarter returned, then reported again and accepted
OFF_TRACK = {"光电信息产业园"}  # verified values above the path from baseline to target

MILESTONES = [
    ("编制低碳建设实施方案", 45),
    ("建成能耗在线监测平台", 150),
    ("完成屋顶分布式光伏安装", 270),
    ("完成照明与暖通系统节能改造", 400),
    ("提交验收申请材料", 560),
]
TARGET_RATIO = {"low_carbon": Decimal("0.70"), "near_zero": Decimal("0.40"), "zero_carbon": Decimal("0.05")}
TARGET_YEAR = 2030
SUMMARIES = [
    "完成本季度节能改造计划，能耗监测数据按月上报。",
    "光伏组件安装过半，完成配电室改造。",
    "组织员工低碳培训两场，开展绿色办公检查。",
    "完成供暖系统分户计量改造，能耗同比下降。",
]
RETURN_COMMENT = "请补充光伏装机容量与并网验收证明，并核对年度碳排放数据的计算口径。"


def seed_demo_progress() -> list[str]:
    lines = [_reporter()]  # first: the reports of its zone are its own
    reviewer = db.session.scalar(select(User).where(User.username == "housing"))
    institute = db.session.scalar(select(User).where(User.username == "institute"))
    zones = list(
        db.session.scalars(
            select(Zone)
            .where(Zone.status.in_([*UNDER_CONSTRUCTION, "titled", "revoked"]), Zone.description.contains("演示数据"))
            .order_by(Zone.id)
        )
    )
    targets = sum(_target_and_history(zone) for zone in zones)
    today = local_today()
    built = 0
    for zone in zones:
        if zone.status in UNDER_CONSTRUCTION and _plan_missing(zone.id):
            checker = reviewer if zone.type in ("building", "community") else institute
            _construction(zone, checker, today)
            built += 1
    uow.commit()
    # The daily deadline job, as it would have run: the last quarter's reminders or overdue marks.
    reminded, overdue = deadlines.run_deadlines()
    lines.append(
        f"demo progress: {targets} targets set, {built} zones under construction filled in; "
        f"deadline job: {reminded} reminded, {overdue} overdue"
    )
    return lines


def _plan_missing(zone_id: int) -> bool:
    return db.session.scalar(select(ZoneMilestone.id).where(ZoneMilestone.zone_id == zone_id).limit(1)) is None


def _value(stored, year: int, off_track: bool = False) -> Decimal:
    """The headline indicator in `year`: along the line from baseline to the stored latest value (and
    on beyond it at the same pace); off track, it falls half as fast."""
    span = Decimal(max(stored.latest_year - stored.baseline_year, 1))
    step = (stored.baseline_value - stored.latest_value) / span
    if off_track:
        step = step / 2
    return max(stored.baseline_value - step * (year - stored.baseline_year), Decimal(0)).quantize(Decimal("0.1"))


def _target_and_history(zone: Zone) -> int:
    """The headline indicator's target, and for a titled or revoked zone its verified values up to the
    stored latest year (under construction, the accepted reports verify them)."""
    stored = series.stored_indicator(zone, series.definitions(zone)[0].key)
    if stored is None or stored.baseline_value is None or stored.target_year is not None:
        return 0
    stored.target_year = TARGET_YEAR
    stored.target_value = (stored.baseline_value * TARGET_RATIO[zone.level]).quantize(Decimal("0.1"))
    if zone.status not in UNDER_CONSTRUCTION:
        for year in range(stored.baseline_year + 1, stored.latest_year + 1):
            value = stored.latest_value if year == stored.latest_year else _value(stored, year)
            db.session.add(
                ZoneIndicatorValue(
                    zone_id=zone.id,
                    indicator_key=stored.key,
                    year=year,
                    value=value,
                    unit=series.definition(zone, stored.key).unit,
                    verified_at=datetime(year + 1, 4, 10, 2, 0, tzinfo=UTC),
                )
            )
    db.session.flush()
    return 1


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), app_timezone())


def _construction(zone: Zone, checker: User | None, today: date) -> None:
    confirmed = confirmed_on(zone.id) or today
    late_one = zone.status == "confirmed"  # a zone still building has a step behind plan
    for position, (name, after_days) in enumerate(MILESTONES, start=1):
        planned = confirmed + timedelta(days=after_days)
        done = None
        if zone.status == "acceptance_review" or (planned < today and not (late_one and position == 3)):
            done = min(planned + timedelta(days=position * 3 - 6), today)  # a few days either side of plan
        db.session.add(
            ZoneMilestone(
                zone_id=zone.id,
                name=name,
                planned_on=planned,
                done_on=done,
                note="已完成并留存影像资料" if done else None,
                evidence_urls=[],
                position=position,
            )
        )
    _reports(zone, checker, confirmed, today)
    _problems(zone, today)


def _reports(zone: Zone, checker: User | None, confirmed: date, today: date) -> None:
    stored = series.stored_indicator(zone, series.definitions(zone)[0].key)
    key = stored.key if stored else series.definitions(zone)[0].key
    reporter_id = db.session.scalar(select(User.id).where(User.username == REPORTER[0]))
    author = reporter_id if zone.name == REPORTER_ZONE else None
    last = previous_period(period_of(today))
    periods, period = [], period_of(confirmed)
    while period <= last:
        periods.append(period)
        period = period_of(period_start(period) + timedelta(days=100))
    skipped = UNREPORTED.get(zone.name, 0)
    for index, period in enumerate(periods):
        if index >= len(periods) - skipped:
            if due_on(period) < today:  # the deadline job's mark: overdue, still unreported
                db.session.add(
                    ReportNotice(zone_id=zone.id, period=period, kind=OVERDUE, created_at=_at(due_on(period)))
                )
            continue
        is_last = index == len(periods) - 1
        # A Q1 report carries the verified figure of the year just ended.
        year = int(period[:4]) - 1 if period.endswith("Q1") and stored and stored.baseline_year else None
        if year is not None and not stored.baseline_year <= year <= min(stored.target_year or year, today.year):
            year = None
        value = _value(stored, year, zone.name in OFF_TRACK) if year is not None else None
        if year is not None and year == stored.latest_year:
            value = stored.latest_value
        if zone.name in RETURNED_EARLIER and index == 1:
            _report(zone, period, key, None, None, ReportState.RETURNED, author, checker, RETURN_COMMENT, stored)
        state = ReportState.ACCEPTED
        if is_last and zone.name in RETURNED_LAST:
            state = ReportState.RETURNED
        elif is_last and zone.name in SUBMITTED_LAST:
            state = ReportState.SUBMITTED
        comment = RETURN_COMMENT if state == ReportState.RETURNED else None
        _report(zone, period, key, year, value, state, author, checker, comment, stored, index)
    if skipped:
        draft = ZoneProgressReport(
            zone_id=zone.id,
            period=period_of(today),
            state=ReportState.DRAFT,
            public_summary="本季度完成社区公共区域照明改造（草稿）。",
            indicator_key=key,
            author_id=author,
        )
        db.session.add(draft)
    db.session.flush()


def _report(zone, period, key, year, value, state, author, checker, comment, stored, index: int = 0) -> None:
    submitted = _at(due_on(period) - timedelta(days=5))
    reviewed = submitted + timedelta(days=3) if state in (ReportState.ACCEPTED, ReportState.RETURNED) else None
    report = ZoneProgressReport(
        zone_id=zone.id,
        period=period,
        state=state,
        public_summary=SUMMARIES[index % len(SUMMARIES)],
        internal_note="施工进度与计划基本一致。",
        problems=None,
        indicator_key=key,
        indicator_year=year,
        indicator_value=value,
        review_comment=comment,
        reviewed_by_id=checker.id if checker and reviewed else None,
        reviewed_at=reviewed,
        submitted_at=submitted,
        author_id=author,
        created_at=submitted - timedelta(days=7),
    )
    db.session.add(report)
    db.session.flush()
    if state == ReportState.ACCEPTED and value is not None and checker is not None:
        series.record_verified(zone, report, checker, reviewed)


def _problems(zone: Zone, today: date) -> None:
    if zone.name != REPORTER_ZONE:
        return
    db.session.add_all(
        [
            ZoneProblem(
                zone_id=zone.id,
                title="屋顶光伏并网接入审批滞后",
                department=Department.DEVELOPMENT_REFORM.value,
                due_on=today + timedelta(days=30),
            ),
            ZoneProblem(
                zone_id=zone.id,
                title="既有建筑屋顶荷载复核需住建部门协调",
                department=Department.HOUSING_CONSTRUCTION.value,
                due_on=today - timedelta(days=12),  # overdue
            ),
            ZoneProblem(
                zone_id=zone.id,
                title="节能改造施工许可手续咨询",
                department=Department.HOUSING_CONSTRUCTION.value,
                due_on=today - timedelta(days=60),
                resolved_at=_at(today - timedelta(days=65)),
                resolution_note="已明确按既有建筑节能改造程序办理，无需单独施工许可。",
            ),
        ]
    )


def _reporter() -> str:
    username, password, name = REPORTER
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        return f"staff account {username} already there"
    zone = db.session.scalar(select(Zone).where(Zone.name == REPORTER_ZONE))
    if zone is None:
        return f"staff account {username} not created: no zone {REPORTER_ZONE}"
    accounts.create_staff_user(username, password, Role.ZONE_REPORTER, display_name=name, zone_id=zone.id)
    return f"staff account {username} / {password} ({Role.ZONE_REPORTER.value}, {zone.name})"
