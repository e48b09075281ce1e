"""The periodic jobs and the tick that enqueues each period's run once across every scheduler.

A job runs every `every`, or once a day at `daily_at` (APP_TIMEZONE). A period is claimed in Redis
with SET NX before its run is enqueued, so schedulers on several machines (or a scheduler plus a
cron line) enqueue it once. A daily job whose time passed while no scheduler ran is enqueued at the
next tick (the claim is per day), so a restart delays work but never skips it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from flask import current_app

from app.db_types import utcnow
from app.jobs import queue
from app.times import app_timezone


@dataclass(frozen=True)
class Periodic:
    name: str
    label: str  # what staff read (console, staff API)
    run: Callable[[], str]  # does the work, returns a one-line summary for staff (Chinese)
    every: timedelta | None = None
    daily_at: time | None = None
    timeout: int = 600  # seconds before the worker stops a run (then retried, then a dead letter)

    def describe(self) -> str:
        if self.every is not None:
            return f"每 {int(self.every.total_seconds() // 60)} 分钟"
        return f"每天 {self.daily_at:%H:%M}"

    def period(self, now: datetime) -> tuple[str, int]:
        """(the period `now` falls in, seconds to keep its claim)."""
        if self.every is not None:
            seconds = int(self.every.total_seconds())
            return str(int(now.timestamp()) // seconds), seconds * 2 + 60
        local = now.astimezone(app_timezone())
        day = local.date() if local.time() >= self.daily_at else local.date() - timedelta(days=1)
        return day.isoformat(), 3 * 86400


# The schedule is a registry of every area's periodic work: each entry imports its area when it runs,
# so loading the schedule (the worker, the clock, the staff view) does not load every area, and no
# area depends on the jobs package.


def _close_due() -> str:
    from app.publicity import settling

    return f"结算公示 {len(settling.close_due())} 期"


def _mark_no_shows() -> str:
    from app.visits import noshows

    marked, suspended = noshows.mark_no_shows()
    return f"标记爽约 {marked} 个，暂停预约 {suspended} 人"


def _send_reminders() -> str:
    from app.visits import noshows

    return f"排入参观提醒 {noshows.send_reminders()} 条"


def _deliver_messages() -> str:
    from app.outbox import services as outbox

    outcome = outbox.deliver_due()
    labels = {"sent": "已发送", "pending": "待重试", "refused": "用户拒收", "skipped": "无需发送", "dead": "放弃"}
    return (
        "，".join(f"{labels.get(status, status)} {count} 条" for status, count in sorted(outcome.items()))
        or "没有待发消息"
    )


def _rebuild_boards() -> str:
    from app.campaigns import boards

    return f"重建排行榜 {boards.rebuild_all()} 个"


def _flush_views() -> str:
    from app.knowledge import services as knowledge

    return f"写入阅读数 {knowledge.flush_views()} 次"


def _purge() -> str:
    from app.privacy_ops import purge

    return purge(current_app.config["OBJECTION_RETENTION_DAYS"], Path(current_app.config["UPLOAD_ROOT"])).summary()


def _report_deadlines() -> str:
    from app.progress import deadlines

    reminded, overdue = deadlines.run_deadlines()
    return f"提醒填报进展报告 {reminded} 个示范区，标记逾期 {overdue} 个"


# What each kind of subscribe message is, for staff reading dead letters.
MESSAGE_LABELS = {
    "booking.change": "预约变更通知",
    "booking.reminder": "参观提醒",
    "objection.result": "异议处理结果",
    "capacity.alert": "预约容量提醒",
    "campaign.new": "新活动通知",
    "progress.report_due": "季度进展报告到期提醒",
}


def label_of(kind: str, name: str) -> str:
    """A dead letter's name as staff read it."""
    if kind == "message":
        return MESSAGE_LABELS.get(name, name)
    return PERIODIC[name].label if name in PERIODIC else name


PERIODIC: dict[str, Periodic] = {
    job.name: job
    for job in (
        Periodic("outbox.deliver", "发送与重试订阅消息", _deliver_messages, every=timedelta(minutes=1)),
        Periodic("publicity.close_due", "结算到期公示", _close_due, every=timedelta(minutes=5)),
        Periodic("visits.mark_no_shows", "标记爽约", _mark_no_shows, every=timedelta(minutes=15)),
        Periodic("visits.send_reminders", "明日参观提醒", _send_reminders, every=timedelta(minutes=30)),
        Periodic("content.flush_views", "写入文章阅读数", _flush_views, every=timedelta(minutes=5)),
        Periodic("campaigns.rebuild_boards", "重建活动排行榜", _rebuild_boards, daily_at=time(3, 0), timeout=1800),
        Periodic("privacy.purge", "清除过期个人信息", _purge, daily_at=time(3, 30)),
        Periodic("progress.report_deadlines", "季度进展报告提醒与逾期标记", _report_deadlines, daily_at=time(8, 0)),
    )
}


def tick(now: datetime | None = None) -> list[str]:
    """Enqueue every job whose current period nobody has claimed yet; returns their names."""
    now = now or utcnow()
    redis = queue.connection()
    enqueued = []
    for job in PERIODIC.values():
        period, keep = job.period(now)
        if redis.set(f"jobs:claim:{job.name}:{period}", now.isoformat(), nx=True, ex=keep):
            queue.enqueue_job(job.name, period)
            enqueued.append(job.name)
    return enqueued
