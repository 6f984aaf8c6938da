"""The directory as Open Referral HSDS 3.0 records: one flat table per HSDS object, each row keyed
by HSDS's own column names, linked by id. The Tabular Data Package writes these rows as they are;
the read API nests them (knowledge.transfer.hsds.nesting). Nothing is an `x-` field: what HSDS
has no column for is an `attribute` whose term belongs to the "Wayfinder fields" taxonomy
(knowledge.transfer.hsds.terms), HSDS's own way to extend a record."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session, selectinload

from knowledge.languages import language_name
from knowledge.models import ChangeRecord, Location, Opportunity, Provider, Topic
from knowledge.transfer.exported_listings import all_listings
from knowledge.transfer.hsds import terms
from knowledge.transfer.hsds.fields import BYDAY
from knowledge.transfer.hsds.place import AddressDefaults, location_natural_key, natural_key
from knowledge.transfer.ids import stable_id

Row = dict[str, Any]
HSDS_STATUS = {"temporarily_closed": "temporarily closed"}  # HSDS spells it with a space
ATTENDING = {"in_person": "in person", "online": "online", "hybrid": "hybrid"}
# metadata's previous/replacement value when there was none: both are required, and a CSV cannot
# tell an empty required cell from a missing one.
NO_VALUE = "(none)"
# The source of history an import restored from a package's metadata (hsds.history): its actor
# is the package's updated_by as written, which goes out again unchanged.
PACKAGE_SOURCE = "hsds-package"
APPLY_BY = "Apply by {date}."  # application_process; the importer reads the date back
# Our tables whose change history is exported, as the HSDS object each is.
RESOURCE_TYPES = {"opportunity": "service", "provider": "organization", "location": "location"}
ADDRESS_REQUIRED = ("address_1", "city", "state_province", "postal_code", "country")
# Every table this module fills, in datapackage.json's order.
TABLES = (
    "organization",
    "service",
    "attribute",
    "service_at_location",
    "location",
    "phone",
    "address",
    "schedule",
    "language",
    "accessibility",
    "taxonomy_term",
    "metadata",
    "cost_option",
    "taxonomy",
)


@dataclass
class Tables:
    """HSDS rows by table name, plus which of our records each HSDS id stands for."""

    rows: dict[str, list[Row]] = field(default_factory=lambda: {name: [] for name in TABLES})
    service_ids: dict[int, str] = field(default_factory=dict)  # opportunity id → HSDS id
    organization_ids: dict[int, str] = field(default_factory=dict)
    location_ids: dict[int, str] = field(default_factory=dict)
    incomplete_addresses: int = 0  # physical places left without an address (a part unknown)

    def add(self, table: str, row: Row) -> None:
        """One row; unknown values (None) are left out, as HSDS allows no nulls."""
        self.rows[table].append({key: value for key, value in row.items() if value is not None})


def directory_tables(
    session: Session, defaults: AddressDefaults, *, history: bool = True
) -> Tables:
    """Every HSDS table of the directory, rows in an order that uses no database ids."""
    tables = Tables()
    providers = sorted(session.scalars(select(Provider)), key=lambda p: (p.name.lower(), p.name))
    for provider in providers:
        tables.organization_ids[provider.id] = organization_id(provider.name)
    places = list(
        session.scalars(
            select(Location)
            .options(selectinload(Location.provider), selectinload(Location.neighbourhood))
            .order_by(Location.id)
        )
    )
    places.sort(key=location_natural_key)
    tables.location_ids = place_ids((place.id, location_natural_key(place)) for place in places)
    topics = sorted(
        session.scalars(select(Topic).options(selectinload(Topic.synonyms))),
        key=lambda topic: topic.name,
    )
    terms.add_taxonomies(tables)
    for topic in topics:
        terms.add_topic(tables, topic)
    for provider in providers:
        _organization(tables, provider)
    for place in places:
        _location(tables, place, defaults)
    zone = ZoneInfo(defaults.timezone)
    for opportunity in all_listings(session):
        _service(tables, opportunity, zone)
    if history:
        _metadata(tables, session)
    return tables


def place_ids(keyed: Iterable[tuple[int, tuple[str, ...]]]) -> dict[int, str]:
    """HSDS ids of places by database id, from (id, natural key) in id order: sorted by key, a
    repeated key gets #2, #3, … in that order."""
    ids: dict[int, str] = {}
    seen: dict[str, int] = {}
    for place_id, natural in sorted(keyed, key=lambda pair: pair[1]):
        key = "|".join(natural)
        seen[key] = seen.get(key, 0) + 1
        suffix = f"#{seen[key]}" if seen[key] > 1 else ""
        ids[place_id] = stable_id("location", key + suffix)
    return ids


def place_index(session: Session) -> dict[int, str]:
    """Every place's HSDS id, from a few columns (one statement, however many places)."""
    rows = session.execute(
        select(
            Location.id,
            Provider.name,
            Location.location_type,
            Location.name,
            Location.latitude,
            Location.longitude,
        )
        .outerjoin(Provider, Location.provider_id == Provider.id)
        .order_by(Location.id)
    )
    return place_ids((row[0], natural_key(*row[1:])) for row in rows)


def organization_id(name: str) -> str:
    """An organization's id, from its name."""
    return stable_id("organization", name)


def service_id(opportunity: Opportunity) -> str:
    """By external id, else by provider and title (how the importer matches listings too)."""
    return service_id_of(opportunity.external_id, opportunity.provider.name, opportunity.title)


def service_id_of(external_id: str | None, provider: str, title: str) -> str:
    """service_id from the columns alone."""
    if external_id:
        return stable_id("service", external_id)
    return stable_id("service", provider, title)


def page_tables(
    session: Session,
    defaults: AddressDefaults,
    location_ids: Mapping[int, str],
    *,
    providers: Iterable[Provider] = (),
    places: Iterable[Location] = (),
    listings: Iterable[Opportunity] = (),
) -> Tables:
    """The rows of just these records, with the ids and values the whole package gives them (the
    read API's page); listings need their relations loaded as all_listings loads them, and their
    topics' synonyms."""
    tables = Tables(location_ids=dict(location_ids))
    providers, places, listings = list(providers), list(places), list(listings)
    owners = [*providers, *(item.provider for item in listings)]
    owners += [place.provider for place in places if place.provider is not None]
    for provider in owners:
        tables.organization_ids[provider.id] = organization_id(provider.name)
    terms.add_taxonomies(tables)
    topics = {topic.name: topic for item in listings for topic in item.topics}
    for name in sorted(topics):
        terms.add_topic(tables, topics[name])
    for provider in providers:
        _organization(tables, provider)
    for place in places:
        _location(tables, place, defaults)
    zone = ZoneInfo(defaults.timezone)
    for item in listings:
        _service(tables, item, zone)
    only = {
        "opportunity": [item.id for item in listings],
        "provider": [provider.id for provider in providers],
        "location": [place.id for place in places],
    }
    _metadata(tables, session, only)
    return tables


def _organization(tables: Tables, provider: Provider) -> None:
    """An organization, its phone and its kind and verification as attributes."""
    org_id = tables.organization_ids[provider.id]
    tables.add(
        "organization",
        {
            "id": org_id,
            "name": provider.name,
            # Required, and a CSV cannot hold an empty one: the name stands in (import drops it).
            "description": provider.description or provider.name,
            "email": provider.email,
            "website": provider.website,
        },
    )
    if provider.phone:
        tables.add(
            "phone",
            {"id": stable_id("phone", org_id), "organization_id": org_id, "number": provider.phone},
        )
    terms.add_attribute(tables, org_id, "organization", terms.PROVIDER_KIND, provider.kind)
    verified = "true" if provider.verified else "false"
    terms.add_attribute(tables, org_id, "organization", terms.VERIFIED, verified)


def _location(tables: Tables, place: Location, defaults: AddressDefaults) -> None:
    """A location with its address (the neighbourhood is the address's region) and access."""
    lid = tables.location_ids[place.id]
    tables.add(
        "location",
        {
            "id": lid,
            "location_type": place.location_type,
            "url": place.url,
            "organization_id": tables.organization_ids.get(place.provider_id or -1),
            "name": place.name,
            "transportation": place.transport,
            "latitude": place.latitude,
            "longitude": place.longitude,
        },
    )
    address = {
        "id": stable_id("address", lid),
        "location_id": lid,
        "address_1": place.address,
        "city": place.city,
        "region": place.neighbourhood.name if place.neighbourhood else None,
        "state_province": place.state_province or defaults.state_province,
        "postal_code": place.postal_code,
        "country": place.country or defaults.country,
        "address_type": "physical",
    }
    if place.location_type == "physical":
        if all(address[part] for part in ADDRESS_REQUIRED):
            tables.add("address", address)
        else:  # HSDS requires every part: the place goes out with its name and point only
            tables.incomplete_addresses += 1
    if place.accessibility:
        tables.add(
            "accessibility",
            {
                "id": stable_id("accessibility", lid),
                "location_id": lid,
                "description": place.accessibility,
            },
        )


def _service(tables: Tables, opportunity: Opportunity, zone: ZoneInfo) -> None:
    """A service and the rows that hang off it: schedule, cost, languages, places, attributes."""
    sid = service_id(opportunity)
    tables.service_ids[opportunity.id] = sid
    deadline = opportunity.application_deadline
    tables.add(
        "service",
        {
            "id": sid,
            "organization_id": tables.organization_ids[opportunity.provider_id],
            "name": opportunity.title,
            "description": opportunity.description,
            "url": opportunity.enroll_url,
            "email": opportunity.enroll_email,
            "status": HSDS_STATUS.get(opportunity.status, opportunity.status),
            "application_process": APPLY_BY.format(date=deadline.isoformat()) if deadline else None,
            "fees_description": opportunity.financial_aid,
            "eligibility_description": opportunity.eligibility,
            "minimum_age": opportunity.min_age,
            "maximum_age": opportunity.max_age,
            "assured_date": _iso(opportunity.assured_date),
            "last_modified": opportunity.modified_at.isoformat(timespec="seconds") + "Z",
        },
    )
    if opportunity.enroll_phone:
        tables.add(
            "phone",
            {"id": stable_id("phone", sid), "service_id": sid, "number": opportunity.enroll_phone},
        )
    tables.add("schedule", schedule(opportunity, sid, zone))
    if opportunity.cost_amount is not None:
        amount = opportunity.cost_amount
        tables.add(
            "cost_option",
            {
                "id": stable_id("cost_option", sid),
                "service_id": sid,
                "option": "Free" if amount == 0 else "Standard price",
                "amount": _number(amount),
                "currency": opportunity.cost_currency,
            },
        )
    for code in opportunity.language_list:
        tables.add(
            "language",
            {
                "id": stable_id("language", sid, code),
                "service_id": sid,
                "name": language_name(code),
                "code": code,
            },
        )
    for lid in sorted(tables.location_ids[place.id] for place in opportunity.locations):
        tables.add(
            "service_at_location",
            {
                "id": stable_id("service_at_location", sid, lid),
                "service_id": sid,
                "location_id": lid,
            },
        )
    terms.add_service_attributes(tables, opportunity, sid)


def schedule(opportunity: Opportunity, sid: str, zone: ZoneInfo) -> Row:
    """The weekly timing, in the city's time zone, and how the service is attended."""
    days = opportunity.days
    offset = utc_offset(zone, opportunity.start_date)
    hours = "–".join(
        t.strftime("%H:%M") for t in (opportunity.start_time, opportunity.end_time) if t
    )
    timed = days or opportunity.start_time or opportunity.end_time
    return {
        "id": stable_id("schedule", sid),
        "service_id": sid,
        "valid_from": _iso(opportunity.start_date),
        "valid_to": _iso(opportunity.end_date),
        "timezone": _hours(offset) if timed or opportunity.start_date else None,
        "freq": "WEEKLY" if days else None,
        "interval": 1 if days else None,
        "byday": ",".join(BYDAY[day] for day in days) or None,
        "description": " ".join(part for part in (", ".join(days), hours) if part) or None,
        "opens_at": _clock(opportunity.start_time, offset),
        "closes_at": _clock(opportunity.end_time, offset),
        "attending_type": ATTENDING[opportunity.format],
    }


def utc_offset(zone: ZoneInfo, day: date | None) -> int:
    """The city's offset from UTC in minutes on the schedule's first day, or its standard
    (winter) offset when the schedule has no dates, so exports do not change with the season."""
    moment = datetime(day.year, day.month, day.day, 12) if day else datetime(2001, 1, 1, 12)
    utc = zone.utcoffset(moment)
    summer = zone.dst(moment)
    assert utc is not None
    if day is None and summer:
        utc -= summer
    return int(utc.total_seconds() // 60)


def _clock(value: time | None, offset: int) -> str | None:
    """HH:MM with the UTC offset HSDS asks for: 18:00-04:00 (Z for UTC)."""
    if value is None:
        return None
    if offset == 0:
        return f"{value:%H:%M}Z"
    sign = "-" if offset < 0 else "+"
    hours, minutes = divmod(abs(offset), 60)
    return f"{value:%H:%M}{sign}{hours:02d}:{minutes:02d}"


def _hours(minutes: int) -> int | float:
    """An offset in hours as HSDS's `timezone` number: -5, or 5.5."""
    return minutes // 60 if minutes % 60 == 0 else minutes / 60


def _metadata(
    tables: Tables, session: Session, only: Mapping[str, Collection[int]] | None = None
) -> None:
    """The change history of exported services, organizations and locations (HSDS metadata);
    with `only`, of just those records (by our table and id)."""
    ids: Mapping[str, Mapping[int, str]] = {
        "opportunity": tables.service_ids,
        "provider": tables.organization_ids,
        "location": tables.location_ids,
    }
    query = select(ChangeRecord).where(ChangeRecord.entity_type.in_(RESOURCE_TYPES))
    if only is not None:
        query = query.where(
            or_(
                *(
                    and_(ChangeRecord.entity_type == kind, ChangeRecord.entity_id.in_(wanted))
                    for kind, wanted in only.items()
                    if wanted
                ),
                false(),
            )
        )
    records = session.scalars(query.order_by(ChangeRecord.changed_at, ChangeRecord.id))
    count: dict[str, int] = {}
    for record in records:
        resource = ids[record.entity_type].get(record.entity_id)
        if resource is None:
            continue  # a record deleted since
        count[resource] = count.get(resource, 0) + 1
        tables.add(
            "metadata",
            {
                "id": stable_id("metadata", resource, str(count[resource])),
                "resource_id": resource,
                "resource_type": RESOURCE_TYPES[record.entity_type],
                "last_action_date": record.changed_at.date().isoformat(),
                "last_action_type": record.action,
                "field_name": record.field,
                "previous_value": record.old_value or NO_VALUE,
                "replacement_value": record.new_value or NO_VALUE,
                "updated_by": record.actor
                if record.source == PACKAGE_SOURCE
                else f"{record.actor} ({record.source})",
            },
        )


def _iso(value: date | None) -> str | None:
    """A date as YYYY-MM-DD."""
    return None if value is None else value.isoformat()


def _number(amount: Decimal) -> int | float:
    """A price as a JSON number: 25 or 12.5."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)
