"""Many rows into one table in a few statements: COPY on PostgreSQL, multi-row INSERTs on SQLite.

Used by the bulk listing writes, the change history and the benchmarks' generated directories.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.orm import Session

SQLITE_VARIABLES = 32766  # parameters one SQLite statement may take (its limit since 3.32)


def bulk_insert(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows in the caller's transaction, past Core's per-row statement machinery.

    PostgreSQL gets COPY, which streams rows without a statement per row; SQLite gets
    statements of many rows each, with values converted by the columns' own types. Both make
    bulk imports about twice as fast as Core's insert(). Rows may set different columns; each set
    of columns is written on its own, and the Python-side column defaults Core would apply are
    applied.
    """
    if not rows:
        return
    bind = session.get_bind()
    dialect = bind.dialect
    if dialect.name not in ("postgresql", "sqlite"):
        session.execute(insert(table), list(rows))
        return
    session.flush()  # the driver is used directly: write what the ORM holds first, in order
    connection = session.connection()
    for columns, members in _by_columns(table, rows).items():
        if dialect.name == "postgresql":
            copy_rows(connection, table, columns, members)
        else:
            _insert_sqlite(connection, table, columns, members)


def copy_rows(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Mapping[str, Any]],
) -> None:
    """Stream rows (each setting `columns`) into a PostgreSQL table through psycopg's COPY, in
    the connection's current transaction: one statement for them all, no SQL per row."""
    preparer = connection.dialect.identifier_preparer
    names = ", ".join(preparer.quote(column) for column in columns)
    statement = f"COPY {preparer.format_table(table)} ({names}) FROM STDIN"
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row([row[column] for column in columns])


def _insert_sqlite(
    connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> None:
    """Rows (each setting `columns`) in statements of as many rows as SQLite takes, with values
    converted by the columns' own types."""
    dialect = connection.dialect
    preparer = dialect.identifier_preparer
    names = ", ".join(preparer.quote(column) for column in columns)
    convert = [
        table.columns[column].type.dialect_impl(dialect).bind_processor(dialect)
        for column in columns
    ]
    marks = "(" + ", ".join("?" for _ in columns) + ")"
    values = [
        value if how is None or value is None else how(value)
        for row in rows
        for how, value in zip(convert, (row[column] for column in columns), strict=True)
    ]
    # Many rows per statement rather than executemany's one: each statement flushes the
    # full-text index a trigger writes to (knowledge.models.search), ~0.1 ms a time.
    per_statement = max(1, SQLITE_VARIABLES // len(columns))
    width = per_statement * len(columns)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(values), width):
            chunk = values[start : start + width]
            tuples = ", ".join([marks] * (len(chunk) // len(columns)))
            insert_sql = f"INSERT INTO {preparer.format_table(table)} ({names}) VALUES {tuples}"
            cursor.execute(insert_sql, chunk)
    finally:
        cursor.close()


def _by_columns(
    table: Table, rows: Sequence[Mapping[str, Any]]
) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    """Rows grouped by the columns they set, with Python-side defaults filled in."""
    defaults = {
        column.key: column.default
        for column in table.columns
        if column.default is not None and not column.primary_key
    }
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for given in rows:
        row = dict(given)
        for key, default in defaults.items():
            if key not in row:  # the Python-side defaults Core's insert() would have applied
                row[key] = default.arg(None) if default.is_callable else default.arg  # type: ignore[attr-defined]
        groups.setdefault(tuple(row), []).append(row)
    return groups
