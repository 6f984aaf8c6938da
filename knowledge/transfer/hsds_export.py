"""Exporting the directory as Open Referral HSDS 3.0 JSON: organizations, services, places, terms.

Ids are UUIDv5 of each record's natural key (external id, key or name), so exporting twice gives
the same ids. Fields HSDS has no place for are extension fields named `x-…`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from knowledge.languages import language_name
from knowledge.listing_translations import translations_of
from knowledge.locales import SOURCE_LANGUAGE
from knowledge.models import Location, Opportunity, Provider, Topic
from knowledge.progress import NO_PROGRESS, Progress
from knowledge.transfer.exported_listings import all_listings
from knowledge.transfer.hsds.fields import BYDAY
from knowledge.transfer.hsds.objects import HSDS_STATUS
from knowledge.transfer.ids import stable_id

TAXONOMY = "wayfinder-topics"
PROGRESS_CHUNK = 500  # services made between two progress reports


def export_hsds(
    session: Session, progress: Progress = NO_PROGRESS, *, language: str | None = None
) -> dict[str, Any]:
    """The whole directory as one HSDS 3.0 document; `progress` hears of the services made.

    With a `language` listings are translated into (es), a service whose listing has that
    translation is written in it: its name and description are the translation's, `x-language`
    says so, and the original is kept in x-translations under the source language (en), so an
    HSDS consumer in that language reads its own words and importing the file back changes
    nothing."""
    progress.stage("Reading the directory")
    providers = list(session.scalars(select(Provider)))
    providers.sort(key=lambda provider: (provider.name.lower(), provider.name))
    places = list(
        session.scalars(
            select(Location).options(
                selectinload(Location.provider), selectinload(Location.neighbourhood)
            )
        )
    )
    places.sort(key=_place_order)
    topics = list(session.scalars(select(Topic).options(selectinload(Topic.synonyms))))
    topics.sort(key=lambda topic: topic.name)
    ids = _Ids(providers, places)
    terms = {topic.id: taxonomy_term(topic) for topic in topics}
    listings = all_listings(session)
    progress.stage("Writing services", len(listings))
    services = []
    for start in range(0, len(listings), PROGRESS_CHUNK):
        chunk = listings[start : start + PROGRESS_CHUNK]
        services += [in_language(service(item, ids, terms), language) for item in chunk]
        progress.advance(len(chunk))
    return {
        "organizations": [organization(provider, ids) for provider in providers],
        "services": services,
        "locations": [location(place, ids) for place in places],
        "taxonomy_terms": list(terms.values()),
    }


class _Ids:
    """Stable ids for organizations and locations (a repeated natural key gets a suffix)."""

    def __init__(self, providers: list[Provider], places: list[Location]) -> None:
        self.organizations = {
            provider.id: stable_id("organization", provider.key or provider.name)
            for provider in providers
        }
        self.locations: dict[int, str] = {}
        seen: dict[str, int] = {}
        for place in places:
            natural = place.key or "|".join(
                str(part or "")
                for part in (
                    place.provider.name if place.provider else "",
                    place.location_type,
                    place.name,
                    place.address,
                    place.latitude,
                    place.longitude,
                )
            )
            seen[natural] = seen.get(natural, 0) + 1
            suffix = f"#{seen[natural]}" if seen[natural] > 1 else ""
            self.locations[place.id] = stable_id("location", natural + suffix)


def _place_order(place: Location) -> tuple[str, str, str, str, str]:
    """Locations by provider, then key, name and address (never by database id)."""
    provider = place.provider.name.lower() if place.provider else ""
    return (provider, place.key or "", place.name or "", place.address or "", place.location_type)


def service_id(opportunity: Opportunity) -> str:
    """By external id, else by provider and title (how the importer matches rows too)."""
    if opportunity.external_id:
        return stable_id("service", opportunity.external_id)
    return stable_id("service", opportunity.provider.name, opportunity.title)


def organization(provider: Provider, ids: _Ids) -> dict[str, Any]:
    """An HSDS organization, with our kind and verification as extension fields."""
    org_id = ids.organizations[provider.id]
    phones = (
        [{"id": stable_id("phone", org_id), "number": provider.phone}] if provider.phone else []
    )
    return _compact(
        {
            "id": org_id,
            "name": provider.name,
            "description": provider.description or "",
            "email": provider.email,
            "website": provider.website,
            "phones": phones,
            "x-kind": provider.kind,
            "x-verified": provider.verified,
        }
    )


def service(
    opportunity: Opportunity, ids: _Ids, terms: dict[int, dict[str, Any]]
) -> dict[str, Any]:
    """An HSDS service with its schedule, cost, languages, places and topics nested."""
    sid = service_id(opportunity)
    phones = (
        [{"id": stable_id("phone", sid), "number": opportunity.enroll_phone}]
        if opportunity.enroll_phone
        else []
    )
    credentials = sorted(opportunity.awards, key=lambda credential: credential.name.lower())
    return _compact(
        {
            "id": sid,
            "organization_id": ids.organizations[opportunity.provider_id],
            "name": opportunity.title,
            "description": opportunity.description,
            "url": opportunity.enroll_url,
            "email": opportunity.enroll_email,
            "status": HSDS_STATUS.get(opportunity.status, opportunity.status),
            "fees_description": opportunity.financial_aid,
            "eligibility_description": opportunity.eligibility,
            "minimum_age": opportunity.min_age,
            "maximum_age": opportunity.max_age,
            "assured_date": _iso(opportunity.assured_date),
            "last_modified": opportunity.modified_at.isoformat(timespec="seconds") + "Z",
            "phones": phones,
            "schedules": _schedules(opportunity, sid),
            "cost_options": _cost_options(opportunity, sid),
            "languages": [
                _compact(
                    {
                        "id": stable_id("language", sid, code),
                        "service_id": sid,
                        "code": code,
                        "name": language_name(code),
                    }
                )
                for code in opportunity.language_list
            ],
            "service_at_locations": [
                {
                    "id": stable_id("service_at_location", sid, ids.locations[place.id]),
                    "service_id": sid,
                    "location_id": ids.locations[place.id],
                }
                for place in opportunity.locations
            ],
            "attributes": [
                {
                    "id": stable_id("attribute", sid, terms[topic.id]["id"]),
                    "link_id": sid,
                    "link_type": "topic",
                    "link_entity": "service",
                    "taxonomy_term_id": terms[topic.id]["id"],
                    "taxonomy_term": terms[topic.id],
                }
                for topic in sorted(opportunity.topics, key=lambda topic: topic.name)
            ],
            "x-external-id": opportunity.external_id,
            "x-format": opportunity.format,
            "x-application-deadline": _iso(opportunity.application_deadline),
            "x-seats-available": opportunity.seats_available,
            "x-translations": translations(opportunity),
            "x-credentials": [
                {
                    "id": achievement_id(credential.key or credential.name),
                    "name": credential.name,
                    "credential_type": credential.credential_type,
                }
                for credential in credentials
            ],
        }
    )


def in_language(record: dict[str, Any], language: str | None) -> dict[str, Any]:
    """The service written in `language` where it has that translation (see export_hsds)."""
    text = record["x-translations"].get(language) if language else None
    if not text or language == SOURCE_LANGUAGE:
        return record
    original = {"name": record["name"], "description": record["description"]}
    return record | {
        "name": text["name"] or record["name"],
        "description": text["description"] or record["description"],
        "x-language": language,
        "x-translations": record["x-translations"] | {SOURCE_LANGUAGE: original},
    }


def translations(opportunity: Opportunity) -> dict[str, dict[str, str]]:
    """The service's name and description in other languages learners chat in, by language code
    (HSDS 3.0 has no place for them): {"es": {"name": …, "description": …}}."""
    return {
        code: {"name": text.title, "description": text.description}
        for code, text in sorted(translations_of(opportunity).items())
    }


def achievement_id(natural_key: str) -> str:
    """The Open Badges Achievement id of a credential (shared with the badges export)."""
    return f"urn:uuid:{stable_id('credential', natural_key)}"


def _schedules(opportunity: Opportunity, sid: str) -> list[dict[str, Any]]:
    """One weekly RRULE-style schedule, when anything about the timing is known."""
    days = opportunity.days
    parts = (days, opportunity.start_time, opportunity.end_time)
    if not any((*parts, opportunity.start_date, opportunity.end_date)):
        return []
    hours = "–".join(t.strftime("%H:%M") for t in parts[1:] if t is not None)
    return [
        _compact(
            {
                "id": stable_id("schedule", sid),
                "service_id": sid,
                "freq": "WEEKLY" if days else None,
                "interval": 1 if days else None,
                "byday": ",".join(BYDAY[day] for day in days) or None,
                "opens_at": _time(opportunity.start_time),
                "closes_at": _time(opportunity.end_time),
                "valid_from": _iso(opportunity.start_date),
                "valid_to": _iso(opportunity.end_date),
                "description": " ".join(part for part in (", ".join(days), hours) if part) or None,
            }
        )
    ]


def _cost_options(opportunity: Opportunity, sid: str) -> list[dict[str, Any]]:
    """The price, when known (0 = free)."""
    amount = opportunity.cost_amount
    if amount is None:
        return []
    return [
        {
            "id": stable_id("cost_option", sid),
            "service_id": sid,
            "option": "Free" if amount == 0 else "Standard price",
            "amount": _json_number(amount),
            "currency": opportunity.cost_currency,
        }
    ]


def location(place: Location, ids: _Ids) -> dict[str, Any]:
    """An HSDS location with its street address; the neighbourhood is an extension field."""
    lid = ids.locations[place.id]
    address = (
        [
            _compact(
                {
                    "id": stable_id("address", lid),
                    "location_id": lid,
                    "address_1": place.address or "",
                    "city": place.city,
                    "state_province": place.state_province,
                    "postal_code": place.postal_code,
                    "country": place.country,
                    "address_type": "physical",
                }
            )
        ]
        if place.address or place.city or place.postal_code
        else []
    )
    accessibility = (
        [
            {
                "id": stable_id("accessibility", lid),
                "location_id": lid,
                "description": place.accessibility,
            }
        ]
        if place.accessibility
        else []
    )
    return _compact(
        {
            "id": lid,
            "location_type": place.location_type,
            "url": place.url,
            "organization_id": ids.organizations.get(place.provider_id or -1),
            "name": place.name,
            "transportation": place.transport,
            "latitude": place.latitude,
            "longitude": place.longitude,
            "addresses": address,
            "accessibility": accessibility,
            "x-neighbourhood": place.neighbourhood.name if place.neighbourhood else None,
        }
    )


def taxonomy_term(topic: Topic) -> dict[str, Any]:
    """A topic as a term of our own taxonomy; synonyms go in the description."""
    synonyms = ", ".join(synonym.term for synonym in topic.synonyms)
    return {
        "id": stable_id("taxonomy_term", topic.name),
        "code": topic.name,
        "name": topic.name,
        "description": f"Also called: {synonyms}" if synonyms else topic.name,
        "taxonomy": TAXONOMY,
        "language": "en",
    }


def _compact(record: dict[str, Any]) -> dict[str, Any]:
    """Leave out unknown (None) values rather than writing nulls the HSDS schema does not allow."""
    return {key: value for key, value in record.items() if value is not None}


def _iso(value: Any) -> str | None:
    """A date as YYYY-MM-DD."""
    return None if value is None else str(value.isoformat())


def _time(value: Any) -> str | None:
    """A time as HH:MM."""
    return None if value is None else str(value.strftime("%H:%M"))


def _json_number(amount: Decimal) -> int | float:
    """A price as a JSON number: 25 or 12.5."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)
