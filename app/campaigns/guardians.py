"""A guardian's consent for a child under 14 (PIPL art. 31), given in the guardian's own WeChat.

The student asks for a one-time link (7 days, one use; only its hash is kept) and shares it as a card;
the guardian opens it in their own mini-program, sees exactly what would be public and what never
is, and consents for that one child with their relationship to it; they can list their consents and
withdraw any at any time, which takes the child off public boards at once. The school admin's
recorded signed statement (students.record_guardian_consent) stays the other way to consent."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from app import uow
from app.accounts.models import User
from app.audit import services as audit
from app.campaigns import boards
from app.campaigns.lookups import display_name, student_of, student_of_id
from app.campaigns.models import (
    RELATIONSHIP_LABELS,
    ActionCheckin,
    AgeBand,
    ConsentMethod,
    GuardianConsent,
    GuardianLink,
    StudentProfile,
)
from app.db_types import utcnow
from app.errors import AppError, Conflict, Forbidden, NotFound
from app.extensions import db
from app.zones.models import Zone

LINK_VALID_FOR = timedelta(days=7)

# What a guardian is shown before consenting: what anyone will see (public boards), what the school's
# students will see (their posts: moderation.shown_to), and what is never shown.
PUBLIC_FIELDS = ["昵称", "班级", "学校", "活动积分与减排量"]
SCHOOLMATES_SEE = ["打卡时写的话和上传的照片（“同学分享”中，学校可隐藏）"]
NEVER_PUBLIC = ["真实姓名", "微信头像", "手机号与证件号码", "年龄段", "以上之外的任何个人信息"]


# A child of 14 or more consents for themselves (PIPL art. 31): said by the link and the school's statement alike.
CONSENT_NOT_NEEDED = "年满 14 周岁的学生无需监护人同意"


class LinkGone(AppError):
    status = 410


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def create_link(student: User) -> tuple[str, GuardianLink]:
    """Use case: an under-14 student asks for a code to share with a guardian (each call a new code;
    a child may send one to each parent)."""
    profile = student_of(student)
    if profile is None:
        raise Forbidden("请先在“我的”中选择学校与班级", code="not_a_student")
    if profile.age_band != AgeBand.UNDER_14:
        raise Conflict(CONSENT_NOT_NEEDED, code="guardian_consent_not_needed")
    code = _new_code()
    link = GuardianLink(student_id=student.id, code_hash=_hash(code), expires_at=utcnow() + LINK_VALID_FOR)
    db.session.add(link)
    uow.commit()
    return code, link


# A parent may have to type the code the child read out or sent: 16 characters of Crockford's base32
# (no I, L, O, U to mistake for 1, 0 or each other; 80 bits), in groups of four, any case, spaces and
# dashes or not.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _new_code() -> str:
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def _as_typed(code: str) -> str:
    """The code as sent, read the way a phone may have typed or pasted it: full-width letters and
    digits (a Chinese keyboard) are the ASCII ones, and spaces around it go."""
    return unicodedata.normalize("NFKC", code).strip()


def _as_grouped(code: str) -> str:
    """A code of this alphabet however typed (lower case, spaces or dashes anywhere) as it was made."""
    plain = re.sub(r"[\s\-]", "", _as_typed(code)).upper()
    return "-".join(plain[i : i + 4] for i in range(0, len(plain), 4))


def _open_link(code: str, guardian: User) -> GuardianLink:
    # The code as made, or as sent: codes made before 2026-11-28 were case-sensitive and kept dashes.
    hashes = {_hash(_as_grouped(code)), _hash(_as_typed(code))}
    link = db.session.scalar(select(GuardianLink).where(GuardianLink.code_hash.in_(hashes)))
    if link is None:
        raise NotFound("同意链接无效", code="guardian_link_not_found")
    if link.student_id == guardian.id:
        raise Forbidden("请由监护人用自己的微信打开此链接", code="guardian_link_own")
    own = student_of(guardian)
    if own is not None and own.age_band != AgeBand.ADULT:  # a guardian is an adult: no student under 18
        raise Forbidden("未满 18 周岁的学生不能作为监护人同意", code="guardian_is_a_minor")
    if link.used_at is not None:
        raise LinkGone("此链接已使用过，请让孩子重新生成", code="guardian_link_used")
    if link.expires_at <= utcnow():
        raise LinkGone("此链接已过期（有效期 7 天），请让孩子重新生成", code="guardian_link_expired")
    return link


def preview(code: str, guardian: User) -> dict[str, Any]:
    """What the guardian reads before consenting: the child as others would see them, and what never is shown."""
    link = _open_link(code, guardian)
    profile = student_of_id(link.student_id)
    school = db.session.get(Zone, profile.school_id) if profile is not None else None
    return {
        "expires_at": link.expires_at,
        "student": child_summary(link.student_id, profile, school),
        "public": PUBLIC_FIELDS,
        "schoolmates": SCHOOLMATES_SEE,
        "never_public": NEVER_PUBLIC,
        "already_consented": _active(link.student_id, guardian.id) is not None,
        "relationships": [{"code": code.value, "label": label} for code, label in RELATIONSHIP_LABELS.items()],
    }


def child_summary(student_id: int, profile: StudentProfile | None, school: Zone | None) -> dict[str, Any]:
    points = db.session.scalar(
        select(func.coalesce(func.sum(ActionCheckin.points), 0)).where(
            ActionCheckin.user_id == student_id, ActionCheckin.counts
        )
    )
    return {
        "nickname": display_name(student_id, profile),
        "class_name": profile.class_name if profile is not None else None,
        "school": {"id": school.id, "name": school.name} if school is not None else None,
        "points": float(Decimal(points)),
    }


def _active(student_id: int, guardian_id: int) -> GuardianConsent | None:
    return db.session.scalar(
        select(GuardianConsent).where(
            GuardianConsent.student_id == student_id,
            GuardianConsent.guardian_id == guardian_id,
            GuardianConsent.withdrawn_at.is_(None),
        )
    )


ALREADY_CONSENTED = "您已同意过该学生的个人信息处理"


def consent(code: str, relationship: str, guardian: User) -> GuardianConsent:
    """Use case: the guardian consents for the child the link names. The link is used once (claimed by
    one conditional UPDATE, so two guardians racing on it cannot both consent); a guardian who already
    consents for that child is told so and the link stays unused. One standing consent per guardian and
    child is the database's rule (uq_guardian_consents_active): the same guardian racing through two
    links gets one consent, the other answer 409 with nothing written."""
    link = _open_link(code, guardian)
    if _active(link.student_id, guardian.id) is not None:
        raise Conflict(ALREADY_CONSENTED, code="guardian_already_consented")
    now = utcnow()
    claimed = db.session.execute(
        update(GuardianLink)
        .where(GuardianLink.id == link.id, GuardianLink.used_at.is_(None))
        .values(used_at=now, used_by_id=guardian.id)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise LinkGone("此链接已使用过，请让孩子重新生成", code="guardian_link_used")
    record = GuardianConsent(
        student_id=link.student_id,
        guardian_id=guardian.id,
        relationship=relationship,
        link_id=link.id,
        consented_at=now,
    )
    db.session.add(record)
    try:
        db.session.flush()
    except IntegrityError:  # a consent of this guardian for the child committed since the check above
        uow.rollback()  # the link's claim too: it stays unused
        raise Conflict(ALREADY_CONSENTED, code="guardian_already_consented") from None
    profile = student_of_id(link.student_id)
    # A statement the school recorded stays what the profile says: it is withdrawn by nobody in WeChat,
    # so a WeChat consent given and withdrawn since must not take it away.
    if profile is not None and not _statement_stands(profile):
        profile.guardian_consent_at, profile.guardian_consent_method = now, ConsentMethod.WECHAT.value
        profile.guardian_consent_recorded_by_id, profile.guardian_consent_withdrawn_at = None, None
    db.session.flush()
    audit.record(guardian, "guardian_consent.give", "student", link.student_id, None, {"relationship": relationship})
    uow.after_commit(boards.restyle_students, (link.student_id,))
    uow.commit()
    return record


def _statement_stands(profile: StudentProfile) -> bool:
    return (
        profile.guardian_consent_method == ConsentMethod.STATEMENT.value
        and profile.guardian_consent_at is not None
        and profile.guardian_consent_withdrawn_at is None
    )


def my_consents_query(guardian: User):
    return (
        select(GuardianConsent)
        .where(GuardianConsent.guardian_id == guardian.id)
        .order_by(GuardianConsent.consented_at.desc(), GuardianConsent.id.desc())
    )


def withdraw(consent_id: int, guardian: User) -> GuardianConsent:
    """Use case: the guardian withdraws their consent (again: nothing changes). With no other guardian's
    consent in WeChat left and no statement recorded since, the child leaves public boards at once."""
    record = db.session.get(GuardianConsent, consent_id)
    if record is None or record.guardian_id != guardian.id:
        raise NotFound("同意记录不存在")
    if record.withdrawn_at is not None:
        return record
    withdraw_consent(record, guardian)
    uow.commit()
    return record


def withdraw_consent(record: GuardianConsent, actor: User) -> None:
    """The step (no commit): also taken when the guardian deletes their account. A consent in WeChat
    on the profile is re-derived from the records still standing (the latest of them), so it never
    outlives them; with none left the child leaves public boards. A statement the school recorded
    since stays."""
    now = utcnow()
    record.withdrawn_at = now
    db.session.flush()
    standing = db.session.scalar(
        select(func.max(GuardianConsent.consented_at)).where(
            GuardianConsent.student_id == record.student_id, GuardianConsent.withdrawn_at.is_(None)
        )
    )
    profile = student_of_id(record.student_id)
    if profile is not None and profile.guardian_consent_method == ConsentMethod.WECHAT.value:
        if standing is None:
            profile.guardian_consent_at, profile.guardian_consent_withdrawn_at = None, now
        else:
            profile.guardian_consent_at, profile.guardian_consent_withdrawn_at = standing, None
    audit.record(actor, "guardian_consent.withdraw", "student", record.student_id, None, {"consent_id": record.id})
    uow.after_commit(boards.restyle_students, (record.student_id,))


def forget_account(user_id: int, actor: User) -> None:
    """Account deletion (no commit): the consents this person gave as a guardian are withdrawn (their
    children leave public boards unless another consent stands); their own links and the consents given
    for them as a child go with their student profile."""
    for record in db.session.scalars(
        select(GuardianConsent).where(GuardianConsent.guardian_id == user_id, GuardianConsent.withdrawn_at.is_(None))
    ).all():
        withdraw_consent(record, actor)
    db.session.execute(delete(GuardianConsent).where(GuardianConsent.student_id == user_id))
    db.session.execute(delete(GuardianLink).where(GuardianLink.student_id == user_id))


def consent_summary(record: GuardianConsent) -> dict[str, Any]:
    """A consent as its guardian lists it: the child as others see them."""
    profile = student_of_id(record.student_id)
    school = db.session.get(Zone, profile.school_id) if profile is not None else None
    return {
        "id": record.id,
        "method": ConsentMethod.WECHAT.value,
        "relationship": record.relationship,
        "relationship_label": record.relationship_label,
        "consented_at": record.consented_at,
        "withdrawn_at": record.withdrawn_at,
        "student": child_summary(record.student_id, profile, school),
    }
