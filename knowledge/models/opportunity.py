"""Programs, classes, clubs and camps learners join (HSDS service, CTDL LearningOpportunity)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import Column, ForeignKey, Index, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from knowledge.models.base import Base, utcnow
from knowledge.models.credential import Career, Credential
from knowledge.models.provider import Location, Provider
from knowledge.models.taxonomy import Neighbourhood, Topic

FORMATS = ("in_person", "online", "hybrid")
STATUSES = ("active", "temporarily_closed", "inactive", "defunct")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def days_to_mask(days: list[str]) -> int:
    """Pack day names into a bit mask (Mon = 1 … Sun = 64) so SQL can filter with one AND."""
    mask = 0
    for day in days:
        mask |= 1 << DAYS.index(day)
    return mask


def mask_to_days(mask: int) -> list[str]:
    """Unpack a bit mask into day names in week order."""
    return [day for i, day in enumerate(DAYS) if mask & (1 << i)]


opportunity_topic = Table(
    "opportunity_topic",
    Base.metadata,
    Column("opportunity_id", ForeignKey("opportunity.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_opportunity_topic_topic", "topic_id", "opportunity_id"),
)
opportunity_location = Table(
    "opportunity_location",
    Base.metadata,
    Column("opportunity_id", ForeignKey("opportunity.id", ondelete="CASCADE"), primary_key=True),
    Column("location_id", ForeignKey("location.id", ondelete="CASCADE"), primary_key=True),
)
opportunity_award = Table(
    "opportunity_award",
    Base.metadata,
    Column("opportunity_id", ForeignKey("opportunity.id", ondelete="CASCADE"), primary_key=True),
    Column("credential_id", ForeignKey("credential.id", ondelete="CASCADE"), primary_key=True),
)
opportunity_prerequisite = Table(
    "opportunity_prerequisite",
    Base.metadata,
    Column("opportunity_id", ForeignKey("opportunity.id", ondelete="CASCADE"), primary_key=True),
    Column("credential_id", ForeignKey("credential.id", ondelete="CASCADE"), primary_key=True),
)
opportunity_next = Table(
    "opportunity_next",
    Base.metadata,
    Column("opportunity_id", ForeignKey("opportunity.id", ondelete="CASCADE"), primary_key=True),
    Column("credential_id", ForeignKey("credential.id", ondelete="CASCADE"), primary_key=True),
)
opportunity_career = Table(
    "opportunity_career",
    Base.metadata,
    Column("opportunity_id", ForeignKey("opportunity.id", ondelete="CASCADE"), primary_key=True),
    Column("career_id", ForeignKey("career.id", ondelete="CASCADE"), primary_key=True),
)


class Opportunity(Base):
    """Something a learner can sign up for, with who, what, where, when, cost and outcomes."""

    __tablename__ = "opportunity"
    __table_args__ = (
        Index("ix_opportunity_status_dates", "status", "end_date"),
        Index("ix_opportunity_geo", "latitude", "longitude"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("provider.id", ondelete="CASCADE"), index=True
    )

    min_age: Mapped[int | None]
    max_age: Mapped[int | None]
    cost_amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    cost_currency: Mapped[str] = mapped_column(String(3), default="USD")
    is_free: Mapped[bool | None] = mapped_column(index=True)
    financial_aid: Mapped[str | None] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(20), default="in_person")

    days_mask: Mapped[int] = mapped_column(default=0)
    start_time: Mapped[time | None]
    end_time: Mapped[time | None]
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    application_deadline: Mapped[date | None]

    languages: Mapped[str] = mapped_column(String(100), default="en")
    eligibility: Mapped[str | None] = mapped_column(Text)
    enroll_url: Mapped[str | None] = mapped_column(String(500))
    enroll_phone: Mapped[str | None] = mapped_column(String(50))
    enroll_email: Mapped[str | None] = mapped_column(String(200))
    seats_available: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(30), default="active")
    assured_date: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Indexed: API clients sync with ?modified_after= (bot.api).
    modified_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)
    # Optimistic locking: every update checks and bumps it, so a stale edit fails loudly.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it once)

    # Derived from the first physical location and the text, kept current by knowledge.search.index,
    # so that search filters and ranks in one indexed query.
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhood.id", ondelete="SET NULL"), index=True
    )
    search_text: Mapped[str] = mapped_column(Text, default="")

    provider: Mapped[Provider] = relationship()
    neighbourhood: Mapped[Neighbourhood | None] = relationship()
    topics: Mapped[list[Topic]] = relationship(secondary=opportunity_topic, order_by=Topic.name)
    locations: Mapped[list[Location]] = relationship(
        secondary=opportunity_location, order_by=Location.id
    )
    awards: Mapped[list[Credential]] = relationship(
        secondary=opportunity_award, back_populates="awarded_by"
    )
    requires: Mapped[list[Credential]] = relationship(secondary=opportunity_prerequisite)
    prepares_for: Mapped[list[Credential]] = relationship(secondary=opportunity_next)
    careers: Mapped[list[Career]] = relationship(secondary=opportunity_career)
    translations: Mapped[list[OpportunityTranslation]] = relationship(
        back_populates="opportunity",
        cascade="all, delete-orphan",
        order_by="OpportunityTranslation.language",
    )

    @property
    def days(self) -> list[str]:
        """Meeting days in week order."""
        return mask_to_days(self.days_mask or 0)

    @days.setter
    def days(self, value: list[str]) -> None:
        self.days_mask = days_to_mask(value)

    @property
    def language_list(self) -> list[str]:
        """Languages taught in, as language tags (BCP 47: en, hmn, ase, zh-Hant)."""
        return [code for code in (self.languages or "").split(";") if code]

    @language_list.setter
    def language_list(self, value: list[str]) -> None:
        self.languages = ";".join(value)

    def __repr__(self) -> str:
        return f"Opportunity({self.external_id or self.id!r}, {self.title!r})"


class OpportunityTranslation(Base):
    """A listing's title and description in another language than the provider wrote it in, so a
    learner chatting in that language reads it in their own words."""

    __tablename__ = "opportunity_translation"
    __table_args__ = (UniqueConstraint("opportunity_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("opportunity.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(String(35))  # a supported chat language's code
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)

    opportunity: Mapped[Opportunity] = relationship(back_populates="translations")

    def __repr__(self) -> str:
        return f"OpportunityTranslation({self.opportunity_id!r}, {self.language!r})"
