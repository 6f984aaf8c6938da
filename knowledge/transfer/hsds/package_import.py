"""Importing an HSDS 3.0 Tabular Data Package: organizations, places and topics first (so places
with no listing, online places and synonyms come along), then each service as one
spreadsheet-shaped row checked by the same rules and written by the same loader as a CSV, then
every place each service is at. All or nothing: any problem, or a dry run, writes nothing."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from knowledge.history import Actor, apply_changes
from knowledge.models import (
    PROVIDER_KINDS,
    Base,
    Location,
    Opportunity,
    Provider,
    TopicSynonym,
)
from knowledge.progress import NO_PROGRESS, Progress
from knowledge.transfer.hsds import terms
from knowledge.transfer.hsds.fields import SERVICE_FIELDS, clock_cell, days_cell
from knowledge.transfer.hsds.history import history_mark, restore_history
from knowledge.transfer.hsds.objects import ATTENDING, HSDS_STATUS, Row
from knowledge.transfer.hsds.package import read_package
from knowledge.transfer.loader import load_rows
from knowledge.transfer.report import ImportReport
from knowledge.transfer.rows import OpportunityRow, check_duplicates, parse_row
from knowledge.writes import (
    find_provider,
    find_topic,
    get_or_create_credential,
    get_or_create_neighbourhood,
    get_or_create_topic,
)

# Where each spreadsheet column lives in the package, for problem messages.
FIELDS = SERVICE_FIELDS | {
    "external_id": "attributes (external_id)",
    "provider_kind": "attributes (provider_kind)",
    "topics": "attributes (topic)",
    "format": "schedules.attending_type",
    "address": "addresses.address_1",
    "neighborhood": "addresses.region",
    "city": "addresses.city",
    "application_deadline": "application_process",
    "credential": "attributes (credential)",
    "credential_type": "attributes (credential)",
}
FORMAT_OF = {words: code for code, words in ATTENDING.items()}
STATUS_OF = {words: code for code, words in HSDS_STATUS.items()}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def import_package(
    session: Session,
    folder: Path,
    *,
    actor: Actor,
    dry_run: bool = False,
    update_provider_kinds: bool = False,
    progress: Progress = NO_PROGRESS,
) -> ImportReport:
    """Create or update organizations, places, topics and a listing per service."""
    report = ImportReport(
        source=str(folder),
        dry_run=dry_run,
        record="service",
        field_label="field",
        field_names=FIELDS,
    )
    tables = read_package(folder, report)
    if tables is None or not report.ok:
        return report
    package = _Package(tables)
    mark = history_mark(session)
    created: dict[str, Base] = {}  # the records this import creates, by the package's id
    savepoint = session.begin_nested()
    try:
        providers = _organizations(session, package, actor, report, created)
        places = _locations(session, package, providers, actor, report, created)
        _topics(session, package, actor)
        known = set(session.scalars(select(Opportunity.id)))
        rows = [
            _service_row(package, number, service, report)
            for number, service in enumerate(tables["service"], start=1)
        ]
        report.extend(check_duplicates(rows))
        if report.ok:
            load_rows(
                session,
                rows,
                actor=actor,
                report=report,
                update_provider_kinds=update_provider_kinds,
                progress=progress,
            )
        if report.ok:
            listings = _link_places(session, package, places, actor)
            fresh = {sid: item for sid, item in listings.items() if item.id not in known}
            _stamp_listings(session, package, fresh)
            restore_history(session, tables["metadata"], created | fresh, mark)
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run or not report.ok:
        savepoint.rollback()
    else:
        savepoint.commit()
    return report


class _Package:
    """The package's rows, indexed by id and by the record they hang off."""

    def __init__(self, tables: dict[str, list[Row]]) -> None:
        self.tables = tables
        self.organizations = {row["id"]: row for row in tables["organization"] if "id" in row}
        self.terms = {row["id"]: row for row in tables["taxonomy_term"] if "id" in row}
        self.by: dict[str, dict[str, list[Row]]] = {}
        for table, key in (
            ("address", "location_id"),
            ("accessibility", "location_id"),
            ("schedule", "service_id"),
            ("cost_option", "service_id"),
            ("language", "service_id"),
            ("service_at_location", "service_id"),
            ("attribute", "link_id"),
        ):
            grouped: dict[str, list[Row]] = defaultdict(list)
            for row in tables[table]:
                grouped[str(row.get(key))].append(row)
            self.by[table] = grouped
        self.phones: dict[str, str] = {}
        for row in tables["phone"]:
            owner = row.get("service_id") or row.get("organization_id")
            if owner and "number" in row:
                self.phones.setdefault(owner, str(row["number"]))
        self.locations = {row["id"]: row for row in tables["location"] if "id" in row}

    def first(self, table: str, owner: str) -> Row:
        """The first row of a table hanging off a record, or an empty one."""
        found = self.by[table].get(owner) or [{}]
        return found[0]

    def values(self, owner: str, code: str) -> list[str]:
        """The values of a record's attributes with one Wayfinder field term."""
        term = terms.field_term_id(code)
        return [
            str(row.get("value", ""))
            for row in self.by["attribute"].get(owner, [])
            if row.get("taxonomy_term_id") == term
        ]

    def value(self, owner: str, code: str) -> str | None:
        """The first such value."""
        found = self.values(owner, code)
        return found[0] if found else None


def _organizations(
    session: Session,
    package: _Package,
    actor: Actor,
    report: ImportReport,
    created: dict[str, Base],
) -> dict[str, Provider]:
    """Each organization's provider, by name; a new one takes the package's details (and is
    noted in `created`)."""
    found = {}
    for number, org in enumerate(package.tables["organization"], start=1):
        name = str(org.get("name") or "").strip()
        if not name or "id" not in org:
            report.add("has no id or name", number, "organization")
            continue
        provider = find_provider(session, name)
        if provider is None:
            kind = package.value(org["id"], terms.PROVIDER_KIND) or "nonprofit"
            if kind not in PROVIDER_KINDS:
                report.add(
                    f"{kind!r} is not one of: {', '.join(PROVIDER_KINDS)}", number, "provider_kind"
                )
                kind = "nonprofit"
            provider = Provider()
            values = {
                "name": name,
                "kind": kind,
                # The source directory's organisers' decision, as its package publishes it (with
                # who verified it and when in its history, which comes along): an organiser who
                # imports the package takes it. A provider the directory knows keeps its own.
                "verified": package.value(org["id"], terms.VERIFIED) == "true",
                "description": None if org.get("description") == name else org.get("description"),
                "website": org.get("website"),
                "email": org.get("email"),
                "phone": package.phones.get(org["id"]),
            }
            apply_changes(session, provider, values, actor)
            report.note_new("provider", name)
            created[str(org["id"])] = provider
        found[str(org["id"])] = provider
    return found


def _locations(
    session: Session,
    package: _Package,
    providers: dict[str, Provider],
    actor: Actor,
    report: ImportReport,
    created: dict[str, Base],
) -> dict[str, Location]:
    """Each location as its provider's place with the same kind, name, address and point (a new
    one noted in `created`)."""
    found = {}
    for place in package.tables["location"]:
        provider = providers.get(str(place.get("organization_id")))
        if provider is None or "id" not in place:
            continue
        address = package.first("address", place["id"])
        access = "\n".join(
            str(row["description"])
            for row in package.by["accessibility"].get(place["id"], [])
            if row.get("description")
        )
        hood = address.get("region")
        values: dict[str, Any] = {
            "provider": provider,
            "name": place.get("name"),
            "location_type": place.get("location_type", "physical"),
            "url": place.get("url"),
            "address": address.get("address_1") or None,
            "city": address.get("city") or None,
            "state_province": address.get("state_province") or None,
            "postal_code": address.get("postal_code") or None,
            "country": address.get("country") or None,
            "latitude": place.get("latitude"),
            "longitude": place.get("longitude"),
            "transport": place.get("transportation"),
            "accessibility": access or None,
            "neighbourhood": get_or_create_neighbourhood(session, hood, actor, values_city(address))
            if hood
            else None,
        }
        same = next((known for known in provider.locations if _same_place(known, values)), None)
        if same is None:
            same = Location()
            apply_changes(session, same, values, actor)
            report.note_new("location", f"{values['name'] or values['address']} ({provider.name})")
            created[str(place["id"])] = same
        found[str(place["id"])] = same
    return found


def values_city(address: Row) -> str | None:
    """The city a new neighbourhood belongs to."""
    return address.get("city") or None


def _same_place(known: Location, values: dict[str, Any]) -> bool:
    """The same kind, name and point (what the place's HSDS id is made of)."""
    return all(
        getattr(known, key) == values[key]
        for key in ("location_type", "name", "latitude", "longitude")
    )


def _topics(session: Session, package: _Package, actor: Actor) -> None:
    """Every topic term, with its synonyms (a word another topic has already is left there)."""
    topic_taxonomy = terms.taxonomy_id(terms.TOPICS)
    for term in package.tables["taxonomy_term"]:
        if term.get("taxonomy_id") != topic_taxonomy or not term.get("name"):
            continue
        topic = get_or_create_topic(session, str(term["name"]), actor)
        for word in package.values(str(term.get("id")), terms.SYNONYM):
            word = word.strip().lower()
            if word and find_topic(session, word) is None:
                synonym = TopicSynonym(topic=topic, term=word)
                apply_changes(session, synonym, {"term": word}, actor)


def _service_row(
    package: _Package, number: int, service: Row, report: ImportReport
) -> OpportunityRow:
    """One service as a spreadsheet row."""
    sid = str(service.get("id"))
    org = package.organizations.get(str(service.get("organization_id")), {})
    schedule = package.first("schedule", sid)
    cost = package.first("cost_option", sid)
    places = [
        package.locations.get(str(link.get("location_id")), {})
        for link in package.by["service_at_location"].get(sid, [])
    ]
    place = next((p for p in places if p.get("location_type", "physical") == "physical"), {})
    address = package.first("address", place["id"]) if place else {}
    credential = (package.value(sid, terms.CREDENTIAL) or "").partition(": ")
    deadline = _DATE.search(str(service.get("application_process") or ""))
    attending = str(schedule.get("attending_type") or "")
    topic_names = [
        str(package.terms.get(row.get("taxonomy_term_id"), {}).get("name", ""))
        for row in package.by["attribute"].get(sid, [])
        if row.get("link_type") == terms.TOPIC_LINK
    ]
    cells: dict[str, Any] = {
        "external_id": package.value(sid, terms.EXTERNAL_ID),
        "title": service.get("name"),
        "provider": org.get("name"),
        "provider_kind": package.value(str(org.get("id")), terms.PROVIDER_KIND),
        "description": service.get("description"),
        "topics": ";".join(name for name in topic_names if name),
        "min_age": service.get("minimum_age"),
        "max_age": service.get("maximum_age"),
        "cost": cost.get("amount"),
        "cost_notes": service.get("fees_description"),
        "format": FORMAT_OF.get(attending, attending),
        "address": address.get("address_1"),
        "neighborhood": address.get("region"),
        "city": address.get("city"),
        "latitude": place.get("latitude"),
        "longitude": place.get("longitude"),
        "days": days_cell(schedule.get("byday")),
        "start_time": clock_cell(schedule.get("opens_at")),
        "end_time": clock_cell(schedule.get("closes_at")),
        "start_date": schedule.get("valid_from"),
        "end_date": schedule.get("valid_to"),
        "application_deadline": deadline[0] if deadline else None,
        "languages": ";".join(
            str(row.get("code") or "") for row in package.by["language"].get(sid, [])
        ),
        "credential": credential[2] or None,
        "credential_type": credential[0] or None,
        "enroll_url": service.get("url"),
        "contact_phone": package.phones.get(sid),
        "contact_email": service.get("email"),
        "status": STATUS_OF.get(str(service.get("status")), service.get("status")),
        "eligibility": service.get("eligibility_description"),
        "assured_date": service.get("assured_date"),
    }
    for field_name, ours in terms.TRANSLATED.items():
        for attribute in package.by["attribute"].get(sid, []):
            code = str(attribute.get("link_type") or "")
            if code.startswith(f"{field_name}@"):
                cells[f"{ours}_{code.partition('@')[2]}"] = attribute.get("value")
    text = {column: "" if value is None else _text(value) for column, value in cells.items()}
    row, problems = parse_row(text, number)
    report.extend(problems)
    seats = package.value(sid, terms.SEATS)
    if seats is not None:
        if seats.isdigit():
            row.extras["seats_available"] = int(seats)
        else:
            report.add(f"seats_available {seats!r} is not a whole number", number, "attributes")
    if cost.get("currency"):
        row.extras["cost_currency"] = str(cost["currency"]).upper()
    return row


def _text(value: Any) -> str:
    """A cell from a table value: whole numbers without a decimal point."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _link_places(
    session: Session, package: _Package, places: dict[str, Location], actor: Actor
) -> dict[str, Opportunity]:
    """Every place each service is at and every credential it awards (a row carries one); the
    listing each service became, by its id."""
    listings = {}
    for service in package.tables["service"]:
        sid = str(service.get("id"))
        links = package.by["service_at_location"].get(sid, [])
        wanted = [
            places[str(link.get("location_id"))]
            for link in links
            if str(link.get("location_id")) in places
        ]
        listing = _listing(session, package, service)
        if listing is None:
            continue
        listings[sid] = listing
        if wanted and {id(place) for place in listing.locations} != {id(p) for p in wanted}:
            apply_changes(session, listing, {"locations": wanted}, actor)
        awarded = package.values(sid, terms.CREDENTIAL)
        if len(awarded) > 1:  # the row carried the first; a listing may award several
            credentials = [
                get_or_create_credential(session, name, kind, actor, issuer=listing.provider)
                for kind, _, name in (value.partition(": ") for value in awarded)
            ]
            if {id(found) for found in listing.awards} != {id(found) for found in credentials}:
                apply_changes(session, listing, {"awards": credentials}, actor)
    return listings


def _stamp_listings(session: Session, package: _Package, fresh: dict[str, Opportunity]) -> None:
    """A listing the import created keeps its service's last_modified: its content is the
    package's, last changed then (an update the import makes is stamped with its own time). Set
    in the table, as the listing's version is still its first."""
    services = {str(service.get("id")): service for service in package.tables["service"]}
    stamps = []
    for sid, listing in fresh.items():
        stamp = _moment(services[sid].get("last_modified"))
        if stamp is not None:
            stamps.append((listing, stamp))
    if not stamps:
        return
    session.flush()
    table = Base.metadata.tables[Opportunity.__tablename__]
    session.execute(
        update(table)
        .where(table.c.id == bindparam("listing_id"))
        .values(modified_at=bindparam("stamp")),
        [{"listing_id": listing.id, "stamp": stamp} for listing, stamp in stamps],
    )
    for listing, stamp in stamps:
        set_committed_value(listing, "modified_at", stamp)


def _moment(value: Any) -> datetime | None:
    """An ISO 8601 time as naive UTC (how the database keeps times), or None."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _listing(session: Session, package: _Package, service: Row) -> Opportunity | None:
    """The listing a service became: by external id, else by provider and title."""
    external = package.value(str(service.get("id")), terms.EXTERNAL_ID)
    if external:
        return session.scalar(select(Opportunity).where(Opportunity.external_id == external))
    org = package.organizations.get(str(service.get("organization_id")), {})
    return session.scalar(
        select(Opportunity)
        .join(Provider)
        .where(
            func.lower(Provider.name) == str(org.get("name", "")).lower(),
            Opportunity.title == service.get("name"),
        )
    )
