"""Organisations that run programs and the places they run them (HSDS organization, location)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from knowledge.models.base import Base, utcnow

if TYPE_CHECKING:
    from knowledge.models.taxonomy import Neighbourhood

PROVIDER_KINDS = (
    "school",
    "library",
    "museum",
    "nonprofit",
    "business",
    "college",
    "community_group",
    "government",
)
LOCATION_TYPES = ("physical", "virtual")


class Provider(Base):
    """An organisation that offers learning opportunities or issues credentials."""

    __tablename__ = "provider"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(30), default="nonprofit")
    website: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(50))
    verified: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    locations: Mapped[list[Location]] = relationship(
        back_populates="provider", cascade="all, delete-orphan", order_by="Location.id"
    )

    def __repr__(self) -> str:
        return f"Provider({self.name!r})"


class Location(Base):
    """A place (or "online") where programs happen, with how to get there and in."""

    __tablename__ = "location"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(String(120), unique=True)
    provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("provider.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str | None] = mapped_column(String(200))
    location_type: Mapped[str] = mapped_column(String(20), default="physical")
    address: Mapped[str | None] = mapped_column(String(300))
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhood.id", ondelete="SET NULL"), index=True
    )
    city: Mapped[str | None] = mapped_column(String(120))
    state_province: Mapped[str | None] = mapped_column(String(120))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(2))  # ISO 3166-1 alpha-2; None: the city's
    url: Mapped[str | None] = mapped_column(String(500))  # where an online place is joined
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    accessibility: Mapped[str | None] = mapped_column(Text)
    transport: Mapped[str | None] = mapped_column(Text)

    provider: Mapped[Provider | None] = relationship(back_populates="locations")
    neighbourhood: Mapped[Neighbourhood | None] = relationship()

    def __repr__(self) -> str:
        return f"Location({self.name or self.address!r})"
