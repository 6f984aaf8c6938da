"""How far a learner will go ("within 2 km", "walking distance", "a menos de 2 km") sets the
search's radius around their place; a line they travel on ("near the 14 bus", "cerca de la línea
14") keeps the listings whose place's transport notes name it, as a whole word."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from knowledge.models import Opportunity
from knowledge.search.interpret import interpret
from knowledge.search.query import QueryError, SearchQuery
from knowledge.search.routes import note_tokens, on_route, places_on_route
from tests.knowledge.search.conftest import CENTRE, Directory, km_north


@pytest.mark.parametrize(
    ("text", "km"),
    [
        ("coding within 2 km", 2.0),
        ("art less than 1 km away", 1.0),
        ("chess within 3 miles of me", 4.828),
        ("robots 2.5 km away", 2.5),
        ("within a mile", 1.609),
        ("swimming within walking distance", 1.5),
        ("clases de arte a menos de 2 km", 2.0),
        ("ajedrez a 500 m de casa", 0.5),
        ("natación a menos de dos kilómetros", 2.0),
    ],
)
def test_a_distance_said_is_the_radius(text: str, km: float) -> None:
    found = interpret(text)
    assert found.radius_km == pytest.approx(km, abs=0.001)
    assert not {"km", "mile", "miles", "away", "walking", "distance"} & set(found.terms)


@pytest.mark.parametrize(
    ("text", "route"),
    [
        ("robotics near the 14 bus", "14"),
        ("anything on the 14 bus route", "14"),
        ("art near bus M15", "m15"),
        ("chess on route 7", "7"),
        ("bus no. 14 please", "14"),
        ("ajedrez cerca de la línea 14", "14"),
        ("clases en la ruta número 7", "7"),
    ],
)
def test_a_line_said_is_the_route(text: str, route: str) -> None:
    found = interpret(text)
    assert found.route == route
    assert "bus" not in found.terms and "route" not in found.terms


def test_the_numbers_of_a_distance_or_line_are_not_ages() -> None:
    found = interpret("for my 9 year old within 2 km near the 14 bus")
    assert (found.age, found.radius_km, found.route) == (9, 2.0, "14")
    assert set(found.not_ages) == {2, 14}
    assert interpret("my son is 14 and likes coding").route is None


def test_a_line_is_a_whole_word_of_the_notes() -> None:
    assert note_tokens("Bus 14/15 and M-15 stop outside; open 14:00") >= {"14", "15", "m15"}
    assert on_route("Buses 9 and 14 stop at the door", "14")
    assert on_route("Take the M-15", "m15")
    assert not on_route("Route 140 to Main St", "14")
    assert not on_route("Open from 14:00", "14")
    assert not on_route(None, "14")


def _noted(directory: Directory, title: str, transport: str | None, **where: object) -> None:
    """A listing at CENTRE (or `at`) whose place has the transport note."""
    listing: Opportunity = directory.listing(title, at=where.get("at", CENTRE))  # type: ignore[arg-type]
    listing.locations[0].transport = transport
    directory.session.flush()


def test_near_the_14_bus_keeps_the_places_on_that_line(directory: Directory) -> None:
    _noted(directory, "On The 14", "Bus 14 stops outside")
    _noted(directory, "On The 140", "Route 140 to Main St")
    _noted(directory, "No Note", None)
    assert directory.titles("coding near the 14 bus") == ["On The 14"]
    assert directory.titles("coding cerca de la línea 140") == ["On The 140"]
    assert directory.titles("coding", route="14") == ["On The 14"]
    assert directory.search("coding near the 14 bus").understood["route"] == "14"


def test_a_line_no_place_is_on_explains_the_empty_result(directory: Directory) -> None:
    _noted(directory, "On The 14", "Bus 14 stops outside")
    result = directory.search("coding near the 31 bus")
    assert result.results == [] and result.explanation is not None
    assert [item.relaxed for item in result.explanation.blocking] == ["place"]


def test_within_2_km_of_a_neighbourhood_is_not_widened(directory: Directory) -> None:
    directory.place("Riverside", *CENTRE)
    directory.listing("Three Km North", at=(CENTRE[0] + km_north(3), CENTRE[1]))
    directory.listing("One Km North", at=(CENTRE[0] + km_north(1), CENTRE[1]))
    assert directory.titles("coding near Riverside within 2 km") == ["One Km North"]
    result = directory.search("coding within 2 km", near=CENTRE)
    assert [hit.title for hit in result.results] == ["One Km North"]
    assert result.understood["radius_km"] == 2.0 and result.understood["radius_given"]


def test_a_route_that_is_no_line_is_refused() -> None:
    with pytest.raises(QueryError, match="not a line's number"):
        SearchQuery(route="the fourteen")


def test_places_on_route_reads_the_directory(session: Session, directory: Directory) -> None:
    _noted(directory, "A", "Lines 7 and 14")
    _noted(directory, "B", "Line 7A")
    assert len(places_on_route(session, "7")) == 1
    assert len(places_on_route(session, "7a")) == 1
    assert places_on_route(session, "99") == ()
