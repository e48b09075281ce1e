"""`flask --app app seed demo`: demo data for a local run. Idempotent: re-running changes nothing."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import User
from app.accounts.roles import Department, Role

# Demo staff accounts (development only; the README lists them).
DEMO_STAFF = [
    ("admin", "admin-demo-2026", Role.ADMIN, None, "系统管理员"),
    ("institute", "institute-demo-2026", Role.INSTITUTE_STAFF, None, "碳中和研究院 王老师"),
    (
        "housing",
        "housing-demo-2026",
        Role.DEPARTMENT_OFFICER,
        Department.HOUSING_CONSTRUCTION,
        "住建局 李科长",
    ),
]


def seed_demo() -> Iterator[str]:
    from app.extensions import db

    for username, password, role, department, name in DEMO_STAFF:
        if db.session.scalar(select(User.id).where(User.username == username)) is None:
            accounts.create_staff_user(username, password, role, display_name=name, department=department)
            yield f"staff account {username} / {password} ({role.value})"
        else:
            yield f"staff account {username} already there"

    from app.zones.demo import seed_demo_zones

    yield from seed_demo_zones()

    from flask import current_app

    from app.publicity.demo import seed_demo_publicity

    yield from seed_demo_publicity(current_app.config["APP_TIMEZONE"])

    from app.progress.demo import seed_demo_progress

    yield from seed_demo_progress()

    from pathlib import Path

    from app.knowledge import services as knowledge

    report = knowledge.sync(Path(current_app.config["CONTENT_ROOT"]))
    yield f"articles: {len(report.created)} created, {len(report.updated)} updated, {len(report.unchanged)} unchanged"

    from app.visits.demo import seed_demo_bases

    yield from seed_demo_bases()

    from app.campaigns.demo import seed_demo_campaigns

    yield from seed_demo_campaigns()
