"""The generated import spreadsheet: the exact import format, accepted as it is."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from benchmarks.csvfile import write_import_csv
from knowledge.history import Actor
from knowledge.models import Opportunity
from knowledge.transfer.csv_format import COLUMNS
from knowledge.transfer.csv_import import import_csv

ROWS = 60


def test_spreadsheet_has_the_import_columns_and_one_row_per_listing(tmp_path: Path) -> None:
    path = write_import_csv(tmp_path / "listings.csv", ROWS, seed=3)
    with path.open(encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    assert tuple(records[0]) == COLUMNS
    assert len(records) == ROWS + 1
    days = {day for row in records[1:] for day in row[COLUMNS.index("days")].split(";") if day}
    assert days <= {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}


def test_generated_spreadsheet_imports_without_problems(session: Session, tmp_path: Path) -> None:
    path = write_import_csv(tmp_path / "listings.csv", ROWS, seed=3)
    report = import_csv(session, path, actor=Actor(name="test", source="import"))
    assert [str(problem) for problem in report.problems] == []
    assert report.created == ROWS
    assert session.scalar(select(func.count()).select_from(Opportunity)) == ROWS
