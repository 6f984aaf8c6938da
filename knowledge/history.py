"""Writing the change history: every create and every changed field, with who and how."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from knowledge.bulk.rows import bulk_insert
from knowledge.models import Base, ChangeRecord, utcnow

# session.info key holding (entity, create record) pairs whose ids are not known yet.
_PENDING = "wayfinder.history.pending"
CHANGE_RECORDS = Base.metadata.tables[ChangeRecord.__tablename__]


@dataclass(frozen=True)
class Actor:
    """Who made a change ("cli", a provider member's id, …) and through which path."""

    name: str
    source: str  # seed | import | cli | api | chat


def as_text(value: Any) -> str | None:
    """A stable text form of a field value, so equal values compare equal across databases."""
    if value is None or type(value) is str:
        return value
    kind = type(value)
    convert = _CONVERTERS.get(kind)
    if convert is None:
        convert = _CONVERTERS[kind] = _text_converter(kind)
    return convert(value)


def _text_converter(kind: type) -> Callable[[Any], str | None]:
    """How values of one type become text: chosen once per type, as imports convert thousands."""
    # Ordered from the most specific: bool is an int, datetime is a date.
    if issubclass(kind, str):
        return lambda value: value  # as is, like a plain str (str() would name an enum member)
    if issubclass(kind, (list, tuple)):
        return _sequence_text
    if issubclass(kind, Base):
        return entity_key
    if issubclass(kind, bool):
        return lambda value: "true" if value else "false"
    if issubclass(kind, int):
        return str
    if issubclass(kind, Decimal):
        return _decimal_text
    if issubclass(kind, float):
        return lambda value: repr(round(value, 7))
    if issubclass(kind, time):
        return lambda value: value.strftime("%H:%M")
    if issubclass(kind, date):
        return lambda value: value.isoformat()
    return str


_CONVERTERS: dict[type, Callable[[Any], str | None]] = {}


def _sequence_text(
    value: Sequence[Any], item_text: Callable[[Any], str | None] | None = None
) -> str:
    """Items in a stable order, so [a, b] and [b, a] are the same value."""
    convert = item_text or as_text
    return ";".join(sorted(convert(item) or "" for item in value))


def _decimal_text(value: Decimal) -> str:
    """12.50 and 12.5 alike; whole amounts without a fraction."""
    return format(value.normalize(), "f") if value == value.to_integral() else str(value)


def entity_key(entity: Any) -> str:
    """The human-meaningful identity of a record: external id, key or name."""
    for attribute in ("external_id", "key", "name", "title"):
        value = getattr(entity, attribute, None)
        if value:
            return str(value)
    return f"#{getattr(entity, 'id', '?')}"


def apply_changes(
    session: Session, entity: Base, values: Mapping[str, Any], actor: Actor
) -> list[ChangeRecord]:
    """Set every field whose value differs and record each change; equal values are left alone."""
    state = inspect(entity)
    pending: list[tuple[Base, ChangeRecord]] | None = session.info.get(_PENDING)
    if state.transient or state.pending:
        return [_create(session, entity, values, actor, pending)]
    records: list[ChangeRecord] = []
    for field, new in values.items():
        old = getattr(entity, field)
        old_text, new_text = as_text(old), as_text(new)
        if old_text == new_text:
            continue
        setattr(entity, field, list(new) if isinstance(new, (list, tuple)) else new)
        records.append(_record(entity, "update", field, old_text, new_text, actor))
    if pending is not None:
        pending.extend((entity, record) for record in records)
        return records
    for record in records:
        record.entity_id = entity.id  # type: ignore[attr-defined]
    session.add_all(records)
    return records


def _create(
    session: Session,
    entity: Base,
    values: Mapping[str, Any],
    actor: Actor,
    pending: list[tuple[Base, ChangeRecord]] | None,
) -> ChangeRecord:
    """Set every field of a new record and write one 'create' record with a snapshot."""
    for field, new in values.items():
        setattr(entity, field, list(new) if isinstance(new, (list, tuple)) else new)
    session.add(entity)
    if pending is None:
        session.flush([entity])
    record = _record(entity, "create", "*", None, snapshot_of(values), actor)
    if pending is not None:
        pending.append((entity, record))
    else:
        record.entity_id = entity.id  # type: ignore[attr-defined]
        session.add(record)
    return record


def snapshot_of(values: Mapping[str, Any]) -> str:
    """The new value of a 'create' record: every field given a value, as stable text.

    Fields left unknown (None) are left out: they say nothing, and bulk imports write thousands.
    """
    return _SNAPSHOT_JSON.encode(
        {field: as_text(value) for field, value in values.items() if value is not None}
    )


# What json.dumps(…, sort_keys=True) builds on every call, built once.
_SNAPSHOT_JSON = json.JSONEncoder(sort_keys=True)


def _snapshots(items: Sequence[Mapping[str, Any]]) -> list[str]:
    """snapshot_of of each of many values, converting each value object only once.

    Thousands of listings name the same few hundred providers, topics and places, and parsing
    hands out one object per distinct date, time or price. Texts are remembered by the identity
    of the objects, which `items` keeps alive for the whole call, so no other object can take an
    id over; a list's text by the identities of its items.
    """
    texts: dict[int, str] = {}  # id of a value → its text
    lists: dict[tuple[int, ...], str] = {}  # ids of a list's items → its text

    def text(value: Any) -> str | None:
        """as_text, remembering the text of every value object and list of them."""
        if value is None or type(value) is str:
            return value
        if isinstance(value, (list, tuple)):
            members = tuple(map(id, value))
            joined = lists.get(members)
            if joined is None:
                joined = lists[members] = _sequence_text(value, text)
            return joined
        found = texts.get(id(value))
        if found is None:
            found = as_text(value)
            if found is not None:
                texts[id(value)] = found
        return found

    encode = _SNAPSHOT_JSON.encode
    known = texts.get
    return [
        encode(
            {
                field: value if type(value) is str else (known(id(value)) or text(value))
                for field, value in values.items()
                if value is not None
            }
        )
        for values in items
    ]


def record_creations(
    session: Session,
    entity_type: str,
    created: Sequence[tuple[Any, Mapping[str, Any]]],
    actor: Actor,
) -> None:
    """Write 'create' records for rows inserted in bulk, given (row with its id, values) pairs."""
    if not created:
        return
    bulk_insert(session, CHANGE_RECORDS, creation_records(entity_type, created, actor))


def creation_records(
    entity_type: str, created: Sequence[tuple[Any, Mapping[str, Any]]], actor: Actor
) -> list[dict[str, Any]]:
    """The change_record rows record_creations writes, without the database (bulk writers
    prepare the next batch's while one is written)."""
    now = utcnow()
    snapshots = _snapshots([values for _, values in created])
    return [
        {
            "changed_at": now,
            "entity_type": entity_type,
            "entity_id": entity.id,
            "entity_key": entity_key(entity),
            "action": "create",
            "field": "*",
            "old_value": None,
            "new_value": snapshot,
            "actor": actor.name,
            "source": actor.source,
        }
        for (entity, _), snapshot in zip(created, snapshots, strict=True)
    ]


@contextmanager
def deferred_history(session: Session) -> Iterator[None]:
    """Skip the flush per created record (bulk imports); flush_history writes the history.

    Inside the block, records returned by apply_changes are not added to the session: they are
    inserted in bulk (without loading them back) by the next flush_history, which also fills in
    the ids of records whose entity was new. Call it before anything needs those ids.
    """
    session.info[_PENDING] = []
    try:
        yield
        flush_history(session)
    finally:
        session.info.pop(_PENDING, None)


def flush_history(session: Session) -> None:
    """Write the records made since the last call in one bulk insert, now that ids are known."""
    pending: list[tuple[Base, ChangeRecord]] | None = session.info.get(_PENDING)
    if not pending:
        return
    session.flush()
    rows = []
    for entity, record in pending:
        record.entity_id = entity.id  # type: ignore[attr-defined]
        record.entity_key = entity_key(entity)
        rows.append({column: getattr(record, column) for column in _RECORD_COLUMNS})
    pending.clear()
    bulk_insert(session, CHANGE_RECORDS, rows)


_RECORD_COLUMNS = (
    "entity_type",
    "entity_id",
    "entity_key",
    "action",
    "field",
    "old_value",
    "new_value",
    "actor",
    "source",
)


def _record(
    entity: Base, action: str, field: str, old: str | None, new: str | None, actor: Actor
) -> ChangeRecord:
    """One history row; the entity id is filled in once the entity has one."""
    return ChangeRecord(
        entity_type=entity.__tablename__,
        entity_id=getattr(entity, "id", None) or 0,
        entity_key=entity_key(entity),
        action=action,
        field=field,
        old_value=old,
        new_value=new,
        actor=actor.name,
        source=actor.source,
    )


def history_of(session: Session, entity: Base) -> list[ChangeRecord]:
    """Every recorded change of one record, oldest first."""
    query = (
        select(ChangeRecord)
        .where(ChangeRecord.entity_type == entity.__tablename__)
        .where(ChangeRecord.entity_id == entity.id)  # type: ignore[attr-defined]
        .order_by(ChangeRecord.id)
    )
    return list(session.scalars(query))


def record_change(
    session: Session, entity: Base, field: str, old: str | None, new: str | None, actor: Actor
) -> ChangeRecord:
    """Record a change made other than by setting a column (a topic's synonyms, say)."""
    record = _record(entity, "update", field, old, new, actor)
    session.add(record)
    return record
