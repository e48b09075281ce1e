"""What school admins and the education department read about a campaign: participants, check-ins
per day, CO2 avoided per action and per class, and a CSV export. A school admin sees only their school.
Voided check-ins count nowhere here (only their number is given)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from app.accounts.models import User
from app.campaigns.catalogue import action_name, action_names
from app.campaigns.checkins import plain
from app.campaigns.lookups import ensure_may_read_school, get_campaign, reads_nickname_of, staff_display_name
from app.campaigns.models import ActionCheckin, ClassAction, Participation, StudentProfile
from app.csvsafe import safe_row
from app.extensions import db
from app.zones.models import Zone


def campaign_stats(campaign_id: int, actor: User) -> dict[str, Any]:
    """The campaign's figures. Teachers' class actions count wherever students' check-ins do (per day,
    per action, per class, the total), so every breakdown adds up to `co2_kg`; classes are per school
    (an open campaign has students of several schools, whose classes may share a name)."""
    campaign = get_campaign(campaign_id)
    ensure_may_read_school(actor, campaign.school_id)
    participants = db.session.scalar(
        select(func.count()).select_from(Participation).where(Participation.campaign_id == campaign_id)
    )
    counted = (ActionCheckin.campaign_id == campaign_id, ActionCheckin.counts)
    of_campaign = ClassAction.campaign_id == campaign_id
    per_day: dict[Any, dict[str, Any]] = defaultdict(_tally)
    for day, count, co2 in db.session.execute(
        select(ActionCheckin.day, func.count(), func.sum(ActionCheckin.co2_kg))
        .where(*counted)
        .group_by(ActionCheckin.day)
    ):
        _add(per_day[day], "checkins", count, co2)
    for day, count, co2 in db.session.execute(
        select(ClassAction.day, func.count(), func.sum(ClassAction.co2_kg)).where(of_campaign).group_by(ClassAction.day)
    ):
        _add(per_day[day], "class_actions", count, co2)
    per_action: dict[str, dict[str, Any]] = defaultdict(lambda: {**_tally(), "quantity": Decimal(0)})
    for action, count, quantity, co2 in db.session.execute(
        select(ActionCheckin.action, func.count(), func.sum(ActionCheckin.quantity), func.sum(ActionCheckin.co2_kg))
        .where(*counted)
        .group_by(ActionCheckin.action)
    ):
        _add(per_action[action], "checkins", count, co2, quantity)
    for action, count, quantity, co2 in db.session.execute(
        select(ClassAction.action, func.count(), func.sum(ClassAction.quantity), func.sum(ClassAction.co2_kg))
        .where(of_campaign)
        .group_by(ClassAction.action)
    ):
        _add(per_action[action], "class_actions", count, co2, quantity)
    voided = db.session.scalar(
        select(func.count())
        .select_from(ActionCheckin)
        .where(ActionCheckin.campaign_id == campaign_id, ~ActionCheckin.counts)
    )
    per_class: dict[tuple[int | None, str], dict[str, Any]] = defaultdict(_tally)
    for school_id, class_name, count, co2 in db.session.execute(
        select(StudentProfile.school_id, StudentProfile.class_name, func.count(), func.sum(ActionCheckin.co2_kg))
        .join(StudentProfile, StudentProfile.user_id == ActionCheckin.user_id, isouter=True)
        .where(*counted)
        .group_by(StudentProfile.school_id, StudentProfile.class_name)
    ):
        _add(per_class[(school_id, class_name or NO_CLASS)], "checkins", count, co2)
    for school_id, class_name, count, co2 in db.session.execute(
        select(ClassAction.school_id, ClassAction.class_name, func.count(), func.sum(ClassAction.co2_kg))
        .where(of_campaign)
        .group_by(ClassAction.school_id, ClassAction.class_name)
    ):  # a teacher's class action adds to its class
        _add(per_class[(school_id, class_name)], "class_actions", count, co2)
    school_names = _school_names({school_id for school_id, _ in per_class})
    classes = sorted(
        per_class.items(),
        # The campaign's own school first, then the others by name; a student of no school last.
        key=lambda item: (
            item[0][0] != campaign.school_id,
            item[0][0] is None,
            school_names.get(item[0][0], ""),
            item[0][0] or 0,
            item[0][1],
        ),
    )
    return {
        "campaign_id": campaign_id,
        "participants": participants,
        "voided_checkins": voided,  # kept for the record, counted nowhere below
        "co2_kg": _number(sum((t["co2_kg"] for t in per_day.values()), Decimal(0))),
        "checkins_per_day": [{"day": day.isoformat(), **_plain(t)} for day, t in sorted(per_day.items())],
        "per_action": [{"action": action, **_plain(t)} for action, t in sorted(per_action.items())],
        "per_class": [
            {"school_id": school_id, "school_name": school_names.get(school_id), "class_name": class_name, **_plain(t)}
            for (school_id, class_name), t in classes
        ],
    }


NO_CLASS = "未分班"


def _tally() -> dict[str, Any]:
    return {"checkins": 0, "class_actions": 0, "co2_kg": Decimal(0)}


def _add(tally: dict[str, Any], kind: str, count: int, co2, quantity=None) -> None:
    tally[kind] += count
    tally["co2_kg"] += Decimal(co2 or 0)
    if quantity is not None:
        tally["quantity"] += Decimal(quantity or 0)


def _number(value: Decimal) -> float:
    """Summed exactly as Decimals, then one rounding to the stored precision: the parts add up to the whole."""
    return float(value.quantize(Decimal("0.0001")))


def _plain(tally: dict[str, Any]) -> dict[str, Any]:
    return {k: _number(v) if isinstance(v, Decimal) else v for k, v in tally.items()}


def _school_names(school_ids: set[int | None]) -> dict[int, str]:
    ids = [i for i in school_ids if i is not None]
    if not ids:
        return {}
    return dict(db.session.execute(select(Zone.id, Zone.name).where(Zone.id.in_(ids))).all())


def checkins_csv(campaign_id: int, actor: User) -> bytes:
    """Every check-in of the campaign (no names: the student's number, class, nickname; readers other
    than the school's own admins, the institute included, get no nickname of an under-14 without a
    guardian's consent, by the student's own school: lookups.reads_nickname_of)."""
    campaign = get_campaign(campaign_id)
    ensure_may_read_school(actor, campaign.school_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    # 学校 last: the columns before it keep their places for whoever reads them by position.
    writer.writerow(
        ["日期", "学生编号", "班级", "昵称", "行动", "数量", "减排量(kg CO2e，教育性估算)", "积分", "凭证", "学校"]
    )
    names = action_names()
    rows = db.session.execute(
        select(ActionCheckin, StudentProfile, Zone.name)
        .join(StudentProfile, StudentProfile.user_id == ActionCheckin.user_id, isouter=True)
        .join(Zone, Zone.id == StudentProfile.school_id, isouter=True)
        .where(ActionCheckin.campaign_id == campaign_id, ActionCheckin.counts)
        .order_by(ActionCheckin.day, ActionCheckin.id)
    ).all()
    for checkin, profile, school_name in rows:
        # By the student's own school: an open campaign's reader is no admin of another school's children.
        name = staff_display_name(checkin.user_id, profile, school_admin=reads_nickname_of(actor, profile))
        class_name = profile.class_name if profile is not None else None
        writer.writerow(
            safe_row(
                [
                    checkin.day.isoformat(),
                    checkin.user_id,
                    class_name or "",
                    name,
                    action_name(checkin.action, names),
                    plain(checkin.quantity),
                    plain(checkin.co2_kg),
                    plain(checkin.points),
                    checkin.evidence,
                    school_name or "",
                ]
            )
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
