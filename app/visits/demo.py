"""Demo bases for `seed demo`: two titled zones opened as education bases, slots for the next 14
days, a few bookings, and a demo base operator."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select

from app import uow
from app.accounts import services as accounts
from app.accounts.models import User
from app.accounts.roles import Role
from app.extensions import db
from app.policies import services as policies
from app.visits import booking, calendar
from app.visits.models import BaseProfile, Booking, Slot
from app.visits.rules import rules
from app.zones.constants import Status
from app.zones.models import Zone

NOTES = (
    "请携带本人身份证件，提前 10 分钟到达，凭预约核验码入馆。馆内请勿吸烟、勿大声喧哗；"
    "团体参观请至少每 10 名未成年人配 1 名成人带队。（演示数据）"
)
RULES = "周二至周日开放，周一闭馆（法定节假日除外）。每日 8:00 放出第 7 天的号源；开始前 2 小时可取消。"

# (visitor id numbers are test data that pass the checksum)
DEMO_VISITORS = [("王小明", "220102199003071235", "13900001111"), ("李华", "22010419851120002X", "13900002222")]


def seed_demo_bases() -> list[str]:
    r = rules()
    titled = list(
        db.session.scalars(
            select(Zone).where(Zone.status == Status.TITLED.value).order_by(Zone.is_education_base.desc(), Zone.id)
        )
    )[:2]
    if len(titled) < 2:
        return ["no titled zones for demo bases"]
    lines = []
    for zone in titled:
        zone.is_education_base = True
        if db.session.get(BaseProfile, zone.id) is None:
            db.session.add(
                BaseProfile(
                    zone_id=zone.id,
                    visitor_notes=NOTES,
                    opening_rules=RULES,
                    contact_phone="0431-88880000",
                    booking_days_ahead=7,
                    release_hour=8,
                )
            )
    uow.commit()

    operator = db.session.scalar(select(User).where(User.username == "operator"))
    if operator is None:
        operator = accounts.create_staff_user(
            "operator",
            "operator-demo-2026",
            Role.BASE_OPERATOR,
            display_name="基地管理员（演示）",
            base_id=titled[0].id,
        )
        lines.append(f"staff account operator / operator-demo-2026 (base_operator of base {titled[0].id})")

    start = r.today() + timedelta(days=1)
    spec = {
        "from": start,
        "to": start + timedelta(days=13),
        "weekdays": [2, 3, 4, 5, 6, 7],
        "times": [{"start": time(9), "end": time(10, 30)}, {"start": time(14), "end": time(15, 30)}],
        "capacity": 30,
        "group_capacity": 60,
    }
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    for zone in titled:
        created = calendar.create_slots(zone.id, spec, admin)
        lines.append(f"base {zone.name}: {len(created)} new slots")

    citizen = db.session.scalar(select(User).where(User.openid == "o_fake_demo"))
    if citizen is not None:
        policies.accept_current(citizen)  # the demo citizen accepted the privacy policy before booking
    if citizen is not None and not db.session.scalar(select(Booking.id).where(Booking.user_id == citizen.id)):
        first_slots = db.session.scalars(
            select(Slot).where(Slot.base_id == titled[0].id, Slot.visit_date >= start).order_by(Slot.starts_at).limit(2)
        ).all()
        for slot, person in zip(first_slots, DEMO_VISITORS, strict=False):
            booking.book(
                citizen,
                {"slot_id": slot.id, "visitors": [dict(zip(("name", "id_number", "phone"), person, strict=True))]},
                r,
            )
        uow.commit()
        lines.append(f"{len(first_slots)} demo bookings")
    return lines
