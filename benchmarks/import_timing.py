"""Import speed: a generated spreadsheet imported into an empty directory."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from knowledge.db import make_engine
from knowledge.history import Actor
from knowledge.transfer.csv_import import import_csv

TARGET_ROWS_PER_S = 2_000.0
ACTOR = Actor(name="benchmark", source="import")


@dataclass(frozen=True)
class ImportRun:
    """One timed import."""

    backend: str
    rows: int
    seconds: float
    created: int
    problems: tuple[str, ...]

    @property
    def rows_per_s(self) -> float:
        """Throughput, the figure with a target."""
        return self.rows / self.seconds if self.seconds else 0.0


def time_import(url: str, backend: str, csv_path: Path, rows: int) -> ImportRun:
    """Import the file into the (empty, migrated) database at `url`, commit included."""
    engine = make_engine(url)
    try:
        started = time.perf_counter()
        with Session(engine) as session, session.begin():
            report = import_csv(session, csv_path, actor=ACTOR)
        seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    problems = tuple(str(problem) for problem in report.problems[:5])
    return ImportRun(backend, rows, seconds, report.created, problems)
