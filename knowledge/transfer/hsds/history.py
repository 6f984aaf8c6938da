"""A package's change history (its `metadata` rows) restored onto the records an import creates
from it, each record marked as come from an HSDS package; a record the package gives no history
for, or one the import changes rather than creates, keeps the import's own records."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from knowledge.bulk.rows import bulk_insert
from knowledge.history import CHANGE_RECORDS, entity_key
from knowledge.models import Base, ChangeRecord
from knowledge.transfer.hsds.objects import NO_VALUE, PACKAGE_SOURCE, RESOURCE_TYPES, Row

# metadata column → change_record column, for the columns carried as written.
_CARRIED = {
    "last_action_type": "action",
    "field_name": "field",
    "previous_value": "old_value",
    "replacement_value": "new_value",
    "updated_by": "actor",
}
_IDS_PER_STATEMENT = 5000  # well under SQLite's limit on a statement's parameters


def history_mark(session: Session) -> int:
    """The last change record written before an import; what it writes comes after."""
    return session.scalar(select(func.max(ChangeRecord.id))) or 0


def restore_history(
    session: Session, metadata: Iterable[Row], created: Mapping[str, Base], mark: int
) -> None:
    """Give each record the import created (by the package's id for it) the package's history of
    it, in the package's order; when that history includes its creation, it replaces what the
    import wrote about the record after `mark`. A record whose history does not fit our columns
    (a date that is not one, a value too long) keeps the import's own records."""
    rows = list(metadata)
    given: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        given[str(row.get("resource_id"))].append(row)
    restored: dict[str, list[dict[str, Any]]] = {}
    for resource, entity in created.items():
        kind = entity.__tablename__
        own = given.get(resource)
        if not own or any(row.get("resource_type") != RESOURCE_TYPES[kind] for row in own):
            continue
        changes = [_change(row, entity) for row in own]
        if all(change is not None for change in changes):
            restored[resource] = [change for change in changes if change is not None]
    replaced: dict[str, list[int]] = defaultdict(list)
    for resource, kept in restored.items():
        if any(change["action"] == "create" for change in kept):
            entity = created[resource]
            replaced[entity.__tablename__].append(entity.id)  # type: ignore[attr-defined]
    session.flush()
    for kind, ids in replaced.items():
        for start in range(0, len(ids), _IDS_PER_STATEMENT):
            session.execute(
                delete(ChangeRecord).where(
                    ChangeRecord.id > mark,
                    ChangeRecord.entity_type == kind,
                    ChangeRecord.entity_id.in_(ids[start : start + _IDS_PER_STATEMENT]),
                )
            )
    # In the package's order (the order of its dates), so an export writes them in it again.
    taken = {resource: iter(changes) for resource, changes in restored.items()}
    bulk_insert(
        session,
        CHANGE_RECORDS,
        [
            next(taken[str(row.get("resource_id"))])
            for row in rows
            if str(row.get("resource_id")) in taken
        ],
    )


def _change(row: Row, entity: Base) -> dict[str, Any] | None:
    """One metadata row as a change_record row of `entity`, or None if it does not fit."""
    try:
        day = date.fromisoformat(str(row.get("last_action_date")))
    except ValueError:
        return None
    change: dict[str, Any] = {
        "changed_at": datetime(day.year, day.month, day.day),  # HSDS keeps the day only
        "entity_type": entity.__tablename__,
        "entity_id": entity.id,  # type: ignore[attr-defined]
        "entity_key": entity_key(entity),
        "source": PACKAGE_SOURCE,
    }
    for column, ours in _CARRIED.items():
        value = row.get(column)
        text = None if value is None or value == NO_VALUE else str(value)
        limit = getattr(CHANGE_RECORDS.c[ours].type, "length", None)
        if text is None and ours not in ("old_value", "new_value"):
            return None
        if text is not None and limit is not None and len(text) > limit:
            return None
        change[ours] = text
    return change
