"""The one way records enter the directory, so every path (seed, import, API, chat) logs history.

One record at a time; many new listings at once go through knowledge.bulk.opportunities.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from knowledge.city import new_listing_currency
from knowledge.history import Actor, apply_changes
from knowledge.models import (
    Credential,
    Neighbourhood,
    NeighbourhoodAlias,
    Opportunity,
    Provider,
    Topic,
    TopicSynonym,
)
from knowledge.search.index import refresh_search_fields

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


def find_topics(session: Session, terms: Iterable[str]) -> dict[str, Topic]:
    """find_topic of many terms in a few queries: each term found (trimmed, lower-case) → topic."""
    wanted = {term.strip().lower() for term in terms}
    by_name = _find_many(session, Topic, func.lower(Topic.name), wanted)
    by_synonym = select(Topic, func.lower(TopicSynonym.term)).join(TopicSynonym)
    rest = wanted - by_name.keys()
    return by_name | _find_many(session, by_synonym, func.lower(TopicSynonym.term), rest)


def get_or_create_topic(session: Session, name: str, actor: Actor) -> Topic:
    """Reuse a known topic (by name or synonym) or create it."""
    topic = find_topic(session, name)
    return create_topic(session, name, actor) if topic is None else topic


def create_topic(session: Session, name: str, actor: Actor) -> Topic:
    """A new topic (callers that already know it is new skip the lookup)."""
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


def find_neighbourhoods(session: Session, names: Iterable[str]) -> dict[str, Neighbourhood]:
    """find_neighbourhood of many names in a few queries: each name found (trimmed, lower-case)
    → neighbourhood."""
    wanted = {name.strip().lower() for name in names}
    by_name = _find_many(session, Neighbourhood, func.lower(Neighbourhood.name), wanted)
    by_alias = select(Neighbourhood, func.lower(NeighbourhoodAlias.alias)).join(NeighbourhoodAlias)
    rest = wanted - by_name.keys()
    return by_name | _find_many(session, by_alias, func.lower(NeighbourhoodAlias.alias), rest)


def get_or_create_neighbourhood(
    session: Session, name: str, actor: Actor, city: str | None = None
) -> Neighbourhood:
    """Reuse a known neighbourhood (by name or alias) or create it."""
    found = find_neighbourhood(session, name)
    return create_neighbourhood(session, name, actor, city=city) if found is None else found


def create_neighbourhood(
    session: Session, name: str, actor: Actor, city: str | None = None
) -> Neighbourhood:
    """A new neighbourhood (callers that already know it is new skip the lookup)."""
    created = Neighbourhood(name=name.strip(), city=city)
    apply_changes(session, created, {"name": created.name, "city": city}, actor)
    return created


def find_provider(session: Session, name: str) -> Provider | None:
    """The provider with this name, ignoring case."""
    wanted = name.strip().lower()
    return session.scalar(select(Provider).where(func.lower(Provider.name) == wanted))


def get_or_create_provider(session: Session, name: str, actor: Actor) -> Provider:
    """Reuse a provider by name or create an unverified one."""
    return find_provider(session, name) or create_provider(session, name, actor)


def create_provider(
    session: Session, name: str, actor: Actor, *, kind: str = "nonprofit"
) -> Provider:
    """A new unverified provider (callers that already know it is new skip the lookup)."""
    provider = Provider(name=name.strip())
    values = {"name": provider.name, "kind": kind, "verified": False}
    apply_changes(session, provider, values, actor)
    return provider


def find_credential(session: Session, name: str) -> Credential | None:
    """The credential with this name, ignoring case."""
    wanted = name.strip().lower()
    return session.scalar(select(Credential).where(func.lower(Credential.name) == wanted))


def find_credentials(session: Session, names: Iterable[str]) -> dict[str, Credential]:
    """find_credential of many names in a few queries: each name found (trimmed, lower-case) →
    credential."""
    return _find_many(session, Credential, func.lower(Credential.name), names)


def get_or_create_credential(
    session: Session, name: str, credential_type: str, actor: Actor, issuer: Provider | None = None
) -> Credential:
    """Reuse a credential by name or create it with the given type and issuer."""
    credential = find_credential(session, name)
    if credential is None:
        credential = create_credential(session, name, credential_type, actor, issuer=issuer)
    return credential


def create_credential(
    session: Session, name: str, credential_type: str, actor: Actor, issuer: Provider | None = None
) -> Credential:
    """A new credential (callers that already know it is new skip the lookup)."""
    credential = Credential(name=name.strip())
    values: dict[str, Any] = {
        "name": credential.name,
        "credential_type": credential_type,
        "issuer": issuer,
        "skills": [],
    }
    apply_changes(session, credential, values, actor)
    return credential


FIND_BATCH = 500  # names per query, well under SQLite's limit on parameters


def _find_many[Found: (Topic, Neighbourhood, Credential)](
    session: Session, query: type[Found] | Select[Any], key: Any, names: Iterable[str]
) -> dict[str, Found]:
    """Records whose `key` (a lower-cased column) is one of the names, trimmed and lower-cased;
    `query` selects the record, or the record and `key`. Like the one-name finders, the first
    record found for a name is the one it gets."""
    wanted = sorted({name.strip().lower() for name in names})
    statement = select(query, key) if isinstance(query, type) else query
    found: dict[str, Found] = {}
    for start in range(0, len(wanted), FIND_BATCH):
        batch = statement.where(key.in_(wanted[start : start + FIND_BATCH]))
        for record, name in session.execute(batch):
            found.setdefault(name, record)
    return found


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
        values = with_currency(session, values)
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


def with_currency(session: Session, values: Mapping[str, Any]) -> Mapping[str, Any]:
    """A new listing without a currency is priced in the city's (not always the model's USD)."""
    if values.get("cost_currency"):
        return values
    return {**values, "cost_currency": new_listing_currency(session)}
