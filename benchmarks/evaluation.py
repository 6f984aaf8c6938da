"""Measuring relevance against judged queries (nDCG@k), for the tests and the benchmark report."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from knowledge.search.engine import search
from knowledge.search.query import SearchQuery
from knowledge.settings import PROJECT_ROOT

JUDGEMENTS = PROJECT_ROOT / "tests" / "knowledge" / "search" / "judgements.yml"
QUERY_FIELDS = {
    "text", "topics", "age", "neighbourhood", "near", "radius_km", "free_only", "max_cost",
    "days", "when", "format", "language", "upcoming_days",
}  # fmt: skip


@dataclass(frozen=True)
class JudgedQuery:
    """A query as a person would ask it, with graded judgements: external_id → 3 perfect,
    2 good, 1 marginal (unlisted = 0)."""

    query: SearchQuery
    judgements: Mapping[str, int]

    @property
    def label(self) -> str:
        """The text plus any explicit filters, for reports."""
        extras = [
            f"{name}={value}"
            for name, value in vars(self.query).items()
            if name in QUERY_FIELDS - {"text"} and value not in (None, (), False)
        ]
        return " ".join([repr(self.query.text), *extras])


@dataclass(frozen=True)
class QueryScore:
    """One judged query's nDCG and what the search returned."""

    label: str
    ndcg: float
    returned: tuple[str, ...]


@dataclass(frozen=True)
class Evaluation:
    """Mean nDCG@k over a judged set, with per-query scores (worst first)."""

    k: int
    mean_ndcg: float
    queries: tuple[QueryScore, ...]


def load_judgements(path: Path = JUDGEMENTS) -> tuple[date, list[JudgedQuery]]:
    """The judged set: the date it was judged for and its queries."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    today = data["today"]
    judged = []
    for entry in data["queries"]:
        judgements = {str(key): int(grade) for key, grade in entry["judgements"].items()}
        fields = {key: value for key, value in entry.items() if key != "judgements"}
        unknown = set(fields) - QUERY_FIELDS
        if unknown:
            raise ValueError(f"{path}: unknown query field(s) {sorted(unknown)} in {entry}")
        judged.append(JudgedQuery(_query(fields), judgements))
    return today, judged


def _query(fields: dict[str, Any]) -> SearchQuery:
    """A SearchQuery from YAML values (lists become tuples, costs Decimals)."""
    values = dict(fields)
    for key in ("topics", "days", "when", "near"):
        if key in values:
            values[key] = tuple(values[key])
    if "max_cost" in values:
        values["max_cost"] = Decimal(str(values["max_cost"]))
    return SearchQuery(**values)


def dcg(grades: Sequence[int]) -> float:
    """Discounted cumulative gain with graded gains 2^grade − 1."""
    return sum(float(2**grade - 1) / math.log2(rank + 2) for rank, grade in enumerate(grades))


def ndcg_at_k(returned: Sequence[str], judgements: Mapping[str, int], k: int = 5) -> float:
    """nDCG@k of a ranking against graded judgements; the ideal ranks the judgements best first."""
    ideal = dcg(sorted(judgements.values(), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([judgements.get(item, 0) for item in returned[:k]]) / ideal


def evaluate(
    session: Session, judged: Sequence[JudgedQuery], *, today: date, k: int = 5
) -> Evaluation:
    """Run every judged query and score it."""
    scores = []
    for item in judged:
        result = search(session, item.query, today=today, limit=k)
        returned = tuple(hit.external_id or str(hit.id) for hit in result.results)
        scores.append(QueryScore(item.label, ndcg_at_k(returned, item.judgements, k), returned))
    mean = sum(score.ndcg for score in scores) / len(scores) if scores else 0.0
    return Evaluation(k, mean, tuple(sorted(scores, key=lambda score: score.ndcg)))
