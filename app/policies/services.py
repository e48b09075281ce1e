"""Policies people accept before the service collects their personal data (the privacy policy).

The text lives in content/policies/<document>.md (YAML front matter: version, title, effective_on),
rendered to safe HTML as articles are and published by `flask content sync`. Every version published
stays (what someone accepted stays readable); the current one is the newest already in effect. Until
a person has accepted the current version, writes that collect personal data (booking, objection,
campaign check-in) answer 428 `consent_required`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import and_, bindparam, exists, select
from sqlalchemy.exc import IntegrityError

from app import uow, yamltext
from app.accounts.models import User
from app.db_types import utcnow
from app.errors import AppError, Conflict, ValidationFailed
from app.extensions import db
from app.knowledge.content import MAX_FILE_BYTES, Problem, render, split_front_matter
from app.policies.models import PolicyConsent, PolicyVersion
from app.times import local_today

PRIVACY = "privacy"
DOCUMENTS = (PRIVACY,)
KNOWN_KEYS = {"version", "title", "effective_on"}


class ConsentRequired(AppError):
    status = 428
    code = "consent_required"
    message = "请先阅读并同意最新版隐私政策"


@dataclass
class ParsedPolicy:
    path: str
    document: str
    version: str
    title: str
    effective_on: date
    body_html: str
    content_hash: str


def read_policies(root: Path) -> tuple[list[ParsedPolicy], list[Problem]]:
    """Every content/policies/*.md, checked; a version already published must keep its text (a
    change of text is a new version: people accepted the old one as it was)."""
    parsed: list[ParsedPolicy] = []
    problems: list[Problem] = []
    for file in sorted((root / "policies").glob("*.md")):
        policy, found = _parse(file, root)
        problems.extend(found)
        if policy is None:
            continue
        published = db.session.scalar(
            select(PolicyVersion.content_hash).where(
                PolicyVersion.document == policy.document, PolicyVersion.version == policy.version
            )
        )
        if published is not None and published != policy.content_hash:
            problems.append(Problem(policy.path, "version", f"版本 {policy.version} 已发布，内容改动须使用新的版本号"))
            continue
        parsed.append(policy)
    return parsed, problems


def _parse(file: Path, root: Path) -> tuple[ParsedPolicy | None, list[Problem]]:
    path = file.relative_to(root).as_posix()
    raw = file.read_bytes()
    if len(raw) > MAX_FILE_BYTES:
        return None, [Problem(path, "file", f"文件过大（{len(raw)} 字节，上限 {MAX_FILE_BYTES}）")]
    if file.stem not in DOCUMENTS:
        return None, [Problem(path, "file", f"未知的政策文件，可选：{', '.join(DOCUMENTS)}")]
    try:
        front, body = split_front_matter(raw.decode("utf-8"))
        meta = yamltext.safe_load(front) if front is not None else None
    except (UnicodeDecodeError, yamltext.YAMLError):
        meta = None
    if not isinstance(meta, dict):
        return None, [Problem(path, "front_matter", "须有以 --- 包围的 YAML 头（键值对，UTF-8）")]
    problems = [Problem(path, key, "未知字段") for key in sorted(set(meta) - KNOWN_KEYS)]
    version, title, effective_on = meta.get("version"), meta.get("title"), meta.get("effective_on")
    if not isinstance(version, str | int | float) or not 0 < len(str(version).strip()) <= 32:
        problems.append(Problem(path, "version", "须填写版本号（不超过 32 字）"))
    if not isinstance(title, str) or not 0 < len(title.strip()) <= 100:
        problems.append(Problem(path, "title", "须填写标题（不超过 100 字）"))
    if not isinstance(effective_on, date):
        problems.append(Problem(path, "effective_on", "须为日期（YYYY-MM-DD）"))
    body_html, plain, broken = render(body, file, root / "images")
    problems.extend(Problem(path, "body", f"图片路径无效：{src}") for src in broken)
    if not plain:
        problems.append(Problem(path, "body", "正文为空"))
    if problems:
        return None, problems
    version, title = str(version).strip(), title.strip()
    digest = hashlib.sha256(f"{title}\n{effective_on.isoformat()}\n{body_html}".encode()).hexdigest()
    return ParsedPolicy(path, file.stem, version, title, effective_on, body_html, digest), []


def publish(policies: list[ParsedPolicy]) -> list[str]:
    """Step (the content sync commits): add the versions not yet published; '<document> <version>' of each."""
    added = []
    for policy in policies:
        known = db.session.scalar(
            select(PolicyVersion.id).where(
                PolicyVersion.document == policy.document, PolicyVersion.version == policy.version
            )
        )
        if known is None:
            db.session.add(
                PolicyVersion(
                    document=policy.document,
                    version=policy.version,
                    title=policy.title,
                    body_html=policy.body_html,
                    effective_on=policy.effective_on,
                    content_hash=policy.content_hash,
                )
            )
            added.append(f"{policy.document} {policy.version}")
    return added


def current_version_query(document: str = PRIVACY, today: date | None = None):
    return (
        select(PolicyVersion)
        .where(
            PolicyVersion.document == document,
            PolicyVersion.effective_on <= (local_today() if today is None else today),
        )
        .order_by(PolicyVersion.effective_on.desc(), PolicyVersion.id.desc())
        .limit(1)
    )


def current(document: str = PRIVACY) -> PolicyVersion | None:
    return db.session.scalar(current_version_query(document))


def current_or_404(document: str = PRIVACY) -> PolicyVersion:
    policy = current(document)
    if policy is None:
        raise AppError("隐私政策尚未发布", code="policy_not_published", status=404)
    return policy


def consent_missing(user_id, document: str = PRIVACY, today=None):
    """An SQL condition: a version of the policy is in effect that the user has not accepted (none
    published: nothing to accept). `user_id` and `today` may be bound parameters, for a read a
    caller makes anyway (the booking's first look)."""
    version = current_version_query(document, today).with_only_columns(PolicyVersion.version).scalar_subquery()
    policy_exists = exists(current_version_query(document, today).with_only_columns(PolicyVersion.id))
    accepted = exists().where(
        and_(PolicyConsent.user_id == user_id, PolicyConsent.document == document, PolicyConsent.version == version)
    )
    return and_(policy_exists, ~accepted)


# Built once: it runs before every check-in and booking.
_NEEDS_PRIVACY_CONSENT = select(consent_missing(bindparam("user_id"), PRIVACY, bindparam("today")))


def needs_consent(user_id: int, document: str = PRIVACY) -> bool:
    """Whether a version of the policy is in effect that the user has not accepted."""
    if document == PRIVACY:
        params = {"user_id": user_id, "today": local_today()}
        return bool(db.session.scalar(_NEEDS_PRIVACY_CONSENT, params))
    return bool(db.session.scalar(select(consent_missing(user_id, document))))


def ensure_consented(user: User) -> None:
    """Before a write that collects personal data: 428 until the current privacy policy is accepted."""
    if needs_consent(user.id):
        refuse_without_consent()


def refuse_without_consent() -> None:
    """The 428 answer, naming the version to accept."""
    policy = current()
    raise ConsentRequired(details={"document": PRIVACY, "version": policy.version if policy else None})


def accept(user: User, document: str, version: str) -> PolicyConsent:
    """Use case: the user accepts a version of a policy; only the one in effect can be accepted.
    Accepting it again answers the first acceptance."""
    policy = current(document)
    if policy is None or policy.version != version:
        known = db.session.scalar(
            select(PolicyVersion.id).where(PolicyVersion.document == document, PolicyVersion.version == version)
        )
        current_version = policy.version if policy else None
        if known is None:
            raise ValidationFailed(
                "没有这个版本的隐私政策",
                code="policy_version_unknown",
                details={"version": [f"未知的版本，现行版本为 {current_version or '（未发布）'}"]},
            )
        raise Conflict(
            "该版本不是现行版本，请阅读并同意现行版本",
            code="policy_version_not_current",
            details={"current_version": current_version},
        )
    found = _consent(user.id, document, version)
    if found is not None:
        return found
    consent = PolicyConsent(user_id=user.id, document=document, version=version, accepted_at=utcnow())
    db.session.add(consent)
    try:
        uow.commit()
    except IntegrityError:  # the same acceptance sent twice at once: the other one is kept
        db.session.rollback()
        return _consent(user.id, document, version)
    return consent


def accept_current(user: User) -> None:
    """Step (the demo data): the user has accepted the version in effect, if any."""
    policy = current()
    if policy is not None and _consent(user.id, policy.document, policy.version) is None:
        db.session.add(PolicyConsent(user_id=user.id, document=policy.document, version=policy.version))


def _consent(user_id: int, document: str, version: str) -> PolicyConsent | None:
    return db.session.scalar(
        select(PolicyConsent).where(
            PolicyConsent.user_id == user_id, PolicyConsent.document == document, PolicyConsent.version == version
        )
    )


def accepted_version(user_id: int, document: str = PRIVACY) -> str | None:
    """The version the user accepted last."""
    return db.session.scalar(
        select(PolicyConsent.version)
        .where(PolicyConsent.user_id == user_id, PolicyConsent.document == document)
        .order_by(PolicyConsent.accepted_at.desc(), PolicyConsent.id.desc())
        .limit(1)
    )
