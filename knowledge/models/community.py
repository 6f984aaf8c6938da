"""Who may change the directory: organisers and provider members, their invites and API tokens.

Codes and tokens are stored only as SHA-256 hashes: the plain values are shown once, when made.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from knowledge.models.base import Base, utcnow
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
