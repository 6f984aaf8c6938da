"""Writing checked rows into the directory: match what exists, create what is new, all or nothing.

Everything rows refer to is loaded once (knowledge.transfer.existing_records), so a 10,000-row
file costs a handful of queries; new listings are inserted in bulk and history records written
in batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, selectinload

from knowledge.bulk.opportunities import create_opportunities
from knowledge.history import Actor, apply_changes, deferred_history, flush_history
from knowledge.listing_translations import TranslatedText, differs, update_translations
from knowledge.models import (
    Credential,
    Location,
    Neighbourhood,
    Opportunity,
    OpportunityTranslation,
    Provider,
    Topic,
)
from knowledge.progress import NO_PROGRESS, Progress
from knowledge.transfer.existing_records import Directory, Listing, fold, preload
from knowledge.transfer.report import ImportReport
from knowledge.transfer.rows import OpportunityRow
from knowledge.writes import (
    create_credential,
    create_neighbourhood,
    create_provider,
    create_topic,
    find_credentials,
    find_neighbourhoods,
    find_topics,
    upsert_opportunity,
)

BATCH_SIZE = 1000
COORDINATE_DIGITS = 6  # about 10 cm: two spellings of the same point are the same place


def load_rows(
    session: Session,
    rows: Sequence[OpportunityRow],
    *,
    actor: Actor,
    report: ImportReport,
    update_provider_kinds: bool = False,
    force: bool = False,
    progress: Progress = NO_PROGRESS,
) -> None:
    """Check rows against the directory and, if the report has no problems, write them all.

    A dry run does the same work inside a savepoint that is rolled back, so its counts are exact.
    A provider_kind that contradicts a provider the directory knows is a problem, unless
    `update_provider_kinds` (then the provider's kind changes, with history, and is reported).
    A row from an export (it has a version) whose listing changed since would undo that change:
    a problem, unless `force` (an organiser's decision to overwrite).
    """
    directory = preload(session)
    new_credential_types = check_credentials(rows, directory, report)
    kinds = check_provider_kinds(rows, directory, report, update=update_provider_kinds)
    if report.problems:
        report.problems.sort(key=lambda problem: (problem.record, problem.row or 0))
        return
    outdated = {} if force else outdated_rows(rows, directory)
    plan = _Plan(directory, new_credential_types, kinds, actor, progress, outdated)
    if not report.dry_run and not outdated:
        _write(session, rows, plan, report)
        return
    # Only writing can tell whether an outdated row changes its listing (it may be the same as
    # the listing is now): write in a savepoint, kept only if nothing turned out to be a problem.
    savepoint = session.begin_nested()
    try:
        _write(session, rows, plan, report)
    except BaseException:
        savepoint.rollback()
        raise
    if report.dry_run or report.problems:
        savepoint.rollback()
    else:
        savepoint.commit()


def outdated_rows(rows: Sequence[OpportunityRow], directory: Directory) -> dict[int, Listing]:
    """Rows from an export whose listing has changed since (by spreadsheet row number)."""
    outdated = {}
    for row in rows:
        if row.version is None:
            continue  # a fresh row (or file): nothing says which version it was based on
        listing = directory.match(row)
        if listing is not None and listing.columns["version"] != row.version:
            outdated[row.row] = listing
    return outdated


def _content(values: dict[str, Any]) -> dict[str, Any]:
    """A row's values but the date a provider confirmed it: confirming undoes nothing."""
    return {name: value for name, value in values.items() if name != "assured_date"}


def outdated_problem(row: OpportunityRow, listing: Listing) -> str:
    """Why an outdated row is refused, and what to do instead."""
    changed = listing.columns.get("modified_at")
    when = f" on {changed:%Y-%m-%d %H:%M} UTC" if changed else ""
    return (
        f"this listing was changed{when}, after the export this file comes from (the file "
        f"has version {row.version}, the directory {listing.columns['version']}); importing "
        "the row would undo that change. Export the directory again and make your changes in "
        "the new file (an organiser can overwrite the newer change by forcing the import)"
    )


@dataclass
class _Plan:
    """What the checks worked out, for the writing."""

    directory: Directory
    credential_types: dict[str, str]  # new credentials' types, by folded name
    provider_kinds: dict[str, str]  # the kind rows give each provider, by folded name
    actor: Actor
    progress: Progress
    outdated: dict[int, Listing]  # rows whose listing changed after their export, by row number


def check_provider_kinds(
    rows: Sequence[OpportunityRow], directory: Directory, report: ImportReport, *, update: bool
) -> dict[str, str]:
    """The kind rows give each provider (folded name → kind). Rows of one provider must agree;
    a kind other than the one the directory knows is a problem unless `update`."""
    kinds: dict[str, tuple[str, int]] = {}
    for row in rows:
        if not row.provider_kind or not row.provider:
            continue
        key = fold(row.provider)
        first = kinds.setdefault(key, (row.provider_kind, row.row))
        known = directory.providers.get(key)
        if first[0] != row.provider_kind:
            report.add(
                f"{row.provider_kind} contradicts row {first[1]}, which makes {row.provider!r} "
                f"a {first[0]}",
                row.row,
                "provider_kind",
            )
        elif known is not None and known.kind != row.provider_kind and not update:
            report.add(
                f"{known.name!r} is already a {known.kind} in the directory; write {known.kind} "
                "or leave provider_kind empty (an organiser can change it by importing with "
                "--update-provider-kinds)",
                row.row,
                "provider_kind",
            )
    return {key: kind for key, (kind, _) in kinds.items()}


def check_credentials(
    rows: Sequence[OpportunityRow], directory: Directory, report: ImportReport
) -> dict[str, str]:
    """Credential types must agree with the directory and between rows; returns new ones' types."""
    mentions: dict[str, list[OpportunityRow]] = {}
    for row in rows:
        if not row.credential or "credential_type" in row.failed:
            continue
        known = directory.credentials.get(fold(row.credential))
        if known is None:
            mentions.setdefault(fold(row.credential), []).append(row)
        elif row.credential_type and row.credential_type != known.credential_type:
            report.add(
                f"{known.name!r} is already a {known.credential_type}; write "
                f"{known.credential_type} or leave credential_type empty",
                row.row,
                "credential_type",
            )
    types: dict[str, str] = {}
    for key, mentioned in mentions.items():
        given = [row for row in mentioned if row.credential_type]
        if not given:
            first = mentioned[0]
            report.add(
                f"{first.credential!r} is a new credential; say which type it is in "
                "credential_type",
                first.row,
                "credential_type",
            )
            continue
        types[key] = str(given[0].credential_type)
        for row in given[1:]:
            if row.credential_type != types[key]:
                report.add(
                    f"{row.credential_type} contradicts row {given[0].row}, which makes "
                    f"{row.credential!r} a {types[key]}",
                    row.row,
                    "credential_type",
                )
    return types


def _write(
    session: Session, rows: Sequence[OpportunityRow], plan: _Plan, report: ImportReport
) -> None:
    """Create what rows refer to, then insert new listings in bulk and update changed ones."""
    directory, actor, progress = plan.directory, plan.actor, plan.progress
    with session.no_autoflush, deferred_history(session):
        references = _References(session, plan, report)
        references.look_up(rows)
        resolved = [references.resolve(row) for row in rows]
        flush_history(session)  # new providers, topics, places, … get the ids listings link to
        stored = _stored_translations(session, rows)
        new: list[dict[str, Any]] = []
        new_translations: list[_Translations] = []
        changed: list[tuple[int, dict[str, Any]]] = []
        translated: dict[int, _Translations] = {}  # listings whose translations change, by id
        for row, refs in zip(rows, resolved, strict=True):
            listing = directory.match(row)
            values = _values(row, refs, listing, directory)
            if listing is None:
                new.append(values)
                new_translations.append(row.translations)
                continue
            retranslated = differs(row.translations, stored.get(listing.id, {}))
            if retranslated:
                translated[listing.id] = row.translations
            if directory.unchanged(listing, values) and not retranslated:
                report.count("unchanged")
            elif row.row in plan.outdated and (
                retranslated or not directory.unchanged(listing, _content(values))
            ):
                report.add(outdated_problem(row, listing), row.row, "version")
            elif directory.unchanged(listing, values):
                report.count("updated")  # its translations only
            else:
                changed.append((listing.id, values))
        if report.problems:
            return  # outdated rows: load_rows rolls back what references created
        progress.stage("Writing listings", len(new) + len(changed))
        created = create_opportunities(session, new, actor, on_batch=progress.advance)
        report.created += len(created)
        for start in range(0, len(changed), BATCH_SIZE):
            batch = changed[start : start + BATCH_SIZE]
            _update(session, batch, actor, report)
            flush_history(session)
            progress.advance(len(batch))
        fresh = {
            listing_id: given
            for listing_id, given in zip(created, new_translations, strict=True)
            if any(given.values())
        }
        _translate(session, fresh, actor, new_version=False)
        _translate(session, translated, actor, new_version=True)
        flush_history(session)


_Translations = dict[str, TranslatedText | None]


def _stored_translations(
    session: Session, rows: Sequence[OpportunityRow]
) -> dict[int, dict[str, TranslatedText]]:
    """The directory's translations by listing id (none read when no row has translation
    columns: a sheet without them leaves translations alone)."""
    stored: dict[int, dict[str, TranslatedText]] = {}
    if not any(row.translations for row in rows):
        return stored
    for found in session.scalars(select(OpportunityTranslation)):
        text = TranslatedText(found.title, found.description)
        stored.setdefault(found.opportunity_id, {})[found.language] = text
    return stored


def _translate(
    session: Session, given: dict[int, _Translations], actor: Actor, *, new_version: bool
) -> None:
    """Write the translations rows give their listings (with history)."""
    ids = list(given)
    for start in range(0, len(ids), BATCH_SIZE):
        query = (
            select(Opportunity)
            .where(Opportunity.id.in_(ids[start : start + BATCH_SIZE]))
            .options(
                selectinload(Opportunity.translations),
                selectinload(Opportunity.provider),
                selectinload(Opportunity.topics),
                selectinload(Opportunity.locations),
                selectinload(Opportunity.awards),
            )
        )
        for opportunity in session.scalars(query):
            update_translations(
                session, opportunity, given[opportunity.id], actor, new_version=new_version
            )


def _update(
    session: Session,
    changed: Sequence[tuple[int, dict[str, Any]]],
    actor: Actor,
    report: ImportReport,
) -> None:
    """Load the listings that change and update them through upsert_opportunity (with history)."""
    query = (
        select(Opportunity)
        .where(Opportunity.id.in_([listing_id for listing_id, _ in changed]))
        .options(
            selectinload(Opportunity.topics),
            selectinload(Opportunity.locations),
            selectinload(Opportunity.awards),
        )
    )
    loaded = {opportunity.id: opportunity for opportunity in session.scalars(query)}
    for listing_id, values in changed:
        _, outcome = upsert_opportunity(session, values, actor, existing=loaded[listing_id])
        report.count(outcome)


@dataclass
class _Refs:
    """The records one row points at."""

    provider: Provider
    topics: list[Topic]
    credential: Credential | None
    location: Location | None
    online: Location | None  # the online place a row without a place names by its location_url


class _References:
    """Finds or creates the providers, topics, places and credentials that rows name."""

    def __init__(self, session: Session, plan: _Plan, report: ImportReport) -> None:
        self.session = session
        self.directory = plan.directory
        self.credential_types = plan.credential_types
        self.provider_kinds = plan.provider_kinds
        self.actor = plan.actor
        self.report = report
        self.places: dict[tuple[Any, ...], Location] = {}  # rows repeat the same few places
        self.online_places: dict[tuple[int, str], Location] = {}  # by provider and url
        # Stored records the directory lacks (see look_up), by folded name.
        self.stored_topics: dict[str, Topic] = {}
        self.stored_neighbourhoods: dict[str, Neighbourhood] = {}
        self.stored_credentials: dict[str, Credential] = {}

    def look_up(self, rows: Sequence[OpportunityRow]) -> None:
        """Find the topics, neighbourhoods and credentials rows name that the directory lacks,
        in a few queries rather than one or two per name.

        The directory holds every record as it was loaded, so these are normally none; asking
        the database all the same finds what get_or_create_topic & co. would have found.
        """
        known = self.directory
        topics = {fold(name) for row in rows for name in row.topics}
        self.stored_topics = find_topics(self.session, topics - known.topics.keys())
        places = {fold(row.neighbourhood) for row in rows if row.neighbourhood}
        self.stored_neighbourhoods = find_neighbourhoods(
            self.session, places - known.neighbourhoods.keys()
        )
        credentials = {fold(row.credential) for row in rows if row.credential}
        self.stored_credentials = find_credentials(
            self.session, credentials - known.credentials.keys()
        )

    def resolve(self, row: OpportunityRow) -> _Refs:
        """Everything the row refers to, created where unknown."""
        provider = self.provider(row)
        topics: list[Topic] = []
        for name in row.topics:
            topic = self.topic(name)
            if topic not in topics:
                topics.append(topic)
        credential = self.credential(row.credential, provider) if row.credential else None
        location = self.location(row, provider) if row.has_location else None
        online = self.online_place(row.online_url, provider) if row.online_url else None
        return _Refs(provider, topics, credential, location, online)

    def provider(self, row: OpportunityRow) -> Provider:
        """The provider by name (ignoring case), created unverified if unknown, of the kind the
        rows give (else nonprofit); a known one's kind changes only when load_rows allowed it."""
        key = fold(row.provider)
        provider = self.directory.providers.get(key)
        kind = self.provider_kinds.get(key)
        if provider is None:
            if row.provider_details:
                provider = Provider()
                values = {"name": row.provider, "kind": "nonprofit", "verified": False}
                values |= row.provider_details
                values |= {"kind": kind} if kind else {}
                apply_changes(self.session, provider, values, self.actor)
            else:
                # Unknown to the preloaded directory, which holds every provider: new.
                provider = create_provider(
                    self.session, row.provider, self.actor, kind=kind or "nonprofit"
                )
            self.directory.providers[key] = provider
            self.report.note_new("provider", provider.name)
        elif kind and provider.kind != kind:
            before = provider.kind
            apply_changes(self.session, provider, {"kind": kind}, self.actor)
            self.report.note_changed("provider kind", f"{provider.name} ({before} → {kind})")
        return provider

    def topic(self, name: str) -> Topic:
        """The topic by name or synonym (ignoring case), created if unknown."""
        topic = self.directory.topics.get(fold(name))
        if topic is None:
            topic = self.stored_topics.get(fold(name)) or create_topic(
                self.session, name, self.actor
            )
            self.directory.topics[fold(name)] = self.directory.topics[fold(topic.name)] = topic
            self.report.note_new("topic", topic.name)
        return topic

    def neighbourhood(self, name: str, city: str | None) -> Neighbourhood:
        """The neighbourhood by name or alias (ignoring case), created if unknown."""
        neighbourhood = self.directory.neighbourhoods.get(fold(name))
        if neighbourhood is None:
            neighbourhood = self.stored_neighbourhoods.get(fold(name)) or create_neighbourhood(
                self.session, name, self.actor, city=city
            )
            self.directory.neighbourhoods[fold(name)] = neighbourhood
            self.report.note_new("neighbourhood", neighbourhood.name)
        return neighbourhood

    def credential(self, name: str, issuer: Provider) -> Credential:
        """The credential by name (ignoring case), created with the row's provider as issuer."""
        key = fold(name)
        credential = self.directory.credentials.get(key)
        if credential is None:
            credential = self.stored_credentials.get(key) or create_credential(
                self.session, name, self.credential_types[key], self.actor, issuer=issuer
            )
            self.directory.credentials[key] = credential
            self.report.note_new("credential", credential.name)
        return credential

    def location(self, row: OpportunityRow, provider: Provider) -> Location:
        """The provider's location at this address (or these coordinates), created if new."""
        key = (id(provider), row.address, row.latitude, row.longitude, row.neighbourhood, row.city)
        found = self.places.get(key)
        if found is None:
            found = self.places[key] = self._place(row, provider)
        if row.place_notes and not inspect(found).pending:  # a new place got them at creation
            apply_changes(self.session, found, row.place_values(), self.actor)
        return found

    def online_place(self, url: str, provider: Provider) -> Location:
        """The provider's online place joined at `url`, created if it has none there."""
        key = (id(provider), url)
        found = self.online_places.get(key)
        if found is None:
            found = next(
                (
                    place
                    for place in provider.locations
                    if place.location_type != "physical" and place.url == url
                ),
                None,
            )
        if found is None:
            found = Location()
            values = {"provider": provider, "location_type": "virtual", "url": url}
            apply_changes(self.session, found, values, self.actor)
            self.report.note_new("location", f"{url} ({provider.name})")
        self.online_places[key] = found
        return found

    def _place(self, row: OpportunityRow, provider: Provider) -> Location:
        """Match the provider's places (see _same_address_or_point) or create one."""
        places = [place for place in provider.locations if place.location_type == "physical"]
        found = _same_address_or_point(row, places)
        if found is not None:
            return found
        neighbourhood = (
            self.neighbourhood(row.neighbourhood, row.city) if row.neighbourhood else None
        )
        if row.address is None and row.latitude is None:
            for place in places:
                if place.address or place.latitude is not None:
                    continue
                if place.neighbourhood is neighbourhood and fold(place.city or "") == fold(
                    row.city or ""
                ):
                    return place
        location = Location()
        values: dict[str, Any] = {
            "provider": provider,
            "name": row.address,
            "location_type": "physical",
            "address": row.address,
            "neighbourhood": neighbourhood,
            "city": row.city,
            "latitude": row.latitude,
            "longitude": row.longitude,
        }
        values |= {attribute: value for attribute, value in row.place_values().items() if value}
        apply_changes(self.session, location, values | row.location_details, self.actor)
        where = row.address or row.neighbourhood or row.city
        self.report.note_new(
            "location", f"{where or (row.latitude, row.longitude)} ({provider.name})"
        )
        return location


def _same_address_or_point(row: OpportunityRow, places: list[Location]) -> Location | None:
    """The place with the row's address, else (when one side has no address) its coordinates."""
    if row.address:
        for place in places:
            if place.address and fold(place.address) == fold(row.address):
                return place
    if row.latitude is None or row.longitude is None:
        return None
    point = (round(row.latitude, COORDINATE_DIGITS), round(row.longitude, COORDINATE_DIGITS))
    for place in places:
        if place.latitude is None or place.longitude is None:
            continue
        if row.address and place.address:
            continue  # two different addresses are two places, however close
        here = (round(place.latitude, COORDINATE_DIGITS), round(place.longitude, COORDINATE_DIGITS))
        if here == point:
            return place
    return None


def _values(
    row: OpportunityRow, refs: _Refs, listing: Listing | None, directory: Directory
) -> dict[str, Any]:
    """The listing's fields as upsert_opportunity takes them.

    The CSV carries one credential and one place: when the listing already has the named one
    among several, the others are kept, so exporting and re-importing changes nothing. Online
    places are kept too, unless the row names another (a row without a place, by location_url).
    """
    awards: list[Credential] = [] if listing is None else directory.current(listing, "awards")
    places: list[Location] = [] if listing is None else directory.current(listing, "locations")
    if refs.credential is None:
        awards = []
    elif refs.credential not in awards:
        awards = [refs.credential]
    virtual = [place for place in places if place.location_type != "physical"]
    if refs.online is not None and refs.online not in virtual:
        virtual = [refs.online]
    if refs.location is None:
        places = virtual
    elif refs.location not in places:
        places = [refs.location, *virtual]
    values: dict[str, Any] = {
        "external_id": row.external_id,
        "title": row.title,
        "provider": refs.provider,
        "description": row.description,
        "topics": refs.topics,
        "min_age": row.min_age,
        "max_age": row.max_age,
        "cost_amount": row.cost,
        "financial_aid": row.cost_notes,
        "format": row.format,
        "locations": places,
        "days": row.days,
        "start_time": row.start_time,
        "end_time": row.end_time,
        "start_date": row.start_date,
        "end_date": row.end_date,
        "application_deadline": row.application_deadline,
        "language_list": row.languages,
        "awards": awards,
        "enroll_url": row.enroll_url,
        "enroll_phone": row.contact_phone,
        "enroll_email": row.contact_email,
    }
    return values | row.extras
