"""The benchmark generator: realistic, reproducible directories whose derived columns are right."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from benchmarks.bulk import write_generated
from benchmarks.cached_directories import sqlite_directory
from benchmarks.city import distance_km
from benchmarks.generate import DirectoryGenerator, Generated, parallel_chunks
from knowledge.db import make_engine
from knowledge.models import Location, Neighbourhood, Opportunity, SearchEntry
from knowledge.models.opportunity import opportunity_location, opportunity_topic
from knowledge.search.index import refresh_search_fields, write_search_entries

SIZE = 300
SEED = 7


def load(session: Session, size: int = SIZE, seed: int = SEED) -> DirectoryGenerator:
    """Generate a directory and bulk-insert it through the session's connection."""
    generator = DirectoryGenerator(size, seed)
    connection = session.connection()
    write_generated(connection, generator.reference_rows())
    for chunk in generator.opportunity_chunks():
        write_generated(connection, chunk)
    write_search_entries(connection)
    return generator


def everything(generator: DirectoryGenerator) -> dict[str, list[dict[str, Any]]]:
    """Every generated row, table by table, in memory."""
    tables = {name: list(rows) for name, rows in generator.reference_rows().tables.items()}
    for chunk in generator.opportunity_chunks():
        for name, rows in chunk.tables.items():
            tables.setdefault(name, []).extend(rows)
    return tables


def test_generates_the_requested_number_of_opportunities(session: Session) -> None:
    load(session)
    count = session.scalar(select(func.count()).select_from(Opportunity))
    external_ids = session.scalar(select(func.count(func.distinct(Opportunity.external_id))))
    assert count == SIZE
    assert external_ids == SIZE


def test_every_opportunity_has_topics_and_search_text(session: Session) -> None:
    load(session)
    linked = session.scalar(select(func.count(func.distinct(opportunity_topic.c.opportunity_id))))
    blank = session.scalar(
        select(func.count())
        .select_from(Opportunity)
        .where(func.trim(Opportunity.search_text) == "")
    )
    assert linked == SIZE
    assert blank == 0


def test_search_index_has_an_entry_per_topic_and_one_more_per_active_listing(
    session: Session,
) -> None:
    load(session)
    active = select(Opportunity.id).where(Opportunity.status == "active")
    links = session.scalar(
        select(func.count())
        .select_from(opportunity_topic)
        .where(opportunity_topic.c.opportunity_id.in_(active))
    )
    listings = session.scalar(select(func.count()).select_from(active.subquery()))
    entries = session.scalar(select(func.count()).select_from(SearchEntry))
    assert listings
    assert entries == (links or 0) + listings


def test_derived_columns_equal_what_the_orm_path_computes(session: Session) -> None:
    load(session)
    opportunities = session.scalars(
        select(Opportunity)
        .options(
            selectinload(Opportunity.topics),
            selectinload(Opportunity.locations),
            selectinload(Opportunity.provider),
        )
        .order_by(Opportunity.id)
        .limit(120)
    ).all()
    stored = [(o.latitude, o.longitude, o.neighbourhood_id, o.search_text) for o in opportunities]
    entries = search_entries(session)
    for opportunity in opportunities:
        refresh_search_fields(opportunity)
    derived = [(o.latitude, o.longitude, o.neighbourhood_id, o.search_text) for o in opportunities]
    assert derived == stored
    assert search_entries(session) == entries


def search_entries(session: Session) -> list[tuple[Any, ...]]:
    """Every search entry without its id, in a stable order."""
    columns = [column for column in SearchEntry.__table__.columns if column.name != "id"]
    rows = session.execute(select(*columns)).all()
    return sorted((tuple(row) for row in rows), key=repr)


def test_sites_lie_near_their_neighbourhood_centre(session: Session) -> None:
    load(session)
    centres = {n.id: (n.latitude, n.longitude) for n in session.scalars(select(Neighbourhood))}
    sites = session.scalars(select(Location).where(Location.location_type == "physical")).all()
    assert sites
    for site in sites:
        assert site.latitude is not None and site.longitude is not None
        assert site.neighbourhood_id in centres
        lat, lon = centres[site.neighbourhood_id]
        assert lat is not None and lon is not None
        assert distance_km(site.latitude, site.longitude, lat, lon) <= 2.5


def test_listings_with_a_site_take_its_place_and_online_ones_have_none(session: Session) -> None:
    load(session)
    rows = session.execute(
        select(Opportunity.format, Opportunity.latitude, Opportunity.neighbourhood_id)
    ).all()
    in_person = [row for row in rows if row.format == "in_person"]
    online = [row for row in rows if row.format == "online"]
    assert in_person and online
    assert all(row.latitude is not None and row.neighbourhood_id for row in in_person)
    assert all(row.latitude is None and row.neighbourhood_id is None for row in online)


def test_ages_are_plausible_and_ordered(session: Session) -> None:
    load(session)
    ages = session.execute(select(Opportunity.min_age, Opportunity.max_age)).all()
    for low, high in ages:
        assert low is None or 0 <= low <= 99
        assert high is None or 0 <= high <= 99
        if low is not None and high is not None:
            assert low <= high


def test_is_free_follows_the_cost(session: Session) -> None:
    load(session)
    costs = session.execute(select(Opportunity.cost_amount, Opportunity.is_free)).all()
    for amount, is_free in costs:
        assert is_free is (None if amount is None else Decimal(amount) == 0)


def test_links_point_at_existing_rows(session: Session) -> None:
    load(session)
    orphan_sites = session.scalar(
        select(func.count())
        .select_from(opportunity_location)
        .outerjoin(Location, Location.id == opportunity_location.c.location_id)
        .where(Location.id.is_(None))
    )
    assert orphan_sites == 0


def test_same_seed_gives_the_same_directory() -> None:
    assert everything(DirectoryGenerator(SIZE, SEED)) == everything(DirectoryGenerator(SIZE, SEED))


def test_another_seed_gives_another_directory() -> None:
    first = everything(DirectoryGenerator(SIZE, SEED))["opportunity"]
    second = everything(DirectoryGenerator(SIZE, SEED + 1))["opportunity"]
    assert [row["title"] for row in first] != [row["title"] for row in second]


def test_parallel_generation_gives_the_same_rows_in_the_same_order() -> None:
    serial = list(DirectoryGenerator(SIZE, SEED, chunk=100).opportunity_chunks())
    parallel = list(parallel_chunks(SIZE, SEED, workers=2, chunk=100))
    assert len(serial) == 3
    assert [c.tables for c in parallel] == [c.tables for c in serial]


def test_mix_looks_like_a_real_city() -> None:
    listings: list[dict[str, Any]] = []
    topics: Counter[str] = Counter()
    for seed in (1, 2, 3):  # several small cities, so one unusual provider cannot skew the mix
        tables = everything(DirectoryGenerator(800, seed))
        listings += tables["opportunity"]
        names = {row["id"]: row["name"] for row in tables["topic"]}
        topics.update(names[link["topic_id"]] for link in tables["opportunity_topic"])
        assert len(tables["provider"]) == 800 // 25
        assert 30 <= len(tables["neighbourhood"]) <= 60
    free = sum(1 for row in listings if row["is_free"]) / len(listings)
    active = sum(1 for row in listings if row["status"] == "active") / len(listings)
    assert 0.3 <= free <= 0.5
    assert 0.88 <= active <= 0.96
    assert min(topics["coding"], topics["art"], topics["fitness"]) > 4 * topics["astronomy"]
    assert {row["format"] for row in listings} == {"in_person", "online", "hybrid"}


def test_cached_sqlite_directory_is_reused_not_regenerated(tmp_path: Path) -> None:
    first = sqlite_directory(SIZE, lambda _line: None, seed=SEED, data_dir=tmp_path, workers=1)
    again = sqlite_directory(SIZE, lambda _line: None, seed=SEED, data_dir=tmp_path, workers=1)
    assert first.seconds is not None
    assert again.seconds is None
    assert again.url == first.url


def test_cached_directory_with_outdated_search_text_is_regenerated(tmp_path: Path) -> None:
    first = sqlite_directory(SIZE, lambda _line: None, seed=SEED, data_dir=tmp_path, workers=1)
    engine = make_engine(first.url)
    with engine.begin() as connection:
        connection.execute(update(Opportunity).values(search_text=" stale "))
    engine.dispose()
    said: list[str] = []
    again = sqlite_directory(SIZE, said.append, seed=SEED, data_dir=tmp_path, workers=1)
    assert again.seconds is not None
    assert "derived search columns differ" in said[0]


def test_incomplete_cached_directory_is_regenerated(tmp_path: Path) -> None:
    first = sqlite_directory(SIZE, lambda _line: None, seed=SEED, data_dir=tmp_path, workers=1)
    path = Path(first.url.removeprefix("sqlite:///"))
    path.write_bytes(b"not a database")
    again = sqlite_directory(SIZE, lambda _line: None, seed=SEED, data_dir=tmp_path, workers=1)
    assert again.seconds is not None


@pytest.fixture
def chunk_of_one() -> Generated:
    """A single generated listing with its links."""
    return next(DirectoryGenerator(1, SEED).opportunity_chunks())


def test_a_one_listing_directory_has_one_provider(chunk_of_one: Generated) -> None:
    assert chunk_of_one.count("opportunity") == 1
    assert DirectoryGenerator(1, SEED).provider_count == 1
