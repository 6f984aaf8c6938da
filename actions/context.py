"""What a message keeps from the search before it.

A new request (a find_opportunity message naming a topic the last search did not have) starts
afresh: the filters it does not mention are dropped, and who it is for (relation and age) stays.
Everything else said in a search (inform: "just the free ones", "what about online?", "and for her
cousin?") refines it and keeps every filter it does not change. Messages outside a search never
fill its slots: their slot mappings are limited to the search intents (bot/domain/slots.yml).
A shared location pin is where the learner is, like who they are, so a new request keeps it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from rasa_sdk import Tracker

from actions.filters import ANY_TOPIC
from knowledge.search.interpret import Interpretation

SEARCH_ACTION = "action_search_opportunities"
NEW_REQUEST_INTENT = "find_opportunity"
REQUEST_FILTERS = ("cost", "schedule", "format", "language", "location", "radius", "route")
POINT = ("latitude", "longitude")
NEAR_ME = "near me"
RESETS = {"session_started", "restart", "reset_slots"}  # events after which every slot is empty


def _topics(value: Any) -> set[str]:
    """Topic names of a topic slot value, without "any"."""
    values = value if isinstance(value, (list, tuple)) else [value]
    return {str(item) for item in values if item not in (None, "", ANY_TOPIC)}


def _latest_user_at(events: Sequence[dict[str, Any]]) -> int | None:
    """Index of the newest user message among the events."""
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "user":
            return index
    return None


def value_before_message(tracker: Tracker, name: str) -> Any:
    """The slot's value before the newest message filled anything (entities fill slots first)."""
    events = tracker.events
    at = _latest_user_at(events)
    changed = at is not None and any(
        event.get("event") == "slot" and event.get("name") == name for event in events[at + 1 :]
    )
    if not changed:
        return tracker.get_slot(name)
    value = None
    for event in events[:at]:
        if event.get("event") in RESETS:
            value = None
        elif event.get("event") == "slot" and event.get("name") == name:
            value = event.get("value")
    return value


def searched_before(tracker: Tracker) -> bool:
    """A search has run in this session, so there are earlier criteria a request could replace
    (not only a stored profile, which a first request keeps)."""
    for event in reversed(tracker.events):
        if event.get("event") in RESETS:
            return False
        if event.get("event") == "action" and event.get("name") == SEARCH_ACTION:
            return True
    return False


def mentioned(tracker: Tracker) -> set[str]:
    """Entities the newest message names."""
    return {str(e.get("entity")) for e in tracker.latest_message.get("entities") or []}


def is_new_request(tracker: Tracker, named: Sequence[str], before: Any) -> bool:
    """A find_opportunity message naming a topic the search before it (`before`) did not have."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    wanted = _topics(list(named))
    return (
        intent == NEW_REQUEST_INTENT
        and bool(wanted)
        and not wanted <= _topics(before)
        and searched_before(tracker)
    )


def fresh_start(tracker: Tracker) -> dict[str, Any]:
    """A new request: the filters the message does not name are dropped."""
    said = mentioned(tracker)
    return {
        name: None
        for name in REQUEST_FILTERS
        if name not in said and tracker.get_slot(name) is not None
    }


def implied_by_words(tracker: Tracker, reading: Interpretation) -> dict[str, Any]:
    """Filters the words imply that the NLU missed ("free" in a long sentence), and who it is
    for, for the slots: they are the search's filters from now on, shown with the results and
    droppable."""
    said = mentioned(tracker)
    found: dict[str, Any] = {}
    if "cost" not in said:
        if reading.free_only:
            found["cost"] = "free"
        elif reading.max_cost is not None:
            found["cost"] = f"under {_amount(reading.max_cost)}"
    times = [*reading.days, *reading.when]
    if times:
        current = tracker.get_slot("schedule") if "schedule" in said else []
        kept = current if isinstance(current, list) else [current] if current else []
        found["schedule"] = list(dict.fromkeys([*map(str, kept), *times]))
    if "format" not in said and reading.format:
        found["format"] = reading.format
    if "language" not in said and reading.language:
        found["language"] = reading.language
    if "location" not in said and reading.neighbourhood is not None:
        found["location"] = reading.neighbourhood.name
    if reading.radius_km is not None:  # "within 2 km": from the place named or shared
        found["radius"] = reading.radius_km
    if reading.route is not None:  # "near the 14 bus"
        found["route"] = reading.route
    if "relation" not in said and reading.relation is not None:
        found["relation"] = reading.relation  # "and for her cousin?": someone else now
    return found


# A long message (a parent's story with one request in it) is searched by the sentence that asks:
# the last one with a cue like these. Its filters are the request's; the age, the place and who
# it is for may come from anywhere in it ("she turned four", "we live in Pine Ridge").
LONG_MESSAGE = 200
REQUEST_CUE = re.compile(
    r"\b(looking for|look for|searching for|search for|want|wants|would like|'d like|need|needs|"
    r"is there|are there|do you have|anything|something|find|recommend)\b"
)
SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")


def request_sentence(text: str) -> str | None:
    """The last sentence of a long message that asks for something; None for a short one."""
    if len(text) <= LONG_MESSAGE:
        return None
    sentences = [part.strip() for part in SENTENCE_END.split(text) if part.strip()]
    asking = [sentence for sentence in sentences if REQUEST_CUE.search(sentence.lower())]
    return asking[-1] if asking else None


def requested(reading: Interpretation) -> dict[str, Any]:
    """The filters the request sentence asks for, each slot set (None: not asked for), and its
    topics when it names any."""
    cost = None
    if reading.free_only:
        cost = "free"
    elif reading.max_cost is not None:
        cost = f"under {_amount(reading.max_cost)}"
    found: dict[str, Any] = {
        "cost": cost,
        "schedule": list(dict.fromkeys([*reading.days, *reading.when])) or None,
        "format": reading.format,
        "language": reading.language,
        "radius": reading.radius_km,
        "route": reading.route,
    }
    topics = reading.topic_names()
    if topics:
        found["topic"] = topics
    return found


def one_place(tracker: Tracker, changes: dict[str, Any]) -> dict[str, Any]:
    """A place named now replaces a pin shared before, and a pin replaces a named place."""
    said = mentioned(tracker)
    location = changes.get("location", tracker.get_slot("location") if "location" in said else None)
    if location and str(location).strip().lower() != NEAR_ME:
        return {name: None for name in POINT if tracker.get_slot(name) is not None}
    if said & set(POINT) and tracker.get_slot("location") is not None:
        return {"location": None}
    return {}


def _amount(value: Decimal) -> str:
    """50 → "50", 12.50 → "12.5": the form `under N` takes (actions.query.UNDER)."""
    text = format(value.normalize(), "f")
    return text


def changed(tracker: Tracker, values: dict[str, Any]) -> dict[str, Any]:
    """Only the values that differ from the slots now."""
    return {name: value for name, value in values.items() if tracker.get_slot(name) != value}
