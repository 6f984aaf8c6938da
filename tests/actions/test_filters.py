"""The filters a search ran with, as people read them, and the buttons that drop them."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.filters import (
    DROPS,
    ActionDropFilter,
    Filter,
    active_filters,
    drop_buttons,
    summary,
)
from actions.query import build_query
from actions.search import ActionSearchOpportunities
from tests.actions.conftest import Run, entity, slot_events, tracker


def test_labels_read_like_the_search_a_person_asked_for() -> None:
    understood = {
        "topics": ["coding", "robotics"],
        "age": 12,
        "free_only": False,
        "max_cost": 50.0,
        "days": ["Sat", "Sun"],
        "when": ["after_school"],
        "format": "in_person",
        "language": "vi",
        "neighbourhood": "Old Town",
        "near": [41.5, -81.7],
    }
    filters = active_filters(understood, "EUR")
    assert summary(filters, "daughter") == (
        "coding, robotics · age 12 · daughter · Old Town · ≤ €50 · Sat, Sun, after school · "
        "in person · Vietnamese"
    )
    assert [f.name for f in filters] == [
        "topic", "age", "location", "cost", "schedule", "format", "language",
    ]  # fmt: skip
    assert summary([], None) == "you"
    assert summary(active_filters({"near": [1.0, 2.0]}), "son") == "son · 📍 near you"


@pytest.mark.parametrize("name", sorted(DROPS))
def test_each_drop_button_clears_its_filter(name: str) -> None:
    (button,) = drop_buttons([Filter(name, "a long label " * 10)])
    assert len(button["payload"].encode()) <= 64  # Telegram's callback data
    t = tracker(button["payload"], intent="drop_filter", entities=[entity("filter", name)])
    events = asyncio.run(ActionDropFilter().run(CollectingDispatcher(), t, {}))
    assert slot_events(events) == DROPS[name]
    assert DROPS[name]  # every filter clears something


def test_a_dropped_filter_is_gone_from_the_next_query() -> None:
    slots = {"topic": ["coding"], "age": 12.0, "cost": "under 20", "schedule": ["Sat"]}
    for name, gone in [("cost", "max_cost"), ("schedule", "days"), ("age", "age")]:
        dropped = {**slots, **DROPS[name]}
        query = build_query(tracker("x", intent="drop_filter", slots=dropped))
        assert not getattr(query, gone)
    assert build_query(tracker("x", slots={**slots, **DROPS["topic"]})).topics == ()
    assert build_query(tracker("x", slots=slots)).max_cost == Decimal("20")


def test_an_unknown_or_missing_filter_name_changes_nothing() -> None:
    for entities in ([entity("filter", "colour")], []):
        t = tracker("/drop_filter", intent="drop_filter", entities=entities)
        assert asyncio.run(ActionDropFilter().run(CollectingDispatcher(), t, {})) == []


def test_dropping_the_blocking_filter_finds_listings(directory: str, run: Run) -> None:
    slots = {"topic": ["swimming"], "age": 9.0, "language": "so"}
    nothing, _ = run(ActionSearchOpportunities(), tracker("swimming", slots=slots))
    assert nothing[0]["response"] == "utter_no_results"
    button = next(b for b in nothing[0]["buttons"] if "language" in b["payload"])
    t = tracker(button["payload"], intent="drop_filter", entities=[entity("filter", "language")])
    dropped = slot_events(asyncio.run(ActionDropFilter().run(CollectingDispatcher(), t, {})))
    again = tracker(button["payload"], intent="drop_filter", slots={**slots, **dropped})
    found, _ = run(ActionSearchOpportunities(), again)
    assert found[0]["response"] == "utter_results" and "Somali" not in found[0]["summary"]
