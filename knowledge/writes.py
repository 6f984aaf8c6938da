"""The one way records enter the directory, so every path (seed, import, API, chat) logs history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from inspect import getattr_static as inspect_static
from types import SimpleNamespace
from typing import Any, Literal

from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from knowledge.db import bulk_insert
from knowledge.history import Actor, apply_changes, record_creations
from knowledge.models import (
    Credential,
    Neighbourhood,
    NeighbourhoodAlias,
    Opportunity,
    Provider,
    Topic,
    TopicSynonym,
)
from knowledge.search.index import (
    place_for,
    refresh_search_fields,
    search_text_for,
    write_search_entries,
)

Outcome = Literal["created", "updated", "unchanged"]


def find_topic(session: Session, term: str) -> Topic | None:
    """The topic named `term` or having it as a synonym, ignoring case."""
    wanted = term.strip().lower()
    topic = session.scalar(select(Topic).where(func.lower(Topic.name) == wanted))
    if topic is None:
        topic = session.scalar(
            select(Topic).join(TopicSynonym).where(func.lower(TopicSynonym.term) == wanted)
        )
    return topic


def get_or_create_topic(session: Session, name: str, actor: Actor) -> Topic:
    """Reuse a known topic (by name or synonym) or create it."""
    topic = find_topic(session, name)
    if topic is None:
        topic = Topic(name=name.strip().lower())
        apply_changes(session, topic, {"name": topic.name}, actor)
    return topic


def find_neighbourhood(session: Session, name: str) -> Neighbourhood | None:
    """The neighbourhood called `name` or known by it as an alias, ignoring case."""
    wanted = name.strip().lower()
    found = session.scalar(select(Neighbourhood).where(func.lower(Neighbourhood.name) == wanted))
    if found is None:
        found = session.scalar(
            select(Neighbourhood)
            .join(NeighbourhoodAlias)
            .where(func.lower(NeighbourhoodAlias.alias) == wanted)
        )
    return found


def get_or_create_neighbourhood(
    session: Session, name: str, actor: Actor, city: str | None = None
) -> Neighbourhood:
    """Reuse a known neighbourhood (by name or alias) or create it."""
    found = find_neighbourhood(session, name)
    if found is None:
        found = Neighbourhood(name=name.strip(), city=city)
        apply_changes(session, found, {"name": found.name, "city": city}, actor)
    return found


def find_provider(session: Session, name: str) -> Provider | None:
    """The provider with this name, ignoring case."""
    wanted = name.strip().lower()
    return session.scalar(select(Provider).where(func.lower(Provider.name) == wanted))


def get_or_create_provider(session: Session, name: str, actor: Actor) -> Provider:
    """Reuse a provider by name or create an unverified one."""
    return find_provider(session, name) or create_provider(session, name, actor)


def create_provider(session: Session, name: str, actor: Actor) -> Provider:
    """A new unverified provider (callers that already know it is new skip the lookup)."""
    provider = Provider(name=name.strip())
    apply_changes(
        session, provider, {"name": provider.name, "kind": "nonprofit", "verified": False}, actor
    )
    return provider


def find_credential(session: Session, name: str) -> Credential | None:
    """The credential with this name, ignoring case."""
    wanted = name.strip().lower()
    return session.scalar(select(Credential).where(func.lower(Credential.name) == wanted))


def get_or_create_credential(
    session: Session, name: str, credential_type: str, actor: Actor, issuer: Provider | None = None
) -> Credential:
    """Reuse a credential by name or create it with the given type and issuer."""
    credential = find_credential(session, name)
    if credential is None:
        credential = Credential(name=name.strip())
        values: dict[str, Any] = {
            "name": credential.name,
            "credential_type": credential_type,
            "issuer": issuer,
            "skills": [],
        }
        apply_changes(session, credential, values, actor)
    return credential


def upsert_opportunity(
    session: Session,
    values: Mapping[str, Any],
    actor: Actor,
    existing: Opportunity | None = None,
) -> tuple[Opportunity, Outcome]:
    """Create or update one opportunity from field values (relations as lists of records).

    `values` uses Opportunity attribute names (`provider`, `topics`, `locations`, `awards`, `days`,
    `language_list`, …). An update touches only the fields given and records each one that changed.
    """
    opportunity = existing
    if opportunity is None and values.get("external_id"):
        opportunity = session.scalar(
            select(Opportunity).where(Opportunity.external_id == values["external_id"])
        )
    values = with_is_free(values)
    created = opportunity is None
    if opportunity is None:
        opportunity = Opportunity()
    records = apply_changes(session, opportunity, values, actor)
    if created or records:
        refresh_search_fields(opportunity)
    if created:
        return opportunity, "created"
    return opportunity, "updated" if records else "unchanged"


def with_is_free(values: Mapping[str, Any]) -> Mapping[str, Any]:
    """A price of 0 means free; an unknown price means we do not know."""
    if "cost_amount" not in values:
        return values
    amount = values["cost_amount"]
    return {**values, "is_free": None if amount is None else amount == 0}


def create_opportunities(
    session: Session, items: Sequence[Mapping[str, Any]], actor: Actor
) -> list[int]:
    """Create many opportunities in a few statements (bulk imports); returns their ids in order.

    Takes the same `values` as upsert_opportunity and writes the same columns, derived search
    fields and 'create' history records, without building ORM objects (which costs more than the
    insert itself). Related records (provider, topics, locations, awards, …) must have ids.
    """
    groups: dict[tuple[str, ...], list[int]] = {}
    rows: list[dict[str, Any]] = []
    links: list[list[tuple[Any, Any]]] = []
    complete = [with_is_free(values) for values in items]
    fields: dict[str, tuple[str, Any]] = {}
    for position, values in enumerate(complete):
        related: list[tuple[Any, Any]] = []
        row: dict[str, Any] = {}
        for field, value in values.items():
            kind, how = fields.get(field) or fields.setdefault(field, _field_kind(field))
            if kind == "column":
                row[field] = value
            elif kind == "property":  # days, language_list: let the setter name the columns
                columns = SimpleNamespace()
                how(columns, list(value) if isinstance(value, (list, tuple)) else value)
                row |= vars(columns)
            elif kind == "link":
                related.extend((how, item) for item in value)
            else:
                for local, remote in how:
                    row[local] = None if value is None else getattr(value, remote)
        provider = values.get("provider")
        topics = values.get("topics", [])
        row["latitude"], row["longitude"], row["neighbourhood_id"] = place_for(
            values.get("locations", [])
        )
        row["search_text"] = search_text_for(
            row["title"],
            (topic.name for topic in topics),
            row.get("description"),
            provider.name if provider is not None else None,
        )
        groups.setdefault(tuple(sorted(row)), []).append(position)
        rows.append(row)
        links.append(related)
    ids = _insert_rows(session, rows, groups)
    _insert_links(session, ids, links)
    write_search_entries(session, ids, new=True)
    created = [
        (SimpleNamespace(**values, id=new_id), values)
        for new_id, values in zip(ids, complete, strict=True)
    ]
    record_creations(session, Opportunity.__tablename__, created, actor)
    return ids


def _field_kind(field: str) -> tuple[str, Any]:
    """How a `values` key is written: a column, a property setter, a link table or a foreign key."""
    mapper = inspect(Opportunity)
    if field in mapper.column_attrs:
        return "column", None
    prop = mapper.relationships.get(field)
    if prop is None:
        setter = getattr(inspect_static(Opportunity, field, None), "fset", None)
        if setter is None:
            raise ValueError(f"Opportunity has no field {field!r}")
        return "property", setter
    if prop.secondary is not None:
        return "link", prop
    pairs = [(str(local.key), str(remote.key)) for local, remote in prop.local_remote_pairs or ()]
    return "foreign key", pairs


def _insert_rows(
    session: Session, rows: list[dict[str, Any]], groups: dict[tuple[str, ...], list[int]]
) -> list[int]:
    """Insert opportunity rows (grouped by the columns they set); returns their ids in order."""
    ids = _new_ids(session, len(rows))
    for row, new_id in zip(rows, ids, strict=True):
        row["id"] = new_id
    table = Opportunity.metadata.tables[Opportunity.__tablename__]
    for positions in groups.values():
        bulk_insert(session, table, [rows[i] for i in positions])
    return ids


def _new_ids(session: Session, count: int) -> list[int]:
    """Ids for `count` new opportunities, taken up front so the rows insert in a few batches.

    Inserting while asking for the generated ids back, in order, costs five times more on
    PostgreSQL and one statement per row on SQLite. PostgreSQL hands out ids from the column's
    sequence, safely under concurrency. SQLite takes max + 1 onwards, as it would itself; should
    another writer take them first, the insert fails on the primary key and the caller's
    transaction rolls back, so ids never clash silently.
    """
    if session.get_bind().dialect.name == "sqlite":
        first = (session.scalar(select(func.max(Opportunity.id))) or 0) + 1
        return list(range(first, first + count))
    sequence = session.scalar(
        text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": Opportunity.__tablename__}
    )
    allocate = text("SELECT nextval(CAST(:sequence AS regclass)) FROM generate_series(1, :n)")
    return [int(i) for i in session.scalars(allocate, {"sequence": sequence, "n": count})]


def _insert_links(
    session: Session, ids: Sequence[int], links: Sequence[list[tuple[Any, Any]]]
) -> None:
    """Rows of the many-to-many tables (topics, locations, awards, …) for new opportunities."""
    columns: dict[Any, tuple[str, str, str]] = {}
    tables: dict[Any, list[dict[str, Any]]] = {}
    for new_id, related in zip(ids, links, strict=True):
        for prop, item in related:
            if prop not in columns:
                ((_parent, own_column),) = prop.synchronize_pairs
                ((target, other_column),) = prop.secondary_synchronize_pairs
                columns[prop] = (own_column.key, other_column.key, target.key)
            own, other, target_key = columns[prop]
            tables.setdefault(prop, []).append({own: new_id, other: getattr(item, target_key)})
    for prop, rows in tables.items():
        bulk_insert(session, prop.secondary, rows)
