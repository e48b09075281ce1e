"""What school admins and the education department read about a campaign: participants, check-ins
per day, CO2 avoided per action and per class, and a CSV export. A school admin sees only their school.
Voided check-ins count nowhere here (only their number is given)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Any

from sqlalchemy import func, select

from app.accounts.models import User
from app.campaigns.catalogue import action_name, action_names
from app.campaigns.checkins import plain
from app.campaigns.lookups import ensure_may_read_school, get_campaign, reads_every_nickname, staff_display_name
from app.campaigns.models import ActionCheckin, ClassAction, Participation, StudentProfile
from app.csvsafe import safe_row
from app.extensions import db


def campaign_stats(campaign_id: int, actor: User) -> dict[str, Any]:
    campaign = get_campaign(campaign_id)
    ensure_may_read_school(actor, campaign.school_id)
    participants = db.session.scalar(
        select(func.count()).select_from(Participation).where(Participation.campaign_id == campaign_id)
    )
    per_day = db.session.execute(
        select(ActionCheckin.day, func.count(), func.sum(ActionCheckin.co2_kg))
        .where(ActionCheckin.campaign_id == campaign_id, ActionCheckin.counts)
        .group_by(ActionCheckin.day)
        .order_by(ActionCheckin.day)
    ).all()
    per_action = db.session.execute(
        select(ActionCheckin.action, func.count(), func.sum(ActionCheckin.quantity), func.sum(ActionCheckin.co2_kg))
        .where(ActionCheckin.campaign_id == campaign_id, ActionCheckin.counts)
        .group_by(ActionCheckin.action)
        .order_by(ActionCheckin.action)
    ).all()
    voided = db.session.scalar(
        select(func.count())
        .select_from(ActionCheckin)
        .where(ActionCheckin.campaign_id == campaign_id, ~ActionCheckin.counts)
    )
    per_class: dict[str, dict[str, float]] = defaultdict(lambda: {"checkins": 0, "co2_kg": 0.0, "class_actions": 0})
    rows = db.session.execute(
        select(StudentProfile.class_name, func.count(), func.sum(ActionCheckin.co2_kg))
        .join(StudentProfile, StudentProfile.user_id == ActionCheckin.user_id, isouter=True)
        .where(ActionCheckin.campaign_id == campaign_id, ActionCheckin.counts)
        .group_by(StudentProfile.class_name)
    ).all()
    for class_name, count, co2 in rows:
        per_class[class_name or "未分班"] = {"checkins": count, "co2_kg": float(co2 or 0), "class_actions": 0}
    class_rows = db.session.execute(
        select(ClassAction.class_name, func.count(), func.sum(ClassAction.co2_kg))
        .where(ClassAction.campaign_id == campaign_id)
        .group_by(ClassAction.class_name)
    ).all()
    for class_name, count, co2 in class_rows:  # a teacher's class action adds to its class
        entry = per_class[class_name]
        entry["class_actions"] = count
        entry["co2_kg"] = round(entry["co2_kg"] + float(co2 or 0), 4)
    return {
        "campaign_id": campaign_id,
        "participants": participants,
        "voided_checkins": voided,  # kept for the record, counted nowhere below
        "checkins_per_day": [{"day": d.isoformat(), "checkins": n, "co2_kg": float(c or 0)} for d, n, c in per_day],
        "per_action": [
            {"action": a, "checkins": n, "quantity": float(q or 0), "co2_kg": float(c or 0)}
            for a, n, q, c in per_action
        ],
        "per_class": [{"class_name": k, **v} for k, v in sorted(per_class.items())],
    }


def checkins_csv(campaign_id: int, actor: User) -> bytes:
    """Every check-in of the campaign (no names: the student's number, class, nickname; readers other
    than the school's own admins, the institute included, get no nickname of an under-14 without a
    guardian's consent: lookups.reads_every_nickname)."""
    campaign = get_campaign(campaign_id)
    ensure_may_read_school(actor, campaign.school_id)
    school_admin = reads_every_nickname(actor, campaign.school_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["日期", "学生编号", "班级", "昵称", "行动", "数量", "减排量(kg CO2e，教育性估算)", "积分", "凭证"])
    names = action_names()
    rows = db.session.execute(
        select(ActionCheckin, StudentProfile)
        .join(StudentProfile, StudentProfile.user_id == ActionCheckin.user_id, isouter=True)
        .where(ActionCheckin.campaign_id == campaign_id, ActionCheckin.counts)
        .order_by(ActionCheckin.day, ActionCheckin.id)
    ).all()
    for checkin, profile in rows:
        name = staff_display_name(checkin.user_id, profile, school_admin=school_admin)
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
                ]
            )
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
