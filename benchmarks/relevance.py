"""Relevance: nDCG@5 of the search over the judged queries of each city we measure.

The demo city is seeded from knowledge/demo; every folder of tests/cities/ is a city written
apart from the code (directory.csv + judgements.yml), imported as a real city would import it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from benchmarks.evaluation import JUDGEMENTS, evaluate, load_judgements
from knowledge.db import make_engine
from knowledge.history import Actor
from knowledge.migrate import upgrade
from knowledge.seed import seed_directory
from knowledge.settings import PROJECT_ROOT
from knowledge.transfer import import_csv

TARGET_NDCG = 0.85
LOWEST_SHOWN = 5
CITIES_DIR = PROJECT_ROOT / "tests" / "cities"
IMPORTER = Actor(name="benchmark", source="import")


@dataclass(frozen=True)
class Relevance:
    """One city's mean nDCG@5, its weakest queries, the queries that came back empty although
    a listing fits, or why it was not measured."""

    ndcg: float | None
    queries: int = 0
    lowest: list[tuple[str, float]] = field(default_factory=list)
    note: str = ""
    city: str = "the demo city"
    source: str = "tests/knowledge/search/judgements.yml"
    empty: list[str] = field(default_factory=list)


def city_folders(root: Path = CITIES_DIR) -> list[Path]:
    """Every city under tests/cities with a spreadsheet and judged queries."""
    if not root.is_dir():
        return []
    return sorted(
        folder
        for folder in root.iterdir()
        if (folder / "directory.csv").is_file() and (folder / "judgements.yml").is_file()
    )


def load_city(session: Session, folder: Path) -> None:
    """Import a city's spreadsheet as a city would (`wayfinder directory import`)."""
    report = import_csv(session, folder / "directory.csv", actor=IMPORTER)
    if not report.ok:
        problems = "; ".join(str(problem) for problem in report.problems[:5])
        raise ValueError(f"{folder.name}/directory.csv was refused: {problems}")


def measure_relevance(data_dir: Path, judgements: Path = JUDGEMENTS) -> Relevance:
    """Seed the demo city into a fresh SQLite file and score the judged queries on it."""
    return _measure(data_dir, "demo", lambda session: seed_directory(session), judgements)


def measure_city_relevance(data_dir: Path, folder: Path) -> Relevance:
    """Import a city of tests/cities into a fresh SQLite file and score its judged queries."""
    relevance = _measure(
        data_dir, folder.name, lambda session: load_city(session, folder), folder / "judgements.yml"
    )
    source = _shown(folder / "judgements.yml")
    return Relevance(
        relevance.ndcg,
        relevance.queries,
        relevance.lowest,
        relevance.note,
        city=folder.name,
        source=source,
        empty=relevance.empty,
    )


def measure_all(data_dir: Path) -> list[Relevance]:
    """The demo city, then every city of tests/cities."""
    return [measure_relevance(data_dir)] + [
        measure_city_relevance(data_dir, folder) for folder in city_folders()
    ]


def _measure(
    data_dir: Path, name: str, fill: Callable[[Session], object], judgements: Path
) -> Relevance:
    """Fill a fresh migrated SQLite file and evaluate the judged set on it."""
    if not judgements.exists():
        return Relevance(None, note=f"{_shown(judgements)} does not exist yet.")
    today, judged = load_judgements(judgements)
    target = data_dir / f"relevance-{name}.sqlite"
    data_dir.mkdir(parents=True, exist_ok=True)
    for leftover in (target, *data_dir.glob(f"{target.name}-*")):
        leftover.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{target}")
    try:
        upgrade(engine)
        with Session(engine) as session, session.begin():
            fill(session)
        with Session(engine) as session:
            evaluation = evaluate(session, judged, today=today)
    finally:
        engine.dispose()
    lowest = [(score.label, score.ndcg) for score in evaluation.queries[:LOWEST_SHOWN]]
    empty = [score.label for score in evaluation.queries if not score.returned]
    return Relevance(evaluation.mean_ndcg, len(evaluation.queries), lowest, empty=empty)


def _shown(path: Path) -> str:
    """A path relative to the project when inside it."""
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)
