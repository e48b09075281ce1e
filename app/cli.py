"""`flask --app app …` commands (docs/api.md: Names operators rely on), registered by the factory."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from app.accounts import services as accounts
from app.accounts.roles import Role
from app.errors import AppError

seed_cli = AppGroup("seed", help="Load data.")
users_cli = AppGroup("users", help="Manage staff accounts.")
wechat_cli = AppGroup("wechat", help="WeChat tools.")
publicity_cli = AppGroup("publicity", help="Publicity notices and objections.")
openapi_cli = AppGroup("openapi", help="The OpenAPI document of both APIs.")


@openapi_cli.command("write")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def openapi_write(path: str) -> None:
    """Write the OpenAPI document (as served at /api/openapi.json) to PATH, without a running server;
    `-` writes to standard output. The front end generates its API types from it (npm run gen:api)."""
    import json

    from app.web.api import api

    text = json.dumps(api.spec.to_dict(), ensure_ascii=False, indent=2) + "\n"
    if path == "-":
        click.echo(text, nl=False)
        return
    Path(path).write_text(text, encoding="utf-8")
    click.echo(f"OpenAPI document written to {path}")


@publicity_cli.command("close-due")
def close_due() -> None:
    """Settle every publicity window that has ended (idempotent; safe to run from cron on several hosts)."""
    from app.publicity import settling

    reports = settling.close_due()
    for r in reports:
        click.echo(f"notice {r.notice_id}: confirmed {r.confirmed}, rejected {r.rejected}, waiting {r.waiting}")
    click.echo(f"{len(reports)} notice(s) settled")


@publicity_cli.command("purge-personal-data")
@click.option("--days", type=int, default=None, help="Default: OBJECTION_RETENTION_DAYS")
def purge_personal_data(days: int | None) -> None:
    """Empty objectors' personal data N days after their objection was settled (counts stay)."""
    from flask import current_app

    from app.publicity import settling

    days = days if days is not None else current_app.config["OBJECTION_RETENTION_DAYS"]
    purged = settling.purge_personal_data(days, Path(current_app.config["UPLOAD_ROOT"]))
    click.echo(f"{purged} objection(s) purged (settled more than {days} days ago)")


@seed_cli.command("demo")
def seed_demo() -> None:
    """Demo data for a local run (idempotent)."""
    from app.seed import seed_demo as run

    for line in run():
        click.echo(line)


@users_cli.command("create-admin")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--display-name", default=None)
def create_admin(username: str, password: str, display_name: str | None) -> None:
    """Create a staff admin account."""
    try:
        user = accounts.create_staff_user(username, password, Role.ADMIN, display_name=display_name)
    except AppError as exc:
        raise click.ClickException(f"{exc.message} {exc.details or ''}".strip()) from exc
    click.echo(f"created admin {user.username} (id {user.id})")


@users_cli.command("set-password")
@click.option("--username", required=True)
@click.option("--password", required=True)
def set_password(username: str, password: str) -> None:
    """Give a staff account a new password (forgotten or leaked): its sessions end, its lock-outs lift."""
    user = accounts.staff_user_named(username)
    if user is None:
        raise click.ClickException(f"no staff account named {username}")
    try:
        accounts.set_password(user, password, None)
    except AppError as exc:
        raise click.ClickException(f"{exc.message} {exc.details or ''}".strip()) from exc
    click.echo(f"{user.username}: new password set; every session ended")


@users_cli.command("unlock")
@click.option("--username", required=True)
def unlock(username: str) -> None:
    """Lift a staff username's lock-out after wrong passwords, from every address (e.g. the only admin's)."""
    removed = accounts.unlock(username)
    click.echo(f"{username}: {removed} lock-out record(s) cleared")


@wechat_cli.command("fake")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
def wechat_fake(host: str, port: int) -> None:
    """Run the bundled fake WeChat API server."""
    from werkzeug.serving import run_simple

    from app.wechat.fake import create_fake_wechat_app

    click.echo(f"fake WeChat API on http://{host}:{port}")
    run_simple(host, port, create_fake_wechat_app(), threaded=True)


visits_cli = AppGroup("visits", help="Education-base visits.")


@visits_cli.command("mark-no-shows")
def mark_no_shows() -> None:
    """Mark bookings of ended slots without check-in as no-shows; suspend repeat no-shows."""
    from app.visits import noshows

    marked, suspended = noshows.mark_no_shows()
    click.echo(f"{marked} booking(s) marked as no-show, {suspended} user(s) suspended")


@visits_cli.command("send-reminders")
def send_reminders() -> None:
    """Remind tomorrow's visitors (safe to run twice: each booking is reminded once)."""
    from app.visits import noshows

    click.echo(f"{noshows.send_reminders()} reminder(s) queued")


content_cli = AppGroup("content", help="Knowledge articles in content/.")


@content_cli.command("sync")
@click.option("--force", is_flag=True, help="Also overwrite articles edited in the staff console.")
def content_sync(force: bool) -> None:
    """Publish content/ into the database (all or nothing; idempotent)."""
    from pathlib import Path

    from flask import current_app

    from app.knowledge import services as knowledge

    try:
        report = knowledge.sync(Path(current_app.config["CONTENT_ROOT"]), force=force)
    except knowledge.ContentInvalid as exc:
        for problem in exc.details["problems"]:
            click.echo(f"{problem['file']}: {problem['field']}: {problem['message']}", err=True)
        raise click.ClickException(f"{len(exc.details['problems'])} problem(s); nothing was published") from exc
    click.echo(
        f"created {len(report.created)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}, "
        f"unpublished {len(report.unpublished)}, kept staff edits {len(report.skipped_staff_edited)}, "
        f"policy versions published {len(report.policies_published)}"
    )
    for slug in report.skipped_staff_edited:
        click.echo(f"  kept (edited by staff; --force to overwrite): {slug}")

    from app import uow
    from app.campaigns import catalogue

    try:
        count = catalogue.sync_catalogue(Path(current_app.config["CONTENT_ROOT"]))
    except catalogue.CatalogueInvalid as exc:
        for problem in exc.details["problems"]:
            click.echo(problem, err=True)
        raise click.ClickException("green-action catalogue has problems; not published") from exc
    uow.commit()
    click.echo(f"green actions: {count} factor record(s)")


campaigns_cli = AppGroup("campaigns", help="School campaigns.")


@campaigns_cli.command("rebuild-boards")
def rebuild_boards() -> None:
    """Recompute every leaderboard from the database (the source of truth)."""
    from app.campaigns import boards

    click.echo(f"{boards.rebuild_all()} campaign board(s) rebuilt from the database")


@content_cli.command("flush-views")
def content_flush_views() -> None:
    """Move view counts from Redis to the database."""
    from app.knowledge import services as knowledge

    click.echo(f"{knowledge.flush_views()} view(s) flushed")


privacy_cli = AppGroup("privacy", help="Personal data at rest: key rotation, purging.")


@privacy_cli.command("rotate")
def privacy_rotate() -> None:
    """Re-encrypt all personal data with the first of PERSONAL_DATA_KEYS and recompute blind indexes."""
    from app.privacy_ops import rotate_keys

    report = rotate_keys()
    click.echo(
        f"{report.values} value(s) re-encrypted with the newest key, {report.indexes} blind index(es) recomputed"
    )


@privacy_cli.command("purge")
@click.option("--days", type=int, default=None, help="Objection retention; default: OBJECTION_RETENTION_DAYS")
def privacy_purge(days: int | None) -> None:
    """Daily: delete expired idempotency records and old login failures, purge objections past their retention."""
    from flask import current_app

    from app.privacy_ops import purge

    days = days if days is not None else current_app.config["OBJECTION_RETENTION_DAYS"]
    report = purge(days, Path(current_app.config["UPLOAD_ROOT"]))
    click.echo(
        f"{report.idempotency_records} expired idempotency record(s) deleted, "
        f"{report.login_lockouts} old login failure record(s) deleted, "
        f"{report.objections} objection(s) purged (settled more than {days} days ago, or of deleted accounts), "
        f"{report.bookings} booking(s)' visitors, {report.waitlist_requests} waiting request(s) and "
        f"{report.checkin_posts} check-in note(s)/photo(s) purged"
    )


jobs_cli = AppGroup("jobs", help="Background jobs (RQ on Redis): worker, scheduler, one-off runs.")


def _needs_queue(who: str) -> None:
    from app.jobs import queue

    if not queue.redis_url():
        raise click.ClickException(f"{who} needs REDIS_URL (the queue is in Redis)")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def jobs_worker(burst: bool) -> None:
    """Run queued jobs (and their retries) until stopped. Run one or more per machine."""
    from app.jobs import queue

    _needs_queue("the job worker")
    queue.work(burst=burst)


@jobs_cli.command("scheduler")
@click.option("--interval", default=15, show_default=True, type=int, help="Seconds between ticks.")
def jobs_scheduler(interval: int) -> None:
    """Enqueue periodic jobs as they fall due, forever. Safe on every machine at once: each
    period's run is claimed in Redis, so it is enqueued once."""
    import time

    from app.jobs import schedule

    _needs_queue("the scheduler")
    while True:
        try:
            for name in schedule.tick():
                click.echo(f"enqueued {name}")
        except Exception as exc:  # noqa: BLE001 - Redis away for a moment: try again next tick
            click.echo(f"tick failed: {type(exc).__name__}: {exc}", err=True)
        time.sleep(interval)


@jobs_cli.command("tick")
def jobs_tick() -> None:
    """Enqueue what is due now, once (for a cron line instead of `jobs scheduler`)."""
    from app.jobs import schedule

    names = schedule.tick()
    click.echo(f"enqueued {len(names)} job(s): {', '.join(names) or '-'}")


@jobs_cli.command("run")
@click.argument("name")
def jobs_run(name: str) -> None:
    """Run one job now in this process, without the queue (e.g. outbox.deliver); recorded as its last run."""
    from app.jobs import queue
    from app.jobs.schedule import PERIODIC

    if name not in PERIODIC:
        raise click.ClickException(f"unknown job {name}; known: {', '.join(PERIODIC)}")
    click.echo(queue.run_here(name))


@jobs_cli.command("list")
def jobs_list() -> None:
    """The periodic jobs, how often they run, and their last run."""
    from app.jobs import queue
    from app.jobs.schedule import PERIODIC

    runs = queue.last_runs()
    for job in PERIODIC.values():
        last = runs.get(job.name)
        click.echo(
            f"{job.name:<30} {job.describe():<12} "
            + (f"{last['outcome']} {last['finished_at']}: {last['summary']}" if last else "not run yet")
        )


def register_commands(app: Flask) -> None:
    for group in (
        seed_cli,
        users_cli,
        wechat_cli,
        publicity_cli,
        openapi_cli,
        visits_cli,
        content_cli,
        privacy_cli,
        campaigns_cli,
        jobs_cli,
    ):
        app.cli.add_command(group)
