"""Relevance: nDCG@5 of the search over the judged queries of the demo city."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from knowledge.db import make_engine
from knowledge.migrate import upgrade
from knowledge.search.evaluation import JUDGEMENTS, evaluate, load_judgements
from knowledge.seed import seed_directory
from knowledge.settings import PROJECT_ROOT

TARGET_NDCG = 0.85
LOWEST_SHOWN = 5


@dataclass(frozen=True)
class Relevance:
    """The mean nDCG@5, the weakest queries, or why it was not measured."""

    ndcg: float | None
    queries: int = 0
    lowest: list[tuple[str, float]] = field(default_factory=list)
    note: str = ""


def measure_relevance(data_dir: Path, judgements: Path = JUDGEMENTS) -> Relevance:
    """Seed the demo city into a fresh SQLite file and score the judged queries on it."""
    if not judgements.exists():
        where = (
            judgements.relative_to(PROJECT_ROOT)
            if judgements.is_relative_to(PROJECT_ROOT)
            else judgements
        )
        return Relevance(None, note=f"{where} does not exist yet.")
    today, judged = load_judgements(judgements)
    target = data_dir / "relevance-demo.sqlite"
    for leftover in (target, *data_dir.glob(f"{target.name}-*")):
        leftover.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{target}")
    try:
        upgrade(engine)
        with Session(engine) as session, session.begin():
            seed_directory(session)
        with Session(engine) as session:
            evaluation = evaluate(session, judged, today=today)
    finally:
        engine.dispose()
    lowest = [(score.label, score.ndcg) for score in evaluation.queries[:LOWEST_SHOWN]]
    return Relevance(evaluation.mean_ndcg, len(evaluation.queries), lowest)
