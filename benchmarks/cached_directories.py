"""Generated databases, cached by size and generator version so re-runs skip the slow part."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from benchmarks.bulk import write_directory
from benchmarks.derived import LocationFacts, derive
from benchmarks.generate import DEFAULT_SEED, GENERATOR_VERSION
from knowledge.db import make_engine
from knowledge.migrate import current_revision, head_revision, upgrade
from knowledge.models import Opportunity, SearchEntry
from knowledge.settings import PROJECT_ROOT

DATA_DIR = PROJECT_ROOT / "benchmarks" / "data"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/wayfinder_bench"
DEFAULT_WORKERS = os.cpu_count() or 1
DERIVED_SAMPLE = 200
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Prepared:
    """A benchmark database ready to measure, and how long generating it took (None: reused)."""

    url: str
    seconds: float | None


def postgres_base_url() -> str:
    """Where PostgreSQL benchmarks run: WAYFINDER_BENCH_POSTGRES_URL or the local default."""
    return os.environ.get("WAYFINDER_BENCH_POSTGRES_URL", "").strip() or DEFAULT_POSTGRES_URL


def ensure_postgres_database(url: str) -> None:
    """Create the benchmark database on first use, so `make bench` needs no manual `createdb`."""
    target = make_url(url)
    if not target.database:
        return
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            )
            if not exists:
                name = connection.dialect.identifier_preparer.quote(target.database)
                connection.execute(text(f"CREATE DATABASE {name}"))
    except OperationalError:
        return  # the server is down or refuses us: the caller reports it
    finally:
        engine.dispose()


def parse_size(value: str) -> int:
    """'10k' → 10000, '1m' → 1000000, '300' → 300."""
    match = re.fullmatch(r"\s*(\d+)\s*([kKmM]?)\s*", value)
    if match is None or int(match.group(1)) < 1:
        raise ValueError(f"{value!r} is not a size; use a positive number like 300, 10k or 1m")
    number, unit = int(match.group(1)), match.group(2).lower()
    return number * {"": 1, "k": 1_000, "m": 1_000_000}[unit]


def size_label(size: int) -> str:
    """The short form of a size: 10000 → '10k', 1000000 → '1m'."""
    if size % 1_000_000 == 0:
        return f"{size // 1_000_000}m"
    if size % 1_000 == 0:
        return f"{size // 1_000}k"
    return str(size)


def sqlite_directory(
    size: int,
    progress: Progress,
    *,
    seed: int = DEFAULT_SEED,
    data_dir: Path = DATA_DIR,
    workers: int = DEFAULT_WORKERS,
) -> Prepared:
    """A SQLite file holding the generated directory, generated when missing."""
    path = data_dir / f"directory-{size_label(size)}-g{GENERATOR_VERSION}-s{seed}.sqlite"
    url = f"sqlite:///{path}"
    reason = stale_reason(url, size) if path.exists() else "there is none yet"
    if reason is None:
        progress(f"Reusing {path.name} ({size:,} opportunities).")
        return Prepared(url, None)
    partial = path.with_suffix(".partial")
    for leftover in (
        path,
        partial,
        *data_dir.glob(f"{partial.name}-*"),
        *data_dir.glob(f"{path.name}-*"),
    ):
        leftover.unlink(missing_ok=True)
    progress(f"Generating {size:,} opportunities into {path.name} ({reason}) …")
    started = time.perf_counter()
    engine = make_engine(f"sqlite:///{partial}")
    try:
        upgrade(engine)
        write_directory(engine, size, progress, seed=seed, workers=workers)
    finally:
        engine.dispose()
    partial.rename(path)
    seconds = time.perf_counter() - started
    progress(f"  done in {seconds:.1f} s")
    return Prepared(url, seconds)


def postgres_directory(
    size: int,
    progress: Progress,
    *,
    seed: int = DEFAULT_SEED,
    base_url: str | None = None,
    workers: int = DEFAULT_WORKERS,
) -> Prepared:
    """A PostgreSQL schema holding the generated directory, generated when missing.

    Each size lives in its own schema of the benchmark database (bench_10k, bench_1m, …); the
    schema's comment records what was generated and is written only once generation finished.
    """
    schema = f"bench_{size_label(size)}"
    url = schema_url(base_url or postgres_base_url(), schema)
    marker = (
        f"wayfinder benchmark directory: {size} opportunities, "
        f"generator {GENERATOR_VERSION}, seed {seed}"
    )
    admin = make_engine(base_url or postgres_base_url())
    try:
        with admin.connect() as connection:
            comment = connection.scalar(
                text(
                    "SELECT obj_description(oid, 'pg_namespace') "
                    "FROM pg_namespace WHERE nspname = :s"
                ),
                {"s": schema},
            )
        if comment == marker:
            reason = stale_reason(url, size)
        else:
            reason = "there is none yet" if comment is None else "it was never completed"
        if reason is None:
            progress(f"Reusing PostgreSQL schema {schema} ({size:,} opportunities).")
            return Prepared(url, None)
        progress(f"Generating {size:,} opportunities into PostgreSQL schema {schema} ({reason}) …")
        started = time.perf_counter()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(url)
        try:
            upgrade(engine)
            write_directory(engine, size, progress, seed=seed, workers=workers)
        finally:
            engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"COMMENT ON SCHEMA \"{schema}\" IS '{marker}'"))
        seconds = time.perf_counter() - started
        progress(f"  done in {seconds:.1f} s")
    finally:
        admin.dispose()
    return Prepared(url, seconds)


def fresh_postgres_schema(schema: str, *, base_url: str | None = None) -> str:
    """An empty, migrated schema (for the import benchmark), replacing any earlier one."""
    admin = make_engine(base_url or postgres_base_url())
    try:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        admin.dispose()
    url = schema_url(base_url or postgres_base_url(), schema)
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return url


def schema_url(base_url: str, schema: str) -> str:
    """The base URL with every connection's search_path set to one schema."""
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def stale_reason(url: str, size: int) -> str | None:
    """Why a cached database cannot be reused, or None when it can: it must be at the code's
    schema revision, hold exactly `size` listings with a search index, and its derived columns
    must equal what the current code derives (checked on an even sample)."""
    engine = make_engine(url)
    try:
        if current_revision(engine) != head_revision():
            return f"its schema is not at the code's revision {head_revision()}"
        with Session(engine) as session:
            count = session.scalar(select(func.count()).select_from(Opportunity))
            if count != size:
                return f"it holds {count:,} opportunities, not {size:,}"
            if session.scalar(select(SearchEntry.id).limit(1)) is None:
                return "its search index is empty"
            if not _derived_columns_current(session, size):
                return (
                    "its derived search columns differ from what knowledge.search.index derives now"
                )
    except SQLAlchemyError as error:
        return f"it cannot be read ({error.__class__.__name__})"
    finally:
        engine.dispose()
    return None


def _derived_columns_current(session: Session, size: int) -> bool:
    """Recompute the derived columns of an even sample of listings and compare."""
    ids = list(range(1, size + 1, max(1, size // DERIVED_SAMPLE)))
    listings = session.scalars(
        select(Opportunity)
        .where(Opportunity.id.in_(ids))
        .options(
            selectinload(Opportunity.topics),
            selectinload(Opportunity.locations),
            selectinload(Opportunity.provider),
            selectinload(Opportunity.awards),
        )
    )
    for listing in listings:
        derived = derive(
            title=listing.title,
            description=listing.description,
            topics=[topic.name for topic in listing.topics],
            provider=listing.provider.name,
            locations=[
                LocationFacts(
                    site.id,
                    site.location_type,
                    site.latitude,
                    site.longitude,
                    site.neighbourhood_id,
                )
                for site in listing.locations
            ],
            awards=[credential.name for credential in listing.awards],
        )
        stored = (
            listing.latitude,
            listing.longitude,
            listing.neighbourhood_id,
            listing.search_text,
        )
        if stored != (
            derived.latitude,
            derived.longitude,
            derived.neighbourhood_id,
            derived.search_text,
        ):
            return False
    return True


def database_label(url: str) -> str:
    """A URL without secrets, for messages and the report."""
    return make_url(url).render_as_string(hide_password=True)
