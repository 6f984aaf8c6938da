"""What the directory already holds, loaded once per import and keyed the way rows refer to it.

Listings are read as plain rows rather than ORM objects: building 10,000 objects with their
relations costs more than importing an unchanged 10,000-row file should. Only listings that
actually change are loaded as objects and updated through upsert_opportunity.
"""

from __future__ import annotations

import inspect as pyinspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from types import SimpleNamespace
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, selectinload

from knowledge.history import as_text
from knowledge.models import Credential, Location, Neighbourhood, Opportunity, Provider, Topic
from knowledge.transfer.rows import OpportunityRow
from knowledge.writes import with_is_free

LINKS = {"topics": Topic, "locations": Location, "awards": Credential}


def fold(text: str) -> str:
    """The form names are compared in: trimmed, lower-case."""
    return text.strip().lower()


@dataclass
class Listing:
    """An existing opportunity as stored: its columns and the ids of its linked records."""

    id: int
    columns: dict[str, Any]
    links: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class Directory:
    """Providers, topics, places, credentials and listings, keyed the way rows name them."""

    providers: dict[str, Provider] = field(default_factory=dict)
    topics: dict[str, Topic] = field(default_factory=dict)
    neighbourhoods: dict[str, Neighbourhood] = field(default_factory=dict)
    credentials: dict[str, Credential] = field(default_factory=dict)
    by_id: dict[type[Any], dict[int, Any]] = field(default_factory=dict)
    by_external_id: dict[str, Listing] = field(default_factory=dict)
    by_provider_title: dict[tuple[str, str], Listing] = field(default_factory=dict)

    def match(self, row: OpportunityRow) -> Listing | None:
        """The listing a row updates: same external_id, else same provider and title."""
        if row.external_id:
            return self.by_external_id.get(row.external_id)
        return self.by_provider_title.get((fold(row.provider), fold(row.title)))

    def current(self, listing: Listing, name: str) -> Any:
        """A field's stored value as upsert_opportunity's `values` would give it (KeyError if
        this snapshot cannot tell)."""
        if name == "provider":
            return self.by_id[Provider][listing.columns["provider_id"]]
        if name in LINKS:
            records = self.by_id[LINKS[name]]
            return [records[record_id] for record_id in listing.links[name]]
        if name in listing.columns:
            return listing.columns[name]
        prop = pyinspect.getattr_static(Opportunity, name, None)
        if isinstance(prop, property) and prop.fget is not None:
            return prop.fget(SimpleNamespace(**listing.columns))  # days, language_list
        raise KeyError(name)

    def unchanged(self, listing: Listing, values: Mapping[str, Any]) -> bool:
        """True when upsert_opportunity would change nothing (it compares the same way)."""
        for name, new in with_is_free(values).items():
            try:
                old = self.current(listing, name)
            except KeyError:
                return False
            if old is new or (type(old) is type(new) and type(old) in _EXACT and old == new):
                continue  # equal values of these types always have equal text
            if as_text(old) != as_text(new):
                return False
        return True


# Types whose == agrees with as_text (unlike Decimal: 12.5 == 12.50 but the texts differ).
_EXACT = (str, int, bool, date, time, list)


def preload(session: Session) -> Directory:
    """Everything rows can refer to, in a few queries."""
    directory = Directory()
    places = list(session.scalars(select(Location).options(selectinload(Location.neighbourhood))))
    directory.by_id[Location] = {place.id: place for place in places}
    providers = session.scalars(select(Provider).options(selectinload(Provider.locations)))
    for provider in providers:
        directory.providers[fold(provider.name)] = provider
        directory.by_id.setdefault(Provider, {})[provider.id] = provider
    directory.by_id.setdefault(Provider, {})
    topics = list(session.scalars(select(Topic).options(selectinload(Topic.synonyms))))
    for topic in topics:
        for synonym in topic.synonyms:
            directory.topics.setdefault(fold(synonym.term), topic)
    for topic in topics:
        directory.topics[fold(topic.name)] = topic  # a name wins over another topic's synonym
    directory.by_id[Topic] = {topic.id: topic for topic in topics}
    query = select(Neighbourhood).options(selectinload(Neighbourhood.aliases))
    neighbourhoods = list(session.scalars(query))
    for neighbourhood in neighbourhoods:
        for alias in neighbourhood.aliases:
            directory.neighbourhoods.setdefault(fold(alias.alias), neighbourhood)
    for neighbourhood in neighbourhoods:
        directory.neighbourhoods[fold(neighbourhood.name)] = neighbourhood
    credentials = list(session.scalars(select(Credential)))
    directory.credentials = {fold(credential.name): credential for credential in credentials}
    directory.by_id[Credential] = {credential.id: credential for credential in credentials}
    _load_listings(session, directory)
    return directory


def _load_listings(session: Session, directory: Directory) -> None:
    """Every listing's columns and linked ids, as plain rows."""
    table = Opportunity.__table__
    listings: dict[int, Listing] = {}
    for columns in session.execute(select(table).order_by(table.c.id)).mappings():
        listing = Listing(columns["id"], dict(columns), {name: [] for name in LINKS})
        listings[listing.id] = listing
    relationships = inspect(Opportunity).relationships
    for name in LINKS:
        prop = relationships[name]
        assert prop.synchronize_pairs and prop.secondary_synchronize_pairs, name
        ((_, own),) = prop.synchronize_pairs
        ((_, other),) = prop.secondary_synchronize_pairs
        for own_id, other_id in session.execute(select(own, other)):
            listings[own_id].links[name].append(other_id)
    providers = directory.by_id[Provider]
    for listing in listings.values():
        external_id = listing.columns["external_id"]
        if external_id:
            directory.by_external_id[external_id] = listing
        else:
            provider = providers[listing.columns["provider_id"]]
            key = (fold(provider.name), fold(listing.columns["title"]))
            directory.by_provider_title.setdefault(key, listing)
