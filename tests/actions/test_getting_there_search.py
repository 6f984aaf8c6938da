"""In chat, "within 2 km" and "near the 14 bus" become the search's radius and route slots (like
"free" becomes cost): shown with the results, droppable, and never taken for an age; a distance
with no place known searches everywhere and asks where the learner is."""

from __future__ import annotations

from typing import Any

from actions.filters import ActionDropFilter
from actions.form import ValidateSearchForm
from actions.search import ActionSearchOpportunities
from tests.actions.conftest import Run, entity, slot_events, tracker


def _validated(run: Run, text: str, **kwargs: Any) -> dict[str, Any]:
    """The slots the search form sets for a message."""
    _, events = run(ValidateSearchForm(), tracker(text, **kwargs))
    return slot_events(events)


def test_the_words_fill_the_radius_and_route_slots(directory: str, run: Run) -> None:
    slots = _validated(run, "coding within 2 km near the 14 bus")
    assert (slots["radius"], slots["route"]) == (2.0, "14")
    spanish = _validated(run, "clases de arte a menos de 3 km cerca de la línea 22")
    assert (spanish["radius"], spanish["route"]) == (3.0, "22")


def test_a_line_the_nlu_tagged_as_an_age_is_not_one(directory: str, run: Run) -> None:
    slots = _validated(
        run,
        "coding near the 14 bus",
        entities=[entity("topic", "coding"), entity("age", "14")],
        slots={"age": 14.0, "topic": ["coding"]},
        after=[{"event": "slot", "name": "age", "value": 14.0}],
    )
    assert slots.get("age") is None and slots["route"] == "14"


def test_a_distance_without_a_place_searches_everywhere_and_asks_where(
    directory: str, run: Run
) -> None:
    t = tracker("coding within 2 km", slots={"topic": ["coding"], "radius": 2.0})
    messages, _ = run(ActionSearchOpportunities(), t)
    assert messages[0]["response"] == "utter_results"
    assert messages[-1]["response"] == "utter_ask_where_radius" and messages[-1]["km"] == "2.0"


def test_with_a_shared_location_the_distance_is_a_filter_shown(directory: str, run: Run) -> None:
    slots = {"topic": ["coding"], "radius": 3.0, "latitude": 41.4993, "longitude": -81.6944}
    messages, _ = run(ActionSearchOpportunities(), tracker("coding within 3 km", slots=slots))
    assert "📍 within 3.0 km of you" in messages[0]["summary"]
    assert "utter_ask_where_radius" not in [message["response"] for message in messages]


def test_the_route_is_shown_and_keeps_the_listings_on_it(directory: str, run: Run) -> None:
    t = tracker("anything near the 14 bus", slots={"topic": ["any"], "route": "14"})
    messages, events = run(ActionSearchOpportunities(), t)
    assert messages[0]["response"] == "utter_results"
    assert "🚌 line 14" in messages[0]["summary"]
    assert slot_events(events)["results"]


def test_dropping_the_route_or_the_place_clears_them(run: Run) -> None:
    drop = tracker("/drop_filter", intent="drop_filter", entities=[entity("filter", "route")])
    _, events = run(ActionDropFilter(), drop)
    assert slot_events(events) == {"route": None}
    drop = tracker("/drop_filter", intent="drop_filter", entities=[entity("filter", "location")])
    _, events = run(ActionDropFilter(), drop)
    assert slot_events(events)["radius"] is None
