"""A tiny directory builder: each test adds exactly the topics, places and listings it needs."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from knowledge.history import Actor
from knowledge.models import (
    Location,
    Neighbourhood,
    NeighbourhoodAlias,
    Opportunity,
    Topic,
    TopicSynonym,
)
from knowledge.search.engine import search
from knowledge.search.query import SearchQuery
from knowledge.search.result import SearchResult
from knowledge.writes import (
    get_or_create_neighbourhood,
    get_or_create_provider,
    get_or_create_topic,
    upsert_opportunity,
)

TODAY = date(2026, 11, 23)
ACTOR = Actor(name="test", source="cli")
# Alder-Bay-like coordinates: one degree of latitude is ~111.2 km, of longitude here ~83.4 km.
CENTRE = (41.50, -81.70)


class Directory:
    """Adds records through knowledge.writes (so derived search fields are filled) and searches."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def topic(self, name: str, *synonyms: str) -> Topic:
        """A topic with synonyms."""
        topic = get_or_create_topic(self.session, name, ACTOR)
        for term in synonyms:
            self.session.add(TopicSynonym(topic=topic, term=term))
        self.session.flush()
        return topic

    def place(self, name: str, latitude: float, longitude: float, *aliases: str) -> Neighbourhood:
        """A neighbourhood with a centre point and aliases."""
        found = get_or_create_neighbourhood(self.session, name, ACTOR, city="Testville")
        found.latitude, found.longitude = latitude, longitude
        for alias in aliases:
            self.session.add(NeighbourhoodAlias(neighbourhood=found, alias=alias))
        self.session.flush()
        return found

    def listing(
        self,
        title: str,
        topics: tuple[str, ...] = ("coding",),
        *,
        description: str = "A weekly session with friendly volunteers.",
        provider: str = "Test Library",
        at: tuple[float, float] | None = None,
        neighbourhood: Neighbourhood | None = None,
        **fields: Any,
    ) -> Opportunity:
        """A listing; `at` (lat, lon) and/or `neighbourhood` give it a physical location."""
        owner = get_or_create_provider(self.session, provider, ACTOR)
        locations = []
        if at is not None or neighbourhood is not None:
            point = at or (neighbourhood.latitude, neighbourhood.longitude)  # type: ignore[union-attr]
            location = Location(
                provider=owner,
                name=f"{title} venue",
                location_type="physical",
                latitude=point[0],
                longitude=point[1],
                neighbourhood=neighbourhood,
            )
            self.session.add(location)
            self.session.flush()
            locations.append(location)
        values: dict[str, Any] = {
            "title": title,
            "description": description,
            "provider": owner,
            "topics": [get_or_create_topic(self.session, name, ACTOR) for name in topics],
            "locations": locations,
            "format": "in_person" if locations else "online",
            "status": "active",
        }
        values.update(fields)
        opportunity, _ = upsert_opportunity(self.session, values, ACTOR)
        self.session.flush()
        return opportunity

    def search(self, text: str = "", *, limit: int = 10, **filters: Any) -> SearchResult:
        """Search as of TODAY."""
        return search(self.session, SearchQuery(text=text, **filters), today=TODAY, limit=limit)

    def titles(self, text: str = "", **filters: Any) -> list[str]:
        """Titles of the results, best first."""
        return [hit.title for hit in self.search(text, **filters).results]


@pytest.fixture
def directory(session: Session) -> Directory:
    """An empty directory to build on."""
    return Directory(session)


def km_north(km: float) -> float:
    """Degrees of latitude for a distance north."""
    return km / 111.195
