"""Topics and neighbourhoods with the other words people use for them (HSDS taxonomy terms)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from knowledge.models.base import Base


class Topic(Base):
    """A subject learners search for, e.g. coding."""

    __tablename__ = "topic"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    synonyms: Mapped[list[TopicSynonym]] = relationship(
        back_populates="topic", cascade="all, delete-orphan", order_by="TopicSynonym.term"
    )

    def __repr__(self) -> str:
        return f"Topic({self.name!r})"


class TopicSynonym(Base):
    """Another way of saying a topic ("programming" for coding); unique across topics."""

    __tablename__ = "topic_synonym"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id", ondelete="CASCADE"), index=True)
    term: Mapped[str] = mapped_column(String(120), unique=True)
    topic: Mapped[Topic] = relationship(back_populates="synonyms")


class Neighbourhood(Base):
    """A named part of the city, with a centre point for "near Riverside" searches."""

    __tablename__ = "neighbourhood"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    city: Mapped[str | None] = mapped_column(String(120))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    aliases: Mapped[list[NeighbourhoodAlias]] = relationship(
        back_populates="neighbourhood",
        cascade="all, delete-orphan",
        order_by="NeighbourhoodAlias.alias",
    )

    def __repr__(self) -> str:
        return f"Neighbourhood({self.name!r})"


class NeighbourhoodAlias(Base):
    """Another name for a neighbourhood ("downtown" for Old Town)."""

    __tablename__ = "neighbourhood_alias"

    id: Mapped[int] = mapped_column(primary_key=True)
    neighbourhood_id: Mapped[int] = mapped_column(
        ForeignKey("neighbourhood.id", ondelete="CASCADE"), index=True
    )
    alias: Mapped[str] = mapped_column(String(120), unique=True)
    neighbourhood: Mapped[Neighbourhood] = relationship(back_populates="aliases")
