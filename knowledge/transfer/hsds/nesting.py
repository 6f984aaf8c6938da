"""The HSDS 3.0 read API's objects: a service with its organization, places, schedule, costs and
attributes nested, list items and HSDS's page object, built from the package's own rows
(objects.page_tables) for one page of records at a time. Paging and filters run in SQL and a
page takes a fixed number of statements, however many listings it holds."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import Session, selectinload

from knowledge.models import Location, Opportunity, OpportunityTranslation, Provider, Topic
from knowledge.models.opportunity import opportunity_location
from knowledge.transfer.hsds import terms
from knowledge.transfer.hsds.objects import (
    Row,
    Tables,
    organization_id,
    page_tables,
    place_index,
    service_id_of,
)
from knowledge.transfer.hsds.place import AddressDefaults
from knowledge.transfer.ids import stable_id

VERSION = "3.0"
PROFILE = "https://github.com/openreferral/specification/tree/3.0"  # plain HSDS, no profile
OPENAPI = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/openapi.json"
# What a service, a place and an organization carry nested: (key, table, column naming the parent).
SERVICE_CHILDREN = (
    ("phones", "phone", "service_id"),
    ("schedules", "schedule", "service_id"),
    ("languages", "language", "service_id"),
    ("cost_options", "cost_option", "service_id"),
)
LOCATION_CHILDREN = (
    ("addresses", "address", "location_id"),
    ("accessibility", "accessibility", "location_id"),
)


class NotFound(LookupError):
    """No record has this HSDS id."""


@dataclass(frozen=True)
class Paging:
    """Which page, of how many items (both counted from 1)."""

    number: int = 1
    size: int = 50

    @property
    def offset(self) -> int:
        """Items before this page."""
        return (self.number - 1) * self.size


@dataclass(frozen=True)
class ServiceFilter:
    """HSDS's service filters the API supports; unset ones filter nothing."""

    search: str | None = None  # in the name or description, any case
    taxonomy_term_id: str | None = None  # a topic's term
    organization_id: str | None = None
    modified_after: datetime | None = None  # naive UTC, as the database keeps times


def api_info() -> Row:
    """The root's answer: HSDS's version, profile and API description."""
    return {"version": VERSION, "profile": PROFILE, "openapi_url": OPENAPI}


def page(contents: list[Row], total: int, paging: Paging) -> Row:
    """HSDS's page object around one page of items."""
    pages = math.ceil(total / paging.size)
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": paging.number,
        "size": len(contents),
        "first_page": paging.number == 1,
        "last_page": paging.number >= pages,
        "empty": not contents,
        "contents": contents,
    }


class Nested:
    """The rows of a page's tables, looked up by their parent's id to nest them."""

    def __init__(self, tables: Tables) -> None:
        self.rows = tables.rows
        self._by: dict[tuple[str, str], dict[str, list[Row]]] = {}

    def children(self, table: str, column: str, parent: str) -> list[Row]:
        """The rows of `table` whose `column` is `parent`, in the package's order."""
        index = self._by.get((table, column))
        if index is None:
            index = defaultdict(list)
            for row in self.rows[table]:
                if column in row:
                    index[row[column]].append(row)
            self._by[table, column] = index
        return index.get(parent, [])

    def one(self, table: str, row_id: str) -> Row:
        """The row of `table` with this id."""
        return self.children(table, "id", row_id)[0]

    def term(self, term_id: str) -> Row:
        """A taxonomy term with its taxonomy."""
        term = self.one("taxonomy_term", term_id)
        return {**term, "taxonomy_detail": self.one("taxonomy", term["taxonomy_id"])}

    def attributes(self, link_id: str) -> list[Row]:
        """A record's attributes, each with its term."""
        return [
            {**found, "taxonomy_term": self.term(found["taxonomy_term_id"])}
            for found in self.children("attribute", "link_id", link_id)
        ]

    def location(self, location_id: str) -> Row:
        """A place with its address and accessibility."""
        place = dict(self.one("location", location_id))
        for key, table, column in LOCATION_CHILDREN:
            place[key] = self.children(table, column, location_id)
        return place

    def organization(self, org_id: str) -> Row:
        """An organization with its phone and attributes (kind, verified)."""
        return {
            **self.one("organization", org_id),
            "phones": self.children("phone", "organization_id", org_id),
            "attributes": self.attributes(org_id),
        }

    def service(self, service_id: str) -> Row:
        """The fully nested service: organization, places, schedule, costs, attributes, history."""
        found = dict(self.one("service", service_id))
        found["organization"] = self.organization(found["organization_id"])
        for key, table, column in SERVICE_CHILDREN:
            found[key] = self.children(table, column, service_id)
        found["service_at_locations"] = [
            {**link, "location": self.location(link["location_id"])}
            for link in self.children("service_at_location", "service_id", service_id)
        ]
        found["attributes"] = self.attributes(service_id)
        found["metadata"] = self.children("metadata", "resource_id", service_id)
        return found

    def service_item(self, service_id: str) -> Row:
        """A service as a list shows it: its own fields and its organization's."""
        found = self.one("service", service_id)
        return {**found, "organization": self.one("organization", found["organization_id"])}


def _listings(session: Session, ids: Sequence[int]) -> list[Opportunity]:
    """These listings with what the mapping reads, in the order of `ids` (a few statements)."""
    query = (
        select(Opportunity)
        .where(Opportunity.id.in_(ids))
        .options(
            selectinload(Opportunity.provider),
            selectinload(Opportunity.topics).selectinload(Topic.synonyms),
            selectinload(Opportunity.locations).selectinload(Location.neighbourhood),
            selectinload(Opportunity.locations).selectinload(Location.provider),
            selectinload(Opportunity.awards),
            selectinload(Opportunity.translations),
        )
    )
    found = {listing.id: listing for listing in session.scalars(query)}
    return [found[listing_id] for listing_id in ids if listing_id in found]


def _listing_tables(
    session: Session, defaults: AddressDefaults, listings: list[Opportunity], full: bool
) -> Tables:
    """The rows of these listings, their organizations and (when full) their places."""
    providers = {listing.provider.id: listing.provider for listing in listings}
    places = {place.id: place for listing in listings for place in listing.locations}
    return page_tables(
        session,
        defaults,
        place_index(session),
        providers=providers.values(),
        places=places.values() if full else (),
        listings=listings,
    )


def _ordered(query: Select[Any]) -> Select[Any]:
    """Listings in the package's order (provider, title, external id), ties by database id."""
    return query.order_by(
        func.lower(Provider.name),
        func.lower(Opportunity.title),
        func.coalesce(Opportunity.external_id, ""),
        Provider.name,
        Opportunity.title,
        Opportunity.id,
    )


def _filtered(session: Session, query: Select[Any], wanted: ServiceFilter) -> Select[Any]:
    """HSDS's service filters as SQL (ids are matched through a few columns, never loaded)."""
    query = query.join(Provider, Opportunity.provider_id == Provider.id)
    if wanted.search:
        query = query.where(
            or_(
                Opportunity.title.icontains(wanted.search, autoescape=True),
                Opportunity.description.icontains(wanted.search, autoescape=True),
            )
        )
    if wanted.organization_id is not None:
        providers = session.execute(select(Provider.id, Provider.name)).all()
        chosen = [pid for pid, name in providers if organization_id(name) == wanted.organization_id]
        query = query.where(Provider.id.in_(chosen) if chosen else false())
    if wanted.taxonomy_term_id is not None:
        topics = session.execute(select(Topic.id, Topic.name)).all()
        chosen = [
            tid for tid, name in topics if terms.topic_term_id(name) == wanted.taxonomy_term_id
        ]
        query = query.where(Opportunity.topics.any(Topic.id.in_(chosen)) if chosen else false())
    if wanted.modified_after is not None:
        query = query.where(Opportunity.modified_at >= wanted.modified_after)
    return query


def _count(session: Session, query: Select[Any]) -> int:
    """How many rows a query gives."""
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def services_page(
    session: Session,
    defaults: AddressDefaults,
    paging: Paging,
    wanted: ServiceFilter,
    *,
    full: bool = False,
) -> Row:
    """GET /services: a page of services (nested in full when asked)."""
    query = _filtered(session, select(Opportunity.id), wanted)
    total = _count(session, query)
    ids = list(session.scalars(_ordered(query).limit(paging.size).offset(paging.offset)))
    listings = _listings(session, ids)
    nested = Nested(_listing_tables(session, defaults, listings, full))
    from_tables = nested.service if full else nested.service_item
    contents = [from_tables(stable_id_of(listing)) for listing in listings]
    return page(contents, total, paging)


def stable_id_of(listing: Opportunity) -> str:
    """A loaded listing's HSDS id."""
    return service_id_of(listing.external_id, listing.provider.name, listing.title)


def _service_index(session: Session) -> dict[str, int]:
    """Every listing's HSDS id → its database id, from three columns (one statement)."""
    rows = session.execute(
        select(Opportunity.id, Opportunity.external_id, Provider.name, Opportunity.title).join(
            Provider, Opportunity.provider_id == Provider.id
        )
    )
    return {
        service_id_of(external, provider, title): oid for oid, external, provider, title in rows
    }


def service(session: Session, defaults: AddressDefaults, service_id: str) -> Row:
    """GET /services/{id}: the fully nested service."""
    found = _service_index(session).get(service_id)
    if found is None:
        raise NotFound(service_id)
    listings = _listings(session, [found])
    return Nested(_listing_tables(session, defaults, listings, True)).service(service_id)


def organizations_page(
    session: Session, defaults: AddressDefaults, paging: Paging, search: str | None
) -> Row:
    """GET /organizations: a page of organizations, their own fields only."""
    query = select(Provider)
    if search:
        query = query.where(Provider.name.icontains(search, autoescape=True))
    total = _count(session, query)
    providers = list(
        session.scalars(
            query.order_by(func.lower(Provider.name), Provider.name, Provider.id)
            .limit(paging.size)
            .offset(paging.offset)
        )
    )
    tables = page_tables(session, defaults, {}, providers=providers)
    rows = Nested(tables)
    return page(
        [rows.one("organization", organization_id(p.name)) for p in providers], total, paging
    )


def organization(session: Session, defaults: AddressDefaults, org_id: str) -> Row:
    """GET /organizations/{id}: an organization with its phone, attributes, places, history and
    its services (their own fields)."""
    providers = session.execute(select(Provider.id, Provider.name)).all()
    found = next((pid for pid, name in providers if organization_id(name) == org_id), None)
    if found is None:
        raise NotFound(org_id)
    provider = session.get(
        Provider,
        found,
        options=[selectinload(Provider.locations).selectinload(Location.neighbourhood)],
    )
    assert provider is not None
    ids = list(
        session.scalars(
            _ordered(select(Opportunity.id).join(Provider)).where(Opportunity.provider_id == found)
        )
    )
    listings = _listings(session, ids)
    tables = page_tables(
        session,
        defaults,
        place_index(session),
        providers=[provider],
        places=provider.locations,
        listings=listings,
    )
    nested = Nested(tables)
    answer = nested.organization(org_id)
    answer["locations"] = [
        nested.location(row["id"]) for row in nested.children("location", "organization_id", org_id)
    ]
    answer["metadata"] = nested.children("metadata", "resource_id", org_id)
    answer["services"] = nested.children("service", "organization_id", org_id)
    return answer


def _links(wanted: ServiceFilter, session: Session) -> Select[Any]:
    """Every (listing, place) pair of the listings the filter keeps, in the services' order."""
    query = select(opportunity_location.c.opportunity_id, opportunity_location.c.location_id).join(
        Opportunity, Opportunity.id == opportunity_location.c.opportunity_id
    )
    return _filtered(session, query, wanted)


def service_at_locations_page(
    session: Session, defaults: AddressDefaults, paging: Paging, wanted: ServiceFilter
) -> Row:
    """GET /service_at_locations: a page of (service, place) links, each with both, flat."""
    query = _links(wanted, session)
    total = _count(session, query)
    pairs = session.execute(
        _ordered(query)
        .order_by(opportunity_location.c.location_id)
        .limit(paging.size)
        .offset(paging.offset)
    ).all()
    return page(_link_objects(session, defaults, pairs, full=False), total, paging)


def service_at_location(session: Session, defaults: AddressDefaults, link_id: str) -> Row:
    """GET /service_at_locations/{id}: the link with its place nested and its service."""
    services = {oid: sid for sid, oid in _service_index(session).items()}
    places = place_index(session)
    pairs = session.execute(
        select(opportunity_location.c.opportunity_id, opportunity_location.c.location_id)
    ).all()
    for oid, lid in pairs:
        if stable_id("service_at_location", services[oid], places[lid]) == link_id:
            return _link_objects(session, defaults, [(oid, lid)], full=True)[0]
    raise NotFound(link_id)


def _link_objects(
    session: Session, defaults: AddressDefaults, pairs: Sequence[Any], *, full: bool
) -> list[Row]:
    """The service_at_location objects of these (listing id, place id) pairs."""
    listings = _listings(session, sorted({oid for oid, _ in pairs}))
    tables = _listing_tables(session, defaults, listings, True)
    nested = Nested(tables)
    by_id = {listing.id: stable_id_of(listing) for listing in listings}
    found = []
    for oid, lid in pairs:
        sid, location_id = by_id[oid], tables.location_ids[lid]
        link = nested.one("service_at_location", stable_id("service_at_location", sid, location_id))
        place = nested.location(location_id) if full else nested.one("location", location_id)
        found.append({**link, "location": place, "service": nested.service_item(sid)})
    return found


def _term_tables(session: Session) -> Tables:
    """Both taxonomies and every term: Wayfinder's fields (with the translation terms of the
    languages listings are translated into) and the topics."""
    tables = Tables()
    terms.add_taxonomies(tables)
    languages = session.scalars(select(OpportunityTranslation.language).distinct())
    for language in sorted(languages):
        for field in terms.TRANSLATED:
            terms.add_translation_term(tables, language, field)
    for topic in session.scalars(
        select(Topic).options(selectinload(Topic.synonyms)).order_by(Topic.name)
    ):
        terms.add_topic(tables, topic)
    return tables


def _paged(rows: list[Row], paging: Paging) -> Row:
    """A page of a short list built whole (two taxonomies, a city's few hundred terms)."""
    return page(rows[paging.offset : paging.offset + paging.size], len(rows), paging)


def taxonomies_page(paging: Paging, search: str | None) -> Row:
    """GET /taxonomies."""
    tables = Tables()
    terms.add_taxonomies(tables)
    return _paged(_matching(tables.rows["taxonomy"], search), paging)


def taxonomy(taxonomy_id: str) -> Row:
    """GET /taxonomies/{id}."""
    tables = Tables()
    terms.add_taxonomies(tables)
    return _by_id(tables.rows["taxonomy"], taxonomy_id)


def taxonomy_terms_page(
    session: Session, paging: Paging, search: str | None, taxonomy_id: str | None
) -> Row:
    """GET /taxonomy_terms, of one taxonomy when asked."""
    rows = _term_tables(session).rows["taxonomy_term"]
    if taxonomy_id is not None:
        rows = [row for row in rows if row["taxonomy_id"] == taxonomy_id]
    return _paged(_matching(rows, search), paging)


def taxonomy_term(session: Session, term_id: str) -> Row:
    """GET /taxonomy_terms/{id}, with its taxonomy."""
    tables = _term_tables(session)
    _by_id(tables.rows["taxonomy_term"], term_id)
    return Nested(tables).term(term_id)


def _matching(rows: list[Row], search: str | None) -> list[Row]:
    """Rows whose name or description holds the search text, any case."""
    if not search:
        return rows
    text = search.casefold()
    return [
        row
        for row in rows
        if text in row["name"].casefold() or text in row.get("description", "").casefold()
    ]


def _by_id(rows: list[Row], row_id: str) -> Row:
    """The row with this id."""
    for row in rows:
        if row["id"] == row_id:
            return row
    raise NotFound(row_id)
