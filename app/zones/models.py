from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UTCDateTime, partial_index, utcnow
from app.extensions import db


class District(db.Model):
    """Counties, county-level cities, districts and development zones: data, editable by staff."""

    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    # Administrative division code; development zones have none.
    code: Mapped[str | None] = mapped_column(String(12), unique=True)
    kind: Mapped[str] = mapped_column(String(24))  # district, county, city, development_zone
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class Zone(db.Model):
    __tablename__ = "zones"
    __table_args__ = (
        UniqueConstraint("batch_year", "name", name="uq_zones_batch_name"),
        # Substring search over name, applicant and address (Chinese has no spaces): a trigram
        # index on PostgreSQL; on SQLite an ordinary index that LIKE does not use.
        Index(
            "ix_zones_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
        # The public list's default order (newest change first; the other way too): page 1 reads
        # 20 index entries instead of sorting every published zone (bench/growth.py).
        partial_index(
            "ix_zones_public_updated",
            "updated_at",
            "id",
            where="published_at IS NOT NULL",
        ),
        # The public list filtered by type (and level): its exact `total` counts index entries alone
        # (an index-only scan) instead of visiting every matching zone's row: 7.8 -> 0.9 ms at
        # 100,000 zones (bench/growth.py).
        partial_index(
            "ix_zones_public_type_level",
            "type",
            "level",
            where="published_at IS NOT NULL",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    type: Mapped[str] = mapped_column(String(16), index=True)
    level: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(24), index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    applicant_name: Mapped[str] = mapped_column(String(120))
    applicant_kind: Mapped[str] = mapped_column(String(32))
    batch_year: Mapped[int] = mapped_column(Integer, index=True)
    department: Mapped[str] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(200))
    # GCJ-02, as WeChat's map components use.
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    cover_image_url: Mapped[str | None] = mapped_column(String(512))
    summary: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    is_education_base: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Set when the zone first enters publicity; from then on it is public.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    district: Mapped[District] = relationship(lazy="joined", innerjoin=True)
    indicators: Mapped[list[ZoneIndicator]] = relationship(
        back_populates="zone", cascade="all, delete-orphan", lazy="selectin", order_by="ZoneIndicator.position"
    )
    timeline: Mapped[list[ZoneTransition]] = relationship(
        back_populates="zone",
        cascade="all, delete-orphan",
        lazy="raise",
        order_by="(ZoneTransition.occurred_at, ZoneTransition.id)",
    )
    re_reviews: Mapped[list[ReReview]] = relationship(
        back_populates="zone",
        cascade="all, delete-orphan",
        lazy="raise",
        order_by="(ReReview.reviewed_on.desc(), ReReview.id.desc())",
    )

    @property
    def is_public(self) -> bool:
        return self.published_at is not None

    @property
    def location(self) -> dict | None:
        if self.latitude is None or self.longitude is None:
            return None
        return {"latitude": self.latitude, "longitude": self.longitude}


class ZoneIndicator(db.Model):
    """The type's headline indicator(s): baseline and latest value with their years."""

    __tablename__ = "zone_indicators"
    __table_args__ = (UniqueConstraint("zone_id", "key", name="uq_zone_indicators_zone_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer, default=0)
    baseline_value: Mapped[Decimal | None] = mapped_column(Numeric(16, 3))
    baseline_year: Mapped[int | None] = mapped_column(Integer)
    latest_value: Mapped[Decimal | None] = mapped_column(Numeric(16, 3))
    latest_year: Mapped[int | None] = mapped_column(Integer)
    # The zone's target for the construction period (app.progress.series.set_baseline_target).
    target_value: Mapped[Decimal | None] = mapped_column(Numeric(16, 3))
    target_year: Mapped[int | None] = mapped_column(Integer)

    zone: Mapped[Zone] = relationship(back_populates="indicators")


class ZoneTransition(db.Model):
    """One step of the lifecycle: the zone's public timeline."""

    __tablename__ = "zone_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(String(500))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    zone: Mapped[Zone] = relationship(back_populates="timeline")


class ReReview(db.Model):
    """A periodic re-review (复核) of a titled zone; a failed one revokes the title."""

    __tablename__ = "zone_re_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    reviewed_on: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(16))  # passed, failed
    note: Mapped[str | None] = mapped_column(String(500))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    zone: Mapped[Zone] = relationship(back_populates="re_reviews")


class ZoneFollow(db.Model):
    """A citizen following a public zone: its updates in their feed, a message at the moments that
    matter to them (titled, revoked, opened to visitors)."""

    __tablename__ = "zone_follows"
    __table_args__ = (UniqueConstraint("user_id", "zone_id", name="uq_zone_follows_user_zone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
