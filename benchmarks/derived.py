"""The derived search columns of a generated listing, computed by the ORM path's own functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.search.index import place_for, search_text_for


@dataclass(frozen=True)
class LocationFacts:
    """What derivation needs to know about one of a listing's locations."""

    id: int
    location_type: str
    latitude: float | None
    longitude: float | None
    neighbourhood_id: int | None


@dataclass(frozen=True)
class DerivedFields:
    """The columns search filters and ranks on."""

    latitude: float | None
    longitude: float | None
    neighbourhood_id: int | None
    search_text: str


def derive(
    *,
    title: str,
    description: str,
    topics: Sequence[str],
    provider: str,
    locations: Sequence[LocationFacts],
    awards: Sequence[str] = (),
) -> DerivedFields:
    """Derive as `refresh_search_fields` does on a loaded listing (topics and awarded credentials
    by name, sites by id)."""
    ordered: list[LocationFacts] = sorted(locations, key=lambda fact: fact.id)
    latitude, longitude, neighbourhood_id = place_for(ordered)
    text = search_text_for(title, sorted(topics), description, provider, sorted(awards))
    return DerivedFields(latitude, longitude, neighbourhood_id, text)
