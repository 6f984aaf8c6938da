"""No refusal of the search ever reaches the learner as "something went wrong": every kind of
QueryError, in any order, gets an answer that says what to change."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import actions.search
from actions.search import KNOWN_PLACES_SHOWN, ActionSearchOpportunities
from knowledge.db import make_engine
from knowledge.models import Neighbourhood
from knowledge.search.query import QueryError, SearchQuery
from tests.actions.conftest import Run, slot_events, tracker

ANSWERS = {"utter_cannot_search", "utter_unknown_place", "utter_unknown_place_unlisted"}


def kinds_of(error: type[QueryError]) -> list[type[QueryError]]:
    """The class and every subclass, however deep: a new kind cannot be forgotten."""
    found = [error]
    for sub in error.__subclasses__():
        found += kinds_of(sub)
    return found


def instance(kind: type[QueryError]) -> QueryError:
    """One error of this kind, its constructor's arguments made up from their annotations."""
    try:
        parameters = list(inspect.signature(kind).parameters.values())
    except ValueError:  # the exception's own constructor: a message
        return kind("cannot use Nowhere Lane")
    arguments: list[Any] = []
    for parameter in parameters:
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if parameter.default is not parameter.empty:
            continue
        arguments.append([] if "list" in str(parameter.annotation) else "Nowhere Lane")
    return kind(*arguments)


KINDS = kinds_of(QueryError)


def test_the_kinds_include_the_ones_the_search_raises_today() -> None:
    assert {kind.__name__ for kind in KINDS} >= {"QueryError", "UnknownPlace", "UnknownTopic"}


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.__name__)
def test_every_kind_of_refusal_gets_an_answer_never_an_apology(
    directory: str, run: Run, monkeypatch: pytest.MonkeyPatch, kind: type[QueryError]
) -> None:
    calls: list[SearchQuery] = []

    def refuse(session: Any, query: SearchQuery, **_: Any) -> Any:
        calls.append(query)
        raise instance(kind)

    monkeypatch.setattr(actions.search, "search", refuse)
    slots = {"topic": ["coding"], "age": 12.0, "location": "Nowhere Lane", "cost": "free"}
    messages, events = run(ActionSearchOpportunities(), tracker("coding", slots=slots))
    responses = [message["response"] for message in messages]
    assert "utter_technical_trouble" not in responses
    assert responses and set(responses) <= ANSWERS
    assert "results" not in slot_events(events)  # the previous list stays
    assert 1 <= len(calls) <= actions.search.MAX_ATTEMPTS


@pytest.mark.parametrize("first", KINDS, ids=lambda kind: kind.__name__)
@pytest.mark.parametrize("second", KINDS, ids=lambda kind: kind.__name__)
def test_two_refusals_in_any_order_still_get_an_answer(
    directory: str,
    run: Run,
    monkeypatch: pytest.MonkeyPatch,
    first: type[QueryError],
    second: type[QueryError],
) -> None:
    real = actions.search.search
    refusals = [instance(first), instance(second)]

    def refuse_twice(session: Any, query: SearchQuery, **options: Any) -> Any:
        if refusals:
            raise refusals.pop(0)
        return real(session, query, **options)

    monkeypatch.setattr(actions.search, "search", refuse_twice)
    slots = {"topic": ["coding"], "age": 12.0, "location": "Nowhere Lane"}
    messages, _ = run(ActionSearchOpportunities(), tracker("coding", slots=slots))
    responses = [message["response"] for message in messages]
    assert responses and "utter_technical_trouble" not in responses


def test_an_unknown_place_after_an_unknown_topic_is_dropped_and_named(
    directory: str, run: Run
) -> None:
    slots = {"topic": ["chesss"], "age": 10.0, "location": "Lake Ave"}
    messages, events = run(ActionSearchOpportunities(), tracker("chess", slots=slots))
    place = messages[0]
    assert place["response"] == "utter_unknown_place" and place["place"] == "Lake Ave"
    known = place["known"].rstrip("…").split(", ")  # the city's neighbourhoods, closest first
    with Session(make_engine(directory)) as db:
        names = set(db.scalars(select(Neighbourhood.name)))
    assert set(known) <= names and len(known) == min(len(names), KNOWN_PLACES_SHOWN)
    assert all(b["payload"].startswith('/inform{"location":') for b in place["buttons"])
    assert messages[1]["response"] == "utter_results"
    assert slot_events(events)["location"] is None  # not tried again at the next search


@pytest.mark.parametrize(
    "odd",
    [
        {"age": 150.0},
        {"age": "nine"},
        {"language": "ES"},
        {"language": "spanish"},
        {"format": "zoom"},
        {"schedule": ["Funday", "weekend"]},
        {"cost": "under -5"},
        {"cost": "under $abc"},
        {"latitude": 200.0, "longitude": 5.0},
        {"latitude": "north", "longitude": None},
        {"topic": "coding"},
    ],
)
def test_slot_values_the_search_cannot_use_are_left_out_not_fatal(
    directory: str, run: Run, odd: dict[str, Any]
) -> None:
    slots = {"topic": ["coding"], "age": 12.0, **odd}
    messages, _ = run(ActionSearchOpportunities(), tracker("coding", slots=slots))
    assert messages[0]["response"] == "utter_results"
