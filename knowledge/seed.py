"""Loading a city's directory from readable YAML files (the demo city ships in knowledge/demo/)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.history import Actor, apply_changes, as_text
from knowledge.listing_fields import (
    FieldError,
    parse_age,
    parse_choice,
    parse_coordinate,
    parse_cost,
    parse_date,
    parse_day,
    parse_language,
    parse_seats,
    parse_time,
)
from knowledge.models import (
    CREDENTIAL_TYPES,
    FORMATS,
    GOAL_TYPES,
    LOCATION_TYPES,
    PROVIDER_KINDS,
    STATUSES,
    Base,
    Career,
    ChangeRecord,
    Credential,
    Location,
    Neighbourhood,
    NeighbourhoodAlias,
    Opportunity,
    Pathway,
    PathwayStep,
    Provider,
    Topic,
    TopicSynonym,
)
from knowledge.writes import upsert_opportunity

DEMO_DIR = Path(__file__).resolve().parent / "demo"
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser: same rules, faster
SEED_ACTOR = Actor(name="seed", source="seed")


class SeedError(ValueError):
    """A problem in the seed files, named by file and entry so it can be fixed."""


@dataclass
class SeedReport:
    """What seeding changed, per kind of record."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def count(self, kind: str, outcome: str) -> None:
        """Tally one record's outcome (created / updated / unchanged)."""
        bucket = self.counts.setdefault(kind, {"created": 0, "updated": 0, "unchanged": 0})
        bucket[outcome] += 1

    def summary(self) -> str:
        """One line per kind, e.g. `opportunities: 170 created, 0 updated, 0 unchanged`."""
        return "\n".join(
            f"{kind}: {c['created']} created, {c['updated']} updated, {c['unchanged']} unchanged"
            for kind, c in self.counts.items()
        )


@dataclass
class _Loader:
    """Holds what was loaded so later files can refer to earlier ones by key."""

    session: Session
    folder: Path
    report: SeedReport = field(default_factory=SeedReport)
    city: str | None = None
    region: str | None = None  # city.yml's state or province, for its physical places
    country: str | None = None  # city.yml's ISO 3166-1 country code, likewise
    currency: str = "USD"
    neighbourhoods: dict[str, Neighbourhood] = field(default_factory=dict)
    topics: dict[str, Topic] = field(default_factory=dict)
    careers: dict[str, Career] = field(default_factory=dict)
    providers: dict[str, Provider] = field(default_factory=dict)
    locations: dict[str, Location] = field(default_factory=dict)
    credentials: dict[str, Credential] = field(default_factory=dict)
    opportunities: dict[str, Opportunity] = field(default_factory=dict)

    # -- reading ---------------------------------------------------------------------------

    def read(self, name: str) -> Any:
        """Parse one YAML file, naming it in any error."""
        return _read(self.folder / name)

    def save(self, kind: str, entity: Base, values: Mapping[str, Any]) -> None:
        """Create or update one record with history, and tally the outcome."""
        existed = entity.__dict__.get("id") is not None
        changes = apply_changes(self.session, entity, values, SEED_ACTOR)
        self.report.count(
            kind, "updated" if existed and changes else "created" if not existed else "unchanged"
        )

    # -- city.yml ---------------------------------------------------------------------------

    def load_city(self) -> None:
        """Neighbourhoods, topics and careers."""
        data = self.read("city.yml") or {}
        city = data.get("city") or {}
        self.city = city.get("name")
        self.region = city.get("region")
        self.country = city.get("country")
        self.currency = city.get("currency", "USD")
        for entry in _entries(data.get("neighbourhoods"), "city.yml", "neighbourhoods"):
            name = _required(entry, "name", "city.yml neighbourhood")
            hood = self.session.scalar(select(Neighbourhood).where(Neighbourhood.name == name))
            values = {
                "name": name,
                "city": self.city,
                "latitude": _coordinate(entry.get("latitude"), "latitude", f"neighbourhood {name}"),
                "longitude": _coordinate(
                    entry.get("longitude"), "longitude", f"neighbourhood {name}"
                ),
            }
            hood = hood or Neighbourhood()
            self.save("neighbourhoods", hood, values)
            self._sync_terms(
                hood, "aliases", NeighbourhoodAlias, "alias", entry.get("aliases") or []
            )
            self.neighbourhoods[name.lower()] = hood
            for alias in entry.get("aliases") or []:
                self.neighbourhoods[str(alias).lower()] = hood
        for entry in _entries(data.get("topics"), "city.yml", "topics"):
            name = str(_required(entry, "name", "city.yml topic")).lower()
            topic = self.session.scalar(select(Topic).where(Topic.name == name)) or Topic()
            self.save("topics", topic, {"name": name})
            self._sync_terms(topic, "synonyms", TopicSynonym, "term", entry.get("synonyms") or [])
            self.topics[name] = topic
        for entry in _entries(data.get("careers"), "city.yml", "careers"):
            key = _required(entry, "key", "city.yml career")
            career = self.session.scalar(select(Career).where(Career.key == key)) or Career()
            values = {
                "key": key,
                "name": _required(entry, "name", f"career {key}"),
                "description": entry.get("description"),
            }
            self.save("careers", career, values)
            self.careers[key] = career

    def _sync_terms(
        self,
        owner: Neighbourhood | Topic,
        attribute: str,
        model: type[Any],
        column: str,
        wanted: Iterable[Any],
    ) -> None:
        """Make an owner's alias/synonym rows equal `wanted`, recording the change once."""
        terms = sorted({str(term).strip().lower() for term in wanted if str(term).strip()})
        rows = getattr(owner, attribute)
        current = sorted(getattr(row, column) for row in rows)
        if current == terms:
            return
        for term in terms:
            clash = self.session.scalar(select(model).where(getattr(model, column) == term))
            if clash is not None and clash not in rows:
                raise SeedError(
                    f"{owner.name}: '{term}' already belongs to another {attribute} owner"
                )
        keep = [row for row in rows if getattr(row, column) in terms]
        have = {getattr(row, column) for row in keep}
        setattr(
            owner, attribute, keep + [model(**{column: term}) for term in terms if term not in have]
        )
        self.session.flush()
        self.session.add(
            ChangeRecord(
                entity_type=owner.__tablename__,
                entity_id=owner.id,
                entity_key=owner.name,
                action="update",
                field=attribute,
                old_value=";".join(current) or None,
                new_value=";".join(terms) or None,
                actor=SEED_ACTOR.name,
                source=SEED_ACTOR.source,
            )
        )

    # -- providers.yml ---------------------------------------------------------------------

    def load_providers(self) -> None:
        """Organisations and their locations."""
        for entry in _entries(self.read("providers.yml"), "providers.yml", None):
            key = _required(entry, "key", "providers.yml entry")
            where = f"providers.yml provider {key}"
            provider = (
                self.session.scalar(select(Provider).where(Provider.key == key)) or Provider()
            )
            values = {
                "key": key,
                "name": _required(entry, "name", where),
                "kind": _choice(entry.get("kind"), PROVIDER_KINDS, f"{where}: kind"),
                "description": entry.get("description"),
                "website": entry.get("website"),
                "email": entry.get("email"),
                "phone": _text(entry.get("phone")),
                "verified": bool(entry.get("verified", False)),
            }
            self.save("providers", provider, values)
            self.providers[key] = provider
            for spot in _entries(entry.get("locations"), where, "locations"):
                self.load_location(provider, spot, where)

    def load_location(self, provider: Provider, entry: Mapping[str, Any], where: str) -> None:
        """One place of a provider; virtual places have no address."""
        key = _required(entry, "key", f"{where} location")
        where = f"{where} location {key}"
        location_type = _choice(entry.get("type", "physical"), LOCATION_TYPES, f"{where}: type")
        hood_name = entry.get("neighbourhood")
        hood = None
        if hood_name:
            hood = self.neighbourhoods.get(str(hood_name).lower())
            if hood is None:
                raise SeedError(f"{where}: unknown neighbourhood '{hood_name}' (not in city.yml)")
        location = self.session.scalar(select(Location).where(Location.key == key)) or Location()
        values = {
            "key": key,
            "provider": provider,
            "name": entry.get("name"),
            "location_type": location_type,
            "address": entry.get("address"),
            "neighbourhood": hood,
            "city": entry.get("city", self.city if location_type == "physical" else None),
            "state_province": entry.get(
                "state_province", self.region if location_type == "physical" else None
            ),
            "postal_code": _text(entry.get("postal_code")),
            "country": entry.get("country", self.country if location_type == "physical" else None),
            "url": entry.get("url"),
            "latitude": _coordinate(entry.get("latitude"), "latitude", f"{where}: latitude"),
            "longitude": _coordinate(entry.get("longitude"), "longitude", f"{where}: longitude"),
            "accessibility": entry.get("accessibility"),
            "transport": entry.get("transport"),
        }
        self.save("locations", location, values)
        self.locations[key] = location

    # -- credentials.yml -------------------------------------------------------------------

    def load_credentials(self) -> None:
        """Credentials first, then the links between them (which may point forward)."""
        entries = list(_entries(self.read("credentials.yml"), "credentials.yml", None))
        for entry in entries:
            key = _required(entry, "key", "credentials.yml entry")
            where = f"credentials.yml credential {key}"
            credential = (
                self.session.scalar(select(Credential).where(Credential.key == key)) or Credential()
            )
            values = {
                "key": key,
                "name": _required(entry, "name", where),
                "credential_type": _choice(entry.get("type"), CREDENTIAL_TYPES, f"{where}: type"),
                "issuer": self._ref(
                    self.providers, entry.get("issuer"), f"{where}: issuer", "provider"
                ),
                "description": entry.get("description"),
                "criteria": entry.get("criteria"),
                "skills": [str(skill) for skill in entry.get("skills") or []],
                "recognised_by": entry.get("recognised_by"),
                "min_age": _age(entry.get("min_age"), f"{where}: min_age"),
            }
            self.save("credentials", credential, values)
            self.credentials[key] = credential
        for entry in entries:
            where = f"credentials.yml credential {entry['key']}"
            prepares = entry.get("prepares_for") or {}
            links = {
                "requires": self._refs(
                    self.credentials, entry.get("requires"), f"{where}: requires", "credential"
                ),
                "prepares_for": self._refs(
                    self.credentials,
                    prepares.get("credentials"),
                    f"{where}: prepares_for",
                    "credential",
                ),
                "careers": self._refs(
                    self.careers, prepares.get("careers"), f"{where}: careers", "career"
                ),
            }
            apply_changes(self.session, self.credentials[entry["key"]], links, SEED_ACTOR)

    # -- opportunities/*.yml ---------------------------------------------------------------

    def load_opportunities(self) -> None:
        """Every listing file, in name order so the load is repeatable."""
        folder = self.folder / "opportunities"
        files = sorted(folder.glob("*.yml")) if folder.is_dir() else []
        if not files:
            raise SeedError(f"{folder}: no opportunity files (*.yml)")
        seen: dict[str, str] = {}
        for path in files:
            data = self.read(f"opportunities/{path.name}")
            for entry in _entries(data, path.name, None):
                ext = str(_required(entry, "external_id", f"{path.name} entry"))
                if ext in seen:
                    raise SeedError(f"{path.name}: external_id {ext} already used in {seen[ext]}")
                seen[ext] = path.name
                values = self.opportunity_values(entry, f"{path.name} {ext}")
                opportunity, outcome = upsert_opportunity(self.session, values, SEED_ACTOR)
                self.report.count("opportunities", outcome)
                self.opportunities[ext] = opportunity

    def opportunity_values(self, entry: Mapping[str, Any], where: str) -> dict[str, Any]:
        """Translate one YAML listing into Opportunity field values, validating as we go."""
        cost = entry.get("cost") or {}
        schedule = entry.get("schedule") or {}
        enroll = entry.get("enroll") or {}
        prepares = entry.get("prepares_for") or {}
        min_age = _age(entry.get("min_age"), f"{where}: min_age")
        max_age = _age(entry.get("max_age"), f"{where}: max_age")
        if min_age is not None and max_age is not None and min_age > max_age:
            raise SeedError(f"{where}: min_age {min_age} is above max_age {max_age}")
        topics = []
        for name in entry.get("topics") or []:
            topic = self.topics.get(str(name).lower())
            if topic is None:
                raise SeedError(f"{where}: unknown topic '{name}' (not in city.yml topics)")
            topics.append(topic)
        if not topics:
            raise SeedError(f"{where}: needs at least one topic")
        days = [_parsed(parse_day, day, f"{where}: days") for day in schedule.get("days") or []]
        languages = [
            _parsed(parse_language, code, f"{where}: languages")
            for code in entry.get("languages") or ["en"]
        ]
        return {
            "external_id": entry["external_id"],
            "title": _required(entry, "title", where),
            "description": _required(entry, "description", where),
            "provider": self._ref(
                self.providers,
                _required(entry, "provider", where),
                f"{where}: provider",
                "provider",
            ),
            "topics": topics,
            "min_age": min_age,
            "max_age": max_age,
            "cost_amount": _money(cost.get("amount"), f"{where}: cost"),
            "cost_currency": cost.get("currency", self.currency),
            "financial_aid": cost.get("financial_aid"),
            "format": _choice(entry.get("format"), FORMATS, f"{where}: format"),
            "locations": self._refs(
                self.locations, entry.get("locations"), f"{where}: locations", "location"
            ),
            "days": days,
            "start_time": _time(schedule.get("start_time"), f"{where}: start_time"),
            "end_time": _time(schedule.get("end_time"), f"{where}: end_time"),
            "start_date": _date(schedule.get("start_date"), f"{where}: start_date"),
            "end_date": _date(schedule.get("end_date"), f"{where}: end_date"),
            "application_deadline": _date(
                schedule.get("application_deadline"), f"{where}: application_deadline"
            ),
            "language_list": languages,
            "eligibility": entry.get("eligibility"),
            "enroll_url": enroll.get("url"),
            "enroll_phone": _text(enroll.get("phone")),
            "enroll_email": enroll.get("email"),
            "seats_available": _parsed(
                parse_seats, entry.get("seats_available"), f"{where}: seats_available"
            ),
            "status": _choice(entry.get("status", "active"), STATUSES, f"{where}: status"),
            "assured_date": _date(entry.get("assured_date"), f"{where}: assured_date"),
            "awards": self._refs(
                self.credentials, entry.get("awards"), f"{where}: awards", "credential"
            ),
            "requires": self._refs(
                self.credentials, entry.get("requires"), f"{where}: requires", "credential"
            ),
            "prepares_for": self._refs(
                self.credentials,
                prepares.get("credentials"),
                f"{where}: prepares_for",
                "credential",
            ),
            "careers": self._refs(
                self.careers, prepares.get("careers"), f"{where}: careers", "career"
            ),
        }

    # -- pathways.yml ----------------------------------------------------------------------

    def load_pathways(self) -> None:
        """Goals and their ordered steps; steps are replaced only when they differ."""
        for entry in _entries(self.read("pathways.yml"), "pathways.yml", None):
            key = _required(entry, "key", "pathways.yml entry")
            where = f"pathways.yml pathway {key}"
            pathway = self.session.scalar(select(Pathway).where(Pathway.key == key)) or Pathway()
            values = {
                "key": key,
                "name": _required(entry, "name", where),
                "goal_type": _choice(
                    entry.get("goal_type", "career"), GOAL_TYPES, f"{where}: goal_type"
                ),
                "description": entry.get("description"),
                "keywords": [str(word).lower() for word in entry.get("keywords") or []],
                "careers": self._refs(
                    self.careers, entry.get("careers"), f"{where}: careers", "career"
                ),
            }
            existed = pathway.__dict__.get("id") is not None
            changed = bool(apply_changes(self.session, pathway, values, SEED_ACTOR)) and existed
            changed = self._sync_steps(pathway, entry.get("steps") or [], where) or changed
            self.report.count(
                "pathways", "created" if not existed else "updated" if changed else "unchanged"
            )

    def _sync_steps(self, pathway: Pathway, entries: list[Any], where: str) -> bool:
        """Replace the steps when the file says something different; True when they changed."""
        if not entries:
            raise SeedError(f"{where}: needs at least one step")
        wanted = []
        for position, entry in enumerate(entries, start=1):
            step_where = f"{where} step {position}"
            opportunity = credential = None
            if entry.get("opportunity"):
                opportunity = self._ref(
                    self.opportunities, entry["opportunity"], step_where, "opportunity"
                )
            if entry.get("credential"):
                credential = self._ref(
                    self.credentials, entry["credential"], step_where, "credential"
                )
            if (opportunity is None) == (credential is None):
                raise SeedError(f"{step_where}: give exactly one of `opportunity` or `credential`")
            wanted.append(
                PathwayStep(
                    position=position,
                    title=_required(entry, "title", step_where),
                    note=entry.get("note"),
                    min_age=_age(entry.get("min_age"), f"{step_where}: min_age"),
                    opportunity=opportunity,
                    credential=credential,
                )
            )
        old = [step.to_dict() for step in pathway.steps]
        new = [step.to_dict() for step in wanted]
        if old == new:
            for step in wanted:
                self.session.expunge(step) if step in self.session else None
            return False
        pathway.steps.clear()
        self.session.flush()
        pathway.steps.extend(wanted)
        self.session.flush()
        if old:
            self.session.add(
                ChangeRecord(
                    entity_type="pathway",
                    entity_id=pathway.id,
                    entity_key=pathway.key,
                    action="update",
                    field="steps",
                    old_value=as_text([s["title"] for s in old]),
                    new_value=as_text([s["title"] for s in new]),
                    actor=SEED_ACTOR.name,
                    source=SEED_ACTOR.source,
                )
            )
        return bool(old)

    # -- references ------------------------------------------------------------------------

    def _ref(self, table: Mapping[str, Any], key: Any, where: str, kind: str) -> Any:
        """Resolve one key, or None when absent; an unknown key is an error."""
        if key is None or key == "":
            return None
        found = table.get(str(key))
        if found is None:
            raise SeedError(f"{where}: unknown {kind} '{key}'")
        return found

    def _refs(self, table: Mapping[str, Any], keys: Any, where: str, kind: str) -> list[Any]:
        """Resolve a list of keys, keeping file order and dropping repeats."""
        found: list[Any] = []
        for key in keys or []:
            item = self._ref(table, key, where, kind)
            if item not in found:
                found.append(item)
        return found


def seed_listings(folder: Path = DEMO_DIR) -> dict[str, str]:
    """The seed's listings: external id → provider key (to tell them from a city's own)."""
    return {
        str(entry["external_id"]): str(entry.get("provider"))
        for path in sorted((folder / "opportunities").glob("*.yml"))
        for entry in _entries(_read(path), path.name, None)
        if entry.get("external_id")
    }


def seed_clashes(session: Session, folder: Path = DEMO_DIR) -> list[str]:
    """What the seed would create under a name (or external id) another record already has.

    Seeding matches providers, credentials and careers by their key, so a city's own record with
    a seed record's name would be a second record of that name, which the database refuses; a
    neighbourhood of the same name in another city would be taken over; a listing with a seed
    listing's external id would be overwritten. Each clash is named, e.g. "credential 'CPR'".
    """
    loader = _Loader(session=session, folder=folder)
    data = loader.read("city.yml") or {}
    city = (data.get("city") or {}).get("name")
    clashes: list[str] = []
    named = (
        ("provider", Provider, loader.read("providers.yml")),
        ("credential", Credential, loader.read("credentials.yml")),
        ("career", Career, data.get("careers")),
    )
    for kind, model, entries in named:
        wanted = {
            str(entry["name"]).strip().lower(): entry.get("key")
            for entry in _entries(entries, kind, None)
            if entry.get("name")
        }
        query = select(model.name, model.key).where(func.lower(model.name).in_(list(wanted)))
        for name, key in session.execute(query):
            if key != wanted[name.lower()]:
                clashes.append(f"{kind} {name!r}")
    hoods = {
        str(entry["name"]).strip().lower()
        for entry in _entries(data.get("neighbourhoods"), "city.yml", "neighbourhoods")
        if entry.get("name")
    }
    places = select(Neighbourhood.name, Neighbourhood.city).where(
        func.lower(Neighbourhood.name).in_(sorted(hoods))
    )
    clashes += [
        f"neighbourhood {name!r} (of {other or 'no city'})"
        for name, other in session.execute(places)
        if other != city
    ]
    seed_providers = seed_listings(folder)
    listings = (
        select(Opportunity.external_id, Provider.key)
        .join(Provider, Opportunity.provider_id == Provider.id)
        .where(Opportunity.external_id.is_not(None))
    )
    clashes += [
        f"listing {external_id!r}"
        for external_id, key in session.execute(listings)
        if external_id in seed_providers and key != seed_providers[external_id]
    ]
    return clashes


def seed_directory(session: Session, folder: Path = DEMO_DIR) -> SeedReport:
    """Load every seed file into the directory; running it again changes nothing."""
    loader = _Loader(session=session, folder=folder)
    loader.load_city()
    loader.load_providers()
    loader.load_credentials()
    loader.load_opportunities()
    loader.load_pathways()
    session.flush()
    return loader.report


# -- value parsing --------------------------------------------------------------------------


def _read(path: Path) -> Any:
    """Parse one YAML file, naming it in any error."""
    if not path.exists():
        raise SeedError(f"{path}: file not found")
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except yaml.YAMLError as error:
        raise SeedError(f"{path}: not valid YAML: {error}") from error


def _entries(data: Any, where: str, key: str | None) -> list[Mapping[str, Any]]:
    """A list of mappings, or a clear error naming the file and section."""
    label = f"{where} {key}" if key else where
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise SeedError(f"{label}: expected a list of entries")
    return data


def _required(entry: Mapping[str, Any], key: str, where: str) -> Any:
    """A value that must be present and non-empty."""
    value = entry.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise SeedError(f"{where}: `{key}` is required")
    return value


def _text(value: Any) -> str | None:
    """Numbers written without quotes (postal codes, phones) become text."""
    return None if value is None else str(value)


def _parsed[Value](parse: Callable[[str], Value], value: Any, where: str) -> Value | None:
    """A YAML value through the listing fields' own rules (as a spreadsheet cell would be written);
    None when absent."""
    if value is None:
        return None
    try:
        return parse(str(value))
    except FieldError as error:
        raise SeedError(f"{where}: {error}") from None


def _choice(value: Any, allowed: tuple[str, ...], where: str) -> str:
    """One of a fixed set of values."""
    return str(_parsed(lambda text: parse_choice(text, allowed), str(value), where))


def _age(value: Any, where: str) -> int | None:
    """An age in years, 0 to MAX_AGE."""
    return _parsed(parse_age, value, where)


def _money(value: Any, where: str) -> Decimal | None:
    """A price such as 25 or 12.50; 0 means free."""
    return _parsed(parse_cost, value, where)


def _coordinate(value: Any, name: str, where: str) -> float | None:
    """A latitude or longitude within range."""
    bound = 90 if name == "latitude" else 180
    return _parsed(lambda text: parse_coordinate(text, name, bound), value, where)


def _date(value: Any, where: str) -> date | None:
    """A YYYY-MM-DD date (YAML may already have parsed it)."""
    if isinstance(value, date):
        return value
    return _parsed(parse_date, value, where)


def _time(value: Any, where: str) -> time | None:
    """An HH:MM time; YAML 1.1 reads unquoted 10:00 as 600 minutes, which we accept too."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return time(value // 60, value % 60)
    return _parsed(parse_time, value, where)
