"""Derived data that lets search filter and rank from indexes: columns on each listing and the
search_entry table.

The column derivations are pure functions so that bulk loaders writing rows without the ORM (the
benchmark generator, bulk imports) fill them exactly as `refresh_search_fields` does; search
entries are derived in SQL from stored rows by `write_search_entries`, which bulk loaders call
once after inserting listings and their topics.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from sqlalchemy import (
    ARRAY,
    Connection,
    Integer,
    any_,
    bindparam,
    cast,
    delete,
    insert,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session, object_session

from knowledge.models import Opportunity, SearchEntry
from knowledge.models.opportunity import opportunity_topic
from knowledge.models.search import LOOKUP_COLUMNS
from knowledge.text import content_text

ENTRY_BATCH = 5000  # listings per statement when (re)writing entries for given ids


class PlaceLike(Protocol):
    """What the derivation needs from a location (a Location row or any simple record)."""

    @property
    def location_type(self) -> str: ...
    @property
    def latitude(self) -> float | None: ...
    @property
    def longitude(self) -> float | None: ...
    @property
    def neighbourhood_id(self) -> int | None: ...


class Translated(Protocol):
    """What the derivation needs from a listing's translation (a row or any simple record)."""

    @property
    def language(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def description(self) -> str | None: ...


TITLE_END = "|"


def search_text_for(
    title: str,
    topics: Iterable[str],
    description: str | None,
    provider: str | None,
    awards: Iterable[str] = (),
    translations: Iterable[Translated] = (),
) -> str:
    """Lemmas of the title, then "|", then those of the topic names, description, provider and
    the names of the credentials the listing awards ("forklift certification" finds a listing
    awarding "Forklift Operator Certification"). A translation's title joins the title and its
    description the description, each lemmatised in its own language ("clases" → "clase").

    Words are separated by single spaces and the text is padded with a space at each end, so
    `LIKE '% lemma %'` finds whole words; ranking reads the title's words before the "|". The
    engine's full-text index (knowledge.models.search) indexes this text as it is stored.
    """
    translated = list(translations)
    parts = [content_text(title)]
    parts += [content_text(other.title, other.language) for other in translated]
    parts += [TITLE_END, *map(content_text, topics), content_text(description or "")]
    parts += [content_text(other.description or "", other.language) for other in translated]
    parts += [content_text(provider or "")]
    parts += map(content_text, awards)
    return " " + " ".join(filter(None, parts)) + " "  # parts without words add no space


def award_names(credentials: Iterable[Any]) -> list[str]:
    """The names of awarded credentials in the order the search text lists them (by name, so
    every write path derives the same text whatever order it holds the links in)."""
    return sorted(credential.name for credential in credentials)


def split_search_text(search_text: str) -> tuple[set[str], set[str]]:
    """The title's lemmas and all lemmas of a search text."""
    title, _, rest = search_text.partition(f" {TITLE_END} ")
    title_words = set(title.split())
    return title_words, title_words | set(rest.split())


def place_for(locations: Sequence[PlaceLike]) -> tuple[float | None, float | None, int | None]:
    """Latitude, longitude and neighbourhood id of the first physical location (all None when
    the listing has none, e.g. online only)."""
    for location in locations:
        if location.location_type == "physical":
            return location.latitude, location.longitude, location.neighbourhood_id
    return None, None, None


def refresh_search_fields(opportunity: Opportunity) -> None:
    """Copy the first physical location's place onto the listing and rebuild its search text
    (title, topics, description, provider and awarded credentials)."""
    latitude, longitude, neighbourhood_id = place_for(opportunity.locations)
    opportunity.latitude = latitude
    opportunity.longitude = longitude
    opportunity.neighbourhood_id = neighbourhood_id
    provider = opportunity.provider.name if opportunity.provider is not None else None
    opportunity.search_text = search_text_for(
        opportunity.title,
        (topic.name for topic in opportunity.topics),
        opportunity.description,
        provider,
        award_names(opportunity.awards),
        opportunity.translations,
    )
    session = object_session(opportunity)
    if session is not None:
        session.flush()
        write_search_entries(session, [opportunity.id])


def write_search_entries(
    db: Session | Connection, opportunity_ids: Sequence[int] | None = None, *, new: bool = False
) -> None:
    """Rewrite the search entries of these listings (of all listings when None) from their
    stored rows: one per topic and one with no topic, for active listings only.

    Bulk loaders call it once after inserting listings and their topic links (`None` rebuilds
    everything in two statements, ordered so each topic's entries are stored together).
    `new` listings have no entries yet, so there is nothing to delete first.
    """
    if opportunity_ids is None:
        db.execute(delete(SearchEntry))
        db.execute(_entries_from_listings(None))
        return
    ids = list(opportunity_ids)
    dialect = db.get_bind().dialect.name if isinstance(db, Session) else db.dialect.name
    for start in range(0, len(ids), ENTRY_BATCH):
        batch = ids[start : start + ENTRY_BATCH]
        if not new:
            db.execute(
                delete(SearchEntry).where(_among(SearchEntry.opportunity_id, batch, dialect))
            )
        db.execute(_entries_from_listings(batch, dialect))


def _among(column: Any, ids: Sequence[int], dialect: str) -> Any:
    """`column IN ids`, without a parameter per id for SQLAlchemy to render and bind.

    PostgreSQL gets one array (`= ANY`, what it makes of IN anyway). SQLite gets the same set as
    a range when the ids are consecutive, as bulk-created listings' are; it reads either in id
    order, so the entries are written in the same order.
    """
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    if dialect == "sqlite" and len(ids) > 1:
        low, high = min(ids), max(ids)
        if high - low + 1 == len(ids) == len(set(ids)):
            return column.between(low, high)
    return column.in_(ids)


def _entries_from_listings(ids: Sequence[int] | None, dialect: str = "") -> Any:
    """INSERT … SELECT of the entries of active listings (these ids, or all)."""
    fields = [getattr(Opportunity, name) for name in LOOKUP_COLUMNS[1:-1]]
    by_topic = (
        select(Opportunity.id, opportunity_topic.c.topic_id.label("topic_id"), *fields)
        .join(opportunity_topic, opportunity_topic.c.opportunity_id == Opportunity.id)
        .where(Opportunity.status == "active")
    )
    whole = select(Opportunity.id, cast(null(), Integer).label("topic_id"), *fields).where(
        Opportunity.status == "active"
    )
    if ids is not None:
        by_topic = by_topic.where(_among(Opportunity.id, ids, dialect))
        whole = whole.where(_among(Opportunity.id, ids, dialect))
    rows = union_all(by_topic, whole)
    if ids is None:
        # Each topic's entries stored together, by latitude: the order search reads them in.
        rows = rows.order_by(rows.selected_columns.topic_id, rows.selected_columns.latitude)
    names = ["opportunity_id", "topic_id", *LOOKUP_COLUMNS[1:-1]]
    return insert(SearchEntry).from_select(names, rows)
