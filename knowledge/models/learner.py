"""What Wayfinder remembers about a learner: profile, family, credentials held, plan, reminders
and handoffs.

Keyed by the channel's pseudonymous sender id, never a name or phone number; deleting the learner
deletes everything here (forget me).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from knowledge.models.base import Base, utcnow
from knowledge.models.credential import Credential
from knowledge.models.opportunity import Opportunity

REMINDER_KINDS = ("deadline", "start")
REMINDER_STATUSES = ("pending", "sent", "failed", "cancelled")


class Learner(Base):
    """A person chatting with Wayfinder, known only by a pseudonymous sender id."""

    __tablename__ = "learner"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(128), unique=True)
    channel: Mapped[str | None] = mapped_column(String(40))
    age: Mapped[int | None]
    neighbourhood: Mapped[str | None] = mapped_column(String(120))
    language: Mapped[str | None] = mapped_column(String(2))  # of programs: a search filter
    # The language we chat in (a locales/ folder's code) and whether the learner chose it (a
    # button, "¿hablas español?") rather than we guessed it; a guess may change, a choice sticks.
    chat_language: Mapped[str | None] = mapped_column(String(35))
    chat_language_chosen: Mapped[bool] = mapped_column(default=False)
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    dependants: Mapped[list[Dependant]] = relationship(
        back_populates="learner", cascade="all, delete-orphan", order_by="Dependant.id"
    )
    credentials: Mapped[list[LearnerCredential]] = relationship(
        back_populates="learner", cascade="all, delete-orphan", order_by="LearnerCredential.id"
    )
    plan: Mapped[list[PlanItem]] = relationship(
        back_populates="learner", cascade="all, delete-orphan", order_by="PlanItem.id"
    )
    reminders: Mapped[list[Reminder]] = relationship(
        back_populates="learner", cascade="all, delete-orphan", order_by="Reminder.id"
    )
    handoffs: Mapped[list[Handoff]] = relationship(
        back_populates="learner", cascade="all, delete-orphan", order_by="Handoff.id"
    )

    def __repr__(self) -> str:
        return f"Learner(#{self.id})"


class Dependant(Base):
    """Someone a learner searches for (a daughter, a son, …): relation and age only, no name."""

    __tablename__ = "dependant"
    __table_args__ = (UniqueConstraint("learner_id", "relation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id", ondelete="CASCADE"))
    relation: Mapped[str] = mapped_column(String(40))
    age: Mapped[int | None]
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)

    learner: Mapped[Learner] = relationship(back_populates="dependants")
    credentials: Mapped[list[LearnerCredential]] = relationship(
        back_populates="dependant", cascade="all", order_by="LearnerCredential.id"
    )


class LearnerCredential(Base):
    """A credential the learner told us they already hold, or one of their family holds (a
    dependant's), so the pathways of whoever holds it start after it."""

    __tablename__ = "learner_credential"
    __table_args__ = (
        UniqueConstraint("learner_id", "dependant_id", "credential_id"),
        # NULLs never clash in a unique constraint: the learner's own rows need their own index.
        Index(
            "uq_learner_credential_own",
            "learner_id",
            "credential_id",
            unique=True,
            sqlite_where=text("dependant_id IS NULL"),
            postgresql_where=text("dependant_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id", ondelete="CASCADE"))
    dependant_id: Mapped[int | None] = mapped_column(
        ForeignKey("dependant.id", ondelete="CASCADE"), index=True
    )
    credential_id: Mapped[int] = mapped_column(
        ForeignKey("credential.id", ondelete="CASCADE"), index=True
    )
    noted_at: Mapped[datetime] = mapped_column(default=utcnow)

    learner: Mapped[Learner] = relationship(back_populates="credentials")
    dependant: Mapped[Dependant | None] = relationship(back_populates="credentials")
    credential: Mapped[Credential] = relationship()

    def __repr__(self) -> str:
        whose = "" if self.dependant_id is None else f" for #{self.dependant_id}"
        return f"LearnerCredential(#{self.learner_id}{whose}, {self.credential_id})"


class PlanItem(Base):
    """An opportunity a learner saved, and who it is for."""

    __tablename__ = "plan_item"
    __table_args__ = (UniqueConstraint("learner_id", "opportunity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id", ondelete="CASCADE"))
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunity.id", ondelete="CASCADE"))
    for_relation: Mapped[str | None] = mapped_column(String(40))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    learner: Mapped[Learner] = relationship(back_populates="plan")
    opportunity: Mapped[Opportunity] = relationship()


class Reminder(Base):
    """A reminder kept in the database (not Rasa's in-memory scheduler) so it survives restarts."""

    __tablename__ = "reminder"
    __table_args__ = (
        Index("ix_reminder_due", "status", "due_at"),
        UniqueConstraint("learner_id", "opportunity_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id", ondelete="CASCADE"))
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunity.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # Rasa's words for this reminder, kept from the first trigger until the gateway has them all,
    # and the idempotency key they go under: a retry resends those words, never new ones twice.
    messages: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    delivery_key: Mapped[str | None] = mapped_column(String(64))

    learner: Mapped[Learner] = relationship(back_populates="reminders")
    opportunity: Mapped[Opportunity] = relationship()


class Handoff(Base):
    """A learner's request to talk to a person, with the context a navigator needs."""

    __tablename__ = "handoff"

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | closed
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    # Set by the gateway: when the request reached the navigators, the last message either way.
    posted_at: Mapped[datetime | None]
    last_activity_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(20))  # navigator | timeout | learner

    learner: Mapped[Learner] = relationship(back_populates="handoffs")
