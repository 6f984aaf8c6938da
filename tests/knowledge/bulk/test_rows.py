"""bulk_insert and its COPY path store exactly the rows given (awkward text, dates, decimals,
reserved-word columns, Python-side defaults): on SQLite and, when WAYFINDER_TEST_POSTGRES_URL is
set, on PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Date,
    Engine,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    select,
)
from sqlalchemy.orm import Session

from knowledge.bulk.rows import bulk_insert, copy_rows

SAMPLES = Table(
    "bulk_sample",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("order", String(60)),  # a reserved word: only a quoted name works
    Column("note", Text, nullable=True),
    Column("day", Date, nullable=True),
    Column("price", Numeric(8, 2), nullable=True),
    Column("kind", String(20), default="plain"),
)
FULL: list[dict[str, Any]] = [
    {
        "id": 1,
        "order": "first",
        "note": "tab\there, new\nline, back\\slash",
        "day": date(2027, 1, 11),
        "price": Decimal("40.00"),
    },
    {"id": 2, "order": "second", "note": None, "day": None, "price": None, "kind": "special"},
]
PARTIAL: list[dict[str, Any]] = [
    {"id": 3, "order": "ñandú \"quoted\" 'single'", "price": Decimal("0.50")}
]


def stored(connection: Connection) -> list[dict[str, Any]]:
    """Every sample row, by id."""
    rows = connection.execute(select(SAMPLES).order_by(SAMPLES.c.id))
    return [dict(row._mapping) for row in rows]


def test_bulk_insert_stores_every_value_and_the_python_side_defaults(session: Session) -> None:
    SAMPLES.create(session.connection())
    bulk_insert(session, SAMPLES, [FULL[0], PARTIAL[0], FULL[1]])  # two sets of columns
    assert stored(session.connection()) == [
        FULL[0] | {"kind": "plain"},
        FULL[1],
        PARTIAL[0] | {"note": None, "day": None, "kind": "plain"},
    ]


def test_copy_rows_stores_exactly_the_rows_given_on_postgresql(postgres_engine: Engine) -> None:
    """The path the benchmarks' generated directories take (benchmarks.bulk.insert_rows)."""
    with postgres_engine.connect() as connection:
        outer = connection.begin()
        SAMPLES.create(connection)
        copy_rows(connection, SAMPLES, ["id", "order", "note", "day", "price", "kind"], FULL[1:])
        copy_rows(connection, SAMPLES, ["order", "id"], [FULL[0]])  # any order of columns
        assert stored(connection) == [
            {"id": 1, "order": "first", "note": None, "day": None, "price": None, "kind": None},
            FULL[1],
        ]
        outer.rollback()
