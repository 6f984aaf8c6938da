"""Synthetic search and usage records, for tests, the benchmark and trying the reports out.

Made from the directory's own topics and neighbourhoods (plus starter topics it lacks, which find
nothing), so they fit any city; a seed makes them repeatable. Popular requests are much more
common than rare ones, as in real use, so the reports have both shown and merged groups.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from knowledge.models import USAGE_KINDS, SearchRecord, UsageEvent
from knowledge.reports.recording import BANDS, COST_BRACKETS, FREE
from knowledge.taxonomy import load_taxonomy

CHANNELS = ("telegram", "web", "rest")
DAY_CODES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TIMES = ("weekend", "after_school", "evening", "morning", "summer")
FORMATS = ("in_person", "online", "hybrid")
LANGUAGES = ("en", "es")
BATCH = 5_000  # rows per INSERT statement


@dataclass(frozen=True)
class Vocabulary:
    """What the synthetic searches ask for: topics the directory has, topics it lacks (they find
    nothing), and neighbourhoods."""

    topics: Sequence[str]
    missing: Sequence[str]
    neighbourhoods: Sequence[str]


def city_vocabulary(session: Session, missing: int = 8) -> Vocabulary:
    """The directory's topics and neighbourhoods, and up to `missing` starter topics it lacks."""
    taxonomy = load_taxonomy(session)
    lacking: list[str] = []
    if taxonomy.starter is not None:
        for index, sense in enumerate(taxonomy.starter.senses):
            if len(lacking) >= missing:
                break
            lacks = sense.career is None and not taxonomy.sense_topics(index)
            if lacks and sense.label not in lacking:
                lacking.append(sense.label)
    return Vocabulary(
        topics=sorted(taxonomy.topics.values()),
        missing=lacking,
        neighbourhoods=sorted(place.name for place in taxonomy.places.values()),
    )


def synthetic_searches(
    count: int, vocabulary: Vocabulary, *, start: date, days: int, seed: int = 0
) -> list[dict[str, Any]]:
    """`count` search records (as column values) spread over `days` days from `start`."""
    chooser = random.Random(seed)
    topics = [*vocabulary.topics, *vocabulary.missing] or ["reading"]
    topic_weights = _zipf(len(topics))
    places: list[str | None] = [*vocabulary.neighbourhoods, None]
    place_weights = _zipf(len(places))
    bands: list[str | None] = [label for label, _low, _high in BANDS] + [None]
    band_weights = _zipf(len(bands))
    lacking = set(vocabulary.missing)
    rows = []
    for _ in range(count):
        topic = chooser.choices(topics, topic_weights)[0]
        filters = chooser.random()
        results = 0 if topic in lacking else _results(chooser)
        rows.append(
            {
                "day": start + timedelta(days=chooser.randrange(days)),
                "channel": chooser.choices(CHANNELS, (6, 3, 1))[0],
                "chat_language": chooser.choices(LANGUAGES, (4, 1))[0],
                "topic": topic,
                "age_band": chooser.choices(bands, band_weights)[0],
                "neighbourhood": chooser.choices(places, place_weights)[0],
                "cost": _cost(chooser) if filters < 0.4 else None,
                "days": ",".join(sorted(chooser.sample(DAY_CODES, 2))) if filters > 0.8 else None,
                "times": chooser.choice(TIMES) if 0.5 < filters < 0.8 else None,
                "format": chooser.choice(FORMATS) if filters > 0.9 else None,
                "language": "es" if filters < 0.05 else None,
                "career_goal": None,
                "results": results,
            }
        )
    return rows


def synthetic_usage(count: int, *, start: date, days: int, seed: int = 0) -> list[dict[str, Any]]:
    """`count` usage events (as column values) spread over `days` days from `start`."""
    chooser = random.Random(seed + 1)
    weights = {"conversation": 10, "details": 8, "plan_saved": 3, "reminder_sent": 2, "handoff": 1}
    kinds = list(USAGE_KINDS)
    return [
        {
            "day": start + timedelta(days=chooser.randrange(days)),
            "kind": chooser.choices(kinds, [weights.get(kind, 1) for kind in kinds])[0],
            "channel": chooser.choices(CHANNELS, (6, 3, 1))[0],
        }
        for _ in range(count)
    ]


def add_synthetic(
    session: Session,
    *,
    searches: int,
    usage: int = 0,
    start: date,
    days: int = 28,
    seed: int = 0,
    vocabulary: Vocabulary | None = None,
) -> Vocabulary:
    """Insert synthetic records in the caller's transaction; returns the vocabulary used."""
    vocabulary = vocabulary or city_vocabulary(session)
    for rows, table in (
        (synthetic_searches(searches, vocabulary, start=start, days=days, seed=seed), SearchRecord),
        (synthetic_usage(usage, start=start, days=days, seed=seed), UsageEvent),
    ):
        for first in range(0, len(rows), BATCH):
            session.execute(insert(table), rows[first : first + BATCH])
    return vocabulary


def _zipf(size: int) -> list[float]:
    """Weights where the n-th choice is about 1/n as likely as the first."""
    return [1 / (rank + 1) for rank in range(size)]


def _results(chooser: random.Random) -> int:
    """How many listings a search of a topic the directory has finds: often many, sometimes few."""
    roll = chooser.random()
    if roll < 0.15:
        return 0
    if roll < 0.3:
        return chooser.randint(1, 2)
    return chooser.randint(3, 40)


def _cost(chooser: random.Random) -> str:
    """ "free" more often than a price bracket."""
    return FREE if chooser.random() < 0.6 else f"under {chooser.choice(COST_BRACKETS)}"
