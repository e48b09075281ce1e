"""The RQ side: one queue in Redis, the job entry point, the worker.

Jobs carry only a name (and the period they run for): the worker looks the work up in
app.jobs.schedule.PERIODIC, so nothing pickled outlives a deploy. A run that raises is retried
(RETRY); when the last retry fails too it is recorded as a dead letter in the database."""

from __future__ import annotations

import json
import logging
from datetime import datetime

import redis as redis_lib
from flask import current_app
from rq import Queue, Retry, SimpleWorker, get_current_job

from app import uow
from app.db_types import utcnow
from app.extensions import db
from app.jobs.models import record_dead_letter

log = logging.getLogger(__name__)
QUEUE_NAME = "lowcarbon"
RETRY_INTERVALS = [30, 120, 600]  # seconds before the 2nd, 3rd and 4th try
STATS_KEY = "jobs:stats"  # "runs <job> <outcome>" -> count, "last_ok <job>" -> Unix time


def redis_url() -> str | None:
    """The job queue's Redis: JOBS_REDIS_URL, by default REDIS_URL."""
    return current_app.config.get("JOBS_REDIS_URL") or current_app.config.get("REDIS_URL")


def connection(*, blocking: bool = False) -> redis_lib.Redis:
    """The job queue's Redis (redis_url()). Without one, the in-process stand-in: enough for tests
    and a single process, not for a worker of its own."""
    url = redis_url()
    if not url:
        return current_app.extensions["kv"]
    key = "jobs_redis_blocking" if blocking else "jobs_redis"
    client = current_app.extensions.get(key)
    if client is None:
        # The worker waits on the queue with a blocking pop: no socket timeout for it. Enqueuers
        # (the scheduler, a staff retry) must not hang on a dead Redis.
        client = redis_lib.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=None if blocking else 5)
        current_app.extensions[key] = client
    return client


def workers_state() -> str:
    """Whether anything runs the jobs: "no_redis" (no queue Redis configured: no worker can run),
    "unreachable", "no_worker" (Redis, but no worker registered) or "running"."""
    from rq import Worker

    if not redis_url():
        return "no_redis"
    try:
        return "running" if Worker.count(connection=connection()) else "no_worker"
    except redis_lib.RedisError:
        return "unreachable"


def queue(*, blocking: bool = False) -> Queue:
    return Queue(QUEUE_NAME, connection=connection(blocking=blocking))


def enqueue_job(name: str, period: str) -> str:
    # The schedule imports this module to enqueue; the queue looks jobs up in it only when it runs.
    from app.jobs.schedule import PERIODIC

    job = queue().enqueue(
        run_job,
        name,
        period,
        job_timeout=PERIODIC[name].timeout,
        result_ttl=86400,
        failure_ttl=7 * 86400,
        retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
        description=f"{name} ({period})",
    )
    return job.id


def run_job(name: str, period: str) -> str:
    """The entry point RQ calls (in the worker, inside the app context)."""
    from app.jobs.schedule import PERIODIC

    rq_job = get_current_job()
    started = utcnow()
    try:
        summary = PERIODIC[name].run()
    except Exception as exc:
        db.session.rollback()
        uow.discard()
        last_try = rq_job is None or not rq_job.retries_left
        _remember(name, period, started, "failed", f"{type(exc).__name__}: {exc}")
        if last_try:
            try:
                record_dead_letter("job", name, f"{type(exc).__name__}: {exc}", len(RETRY_INTERVALS) + 1)
                uow.commit()
            except Exception:  # noqa: BLE001 - the database may be what failed; RQ keeps the failure too
                log.exception("job %s: could not record its dead letter", name)
                db.session.rollback()
        raise
    finally:
        db.session.remove()
    _remember(name, period, started, "ok", summary)
    log.info("job %s (%s): %s", name, period, summary)
    return summary


def run_here(name: str) -> str:
    """One run in this process (`jobs run NAME`, e.g. from cron), recorded as the job's last run as a
    worker's is, so staff see it; no retries, no dead letter (cron runs it again next period)."""
    from app.jobs.schedule import PERIODIC

    started = utcnow()
    try:
        summary = PERIODIC[name].run()
    except Exception as exc:
        db.session.rollback()
        uow.discard()
        _remember(name, "manual", started, "failed", f"{type(exc).__name__}: {exc}")
        raise
    _remember(name, "manual", started, "ok", summary)
    return summary


def last_runs() -> dict[str, dict]:
    """Each job's last run as the workers recorded it (for the staff view)."""
    from app.jobs.schedule import PERIODIC

    try:
        raw = connection().hgetall("jobs:last")
    except redis_lib.RedisError:
        return {}
    runs = {(k.decode() if isinstance(k, bytes) else k): json.loads(v) for k, v in raw.items()}
    for run in runs.values():
        run["started_at"] = datetime.fromisoformat(run["started_at"])
        run["finished_at"] = datetime.fromisoformat(run["finished_at"])
    return {name: runs.get(name) for name in PERIODIC}


def _remember(name: str, period: str, started, outcome: str, summary: str) -> None:
    """The job's last run (for staff), and its counts for the metrics (job_stats)."""
    finished = utcnow()
    try:
        with connection().pipeline(transaction=False) as pipe:
            pipe.hset(
                "jobs:last",
                name,
                json.dumps(
                    {
                        "period": period,
                        "started_at": started.isoformat(),
                        "finished_at": finished.isoformat(),
                        "outcome": outcome,
                        "summary": summary[:300],
                    }
                ),
            )
            pipe.hincrby(STATS_KEY, f"runs {name} {outcome}", 1)
            if outcome == "ok":
                pipe.hset(STATS_KEY, f"last_ok {name}", finished.timestamp())
            pipe.execute()
    except redis_lib.RedisError:
        log.warning("job %s: could not record its last run (Redis)", name)


def job_stats() -> dict:
    """What every worker recorded (app.metrics reads it at scrape time): runs by (job, outcome), and
    each job's last good run (Unix time). Raises RedisError when the queue's Redis is away."""
    runs: dict[tuple[str, str], int] = {}
    last_ok: dict[str, float] = {}
    for field, value in connection().hgetall(STATS_KEY).items():
        kind, _, rest = (field.decode() if isinstance(field, bytes) else field).partition(" ")
        if kind == "runs":
            name, _, outcome = rest.rpartition(" ")
            runs[(name, outcome)] = int(value)
        elif kind == "last_ok":
            last_ok[rest] = float(value)
    return {"runs": runs, "last_ok": last_ok}


def worker_count() -> int | None:
    """Workers registered with the queue (None without a queue Redis of its own: none can run)."""
    from rq import Worker

    if not redis_url():
        return None
    return Worker.count(connection=connection())


def work(*, burst: bool = False) -> bool:
    """Run jobs until stopped (burst: until the queue is empty). SimpleWorker runs each job in this
    process, inside the app context the CLI pushed: one database pool, no fork."""
    worker = SimpleWorker([queue(blocking=True)], connection=connection(blocking=True))
    return worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")
