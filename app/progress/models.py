"""Tables of a zone's construction progress: milestones, quarterly reports, the verified indicator
series, problems handed to a department, and the per-period reminder/overdue marks of the job."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, partial_index, utcnow
from app.extensions import db


class ReportState:
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"


REPORT_STATES = (ReportState.DRAFT, ReportState.SUBMITTED, ReportState.ACCEPTED, ReportState.RETURNED)


class ZoneMilestone(db.Model):
    """One step of a zone's construction plan; done with a date and evidence (this service's uploads)."""

    __tablename__ = "zone_milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    planned_on: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(500))
    evidence_urls: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ZoneProgressReport(db.Model):
    """A quarterly progress report of the construction entity, reviewed by the zone's department.
    Overdue is not a state: `overdue_at` marks a draft or returned report whose period's due date
    passed (the job sets it), and the report keeps its state."""

    __tablename__ = "zone_progress_reports"
    __table_args__ = (
        # One live report per zone and period; a returned one may be followed by a new one.
        partial_index(
            "uq_zone_progress_reports_zone_period_live",
            "zone_id",
            "period",
            where="state <> 'returned'",
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(6))  # YYYYQn
    state: Mapped[str] = mapped_column(String(16), default=ReportState.DRAFT, index=True)
    public_summary: Mapped[str] = mapped_column(Text)
    internal_note: Mapped[str | None] = mapped_column(Text)
    problems: Mapped[str | None] = mapped_column(Text)
    indicator_key: Mapped[str | None] = mapped_column(String(32))
    indicator_year: Mapped[int | None] = mapped_column(Integer)
    indicator_value: Mapped[Decimal | None] = mapped_column(Numeric(16, 3))
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ZoneIndicatorValue(db.Model):
    """One verified yearly value of a zone's headline indicator, from an accepted report. A later
    accepted report for the same year supersedes the row (history kept) instead of overwriting it."""

    __tablename__ = "zone_indicator_values"
    __table_args__ = (
        partial_index(
            "uq_zone_indicator_values_current",
            "zone_id",
            "indicator_key",
            "year",
            where="superseded_at IS NULL",
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    indicator_key: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[Decimal] = mapped_column(Numeric(16, 3))
    unit: Mapped[str] = mapped_column(String(32))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("zone_progress_reports.id", ondelete="SET NULL"))
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ZoneProblem(db.Model):
    """A problem (问题协调) a department is asked to help the zone with by a date. Never public."""

    __tablename__ = "zone_problems"

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    department: Mapped[str] = mapped_column(String(32), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_note: Mapped[str | None] = mapped_column(String(500))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReportNotice(db.Model):
    """The job's mark that a zone's period was reminded of (`reminder`) or found overdue
    (`overdue`): once per zone, period and kind, so the job can run any number of times."""

    __tablename__ = "zone_report_notices"
    __table_args__ = (UniqueConstraint("zone_id", "period", "kind", name="uq_zone_report_notices_zone_period_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(6))
    kind: Mapped[str] = mapped_column(String(16))  # reminder, overdue
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
