"""The reports' tests: the actions' fixtures (to record from real actions), and helpers that add
anonymous records and check that no report shows a count under k."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from knowledge.models import SearchRecord, UsageEvent
from tests.actions.conftest import configure, db, directory, domain, run  # noqa: F401

START = date(2026, 11, 2)  # a Monday: ISO week 2026-W45


def add_searches(session: Session, count: int, **fields: Any) -> None:
    """`count` identical search records (day START, channel web, 0 results unless given)."""
    row = {"day": START, "channel": "web", "results": 0, **fields}
    session.execute(insert(SearchRecord), [dict(row) for _ in range(count)])


def add_events(session: Session, count: int, kind: str, **fields: Any) -> None:
    """`count` identical usage events (day START, channel web unless given)."""
    row = {"day": START, "channel": "web", "kind": kind, **fields}
    session.execute(insert(UsageEvent), [dict(row) for _ in range(count)])


def counts_in(value: Any, keys: frozenset[str]) -> Iterator[int | None]:
    """Every value under one of `keys`, anywhere in a report's to_dict()."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in keys and (item is None or isinstance(item, int)):
                yield item
            else:
                yield from counts_in(item, keys)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from counts_in(item, keys)
