"""What a search returns: ranked hits, how many matched, and why when nothing (or little) did."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class SearchHit:
    """One listing in the results, with a one-line reason."""

    id: int
    external_id: str | None
    title: str
    provider: str
    score: float
    reason: str
    distance_km: float | None
    topics: tuple[str, ...]  # the listing's topics that the query asked for
    neighbourhood: str | None = None
    format: str = "in_person"
    assured_date: date | None = None  # when the provider last confirmed it
    stale: bool = False  # not confirmed for FRESHNESS_DAYS: ranked lower, and the reason says so

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "id": self.id,
            "external_id": self.external_id,
            "title": self.title,
            "provider": self.provider,
            "score": self.score,
            "reason": self.reason,
            "distance_km": None if self.distance_km is None else round(self.distance_km, 2),
            "topics": list(self.topics),
            "neighbourhood": self.neighbourhood,
            "format": self.format,
            "assured_date": self.assured_date.isoformat() if self.assured_date else None,
            "stale": self.stale,
        }


@dataclass(frozen=True)
class Relaxation:
    """What giving up one filter would find: `relaxed` names the filter group."""

    relaxed: str
    count: int
    message: str
    closest: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "relaxed": self.relaxed,
            "count": self.count,
            "message": self.message,
            "closest": dict(self.closest),
        }


@dataclass(frozen=True)
class Explanation:
    """Why the results are empty or few: which filters emptied them and what is closest.

    `blocking` lists filters that each, dropped alone, would find more; `unfiltered` is how many
    match the subject with no filter at all; `suggestions` are topics to try when the subject
    itself matches nothing.
    """

    subject: str
    total: int
    unfiltered: int
    blocking: tuple[Relaxation, ...]
    message: str
    suggestions: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "subject": self.subject,
            "total": self.total,
            "unfiltered": self.unfiltered,
            "blocking": [relaxation.to_dict() for relaxation in self.blocking],
            "message": self.message,
            "suggestions": list(self.suggestions),
        }


@dataclass(frozen=True)
class SearchResult:
    """Ranked hits (one page), the number of matches and, when few or none, an explanation.

    `total` is exact up to the engine's counting cap; `total_is_exact` is False beyond it.
    `understood` is what the search made of the query (topics, age, place, …).
    """

    results: list[SearchHit]
    total: int
    explanation: Explanation | None = None
    understood: dict[str, Any] = field(default_factory=dict)
    total_is_exact: bool = True

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "results": [hit.to_dict() for hit in self.results],
            "total": self.total,
            "total_is_exact": self.total_is_exact,
            "explanation": self.explanation.to_dict() if self.explanation else None,
            "understood": dict(self.understood),
        }
