"""A seeded generator of realistic directories (N opportunities), as plain rows for bulk insert."""

from __future__ import annotations

import math
import multiprocessing
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from benchmarks import texts
from benchmarks.city import City, TopicSpec, km_per_degree_lon, load_city
from benchmarks.derived import DerivedFields, LocationFacts, derive
from benchmarks.listing import (
    CAREER_TOPICS,
    DAY_NAMES,
    REFERENCE_DATE,
    Schedule,
    ages_phrase,
    cost_sentence,
    pick_ages,
    pick_audience,
    pick_cost,
    pick_eligibility,
    pick_format,
    pick_languages,
    pick_schedule,
    pick_status,
    schedule_kind,
)
from knowledge.models import days_to_mask

# Bump whenever the generated data changes, so cached databases are rebuilt.
GENERATOR_VERSION = 2  # 2: search texts name the credentials listings award
DEFAULT_SEED = 20261123
OPPORTUNITIES_PER_PROVIDER = 25
CHUNK = 10_000
Row = dict[str, Any]

# How often a listing's main topic is one its provider is known for (coding schools teach coding).
FOCUS_SHARE = {"business": 0.9, "museum": 0.85}
ACCESSIBILITY = (
    "Step-free entrance; accessible toilets.",
    "Ramp at the side entrance; lift to all floors.",
    "Ground-floor rooms only; hearing loop available.",
    None,
)
TRANSPORT = (
    "Bus stop outside; bike racks by the entrance.",
    "Free parking lot; bus stop two blocks away.",
    "Street parking only; near the rail station.",
    None,
)


@dataclass(frozen=True)
class Generated:
    """Rows for some tables, keyed by table name, in insert order."""

    tables: dict[str, list[Row]]

    def count(self, table: str) -> int:
        """How many rows a table gets."""
        return len(self.tables.get(table, []))


@dataclass
class _Provider:
    """What opportunities need to know about their provider while they are generated."""

    id: int
    name: str
    kind: str
    slug: str
    focus: list[TopicSpec]
    physical: list[int] = field(default_factory=list)
    virtual: int | None = None


@dataclass
class DirectoryGenerator:
    """Generates one directory: reference rows first, then opportunities in reproducible chunks."""

    size: int
    seed: int = DEFAULT_SEED
    city: City | None = None
    chunk: int = CHUNK  # part of the data's identity: each block has its own random stream
    _providers: list[_Provider] = field(default_factory=list, init=False)
    _provider_cum: list[float] = field(default_factory=list, init=False)
    _locations: dict[int, LocationFacts] = field(default_factory=dict, init=False)
    _location_rows: dict[int, Row] = field(default_factory=dict, init=False)
    _credentials: dict[tuple[str, str], int] = field(default_factory=dict, init=False)
    _credential_names: dict[int, str] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError("a generated directory needs at least one opportunity")
        if self.city is None:
            self.city = load_city(self.seed)
        self._topic_ids = {topic.name: index + 1 for index, topic in enumerate(self.topics)}
        self._topic_cum = _cumulative([topic.weight for topic in self.topics])

    @property
    def topics(self) -> tuple[TopicSpec, ...]:
        """The city's topics."""
        assert self.city is not None
        return self.city.topics

    @property
    def provider_count(self) -> int:
        """One provider per 25 opportunities, at least one."""
        return max(1, self.size // OPPORTUNITIES_PER_PROVIDER)

    def reference_rows(self) -> Generated:
        """Neighbourhoods, topics, providers, locations and credentials."""
        assert self.city is not None
        rng = random.Random(f"{self.seed}:reference")
        tables: dict[str, list[Row]] = {
            "neighbourhood": [],
            "neighbourhood_alias": [],
            "topic": [],
            "topic_synonym": [],
            "provider": [],
            "location": [],
            "credential": [],
        }
        for index, place in enumerate(self.city.neighbourhoods, start=1):
            tables["neighbourhood"].append(
                {
                    "id": index,
                    "name": place.name,
                    "city": self.city.name,
                    "latitude": place.latitude,
                    "longitude": place.longitude,
                }
            )
            for alias in place.aliases:
                tables["neighbourhood_alias"].append(
                    {
                        "id": len(tables["neighbourhood_alias"]) + 1,
                        "neighbourhood_id": index,
                        "alias": alias,
                    }
                )
        seen_terms: set[str] = set()
        for topic in self.topics:
            topic_id = self._topic_ids[topic.name]
            tables["topic"].append({"id": topic_id, "name": topic.name})
            for term in topic.synonyms:
                if term in seen_terms:
                    continue
                seen_terms.add(term)
                tables["topic_synonym"].append(
                    {"id": len(tables["topic_synonym"]) + 1, "topic_id": topic_id, "term": term}
                )
        self._providers.clear()
        self._locations.clear()
        self._location_rows.clear()
        self._make_providers(rng, tables["provider"], tables["location"])
        self._make_credentials(tables["credential"])
        return Generated(tables)

    @property
    def chunk_count(self) -> int:
        """How many blocks the opportunities come in."""
        return math.ceil(self.size / self.chunk)

    def opportunity_chunks(self) -> Iterator[Generated]:
        """Every block of opportunities, in order."""
        for index in range(self.chunk_count):
            yield self.opportunity_chunk(index)

    def opportunity_chunk(self, index: int) -> Generated:
        """Block `index` of the opportunities with their topic, location and award links.

        Each block has its own seeded random stream, so blocks can be made in parallel and still
        come out identical.
        """
        if not self._providers:
            self.reference_rows()
        rng = random.Random(f"{self.seed}:opportunities:{index}")
        tables: dict[str, list[Row]] = {
            "opportunity": [],
            "opportunity_topic": [],
            "opportunity_location": [],
            "opportunity_award": [],
        }
        start = index * self.chunk
        for number in range(start + 1, min(start + self.chunk, self.size) + 1):
            self._make_opportunity(rng, number, tables)
        return Generated(tables)

    # ------------------------------------------------------------------ reference data

    def _make_providers(
        self, rng: random.Random, providers: list[Row], locations: list[Row]
    ) -> None:
        """Providers around weighted home neighbourhoods, each with 1-5 clustered locations."""
        assert self.city is not None
        places = self.city.neighbourhoods
        place_cum = _cumulative([place.weight for place in places])
        kinds = list(texts.PROVIDER_KIND_WEIGHTS)
        kind_cum = _cumulative(list(texts.PROVIDER_KIND_WEIGHTS.values()))
        by_name = {topic.name: topic for topic in self.topics}
        names: set[str] = set()
        weights: list[float] = []
        for provider_id in range(1, self.provider_count + 1):
            kind = rng.choices(kinds, cum_weights=kind_cum)[0]
            home = rng.choices(range(len(places)), cum_weights=place_cum)[0]
            focus = self._focus_topics(rng, kind, by_name)
            subject = texts.subject_phrase(rng, focus[0].name, focus[0].synonyms)
            name = self._provider_name(rng, kind, places[home].name, subject, names)
            slug = f"{texts.slug(name)}-{provider_id}"
            created = _moment(rng, 400, 1500)
            providers.append(
                {
                    "id": provider_id,
                    "key": slug,
                    "name": name,
                    "kind": kind,
                    "description": f"{name} offers {focus[0].name} and more for the "
                    f"{places[home].name} community and beyond.",
                    "website": f"https://{slug}.example",
                    "email": f"info@{slug}.example",
                    "phone": _phone(rng),
                    "verified": rng.random() < 0.7,
                    "created_at": created,
                    "modified_at": created + timedelta(days=rng.randint(0, 300)),
                }
            )
            provider = _Provider(provider_id, name, kind, slug, focus)
            sites = rng.choices((1, 2, 3, 4, 5), weights=(70, 18, 7, 3, 2))[0]
            for site in range(sites):
                place_index = (
                    home if site == 0 else rng.choices(range(len(places)), cum_weights=place_cum)[0]
                )
                provider.physical.append(
                    self._add_location(rng, locations, provider, place_index, site)
                )
            if (
                kind in ("library", "college", "nonprofit", "business", "school")
                and rng.random() < 0.35
            ):
                provider.virtual = self._add_location(rng, locations, provider, None, sites)
            self._providers.append(provider)
            weights.append(rng.lognormvariate(0.0, 0.8))
        self._provider_cum = _cumulative(weights)

    def _provider_name(
        self, rng: random.Random, kind: str, place: str, subject: str, taken: set[str]
    ) -> str:
        """A unique name: a few fresh tries, then the street it is on, then a number."""
        assert self.city is not None
        for _ in range(8):
            name = texts.provider_name(rng, kind, place, self.city.name, subject)
            if name.lower() not in taken:
                break
        if name.lower() in taken:
            name = f"{name} on {rng.choice(texts.STREETS)} {rng.choice(texts.STREET_KINDS)}"
        base, number = name, 1
        while name.lower() in taken:
            number += 1
            name = f"{base} {number}"
        taken.add(name.lower())
        return name

    def _focus_topics(
        self, rng: random.Random, kind: str, by_name: dict[str, TopicSpec]
    ) -> list[TopicSpec]:
        """Two to four topics a provider is known for, biased by what its kind usually offers."""
        preferred = [by_name[name] for name in texts.KIND_TOPICS.get(kind, ()) if name in by_name]
        focus: list[TopicSpec] = []
        for _ in range(rng.randint(2, 4)):
            if preferred and rng.random() < 0.5:
                pick = rng.choices(preferred, weights=[topic.weight for topic in preferred])[0]
            else:
                pick = rng.choices(self.topics, cum_weights=self._topic_cum)[0]
            if pick not in focus:
                focus.append(pick)
        return focus

    def _add_location(
        self,
        rng: random.Random,
        locations: list[Row],
        provider: _Provider,
        place_index: int | None,
        site: int,
    ) -> int:
        """A physical site scattered around a neighbourhood centre, or the online classroom."""
        assert self.city is not None
        location_id = len(locations) + 1
        row: Row = {
            "id": location_id,
            "key": f"{provider.slug}-site-{site + 1}",
            "provider_id": provider.id,
            "name": provider.name,
            "location_type": "physical",
            "address": None,
            "neighbourhood_id": None,
            "city": self.city.name,
            "postal_code": None,
            "latitude": None,
            "longitude": None,
            "accessibility": None,
            "transport": None,
        }
        if place_index is None:
            row.update(location_type="virtual", name=f"{provider.name} online", city=None)
        else:
            place = self.city.neighbourhoods[place_index]
            lat, lon = _scatter(rng, place.latitude, place.longitude, sigma_km=0.7, max_km=2.5)
            row.update(
                name=provider.name if site == 0 else f"{provider.name} – {place.name}",
                address=texts.street_address(rng),
                neighbourhood_id=place_index + 1,
                postal_code=f"441{rng.randint(0, 99):02d}",
                latitude=lat,
                longitude=lon,
                accessibility=rng.choice(ACCESSIBILITY),
                transport=rng.choice(TRANSPORT),
            )
        locations.append(row)
        self._location_rows[location_id] = row
        self._locations[location_id] = LocationFacts(
            location_id,
            row["location_type"],
            row["latitude"],
            row["longitude"],
            row["neighbourhood_id"],
        )
        return location_id

    def _make_credentials(self, credentials: list[Row]) -> None:
        """A badge and a certificate per topic, and a certification for career topics."""
        created = datetime.combine(REFERENCE_DATE - timedelta(days=500), time(9, 0))
        for topic in self.topics:
            label = texts.title_case(topic.name)
            kinds = [("badge", f"{label} Explorer Badge"), ("certificate", f"{label} Certificate")]
            if topic.name in CAREER_TOPICS:
                kinds.append(("certification", f"{label} Professional Certification"))
            for credential_type, name in kinds:
                credential_id = len(credentials) + 1
                credentials.append(
                    {
                        "id": credential_id,
                        "key": texts.slug(name),
                        "name": name,
                        "credential_type": credential_type,
                        "issuer_id": None,
                        "description": f"Shows the holder completed {topic.name} training.",
                        "criteria": "Attend 80% of sessions and complete the final project.",
                        "skills": list(topic.synonyms[:3]),
                        "recognised_by": None,
                        "min_age": 16 if credential_type == "certification" else None,
                        "created_at": created,
                        "modified_at": created,
                    }
                )
                self._credentials[(topic.name, credential_type)] = credential_id
                self._credential_names[credential_id] = name

    # ------------------------------------------------------------------ opportunities

    def _make_opportunity(
        self, rng: random.Random, number: int, tables: dict[str, list[Row]]
    ) -> None:
        """One listing with everything a real one has, plus its derived search columns."""
        provider = self._providers[
            rng.choices(range(len(self._providers)), cum_weights=self._provider_cum)[0]
        ]
        topics = self._pick_topics(rng, provider)
        main = topics[0]
        audience = pick_audience(rng, main)
        kind = schedule_kind(rng, main, audience)
        min_age, max_age = pick_ages(rng, audience, kind)
        fmt = pick_format(rng, main, kind)
        location_ids = self._pick_locations(rng, provider, fmt)
        schedule = pick_schedule(rng, kind, audience)
        amount, aid = pick_cost(rng, provider.kind, kind)
        languages = pick_languages(rng, main)
        status = pick_status(rng)
        subject = texts.subject_phrase(rng, main.name, main.synonyms)
        day_word = DAY_NAMES[schedule.days[0]] if schedule.days else "Weekly"
        title = texts.title_for(rng, kind, audience, subject, day_word)
        description = texts.description_for(
            rng,
            topic=main.name,
            synonyms=main.synonyms,
            audience=audience,
            ages=ages_phrase(min_age, max_age),
            where=self._where_sentence(fmt, location_ids, schedule),
            cost=cost_sentence(amount, kind),
        )
        created = _moment(rng, 0, 900)
        row: Row = {
            "id": number,
            "external_id": f"gen-{number:07d}",
            "title": title,
            "description": description,
            "provider_id": provider.id,
            "min_age": min_age,
            "max_age": max_age,
            "cost_amount": amount,
            "cost_currency": "USD",
            "is_free": None if amount is None else amount == 0,
            "financial_aid": aid,
            "format": fmt,
            "days_mask": days_to_mask(schedule.days),
            "start_time": schedule.start_time,
            "end_time": schedule.end_time,
            "start_date": schedule.start_date,
            "end_date": schedule.end_date,
            "application_deadline": schedule.deadline,
            "languages": languages,
            "eligibility": pick_eligibility(rng, audience, min_age),
            "enroll_url": f"https://{provider.slug}.example/programs/{number}",
            "enroll_phone": _phone(rng) if rng.random() < 0.6 else None,
            "enroll_email": f"programs@{provider.slug}.example" if rng.random() < 0.5 else None,
            "seats_available": rng.randint(0, 30) if rng.random() < 0.4 else None,
            "status": status,
            "assured_date": REFERENCE_DATE - timedelta(days=rng.randint(0, 365))
            if rng.random() < 0.6
            else None,
            "created_at": created,
            "modified_at": created + timedelta(days=rng.randint(0, 60)),
        }
        credential = self._award(rng, main, kind)
        derived: DerivedFields = derive(
            title=title,
            description=description,
            topics=[topic.name for topic in topics],
            provider=provider.name,
            locations=[self._locations[location_id] for location_id in location_ids],
            awards=[] if credential is None else [self._credential_names[credential]],
        )
        row["latitude"], row["longitude"] = derived.latitude, derived.longitude
        row["neighbourhood_id"], row["search_text"] = derived.neighbourhood_id, derived.search_text
        tables["opportunity"].append(row)
        for topic in topics:
            tables["opportunity_topic"].append(
                {"opportunity_id": number, "topic_id": self._topic_ids[topic.name]}
            )
        for location_id in location_ids:
            tables["opportunity_location"].append(
                {"opportunity_id": number, "location_id": location_id}
            )
        if credential is not None:
            tables["opportunity_award"].append(
                {"opportunity_id": number, "credential_id": credential}
            )

    def _pick_topics(self, rng: random.Random, provider: _Provider) -> list[TopicSpec]:
        """A main topic (mostly one the provider is known for) and sometimes one or two more."""
        if rng.random() < FOCUS_SHARE.get(provider.kind, 0.65):
            main = rng.choice(provider.focus)
        else:
            main = rng.choices(self.topics, cum_weights=self._topic_cum)[0]
        chosen = [main]
        extra = rng.choices((0, 1, 2), weights=(62, 30, 8))[0]
        for _ in range(extra):
            if rng.random() < 0.5:
                pick = rng.choice(provider.focus)
            else:
                pick = rng.choices(self.topics, cum_weights=self._topic_cum)[0]
            if pick not in chosen:
                chosen.append(pick)
        return chosen

    def _pick_locations(self, rng: random.Random, provider: _Provider, fmt: str) -> list[int]:
        """A site for in-person, the online classroom for online, both for hybrid."""
        chosen: list[int] = []
        if fmt in ("in_person", "hybrid"):
            chosen.append(rng.choice(provider.physical))
        if fmt in ("online", "hybrid") and provider.virtual is not None:
            chosen.append(provider.virtual)
        return sorted(chosen)

    def _where_sentence(self, fmt: str, location_ids: list[int], schedule: Schedule) -> str:
        """Where and when, as a listing would say it."""
        assert self.city is not None
        when = schedule.phrase()
        physical = [self._location_rows[i] for i in location_ids]
        physical = [row for row in physical if row["location_type"] == "physical"]
        if not physical:
            return f"Runs live online {when}; all you need is a device with an internet connection."
        row = physical[0]
        place = self.city.neighbourhoods[row["neighbourhood_id"] - 1].name
        if fmt == "hybrid":
            return f"Join in person at {row['name']} in {place}, or online, {when}."
        return f"Meets {when} at {row['name']}, {row['address']}, in {place}."

    def _award(self, rng: random.Random, main: TopicSpec, kind: str) -> int | None:
        """The credential a listing leads to, if any: most career courses, a few others."""
        if main.name in CAREER_TOPICS and kind == "course" and rng.random() < 0.7:
            return self._credentials.get((main.name, "certification"))
        if rng.random() < 0.08:
            return self._credentials.get((main.name, rng.choice(("badge", "certificate"))))
        return None


def _scatter(
    rng: random.Random, lat: float, lon: float, *, sigma_km: float, max_km: float
) -> tuple[float, float]:
    """A point near (lat, lon): normally distributed, at most max_km away."""
    while True:
        north, east = rng.gauss(0.0, sigma_km), rng.gauss(0.0, sigma_km)
        if math.hypot(north, east) <= max_km:
            break
    return round(lat + north / 111.2, 6), round(lon + east / km_per_degree_lon(lat), 6)


def _cumulative(weights: list[float]) -> list[float]:
    """Running totals, so rng.choices does not recompute them for every draw."""
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _moment(rng: random.Random, min_days: int, max_days: int) -> datetime:
    """A timestamp between max_days and min_days before REFERENCE_DATE."""
    base = datetime.combine(REFERENCE_DATE, time(12, 0))
    return base - timedelta(days=rng.randint(min_days, max_days), seconds=rng.randint(0, 86399))


def _phone(rng: random.Random) -> str:
    """A number in the 555-01xx range reserved for fiction."""
    return f"(216) 555-01{rng.randint(0, 99):02d}"


def parallel_chunks(
    size: int, seed: int, workers: int, *, chunk: int = CHUNK
) -> Iterator[Generated]:
    """The opportunity blocks of DirectoryGenerator(size, seed), made by `workers` processes."""
    generator = DirectoryGenerator(size, seed, chunk=chunk)
    if workers <= 1 or generator.chunk_count <= 1:
        yield from generator.opportunity_chunks()
        return
    context = multiprocessing.get_context("fork")
    initargs = (size, seed, chunk)
    with context.Pool(workers, initializer=_start_worker, initargs=initargs) as pool:
        yield from pool.imap(_worker_chunk, range(generator.chunk_count))


_worker_generator: DirectoryGenerator | None = None


def _start_worker(size: int, seed: int, chunk: int) -> None:
    """Build the worker's own copy of the generator (reference data is cheap to remake)."""
    global _worker_generator
    _worker_generator = DirectoryGenerator(size, seed, chunk=chunk)
    _worker_generator.reference_rows()


def _worker_chunk(index: int) -> Generated:
    """One block, made in a worker process."""
    assert _worker_generator is not None
    return _worker_generator.opportunity_chunk(index)
