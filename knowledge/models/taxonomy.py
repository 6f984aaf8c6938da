"""Topics and neighbourhoods with the other words people use for them (HSDS taxonomy terms)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Connection, ForeignKey, String, event
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


class TaxonomyVersion(Base):
    """One row whose token the database changes with every write to the four taxonomy tables
    (triggers, TAXONOMY_TRIGGERS): a search reads it to know its cached taxonomy is current,
    where it read every topic, synonym and place. A random token, not a count: a change rolled
    back and another committed never share one. Transactional, so a token is never read before
    the change it stands for is visible."""

    __tablename__ = "taxonomy_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[int] = mapped_column(BigInteger)


TAXONOMY_TABLES = ("topic", "topic_synonym", "neighbourhood", "neighbourhood_alias")
_SQLITE_CHANGE = "UPDATE taxonomy_version SET token = random();"
SQLITE_TAXONOMY_TRIGGERS = tuple(
    f"CREATE TRIGGER taxonomy_changed_{table}_{operation.lower()} AFTER {operation} ON {table} "
    f"BEGIN {_SQLITE_CHANGE} END"
    for table in TAXONOMY_TABLES
    for operation in ("INSERT", "UPDATE", "DELETE")
)
POSTGRESQL_TAXONOMY_TRIGGERS = (
    "CREATE OR REPLACE FUNCTION taxonomy_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "UPDATE taxonomy_version SET token = floor(random() * 9.2e18)::bigint; RETURN NULL; END $$",
    *(
        f"CREATE TRIGGER taxonomy_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION taxonomy_changed()"
        for table in TAXONOMY_TABLES
    ),
)
FIRST_TOKEN = "INSERT INTO taxonomy_version (id, token) VALUES (1, 0)"


def create_taxonomy_triggers(connection: Connection) -> None:
    """The version's one row and the triggers that change it (models and migration alike)."""
    connection.exec_driver_sql(FIRST_TOKEN)
    if connection.dialect.name == "sqlite":
        statements: tuple[str, ...] = SQLITE_TAXONOMY_TRIGGERS
    elif connection.dialect.name == "postgresql":
        statements = POSTGRESQL_TAXONOMY_TRIGGERS
    else:
        statements = ()
    for statement in statements:
        connection.exec_driver_sql(statement)


@event.listens_for(Base.metadata, "after_create")
def _create_taxonomy_triggers(_metadata: Any, connection: Connection, **kw: Any) -> None:
    """When the models create the version table (after every table the triggers watch)."""
    created = {table.name for table in kw.get("tables") or ()}
    if TaxonomyVersion.__tablename__ in created:
        create_taxonomy_triggers(connection)
