"""A distance around a neighbourhood an imported city gave no centre is measured from the middle
of its places; without a distance, the neighbourhood still keeps the listings filed under it."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.models import Neighbourhood
from knowledge.search.engine import search
from knowledge.search.place_centre import places_centre
from knowledge.search.query import SearchQuery
from tests.knowledge.transfer.factories import import_rows, row

TODAY = date(2026, 12, 7)
ROWS = [  # ~0.2 km apart in Eastside; Northfield's listing ~4.4 km north of them
    row(external_id="e-1", title="Code Club East", latitude="41.5013", longitude="-81.6420"),
    row(
        external_id="e-2",
        title="Robot Coders",
        address="88 Oak St",
        latitude="41.5031",
        longitude="-81.6420",
    ),
    row(
        external_id="n-1",
        title="Northfield Coding",
        neighborhood="Northfield",
        address="9 North Rd",
        latitude="41.5420",
        longitude="-81.6420",
    ),
]


def titles(session: Session, query: SearchQuery) -> set[str]:
    result = search(session, query, today=TODAY, limit=10)
    return {hit.title for hit in result.results}


def test_an_imported_neighbourhood_has_no_centre_but_its_places_do(session: Session) -> None:
    assert import_rows(session, ROWS).ok
    eastside = session.scalar(select(Neighbourhood).where(Neighbourhood.name == "Eastside"))
    assert eastside is not None and eastside.latitude is None
    latitude, longitude = places_centre(session, eastside.id) or (0.0, 0.0)
    assert abs(latitude - 41.5022) < 1e-4 and abs(longitude + 81.642) < 1e-4


def test_a_distance_around_it_is_measured_from_its_places(session: Session) -> None:
    assert import_rows(session, ROWS).ok
    near = SearchQuery(text="coding", neighbourhood="Eastside", radius_km=2.0)
    assert titles(session, near) == {"Code Club East", "Robot Coders"}
    wide = SearchQuery(text="coding", neighbourhood="Eastside", radius_km=6.0)
    assert titles(session, wide) == {"Code Club East", "Robot Coders", "Northfield Coding"}
    understood = search(session, near, today=TODAY).understood
    assert understood["radius_km"] == 2.0 and understood["radius_given"]


def test_without_a_distance_the_neighbourhood_keeps_its_own_listings(session: Session) -> None:
    assert import_rows(session, ROWS).ok
    named = SearchQuery(text="coding", neighbourhood="Eastside")
    assert titles(session, named) == {"Code Club East", "Robot Coders"}
