"""The search index: each active listing's filter fields once per topic, in one narrow table,
and the engine's full-text index of each listing's words.

Derived entirely from `opportunity` and `opportunity_topic` (kept current by knowledge.search.index)
so that search reads topic + place + filters from one index range instead of visiting the wide
listing rows: at a million listings that is the difference between ~10 ms and ~500 ms.
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, ForeignKey, Index, Numeric, String, event
from sqlalchemy.orm import Mapped, mapped_column

from knowledge.models.base import Base
from knowledge.models.opportunity import Opportunity

# Every column the filters read, so the lookup index alone answers them (an index-only scan).
LOOKUP_COLUMNS = (
    "topic_id",
    "latitude",
    "longitude",
    "end_date",
    "min_age",
    "max_age",
    "is_free",
    "cost_amount",
    "format",
    "days_mask",
    "start_time",
    "start_date",
    "languages",
    "neighbourhood_id",
    "opportunity_id",
)


class SearchEntry(Base):
    """An active listing under one of its topics (`topic_id` NULL: under any topic)."""

    __tablename__ = "search_entry"
    __table_args__ = (Index("ix_search_entry_lookup", *LOOKUP_COLUMNS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("opportunity.id", ondelete="CASCADE"), index=True
    )
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id", ondelete="CASCADE"))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    end_date: Mapped[date | None]
    min_age: Mapped[int | None]
    max_age: Mapped[int | None]
    is_free: Mapped[bool | None]
    cost_amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    format: Mapped[str] = mapped_column(String(20))
    days_mask: Mapped[int]
    start_time: Mapped[time | None]
    start_date: Mapped[date | None]
    languages: Mapped[str] = mapped_column(String(100))
    neighbourhood_id: Mapped[int | None]

    def __repr__(self) -> str:
        return f"SearchEntry(opportunity={self.opportunity_id}, topic={self.topic_id})"


# Full-text search over each listing's lemmatised `search_text`, built by the engine itself so that
# every write path (ORM, bulk insert, COPY) keeps it current without code: on SQLite an FTS5 table
# (the title's lemmas and the rest as two columns, so a title hit ranks higher) kept by triggers,
# with its vocabulary for typo checks; on PostgreSQL a GIN index on the 'simple' tsvector of the
# text (already lemmatised by our own lemmatiser, so no language stemming on top). Migration 0007
# creates the same objects; Alembic's model comparison leaves them out (`in_model_comparison`).
FULL_TEXT_TABLE = "search_fts"
FULL_TEXT_VOCABULARY = "search_fts_vocab"
FULL_TEXT_INDEX = "ix_opportunity_full_text"
FULL_TEXT_CONFIG = "'simple'::regconfig"
_SPLIT = "instr({row}.search_text, ' | ')"
_TITLE = f"CASE WHEN {_SPLIT} > 0 THEN substr({{row}}.search_text, 1, {_SPLIT}) ELSE '' END"
_BODY = (
    f"CASE WHEN {_SPLIT} > 0 THEN substr({{row}}.search_text, {_SPLIT} + 3) "
    "ELSE {row}.search_text END"
)
_ADD = (
    f"INSERT INTO {FULL_TEXT_TABLE} (rowid, title, body) "
    f"VALUES (new.id, {_TITLE.format(row='new')}, {_BODY.format(row='new')});"
)
_REMOVE = (
    f"INSERT INTO {FULL_TEXT_TABLE} ({FULL_TEXT_TABLE}, rowid, title, body) "
    f"VALUES ('delete', old.id, {_TITLE.format(row='old')}, {_BODY.format(row='old')});"
)
SQLITE_FULL_TEXT = (
    f"CREATE VIRTUAL TABLE {FULL_TEXT_TABLE} USING fts5(title, body, content='', "
    "tokenize='unicode61 remove_diacritics 2')",
    f"CREATE VIRTUAL TABLE {FULL_TEXT_VOCABULARY} USING fts5vocab({FULL_TEXT_TABLE}, row)",
    f"CREATE TRIGGER search_fts_insert AFTER INSERT ON opportunity BEGIN {_ADD} END",
    f"CREATE TRIGGER search_fts_delete AFTER DELETE ON opportunity BEGIN {_REMOVE} END",
    "CREATE TRIGGER search_fts_update AFTER UPDATE OF search_text ON opportunity "
    f"BEGIN {_REMOVE} {_ADD} END",
)
SQLITE_FULL_TEXT_FILL = (
    f"INSERT INTO {FULL_TEXT_TABLE} (rowid, title, body) "
    f"SELECT id, {_TITLE.format(row='opportunity')}, {_BODY.format(row='opportunity')} "
    "FROM opportunity"
)
SQLITE_FULL_TEXT_DROP = (
    "DROP TRIGGER IF EXISTS search_fts_update",
    "DROP TRIGGER IF EXISTS search_fts_delete",
    "DROP TRIGGER IF EXISTS search_fts_insert",
    f"DROP TABLE IF EXISTS {FULL_TEXT_VOCABULARY}",
    f"DROP TABLE IF EXISTS {FULL_TEXT_TABLE}",
)
# A GIN index collects new entries in a pending list that every search reads whole and that the
# planner counts as cost: at the default 4 MB it reads ~500 pages a search and, worse, makes a
# scan of every listing look cheaper for a rare word (50 s at a million). 256 kB keeps both
# small, for about a third more time spent indexing bulk inserts.
POSTGRESQL_FULL_TEXT = (
    f"CREATE INDEX {FULL_TEXT_INDEX} ON opportunity "
    f"USING gin (to_tsvector({FULL_TEXT_CONFIG}, search_text)) WITH (gin_pending_list_limit = 256)"
)


def in_model_comparison(name: str | None, type_: str, _parent_names: Any) -> bool:
    """Alembic's include_name: everything except the full-text objects, which are engine-specific
    DDL rather than tables and indexes the models declare."""
    if type_ == "table":
        return not (name == FULL_TEXT_TABLE or (name or "").startswith(f"{FULL_TEXT_TABLE}_"))
    return not (type_ == "index" and name == FULL_TEXT_INDEX)


@event.listens_for(Opportunity.__table__, "after_create")
def _create_full_text(_table: Any, connection: Connection, **_kw: Any) -> None:
    """Create the full-text objects whenever the models create the opportunity table."""
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_FULL_TEXT:
            connection.exec_driver_sql(statement)
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(POSTGRESQL_FULL_TEXT)


@event.listens_for(Opportunity.__table__, "before_drop")
def _drop_full_text(_table: Any, connection: Connection, **_kw: Any) -> None:
    """Drop SQLite's full-text table with the opportunity table (PostgreSQL drops the index)."""
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_FULL_TEXT_DROP:
            connection.exec_driver_sql(statement)
