"""Demo publicity for `seed demo`: one notice open now with objections in several states, one
closed notice with its outcome. Built on the demo zones (app.zones.demo)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from app import uow
from app.accounts.models import User
from app.db_types import utcnow
from app.extensions import db
from app.publicity import calendar
from app.publicity.constants import DEFAULT_OFFICE, DEFAULT_POLICY, NoticeState, ObjectionStatus
from app.publicity.models import NoticeZone, Objection, ObjectionEvent, PublicityNotice
from app.wechat.services import ContentCheck
from app.zones.constants import Status
from app.zones.models import Zone, ZoneTransition

OPEN_TITLE = "2025 年度长春市低碳排放示范区项目公示（第二批）"
CLOSED_TITLE = "2025 年度长春市低碳排放示范区项目公示（第一批）"

REPLIES = {
    ObjectionStatus.ACCEPTED: "您的异议已受理，我们将组织核实。",
    ObjectionStatus.NOT_ACCEPTED: "异议未提供具体事实和联系方式以外的依据，不予受理。",
    ObjectionStatus.INVESTIGATING: "已转主管部门现场核实，请耐心等待。",
    ObjectionStatus.UPHELD: "经现场核实，申报的能耗数据与实际不符，异议成立。",
    ObjectionStatus.NOT_UPHELD: "经核实，申报材料真实，异议不成立。",
}
PATHS = {
    ObjectionStatus.RECEIVED: [],
    ObjectionStatus.ACCEPTED: [ObjectionStatus.ACCEPTED],
    ObjectionStatus.NOT_ACCEPTED: [ObjectionStatus.NOT_ACCEPTED],
    ObjectionStatus.INVESTIGATING: [ObjectionStatus.ACCEPTED, ObjectionStatus.INVESTIGATING],
    ObjectionStatus.UPHELD: [ObjectionStatus.ACCEPTED, ObjectionStatus.INVESTIGATING, ObjectionStatus.UPHELD],
    ObjectionStatus.NOT_UPHELD: [ObjectionStatus.ACCEPTED, ObjectionStatus.INVESTIGATING, ObjectionStatus.NOT_UPHELD],
}


def _demo_citizen() -> User:
    user = db.session.scalar(select(User).where(User.openid == "o_fake_demo"))
    if user is None:
        user = User(openid="o_fake_demo", display_name="演示市民")
        db.session.add(user)
        db.session.flush()
    return user


def _objection(notice: PublicityNotice, zone: Zone, user: User, final: ObjectionStatus, at: datetime) -> None:
    objection = Objection(
        user_id=user.id,
        notice_id=notice.id,
        zone_id=zone.id,
        name="王小明",
        phone="13900001111",
        reason=f"对“{zone.name}”申报的碳排放基准数据有疑问，请核实（演示数据）。",
        evidence_urls=[],
        status=final.value,
        content_check=ContentCheck.PASS,
        needs_review=False,
        created_at=at,
        updated_at=at,
    )
    db.session.add(objection)
    db.session.flush()
    objection.receipt_no = f"YY{at.year}-{objection.id:06d}"
    objection.events.append(ObjectionEvent(to_status="received", reply="异议已收到，将依法依规处理。", at=at))
    previous = ObjectionStatus.RECEIVED
    # A day between steps, or less when the objection is more recent: no step happens after now.
    gap = min(timedelta(days=1), (utcnow() - at) / (len(PATHS[final]) + 1))
    for step, status in enumerate(PATHS[final], start=1):
        when = at + gap * step
        objection.events.append(
            ObjectionEvent(from_status=previous.value, to_status=status.value, reply=REPLIES[status], at=when)
        )
        previous = status
        if status in (ObjectionStatus.UPHELD, ObjectionStatus.NOT_UPHELD, ObjectionStatus.NOT_ACCEPTED):
            objection.settled_at = when


def seed_demo_publicity(timezone: str) -> list[str]:
    lines = []
    titles = set(db.session.scalars(select(PublicityNotice.title)))
    user = _demo_citizen()
    zones_2025 = list(db.session.scalars(select(Zone).where(Zone.batch_year == 2025).order_by(Zone.id)))

    if CLOSED_TITLE not in titles:
        settled = [z for z in zones_2025 if z.status in (Status.CONFIRMED.value, Status.REJECTED.value)]
        starts = datetime(2025, 6, 2, tzinfo=UTC) - timedelta(hours=8)
        notice = PublicityNotice(
            title=CLOSED_TITLE,
            batch_year=2025,
            starts_at=starts,
            ends_at=starts + timedelta(days=5),
            office_name=DEFAULT_OFFICE,
            office_phone="0431-88888888",
            policy=DEFAULT_POLICY,
            state=NoticeState.PUBLISHED,
            published_at=starts,
            closed_at=starts + timedelta(days=5),
        )
        notice.entries = [
            NoticeZone(
                zone_id=z.id,
                outcome="rejected" if z.status == Status.REJECTED.value else "confirmed",
                settled_at=starts + timedelta(days=5),
            )
            for z in settled
        ]
        db.session.add(notice)
        db.session.flush()
        confirmed = [z for z in settled if z.status == Status.CONFIRMED.value]
        for zone in settled:
            if zone in confirmed[1:]:
                continue  # most confirmed zones had no objection at all
            final = ObjectionStatus.UPHELD if zone.status == Status.REJECTED.value else ObjectionStatus.NOT_UPHELD
            _objection(notice, zone, user, final, starts + timedelta(days=1))
        lines.append(f"closed publicity notice with {len(settled)} zones")

    if OPEN_TITLE not in titles:
        listed = [z for z in zones_2025 if z.status == Status.PUBLICITY.value]
        now = utcnow()
        starts, ends = calendar.window((now - timedelta(days=2)).date(), 7, timezone)
        notice = PublicityNotice(
            title=OPEN_TITLE,
            batch_year=2025,
            starts_at=starts,
            ends_at=ends,
            office_name=DEFAULT_OFFICE,
            office_phone="0431-88888888",
            office_address="长春市南关区人民大街（演示地址）",
            policy=DEFAULT_POLICY,
            state=NoticeState.PUBLISHED,
            published_at=starts,
        )
        notice.entries = [NoticeZone(zone_id=z.id) for z in listed]
        db.session.add(notice)
        db.session.flush()
        # Their timelines say they entered publicity as this notice opened (the zones' demo dated it in 2025).
        db.session.execute(
            update(ZoneTransition)
            .where(
                ZoneTransition.zone_id.in_([z.id for z in listed]), ZoneTransition.to_status == Status.PUBLICITY.value
            )
            .values(occurred_at=starts)
        )
        finals = [
            ObjectionStatus.RECEIVED,
            ObjectionStatus.ACCEPTED,
            ObjectionStatus.INVESTIGATING,
            ObjectionStatus.NOT_ACCEPTED,
        ]
        for zone, final in zip(listed, finals, strict=False):
            _objection(notice, zone, user, final, now - timedelta(days=1, hours=2))
        lines.append(f"open publicity notice with {len(listed)} zones, until {ends.isoformat()}")
    uow.commit()
    return lines or ["demo publicity already there"]
