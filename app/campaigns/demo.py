"""Demo school campaigns: the first public school zone gets two classes, a running campaign and a
finished one, and six students (nicknames only) with check-ins over several days. Idempotent."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from app import uow
from app.accounts import services as accounts
from app.accounts.models import User
from app.accounts.roles import Role
from app.campaigns import campaigns, catalogue, checkins, lookups, students
from app.campaigns.models import AgeBand, Audience, Campaign, StudentProfile
from app.db_types import utcnow
from app.extensions import db
from app.policies import services as policies
from app.zones.constants import ZoneType
from app.zones.models import Zone

ACTIONS = ["walk", "cycle", "bus", "metro", "lights_off", "clean_plate", "double_sided", "own_bottle", "waste_sorting"]
STUDENTS = [
    ("小林", "三年级一班", AgeBand.FROM_14_TO_17),
    ("小雨", "三年级一班", AgeBand.FROM_14_TO_17),
    ("阿杰", "三年级一班", AgeBand.UNDER_14),
    ("小满", "三年级二班", AgeBand.FROM_14_TO_17),
    ("晨晨", "三年级二班", AgeBand.FROM_14_TO_17),
    ("豆豆", "三年级二班", AgeBand.UNDER_14),
]


def seed_demo_campaigns() -> list[str]:
    catalogue.sync_catalogue(Path(current_app.config["CONTENT_ROOT"]))
    uow.commit()
    school = db.session.scalar(
        select(Zone).where(Zone.type == ZoneType.SCHOOL.value, Zone.published_at.is_not(None)).order_by(Zone.id)
    )
    if school is None:
        return ["no public school zone for demo campaigns"]
    if db.session.scalar(select(Campaign.id).where(Campaign.school_id == school.id)) is not None:
        return [f"demo campaigns of {school.name} already there"]
    admin = db.session.scalar(select(User).where(User.username == "school"))
    lines = []
    if admin is None:
        admin = accounts.create_staff_user(
            "school", "school-demo-2026", Role.SCHOOL_ADMIN, display_name="学校管理员（演示）", school_id=school.id
        )
        lines.append(f"staff account school / school-demo-2026 (school_admin of {school.name})")
    for name in ("三年级一班", "三年级二班"):
        students.create_class(school.id, name, admin)
    today = lookups.today()
    running = campaigns.create_campaign(
        school.id,
        {
            "title": "绿色出行周",
            "description": "步行、骑车、乘公交地铁上学，随手关灯、光盘行动（演示数据）。",
            "starts_on": today - timedelta(days=5),
            "ends_on": today + timedelta(days=9),
            "audience": Audience.SCHOOL.value,
            "actions": ACTIONS,
            "cover_image_url": None,
        },
        admin,
    )
    finished = campaigns.create_campaign(
        school.id,
        {
            "title": "节约用纸月",
            "description": "双面打印、自带水杯（演示数据，已结束）。",
            "starts_on": today - timedelta(days=40),
            "ends_on": today,
            "audience": Audience.ANYONE.value,
            "actions": ["double_sided", "own_bottle"],
            "cover_image_url": None,
        },
        admin,
    )
    # A campaign that has already ended cannot be created: the demo's finished one ends in the past afterwards.
    finished.ends_on = today - timedelta(days=10)
    uow.commit()
    for index, (nickname, class_name, band) in enumerate(STUDENTS):
        user = db.session.scalar(select(User).where(User.openid == f"o_demo_student_{index}"))
        if user is None:
            user = User(openid=f"o_demo_student_{index}")
            db.session.add(user)
            db.session.flush()
        policies.accept_current(user)  # demo students signed in and accepted the privacy policy
        db.session.add(
            StudentProfile(
                user_id=user.id,
                school_id=school.id,
                class_name=class_name,
                age_band=band,
                nickname=nickname,
                confirmed_at=utcnow(),
                confirmed_by_id=admin.id,
            )
        )
        uow.commit()
        campaigns.join(user, running.id)
        for days_ago in range(0, 4 + index % 3):
            day = today - timedelta(days=days_ago)
            action = "clean_plate" if day.weekday() >= 5 else ("walk", "cycle", "bus")[index % 3]
            quantity = Decimal(1) if action == "clean_plate" else Decimal(2 + index % 3)
            checkins.check_in(user, running.id, {"action": action, "quantity": quantity, "day": day})
    lines.append(
        f"demo campaigns at {school.name}: running {running.id}, finished {finished.id}, "
        f"{len(STUDENTS)} students with check-ins"
    )
    return lines
