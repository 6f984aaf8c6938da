"""HSDS taxonomies and attributes: the topic taxonomy, and "Wayfinder fields", whose terms name
what HSDS has no column for (an external id, seats, a credential, a provider's kind, a topic's
synonym, a translated name); an `attribute` with that term carries the value in `value`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from knowledge.listing_translations import translations_of
from knowledge.models import Opportunity, Topic
from knowledge.transfer.ids import stable_id

if TYPE_CHECKING:
    from knowledge.transfer.hsds.objects import Tables

TOPICS = "Wayfinder topics"
FIELDS = "Wayfinder fields"
TOPIC_LINK = "topic"  # link_type of an attribute that files a service under a topic
EXTERNAL_ID = "external_id"
SEATS = "seats_available"
CREDENTIAL = "credential"  # value: "<credential type>: <name>"
PROVIDER_KIND = "provider_kind"
VERIFIED = "verified"
SYNONYM = "synonym"
FIELD_TERMS = {
    EXTERNAL_ID: "The service's id in the system it came from (the spreadsheet's external_id).",
    SEATS: "How many places are left on the service.",
    CREDENTIAL: "A credential the service awards, as its type and name (badge: Scratch Badge).",
    PROVIDER_KIND: "What kind of organization this is (school, library, nonprofit, …).",
    VERIFIED: "Whether the directory's organisers have verified the organization (true/false).",
    SYNONYM: "Another word learners use for a topic.",
}
TRANSLATED = {"name": "title", "description": "description"}  # HSDS field → our field


def taxonomy_id(name: str) -> str:
    """A taxonomy's id."""
    return stable_id("taxonomy", name)


def topic_term_id(name: str) -> str:
    """A topic's term id."""
    return stable_id("taxonomy_term", name)


def field_term_id(code: str) -> str:
    """A Wayfinder field's term id."""
    return stable_id("taxonomy_term", FIELDS, code)


def translation_code(language: str, field: str) -> str:
    """The term of a service's name or description in one language: name@es."""
    return f"{field}@{language}"


def add_taxonomies(tables: Tables) -> None:
    """Both taxonomies and the fixed Wayfinder field terms."""
    tables.add(
        "taxonomy",
        {
            "id": taxonomy_id(TOPICS),
            "name": TOPICS,
            "description": "The subjects learners search this directory by.",
        },
    )
    tables.add(
        "taxonomy",
        {
            "id": taxonomy_id(FIELDS),
            "name": FIELDS,
            "description": "Facts about a record that HSDS 3.0 has no field for, as attributes.",
        },
    )
    for code, description in FIELD_TERMS.items():
        _field_term(tables, code, description)


def _field_term(tables: Tables, code: str, description: str) -> None:
    """One Wayfinder field term."""
    tables.add(
        "taxonomy_term",
        {
            "id": field_term_id(code),
            "code": code,
            "name": code,
            "description": description,
            "taxonomy": FIELDS,
            "language": "en",
            "taxonomy_id": taxonomy_id(FIELDS),
        },
    )


def add_topic(tables: Tables, topic: Topic) -> None:
    """A topic as a term; its synonyms in the description and as attributes."""
    term_id = topic_term_id(topic.name)
    synonyms = [synonym.term for synonym in topic.synonyms]
    tables.add(
        "taxonomy_term",
        {
            "id": term_id,
            "code": topic.name,
            "name": topic.name,
            "description": f"Also called: {', '.join(synonyms)}" if synonyms else topic.name,
            "taxonomy": TOPICS,
            "language": "en",
            "taxonomy_id": taxonomy_id(TOPICS),
        },
    )
    for synonym in synonyms:
        add_attribute(tables, term_id, "taxonomy_term", SYNONYM, synonym)


def add_attribute(tables: Tables, link_id: str, entity: str, code: str, value: str | None) -> None:
    """A Wayfinder field's value on a record (nothing when the value is unknown)."""
    if value is None:
        return
    term = field_term_id(code)
    tables.add(
        "attribute",
        {
            "id": stable_id("attribute", link_id, term, value),
            "link_id": link_id,
            "taxonomy_term_id": term,
            "link_type": code,
            "link_entity": entity,
            "value": value,
        },
    )


def add_service_attributes(tables: Tables, opportunity: Opportunity, sid: str) -> None:
    """A service's topics, then its Wayfinder fields and translations."""
    for topic in sorted(opportunity.topics, key=lambda topic: topic.name):
        term = topic_term_id(topic.name)
        tables.add(
            "attribute",
            {
                "id": stable_id("attribute", sid, term),
                "link_id": sid,
                "taxonomy_term_id": term,
                "link_type": TOPIC_LINK,
                "link_entity": "service",
            },
        )
    add_attribute(tables, sid, "service", EXTERNAL_ID, opportunity.external_id)
    seats = opportunity.seats_available
    add_attribute(tables, sid, "service", SEATS, None if seats is None else str(seats))
    for credential in sorted(opportunity.awards, key=lambda found: found.name.lower()):
        value = f"{credential.credential_type}: {credential.name}"
        add_attribute(tables, sid, "service", CREDENTIAL, value)
    translated = sorted(translations_of(opportunity).items())
    known = {row["id"] for row in tables.rows["taxonomy_term"]} if translated else set()
    for language, text in translated:
        for field, ours in TRANSLATED.items():
            code = translation_code(language, field)
            if field_term_id(code) not in known:
                add_translation_term(tables, language, field)
                known.add(field_term_id(code))
            add_attribute(tables, sid, "service", code, getattr(text, ours))


def add_translation_term(tables: Tables, language: str, field: str) -> None:
    """The Wayfinder field term of a service's name or description in one language."""
    _field_term(tables, translation_code(language, field), f"The service's {field} in {language}.")
