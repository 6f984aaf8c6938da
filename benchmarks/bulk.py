"""Fast inserts without the ORM: executemany in batches, or COPY on PostgreSQL (knowledge.bulk)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import JSON, Connection, Engine, Table, insert, text

from benchmarks.generate import DEFAULT_SEED, DirectoryGenerator, Generated, parallel_chunks
from knowledge.bulk.rows import copy_rows
from knowledge.models import Base
from knowledge.search.index import write_search_entries

BATCH = 5_000
Progress = Callable[[str], None]


def insert_rows(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Append rows to a table: COPY on PostgreSQL (JSON columns excepted), else executemany."""
    if not rows:
        return
    has_json = any(isinstance(column.type, JSON) for column in table.columns)
    if connection.dialect.name == "postgresql" and not has_json:
        copy_rows(connection, table, list(rows[0]), rows)
        return
    for start in range(0, len(rows), BATCH):
        connection.execute(insert(table), list(rows[start : start + BATCH]))


def write_generated(connection: Connection, generated: Generated) -> None:
    """Insert every table of a generated block, parents before children."""
    for name, rows in generated.tables.items():
        insert_rows(connection, Base.metadata.tables[name], rows)


def write_directory(
    engine: Engine, size: int, progress: Progress, *, seed: int = DEFAULT_SEED, workers: int = 1
) -> None:
    """Fill a migrated, empty database with a generated directory, committing per chunk, then
    build the search index from the stored rows as bulk loaders must."""
    with engine.begin() as connection:
        _fast_session(connection)
        write_generated(connection, DirectoryGenerator(size, seed).reference_rows())
    done, started = 0, time.perf_counter()
    for chunk in parallel_chunks(size, seed, workers):
        with engine.begin() as connection:
            _fast_session(connection)
            write_generated(connection, chunk)
        done += chunk.count("opportunity")
        if done % 100_000 == 0 or done == size:
            rate = done / (time.perf_counter() - started)
            progress(f"  {done:,} / {size:,} opportunities written ({rate:,.0f}/s)")
    progress("  building the search index …")
    with engine.begin() as connection:
        _fast_session(connection)
        write_search_entries(connection)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            _reset_sequences(connection)
        connection.execute(text("ANALYZE"))


def _fast_session(connection: Connection) -> None:
    """Bulk-load settings for a throwaway benchmark database: no waiting for the WAL flush and,
    when the role may, no foreign-key triggers (generated rows are consistent by construction,
    and the generator's tests load them with the checks on). Halves building the search index."""
    if connection.dialect.name != "postgresql":
        return
    connection.execute(text("SET LOCAL synchronous_commit = off"))
    superuser = connection.scalar(
        text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    )
    if superuser:
        connection.execute(text("SET LOCAL session_replication_role = replica"))


def _reset_sequences(connection: Connection) -> None:
    """Explicit ids leave PostgreSQL's id sequences behind; move them past the data."""
    for table in Base.metadata.sorted_tables:
        if [column.name for column in table.primary_key.columns] != ["id"]:
            continue
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
            )
        )
