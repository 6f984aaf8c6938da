"""Import speed: a generated spreadsheet imported into an empty directory."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
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
    seconds: float  # the median attempt's, when the import was timed several times
    created: int
    problems: tuple[str, ...]
    attempts: tuple[float, ...] = ()  # every attempt's seconds, in order

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


def median_run(runs: list[ImportRun]) -> ImportRun:
    """One figure from repeated imports of the same file: the median time, every attempt kept.

    The machines share their host, so one attempt can be a third slower than the next; the
    median of three is steadier than any single one. A refused or crashed attempt stands alone.
    """
    failed = [run for run in runs if run.problems]
    if failed:
        return failed[0]
    ordered = sorted(runs, key=lambda run: run.seconds)
    middle = ordered[len(ordered) // 2]
    return replace(middle, attempts=tuple(run.seconds for run in runs))
