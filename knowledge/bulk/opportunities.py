"""Many new listings in a few statements (bulk imports), with the history and search fields
upsert_opportunity would write; on PostgreSQL written on a second thread while the next batch is
prepared."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from inspect import getattr_static as inspect_static
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from knowledge.bulk.rows import bulk_insert
from knowledge.history import CHANGE_RECORDS, Actor, creation_records
from knowledge.models import Opportunity
from knowledge.search.index import (
    award_names,
    place_for,
    search_text_for,
    write_search_entries,
)
from knowledge.writes import with_currency, with_is_free


def create_opportunities(
    session: Session,
    items: Sequence[Mapping[str, Any]],
    actor: Actor,
    *,
    on_batch: Callable[[int], None] | None = None,
) -> list[int]:
    """Create many opportunities in a few statements (bulk imports); returns their ids in order.

    Takes the same `values` as upsert_opportunity and writes the same columns, derived search
    fields and 'create' history records, without building ORM objects (which costs more than the
    insert itself). Related records (provider, topics, locations, awards, …) must have ids.
    On PostgreSQL, batches are written on a second thread while the next one is prepared, so the
    server and Python work at the same time (see _background_writes). `on_batch(count)` hears
    of each batch of `count` listings handed to the database.
    """
    complete = [with_currency(session, with_is_free(values)) for values in items]
    if not complete:
        return []
    session.flush()  # anything pending is written now, not by a background write
    ids = _new_ids(session, len(complete))
    plans: dict[tuple[str, ...], _RowPlan] = {}
    overlap = session.get_bind().dialect.name == "postgresql"
    with _background_writes() if overlap else _writes_in_turn() as write:
        for start in range(0, len(complete), CREATE_BATCH):
            end = start + CREATE_BATCH
            batch = _prepare(complete[start:end], ids[start:end], plans, actor)
            write(partial(_store, session, batch))
            if on_batch is not None:  # progress: this many more are on their way
                on_batch(len(batch.ids))
    return ids


CREATE_BATCH = 1000  # listings per round of statements: big enough to be few, small to overlap


@dataclass
class _Batch:
    """Everything one round of statements writes, worked out without the database."""

    ids: list[int]
    rows: dict[tuple[str, ...], list[dict[str, Any]]]  # opportunity rows, by the columns they set
    links: dict[Any, list[dict[str, Any]]]  # many-to-many table rows, by relationship
    history: list[dict[str, Any]]  # their 'create' records


@dataclass
class _RowPlan:
    """How the fields of one set of `values` keys are written (worked out once per set)."""

    columns: list[str] = field(default_factory=list)
    properties: list[tuple[str, Any]] = field(default_factory=list)  # days, language_list
    links: list[tuple[str, Any]] = field(default_factory=list)  # topics, locations, awards
    foreign_keys: list[tuple[str, Any]] = field(default_factory=list)  # provider


def _plan(keys: Sequence[str]) -> _RowPlan:
    """Sort `values` keys by how _field_kind says each is written."""
    plan = _RowPlan()
    for key in keys:
        kind, how = _field_kind(key)
        if kind == "column":
            plan.columns.append(key)
        elif kind == "property":
            plan.properties.append((key, how))
        elif kind == "link":
            plan.links.append((key, how))
        else:
            plan.foreign_keys.append((key, how))
    return plan


def _prepare(
    items: Sequence[Mapping[str, Any]],
    ids: list[int],
    plans: dict[tuple[str, ...], _RowPlan],
    actor: Actor,
) -> _Batch:
    """The rows, link rows and history records of new opportunities with these ids.

    On PostgreSQL it runs while the previous batch is written, so it only reads attributes the
    records already hold (names, ids, coordinates) and never issues SQL.
    """
    batch = _Batch(ids, {}, {}, [])
    link_columns: dict[Any, tuple[str, str, str]] = {}
    for new_id, values in zip(ids, items, strict=True):
        keys = tuple(values)
        plan = plans.get(keys) or plans.setdefault(keys, _plan(keys))
        row = {key: values[key] for key in plan.columns}
        for key, setter in plan.properties:  # let the setter name the columns
            columns = SimpleNamespace()
            value = values[key]
            setter(columns, list(value) if isinstance(value, (list, tuple)) else value)
            row |= vars(columns)
        for key, pairs in plan.foreign_keys:
            value = values[key]
            for local, remote in pairs:
                row[local] = None if value is None else getattr(value, remote)
        provider = values.get("provider")
        row["latitude"], row["longitude"], row["neighbourhood_id"] = place_for(
            values.get("locations", [])
        )
        row["search_text"] = search_text_for(
            row["title"],
            (topic.name for topic in values.get("topics", [])),
            row.get("description"),
            provider.name if provider is not None else None,
            award_names(values.get("awards", [])),
        )
        row["id"] = new_id
        batch.rows.setdefault(tuple(sorted(row)), []).append(row)
        for key, prop in plan.links:
            if prop not in link_columns:
                ((_parent, own_column),) = prop.synchronize_pairs
                ((target, other_column),) = prop.secondary_synchronize_pairs
                link_columns[prop] = (own_column.key, other_column.key, target.key)
            own, other, target_key = link_columns[prop]
            linked = batch.links.setdefault(prop, [])
            linked.extend({own: new_id, other: getattr(item, target_key)} for item in values[key])
    created = [
        (SimpleNamespace(**values, id=new_id), values)
        for new_id, values in zip(ids, items, strict=True)
    ]
    batch.history = creation_records(Opportunity.__tablename__, created, actor)
    return batch


def _store(session: Session, batch: _Batch) -> None:
    """Insert a prepared batch: its rows, then their links and search entries, then history."""
    table = Opportunity.metadata.tables[Opportunity.__tablename__]
    for rows in batch.rows.values():
        bulk_insert(session, table, rows)
    for prop, rows in batch.links.items():
        bulk_insert(session, prop.secondary, rows)
    write_search_entries(session, batch.ids, new=True)
    bulk_insert(session, CHANGE_RECORDS, batch.history)


@contextmanager
def _background_writes() -> Iterator[Callable[[Callable[[], None]], None]]:
    """A `write(job)` that runs jobs one after another on a second thread and returns at once.

    The database server stores one batch while Python prepares the next on the other core.
    `write` first waits for the previous job, so the session is never used by two threads at
    once; a job's error is raised in the caller's thread, and the block ends (however it ends)
    only once the last job has.
    """
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wayfinder-bulk-write")
    running: list[Future[None]] = []

    def write(job: Callable[[], None]) -> None:
        """Start `job` once the previous one has finished (raising its error, if any)."""
        if running:
            running.pop().result()
        running.append(pool.submit(job))

    try:
        yield write
        if running:
            running.pop().result()
    finally:
        pool.shutdown(wait=True)


@contextmanager
def _writes_in_turn() -> Iterator[Callable[[Callable[[], None]], None]]:
    """A `write(job)` that runs the job at once: for SQLite, whose driver takes the GIL back after
    every row it inserts, so a second thread would only take turns with this one."""
    yield lambda job: job()


def _field_kind(field: str) -> tuple[str, Any]:
    """How a `values` key is written: a column, a property setter, a link table or a foreign key."""
    mapper = inspect(Opportunity)
    if field in mapper.column_attrs:
        return "column", None
    prop = mapper.relationships.get(field)
    if prop is None:
        setter = getattr(inspect_static(Opportunity, field, None), "fset", None)
        if setter is None:
            raise ValueError(f"Opportunity has no field {field!r}")
        return "property", setter
    if prop.secondary is not None:
        return "link", prop
    pairs = [(str(local.key), str(remote.key)) for local, remote in prop.local_remote_pairs or ()]
    return "foreign key", pairs


def _new_ids(session: Session, count: int) -> list[int]:
    """Ids for `count` new opportunities, taken up front so the rows insert in a few batches.

    Inserting while asking for the generated ids back, in order, costs five times more on
    PostgreSQL and one statement per row on SQLite. PostgreSQL hands out ids from the column's
    sequence, safely under concurrency. SQLite takes max + 1 onwards, as it would itself; should
    another writer take them first, the insert fails on the primary key and the caller's
    transaction rolls back, so ids never clash silently.
    """
    if session.get_bind().dialect.name == "sqlite":
        first = (session.scalar(select(func.max(Opportunity.id))) or 0) + 1
        return list(range(first, first + count))
    sequence = session.scalar(
        text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": Opportunity.__tablename__}
    )
    allocate = text("SELECT nextval(CAST(:sequence AS regclass)) FROM generate_series(1, :n)")
    return [int(i) for i in session.scalars(allocate, {"sequence": sequence, "n": count})]
