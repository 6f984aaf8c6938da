"""Searching and paging: the right listings for age, place and cost; nothing closed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.search import ActionMoreResults, ActionSearchOpportunities
from knowledge.models import Learner, Opportunity
from tests.actions.conftest import Run, entity, slot_events, tracker


def test_free_search_for_a_12_year_old_lists_only_fitting_open_listings(
    directory: str, db: Session, run: Run
) -> None:
    t = tracker(
        "something free for my 12-year-old",
        entities=[entity("cost", "free"), entity("age", "12")],
        slots={"topic": ["any"], "age": 12.0, "cost": "free", "relation": "child"},
    )
    messages, events = run(ActionSearchOpportunities(), t)
    assert messages[0]["response"] == "utter_results"
    ids = slot_events(events)["results"]
    assert 5 <= len(ids) <= 30
    for value in ids:
        listing = db.get(Opportunity, int(value))
        assert listing is not None and listing.status == "active" and listing.is_free
        assert (listing.min_age or 0) <= 12 <= (listing.max_age or 120)
    buttons = messages[0]["buttons"]
    assert len(buttons) == 5
    assert all(len(button["payload"].encode()) <= 64 for button in buttons)
    assert messages[1]["response"] == "utter_more_available"
    assert db.scalars(select(Learner).where(Learner.sender_id == "test-user")).one()


def test_the_words_find_the_topic_when_the_nlu_missed_it(directory: str, run: Run) -> None:
    t = tracker("any robotics for kids", slots={"age": 10.0})
    messages, _ = run(ActionSearchOpportunities(), t)
    assert messages[0]["response"] == "utter_results"
    assert "robotics" in messages[0]["listing"].lower() or "robot" in messages[0]["listing"].lower()


def test_an_unknown_topic_from_the_nlu_falls_back_to_the_words(directory: str, run: Run) -> None:
    t = tracker("chess please", slots={"topic": ["chesss"], "age": 10.0})
    messages, _ = run(ActionSearchOpportunities(), t)
    assert messages[0]["response"] in {"utter_results", "utter_no_results"}


def test_nothing_found_explains_and_keeps_the_previous_list(directory: str, run: Run) -> None:
    t = tracker(
        "swimming in Somali",
        slots={"topic": ["swimming"], "age": 70.0, "language": "so", "results": ["1", "2"]},
    )
    messages, events = run(ActionSearchOpportunities(), t)
    assert messages[0]["response"] == "utter_no_results"
    assert messages[0]["explanation"]
    assert "results" not in slot_events(events)


def test_more_results_pages_on_then_says_it_is_the_end(directory: str, run: Run) -> None:
    _, first_events = run(
        ActionSearchOpportunities(), tracker("art", slots={"topic": ["art"], "age": 9.0})
    )
    slots = {"topic": ["art"], "age": 9.0, **slot_events(first_events)}
    total = len(slots["results"])
    messages, events = run(ActionMoreResults(), tracker("more", intent="more_results", slots=slots))
    assert messages[0]["response"] == "utter_results"
    assert messages[0]["listing"].startswith("6. ")
    shown = slot_events(events)["results_shown"]
    assert shown == min(10, total)
    slots["results_shown"] = float(total)
    end, _ = run(ActionMoreResults(), tracker("more", intent="more_results", slots=slots))
    assert end[0]["response"] == "utter_no_more_results"


def test_near_me_without_a_location_searches_everywhere_then_asks_where(
    directory: str, run: Run
) -> None:
    t = tracker(
        "coding classes near me", slots={"topic": ["coding"], "age": 12.0, "location": "near me"}
    )
    messages, events = run(ActionSearchOpportunities(), t)
    assert messages[0]["response"] == "utter_results"
    assert messages[-1]["response"] == "utter_ask_where"
    assert slot_events(events)["location"] is None  # asked once, not at every search


def test_near_me_with_a_shared_location_does_not_ask_again(directory: str, run: Run) -> None:
    t = tracker(
        "coding near me",
        slots={
            "topic": ["coding"],
            "age": 12.0,
            "location": "near me",
            "latitude": 41.4993,
            "longitude": -81.6944,
        },
    )
    messages, _ = run(ActionSearchOpportunities(), t)
    assert "utter_ask_where" not in [message["response"] for message in messages]
