"""The city the assistant speaks for: from the settings, else from the directory (looked up once
every few minutes, not on every message)."""

from __future__ import annotations

import time

from sqlalchemy.orm import Session

from actions.settings import action_settings
from knowledge.city import City, DirectoryFacts, city_of, directory_facts

FACTS_TTL_S = 300.0  # a new import's city or currency reaches learners within five minutes
_facts: dict[str, tuple[float, DirectoryFacts]] = {}  # by database URL


def current_city(session: Session) -> City:
    """The city's name, time zone, currency and locale, as learners should read them."""
    settings = action_settings().directory
    facts = None
    if settings.city_name is None or settings.currency is None:
        facts = _cached_facts(session, settings.database_url)
    return city_of(session, settings, facts)


def _cached_facts(session: Session, url: str) -> DirectoryFacts:
    """The directory's most common city and currency, asked at most every FACTS_TTL_S seconds."""
    now = time.monotonic()
    cached = _facts.get(url)
    if cached is not None and now - cached[0] < FACTS_TTL_S:
        return cached[1]
    facts = directory_facts(session)
    _facts[url] = (now, facts)
    return facts


def forget_cached_facts() -> None:
    """Ask the directory again next time (tests, after an import)."""
    _facts.clear()
