"""Who may change the directory: organisers and provider members, their invites and API tokens.

Codes and tokens are stored only as SHA-256 hashes: the plain values are shown once, when made.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from knowledge.models.base import Base, utcnow
from knowledge.models.opportunity import Opportunity
from knowledge.models.provider import Provider

ROLES = ("organiser", "provider")

membership = Table(
    "membership",
    Base.metadata,
    Column("member_id", ForeignKey("member.id", ondelete="CASCADE"), primary_key=True),
    Column("provider_id", ForeignKey("provider.id", ondelete="CASCADE"), primary_key=True),
)


class Member(Base):
    """An organiser of the city's directory, or a member of one or more providers."""

    __tablename__ = "member"

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(120))
    telegram_user_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    providers: Mapped[list[Provider]] = relationship(secondary=membership, order_by=Provider.name)
    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="member", cascade="all, delete-orphan", order_by="ApiToken.id"
    )

    def __repr__(self) -> str:
        return f"Member({self.id}, {self.role!r})"


class Invite(Base):
    """A single-use, expiring code an organiser hands to someone joining a provider."""

    __tablename__ = "invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id", ondelete="CASCADE"))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))

    provider: Mapped[Provider | None] = relationship()

    def __repr__(self) -> str:
        return f"Invite({self.id}, {self.role!r})"


class ApiToken(Base):
    """A member's key to the HTTP API: listed by label, revocable, stored hashed."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    member: Mapped[Member] = relationship(back_populates="tokens")

    def __repr__(self) -> str:
        return f"ApiToken({self.id}, {self.label!r})"


REQUEST_KINDS = ("create", "update", "import")
REQUEST_STATES = ("pending", "approved", "rejected")


class ChangeRequest(Base):
    """A change from an unverified provider, waiting for an organiser to approve or reject it.

    `changes` holds the fields as the member wrote them (spreadsheet cells, or the whole CSV for
    an import), so approval re-checks them against the directory as it is then.
    """

    __tablename__ = "change_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id", ondelete="CASCADE"))
    opportunity_id: Mapped[int | None] = mapped_column(
        ForeignKey("opportunity.id", ondelete="CASCADE")
    )
    base_version: Mapped[int | None]
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    told_at: Mapped[datetime | None]  # when the member heard the decision (on Telegram)

    member: Mapped[Member | None] = relationship()
    provider: Mapped[Provider] = relationship()
    opportunity: Mapped[Opportunity | None] = relationship()

    def __repr__(self) -> str:
        return f"ChangeRequest({self.id}, {self.kind!r}, {self.state!r})"


class FreshnessNudge(Base):
    """A 'still running?' question sent to a provider member about one listing, and its answer."""

    __tablename__ = "freshness_nudge"
    __table_args__ = (Index("ix_freshness_nudge_listing", "opportunity_id", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunity.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[str | None] = mapped_column(String(20))  # running | changed | ended
    answered_at: Mapped[datetime | None]

    opportunity: Mapped[Opportunity] = relationship()
    member: Mapped[Member] = relationship()

    def __repr__(self) -> str:
        return f"FreshnessNudge({self.id}, {self.answer!r})"
