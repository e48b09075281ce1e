"""Publishing content/, reading and searching articles, counting views."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis as redis_lib
from flask import current_app
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import selectinload

from app import cache, uow
from app.accounts.models import User
from app.accounts.services import escape_like
from app.audit import services as audit
from app.db_types import utcnow
from app.errors import AppError, NotFound, ValidationFailed
from app.extensions import db, kv
from app.knowledge.content import ContentSet, ParsedArticle, Problem, read_content, reading_minutes, render
from app.knowledge.models import Article, ArticleTag, Category
from app.policies import services as policies
from app.times import local_today
from app.validators import is_ascii_number
from app.zones.models import Zone
from app.zones.registry import ZoneFilters, zones_query

CACHE_NAMESPACE = "knowledge"
VIEW_DEDUP_SECONDS = 30 * 60  # one reader's repeated views within this window count once
RELATED_LIMIT = 4


class ContentInvalid(AppError):
    status = 422
    code = "content_invalid"
    message = "内容文件有误，未发布任何内容"


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped_staff_edited: list[str] = field(default_factory=list)
    unpublished: list[str] = field(default_factory=list)
    policies_published: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def search_text_of(title: str, summary: str, plain: str) -> str:
    return "\n".join([title, summary, plain]).lower()


def sync(root: Path, force: bool = False) -> SyncReport:
    """Publish content/: all or nothing. Articles edited by staff are left alone unless `force`;
    articles whose file is gone are unpublished, never deleted. New versions of the policies
    (content/policies/) are published with them."""
    content: ContentSet = read_content(root)
    policy_files, policy_problems = policies.read_policies(root)
    content.problems.extend(policy_problems)
    zones_by_name = _zone_ids([a.zone for a in content.articles if a.zone])
    for article in content.articles:
        if article.zone and article.zone not in zones_by_name:
            content.problems.append(Problem(article.path, "zone", f"找不到名为“{article.zone}”的示范区项目"))
    report = SyncReport(problems=content.problems)
    if content.problems:
        raise ContentInvalid(details={"problems": [p.__dict__ for p in content.problems]})

    categories = {c.code: c for c in db.session.scalars(select(Category))}
    for position, item in enumerate(content.categories):
        category = categories.get(item["code"]) or Category(code=item["code"])
        category.name, category.description, category.sort_order = item["name"], item.get("description"), position
        db.session.add(category)
        categories[item["code"]] = category
    db.session.flush()

    existing = {a.slug: a for a in db.session.scalars(select(Article))}
    in_files = set()
    for parsed in content.articles:
        in_files.add(parsed.slug)
        article = existing.get(parsed.slug)
        if article is not None and article.edited_by_staff and not force:
            report.skipped_staff_edited.append(parsed.slug)
            continue
        if article is not None and article.content_hash == parsed.content_hash and article.is_published:
            report.unchanged.append(parsed.slug)
            continue
        if article is None:
            article = Article(slug=parsed.slug, origin="file", created_at=utcnow())
            db.session.add(article)
            report.created.append(parsed.slug)
        else:
            report.updated.append(parsed.slug)
        _apply(article, parsed, categories[parsed.category].id, zones_by_name.get(parsed.zone))
    for slug, article in existing.items():
        if article.origin == "file" and slug not in in_files and article.is_published:
            article.is_published = False
            article.updated_at = utcnow()
            report.unpublished.append(slug)
    report.policies_published = policies.publish(policy_files)
    _changed()
    uow.commit()
    return report


def _zone_ids(names: list[str]) -> dict[str, int]:
    if not names:
        return {}
    rows = db.session.execute(select(Zone.name, Zone.id).where(Zone.name.in_(names)).order_by(Zone.batch_year))
    return {name: zone_id for name, zone_id in rows}  # the newest batch wins for a repeated name


def _apply(article: Article, parsed: ParsedArticle, category_id: int, zone_id: int | None) -> None:
    article.title, article.summary, article.category_id = parsed.title, parsed.summary, category_id
    article.cover_image_url, article.author, article.source = parsed.cover_image_url, parsed.author, parsed.source
    article.published_on, article.zone_id, article.draft = parsed.published_on, zone_id, parsed.draft
    article.body_markdown, article.body_html = parsed.body_markdown, parsed.body_html
    article.search_text = search_text_of(parsed.title, parsed.summary, parsed.plain_text)
    article.reading_minutes = parsed.reading_minutes
    article.source_path, article.content_hash = parsed.path, parsed.content_hash
    article.is_published, article.edited_by_staff = True, False
    article.updated_at = utcnow()
    _set_tags(article, parsed.tags)


def _set_tags(article: Article, tags: list[str]) -> None:
    """Keep rows for tags that stay (the unique (article, tag) pair must not be inserted twice)."""
    wanted = list(dict.fromkeys(tags))
    current = {row.tag: row for row in article.tag_rows}
    rows = []
    for position, tag in enumerate(wanted):
        row = current.get(tag) or ArticleTag(tag=tag)
        row.position = position
        rows.append(row)
    article.tag_rows = rows


# ---- staff editing ------------------------------------------------------------------------

EDITABLE = ("title", "summary", "cover_image_url", "author", "source", "published_on", "draft", "zone_id")
# What an article.save entry compares (besides category and tags): publishing or unpublishing (draft),
# the date, the zone are changes the audit log must show, not only the text.
_AUDITED = ("slug", "title", "summary", "body_markdown", *EDITABLE[2:], "is_published")


def _audit_view(article: Article, category_code: str | None) -> dict[str, Any]:
    view = audit.snapshot(article, _AUDITED)
    view["category"] = category_code
    view["tags"] = list(article.tags)
    return view


def save_article(data: dict[str, Any], actor: User, article: Article | None) -> Article:
    """Create (origin staff) or edit an article from the console; an edited file article is marked
    so the next sync does not overwrite it."""
    content_root = Path(current_app.config["CONTENT_ROOT"])
    category = (
        db.session.scalar(select(Category).where(Category.code == data.get("category"))) if "category" in data else None
    )
    if "category" in data and category is None:
        raise ValidationFailed(details={"category": ["未知分类"]})
    if "zone_id" in data and data["zone_id"] is not None and (article is None or data["zone_id"] != article.zone_id):
        _check_public_zone(data["zone_id"])
    # A date to come would put the article first in every list from now on (no scheduled publishing).
    if data.get("published_on") and data["published_on"] > local_today():
        raise ValidationFailed(
            details={"published_on": ["发布日期不能晚于今天（不设定时发布：可先存为草稿，不填日期，到当天再发布）"]}
        )
    before = None
    if article is None:
        if db.session.scalar(select(Article.id).where(Article.slug == data["slug"])) is not None:
            raise AppError("slug 已存在", code="duplicate_slug", status=409)
        article = Article(
            slug=data["slug"],
            origin="staff",
            is_published=True,
            created_at=utcnow(),
            views=0,
            published_on=data.get("published_on") or local_today(),  # China's day, not the server's
        )
        db.session.add(article)
    else:
        before = _audit_view(article, article.category.code)
        article.edited_by_staff = article.origin == "file"
    for key in EDITABLE:
        if key in data:
            setattr(article, key, data[key])
    if category is not None:
        article.category_id = category.id
    if "body_markdown" in data:
        html_body, plain, broken = render(
            data["body_markdown"], content_root / "articles" / "staff.md", content_root / "images"
        )
        if broken:
            raise ValidationFailed(details={"body_markdown": [f"图片路径无效：{', '.join(broken)}"]})
        article.body_markdown, article.body_html, article.reading_minutes = (
            data["body_markdown"],
            html_body,
            reading_minutes(plain),
        )
        article.search_text = search_text_of(article.title, article.summary, plain)
    elif "title" in data or "summary" in data:
        plain = article.search_text.split("\n", 2)[-1] if article.search_text else ""
        article.search_text = search_text_of(article.title, article.summary, plain)
    if "tags" in data:
        _set_tags(article, data["tags"])
    article.updated_at = utcnow()
    db.session.flush()
    after = _audit_view(article, category.code if category is not None else article.category.code)
    if before is not None:  # an edit: only what changed (and the slug, naming the article)
        changed = [k for k in after if k == "slug" or after[k] != before[k]]
        before, after = {k: before[k] for k in changed}, {k: after[k] for k in changed}
    audit.record(actor, "article.save", "article", article.id, before, after)
    _changed()
    uow.commit()
    return article


def _check_public_zone(zone_id: int) -> None:
    """An article published to the mini-program is linked only to a zone the public may see (from
    publicity on): the one query of public zones (app.zones.registry), not a rule of its own."""
    if db.session.scalar(_public_zone_ids().where(Zone.id == zone_id)) is None:
        raise ValidationFailed(details={"zone_id": ["示范区项目不存在或尚未公示，不能关联"]})


def _public_zone_ids():
    """The ids of the zones the public sees (what the public zone list shows, every public answer shows)."""
    return zones_query(ZoneFilters(), public=True).with_only_columns(Zone.id).order_by(None)


# ---- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleFilters:
    category: str | None = None
    tag: str | None = None
    zone: int | None = None
    q: str | None = None


def articles_query(filters: ArticleFilters, *, public: bool = True):
    stmt = select(Article)
    if public:
        stmt = stmt.where(Article.is_published.is_(True), Article.draft.is_(False))
    if filters.category:
        # whatever GET /categories gave the client: the code, the id or the name
        value = filters.category.strip()
        match = (Category.code == value) | (Category.name == value)
        if is_ascii_number(value):
            match |= Category.id == int(value)
        stmt = stmt.join(Category).where(match)
    if filters.tag:
        stmt = stmt.where(Article.tag_rows.any(ArticleTag.tag == filters.tag))
    if filters.zone is not None:
        stmt = stmt.where(Article.zone_id == filters.zone)
        if public:  # a zone not public yet is, to the public, a zone that does not exist
            stmt = stmt.where(Article.zone_id.in_(_public_zone_ids()))
    if public:
        stmt = stmt.options(selectinload(Article.zone))  # each card's zone_id names a public zone only
    order = [Article.published_on.desc(), Article.id.desc()]
    q = (filters.q or "").strip().lower()
    if q:
        pattern = "%" + escape_like(q) + "%"
        stmt = stmt.where(Article.search_text.like(pattern, escape="\\"))
        # Title matches first, then newest.
        order.insert(0, case((func.lower(Article.title).like(pattern, escape="\\"), 0), else_=1))
    return stmt.order_by(*order)


def get_article(key: str, *, public: bool = True) -> Article:
    stmt = (
        select(Article).where(Article.id == int(key))
        if is_ascii_number(key)
        else select(Article).where(Article.slug == key)
    )
    article = db.session.scalar(stmt)
    if article is None or (public and not article.is_public):
        raise NotFound("文章不存在")
    return article


def related(article: Article) -> list[Article]:
    """Articles sharing tags (most shared first), then the same category."""
    shared = (
        select(ArticleTag.article_id, func.count(ArticleTag.id).label("n"))
        .where(ArticleTag.tag.in_(article.tags or [""]), ArticleTag.article_id != article.id)
        .group_by(ArticleTag.article_id)
        .subquery()
    )
    stmt = (
        select(Article)
        .outerjoin(shared, shared.c.article_id == Article.id)
        .where(Article.id != article.id, Article.is_published.is_(True), Article.draft.is_(False))
        .where((shared.c.n > 0) | (Article.category_id == article.category_id))
        .options(selectinload(Article.zone))
        .order_by(
            func.coalesce(shared.c.n, 0).desc(),
            (Article.category_id == article.category_id).desc(),
            Article.published_on.desc(),
        )
        .limit(RELATED_LIMIT)
    )
    return list(db.session.scalars(stmt))


def categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.sort_order, Category.id)))


# ---- views --------------------------------------------------------------------------------


def count_view(article_id: int, reader: str) -> None:
    """Counted in Redis (one per reader per window); `content flush-views` moves counts to the database."""
    try:
        if kv.redis.set(f"views:seen:{article_id}:{reader}", 1, nx=True, ex=VIEW_DEDUP_SECONDS):
            kv.redis.incr(f"views:pending:{article_id}")
    except redis_lib.RedisError:
        pass  # a lost view is not worth a failed page


def flush_views() -> int:
    """Add pending Redis counts to the database; GETDEL makes each count move exactly once."""
    taken: dict[bytes, int] = {}
    for key in kv.redis.scan_iter(match="views:pending:*", count=500):
        count = int(kv.redis.getdel(key) or 0)
        if count:
            taken[key] = count
            article_id = int(key.decode().rsplit(":", 1)[1])
            db.session.execute(update(Article).where(Article.id == article_id).values(views=Article.views + count))
    try:
        uow.commit()
    except Exception:
        db.session.rollback()
        for key, count in taken.items():  # put them back for the next run
            kv.redis.incrby(key, count)
        raise
    cache.invalidate(CACHE_NAMESPACE)
    return sum(taken.values())


def _changed() -> None:
    """Article pages are rebuilt once this change commits."""
    uow.after_commit(cache.invalidate, CACHE_NAMESPACE)
