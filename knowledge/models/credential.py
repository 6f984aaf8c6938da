"""Credentials, careers and pathways (CTDL Credential, OB 3.0 Achievement, CTDL Pathway)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from knowledge.models.base import Base, utcnow

if TYPE_CHECKING:
    from knowledge.models.opportunity import Opportunity
    from knowledge.models.provider import Provider

CREDENTIAL_TYPES = (
    "badge",
    "micro_credential",
    "certificate",
    "certification",
    "license",
    "diploma",
    "college_credit",
)
GOAL_TYPES = ("career", "interest")

credential_prerequisite = Table(
    "credential_prerequisite",
    Base.metadata,
    Column("credential_id", ForeignKey("credential.id", ondelete="CASCADE"), primary_key=True),
    Column("required_id", ForeignKey("credential.id", ondelete="CASCADE"), primary_key=True),
)
credential_next = Table(
    "credential_next",
    Base.metadata,
    Column("credential_id", ForeignKey("credential.id", ondelete="CASCADE"), primary_key=True),
    Column("next_id", ForeignKey("credential.id", ondelete="CASCADE"), primary_key=True),
)
credential_career = Table(
    "credential_career",
    Base.metadata,
    Column("credential_id", ForeignKey("credential.id", ondelete="CASCADE"), primary_key=True),
    Column("career_id", ForeignKey("career.id", ondelete="CASCADE"), primary_key=True),
)


class Career(Base):
    """A job or occupation a credential or program prepares for."""

    __tablename__ = "career"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"Career({self.name!r})"


class Credential(Base):
    """Something a learner earns: a badge, certificate, licence, college credit, …"""

    __tablename__ = "credential"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    credential_type: Mapped[str] = mapped_column(String(30))
    issuer_id: Mapped[int | None] = mapped_column(
        ForeignKey("provider.id", ondelete="SET NULL"), index=True
    )
    description: Mapped[str | None] = mapped_column(Text)
    criteria: Mapped[str | None] = mapped_column(Text)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    recognised_by: Mapped[str | None] = mapped_column(Text)
    min_age: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    issuer: Mapped[Provider | None] = relationship()
    requires: Mapped[list[Credential]] = relationship(
        secondary=credential_prerequisite,
        primaryjoin=lambda: Credential.id == credential_prerequisite.c.credential_id,
        secondaryjoin=lambda: Credential.id == credential_prerequisite.c.required_id,
    )
    prepares_for: Mapped[list[Credential]] = relationship(
        secondary=credential_next,
        primaryjoin=lambda: Credential.id == credential_next.c.credential_id,
        secondaryjoin=lambda: Credential.id == credential_next.c.next_id,
    )
    careers: Mapped[list[Career]] = relationship(secondary=credential_career)
    awarded_by: Mapped[list[Opportunity]] = relationship(
        secondary="opportunity_award", back_populates="awards", viewonly=True
    )

    def __repr__(self) -> str:
        return f"Credential({self.name!r}, {self.credential_type})"


class Pathway(Base):
    """A named goal (a career or an interest) with ordered steps a learner can follow."""

    __tablename__ = "pathway"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    goal_type: Mapped[str] = mapped_column(String(20), default="career")
    description: Mapped[str | None] = mapped_column(Text)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    careers: Mapped[list[Career]] = relationship(secondary="pathway_career")
    steps: Mapped[list[PathwayStep]] = relationship(
        back_populates="pathway", cascade="all, delete-orphan", order_by="PathwayStep.position"
    )

    def __repr__(self) -> str:
        return f"Pathway({self.key!r})"


pathway_career = Table(
    "pathway_career",
    Base.metadata,
    Column("pathway_id", ForeignKey("pathway.id", ondelete="CASCADE"), primary_key=True),
    Column("career_id", ForeignKey("career.id", ondelete="CASCADE"), primary_key=True),
)


class PathwayStep(Base):
    """One step of a pathway: an opportunity to take or a credential to earn."""

    __tablename__ = "pathway_step"
    __table_args__ = (UniqueConstraint("pathway_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pathway_id: Mapped[int] = mapped_column(
        ForeignKey("pathway.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    min_age: Mapped[int | None]
    opportunity_id: Mapped[int | None] = mapped_column(
        ForeignKey("opportunity.id", ondelete="SET NULL"), index=True
    )
    credential_id: Mapped[int | None] = mapped_column(
        ForeignKey("credential.id", ondelete="SET NULL"), index=True
    )

    pathway: Mapped[Pathway] = relationship(back_populates="steps")
    opportunity: Mapped[Opportunity | None] = relationship()
    credential: Mapped[Credential | None] = relationship()

    def to_dict(self) -> dict[str, Any]:
        """A plain view of the step for exports and tests."""
        return {
            "position": self.position,
            "title": self.title,
            "note": self.note,
            "min_age": self.min_age,
            "opportunity": self.opportunity.external_id if self.opportunity else None,
            "credential": self.credential.key if self.credential else None,
        }
