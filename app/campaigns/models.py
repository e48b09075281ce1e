from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Numeric, String, Text, UniqueConstraint, and_, false, or_, true
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UTCDateTime, partial_index, utcnow
from app.extensions import db


class AgeBand(StrEnum):
    UNDER_14 = "under_14"  # a guardian's consent before anything about them is shown (PIPL art. 31)
    FROM_14_TO_17 = "14_17"
    ADULT = "18_plus"


class Audience(StrEnum):
    SCHOOL = "school"  # the school's confirmed students
    ANYONE = "anyone"


class Evidence(StrEnum):
    SELF = "self"
    PHOTO = "photo"
    TEACHER = "teacher"


class StudentProfile(db.Model):
    """A mini-program user who declared a school: what campaigns need, nothing more (no real name)."""

    __tablename__ = "student_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("zones.id"), index=True)
    class_name: Mapped[str | None] = mapped_column(String(40))
    age_band: Mapped[str] = mapped_column(String(8), default=AgeBand.UNDER_14)
    # A band above under_14 the student declared: it applies only when the school confirms them (its
    # list or a class code), so a child cannot put themselves on public boards by saying they are older.
    pending_age_band: Mapped[str | None] = mapped_column(String(8))
    nickname: Mapped[str | None] = mapped_column(String(20))
    public_board: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    guardian_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    guardian_consent_method: Mapped[str | None] = mapped_column(String(32))
    guardian_consent_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # When the last guardian's consent was withdrawn (and none is left): the school sees it.
    guardian_consent_withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @hybrid_property
    def may_appear(self) -> bool:
        """Whether anything about the student may be shown to others than their school admin: the
        school confirmed them (until then their school and age are only what they said), they did
        not opt out, and under 14 a guardian consented."""
        return (
            self.confirmed_at is not None
            and self.public_board
            and (self.age_band != AgeBand.UNDER_14 or self.guardian_consent_at is not None)
        )

    @may_appear.inplace.expression
    @classmethod
    def _may_appear_expression(cls):
        return and_(
            cls.confirmed_at.is_not(None),
            cls.public_board,
            or_(cls.age_band != AgeBand.UNDER_14, cls.guardian_consent_at.is_not(None)),
        )

    @property
    def minor_without_consent(self) -> bool:
        """Under 14 (as the school confirmed) and no guardian's consent: PIPL art. 31."""
        return self.age_band == AgeBand.UNDER_14 and self.guardian_consent_at is None


class ConsentMethod(StrEnum):
    STATEMENT = "statement"  # a signed statement the school admin recorded
    WECHAT = "wechat"  # the guardian, in their own WeChat


class GuardianRelationship(StrEnum):
    FATHER = "father"
    MOTHER = "mother"
    GRANDPARENT = "grandparent"
    OTHER_GUARDIAN = "other_guardian"


RELATIONSHIP_LABELS = {
    GuardianRelationship.FATHER: "父亲",
    GuardianRelationship.MOTHER: "母亲",
    GuardianRelationship.GRANDPARENT: "祖父母/外祖父母",
    GuardianRelationship.OTHER_GUARDIAN: "其他监护人",
}


class GuardianLink(db.Model):
    """A one-time code an under-14 student shares with a guardian (7 days, one use). Only its
    SHA-256 is stored: the code itself is a key to the child's consent."""

    __tablename__ = "guardian_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class GuardianConsent(db.Model):
    """A guardian's consent for one child, given in their own WeChat; withdrawn at any time."""

    __tablename__ = "guardian_consents"
    __table_args__ = (
        # One standing consent per guardian and child, whatever the concurrency: two at once would
        # leave the child consented after the guardian withdrew one of them.
        partial_index(
            "uq_guardian_consents_active", "student_id", "guardian_id", where="withdrawn_at IS NULL", unique=True
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    guardian_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    relationship: Mapped[str] = mapped_column(String(16))
    link_id: Mapped[int | None] = mapped_column(ForeignKey("guardian_links.id", ondelete="SET NULL"))
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def relationship_label(self) -> str:
        return RELATIONSHIP_LABELS[GuardianRelationship(self.relationship)]


class SchoolClass(db.Model):
    """A class of a school, with the join code its teacher hands out (confirms the students who use it)."""

    __tablename__ = "school_classes"
    __table_args__ = (UniqueConstraint("school_id", "name", name="uq_school_classes_school_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    join_code: Mapped[str] = mapped_column(String(12), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SchoolFollow(db.Model):
    __tablename__ = "school_follows"
    __table_args__ = (UniqueConstraint("user_id", "school_id", name="uq_school_follows_user_school"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ActionFactor(db.Model):
    """One version of a green action's factor (content/green-actions.yml): a new value is a new row
    valid from its date, so past check-ins keep the factor they were made with."""

    __tablename__ = "action_factors"
    __table_args__ = (UniqueConstraint("code", "valid_from", name="uq_action_factors_code_valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(60))
    unit: Mapped[str] = mapped_column(String(16))
    unit_label: Mapped[str] = mapped_column(String(16))
    unit_kind: Mapped[str] = mapped_column(String(8))  # count, amount
    kg_co2e_per_unit: Mapped[Decimal] = mapped_column(Numeric(10, 5))
    baseline: Mapped[str] = mapped_column(String(200))
    source: Mapped[dict] = mapped_column(JSON)
    valid_from: Mapped[date] = mapped_column(Date)
    daily_cap: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    commuting: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    points_per_unit: Mapped[Decimal] = mapped_column(Numeric(8, 2))


class Campaign(db.Model):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("zones.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    cover_image_url: Mapped[str | None] = mapped_column(String(512))
    starts_on: Mapped[date] = mapped_column(Date)  # China time
    ends_on: Mapped[date] = mapped_column(Date)
    audience: Mapped[str] = mapped_column(String(8), default=Audience.SCHOOL)
    actions: Mapped[list[str]] = mapped_column(JSON)  # action codes from the catalogue
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    school = relationship("Zone", lazy="joined")


class Participation(db.Model):
    __tablename__ = "campaign_participations"
    __table_args__ = (UniqueConstraint("campaign_id", "user_id", name="uq_campaign_participations_campaign_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ActionCheckin(db.Model):
    """A green action done on a day (China time): at most one per student, campaign, action and day.
    A photo earns its weight once per campaign (by its content hash); a voided check-in keeps its row
    but counts nowhere."""

    __tablename__ = "campaign_checkins"
    __table_args__ = (
        UniqueConstraint("campaign_id", "user_id", "action", "day", name="uq_campaign_checkins_once_a_day"),
        # Only check-ins that earned a photo's weight carry a hash: the rule needs no entry for the rest
        # (an entry per check-in to maintain, and an index on campaign_id alone that, before the table's
        # first statistics, the planner took for a student's check-ins and scanned the whole campaign).
        partial_index(
            "uq_campaign_checkins_photo_once",
            "campaign_id",
            "photo_sha256",
            where="photo_sha256 IS NOT NULL",
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Looked up by campaign through uq_campaign_checkins_once_a_day (campaign_id comes first in it).
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    factor_id: Mapped[int] = mapped_column(ForeignKey("action_factors.id"))
    co2_kg: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    points: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    evidence: Mapped[str] = mapped_column(String(8), default=Evidence.SELF)
    note: Mapped[str | None] = mapped_column(String(500))
    photo_url: Mapped[str | None] = mapped_column(String(300))
    # The photo's content hash (of the stored upload), set only on the check-in its weight counted
    # for: unique per campaign, so the same picture never earns the photo weight twice.
    photo_sha256: Mapped[str | None] = mapped_column(String(64))
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Moderation of what others can see (the note and the photo): hidden, never deleted.
    report_count: Mapped[int] = mapped_column(default=0, server_default="0")
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_reason: Mapped[str | None] = mapped_column(String(200))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When its points last changed (made, or confirmed by a teacher): a board rebuild catches up
    # with what changed while it read the database.
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # Voided by the school (a false or inflated claim): the row stays, audited, and counts nowhere.
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    voided_reason: Mapped[str | None] = mapped_column(String(200))
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    factor: Mapped[ActionFactor] = relationship(lazy="joined")

    @hybrid_property
    def counts(self) -> bool:
        """Whether it counts for boards, progress, statistics and exports (not voided)."""
        return self.voided_at is None

    @counts.inplace.expression
    @classmethod
    def _counts_expression(cls):
        return cls.voided_at.is_(None)

    @property
    def is_post(self) -> bool:
        """Whether others can see something of it beyond numbers."""
        return bool(self.note or self.photo_url)


class ClassAction(db.Model):
    """A green action a whole class did, confirmed by its teacher (the school admin), credited to the
    class ("lights off for an hour": kW × hours × the electricity factor). Once per action and day."""

    __tablename__ = "campaign_class_actions"
    __table_args__ = (
        UniqueConstraint(
            "campaign_id", "school_id", "class_name", "action", "day", name="uq_campaign_class_actions_once_a_day"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("zones.id"))
    class_name: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    kw: Mapped[Decimal] = mapped_column(Numeric(8, 3))
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 3))  # kWh = kW × hours
    factor_id: Mapped[int] = mapped_column(ForeignKey("action_factors.id"))
    co2_kg: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    points: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    note: Mapped[str | None] = mapped_column(String(500))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    factor: Mapped[ActionFactor] = relationship(lazy="joined")


class PostReport(db.Model):
    """A report of a check-in's note or photo: one per user and post."""

    __tablename__ = "post_reports"
    __table_args__ = (UniqueConstraint("checkin_id", "user_id", name="uq_post_reports_checkin_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("campaign_checkins.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
