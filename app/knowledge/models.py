from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UTCDateTime, utcnow
from app.extensions import db
from app.zones.models import Zone


class Category(db.Model):
    __tablename__ = "article_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(String(200))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Article(db.Model):
    __tablename__ = "articles"
    __table_args__ = (
        # Substring search in Chinese and English over title, summary and body text.
        Index(
            "ix_articles_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(String(300))
    category_id: Mapped[int] = mapped_column(ForeignKey("article_categories.id"), index=True)
    cover_image_url: Mapped[str | None] = mapped_column(String(300))
    author: Mapped[str | None] = mapped_column(String(80))
    source: Mapped[str | None] = mapped_column(String(200))
    published_on: Mapped[date] = mapped_column(Date, index=True)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="SET NULL"), index=True)
    draft: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Unpublished when its file disappears from content/ (kept, never deleted).
    is_published: Mapped[bool] = mapped_column(Boolean, default=True)
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text)
    reading_minutes: Mapped[int] = mapped_column(Integer, default=1)
    origin: Mapped[str] = mapped_column(String(8))  # file, staff
    source_path: Mapped[str | None] = mapped_column(String(200))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    # Edited in the staff console: a later sync leaves it alone unless forced.
    edited_by_staff: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    views: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    category: Mapped[Category] = relationship(lazy="joined", innerjoin=True)
    zone: Mapped[Zone | None] = relationship(lazy="select")
    tag_rows: Mapped[list[ArticleTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ArticleTag.position"
    )

    @property
    def tags(self) -> list[str]:
        return [t.tag for t in self.tag_rows]

    @property
    def is_public(self) -> bool:
        return self.is_published and not self.draft

    @property
    def public_zone(self) -> Zone | None:
        """The zone the article is about, as the public may see it: only a public zone (from
        publicity on, Zone.is_public); before that the article names none."""
        zone = self.zone
        return zone if zone is not None and zone.is_public else None

    @property
    def public_zone_id(self) -> int | None:
        zone = self.public_zone
        return zone.id if zone is not None else None


class ArticleTag(db.Model):
    __tablename__ = "article_tags"
    __table_args__ = (UniqueConstraint("article_id", "tag", name="uq_article_tags_article_tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    tag: Mapped[str] = mapped_column(String(32), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
