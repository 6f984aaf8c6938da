"""From the conversation's slots and the user's words to a directory search."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from rasa_sdk import Tracker

from knowledge.search.query import DAY_NAMES, WHENS, SearchQuery

ANY_TOPIC = "any"
UNDER = re.compile(r"under\s*\$?\s*(\d+(?:\.\d+)?)")
SEARCH_INTENTS = {"find_opportunity", "inform", "share_location"}


def as_list(value: Any) -> list[str]:
    """List slots arrive as lists, or as a single string from older events."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value if item not in (None, "")]
    return [str(value)]


def as_int(value: Any) -> int | None:
    """Float slots (age) as whole numbers; anything else is unknown."""
    try:
        return None if value is None else int(float(value))
    except (TypeError, ValueError):
        return None


def search_text(tracker: Tracker) -> str:
    """The newest search-like message: searches use its words when the NLU missed something."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        text = str(event.get("text") or "")
        intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
        if text.startswith("/"):
            continue  # a button payload has no words to read
        if intent in SEARCH_INTENTS:
            return text
    return ""


NEAR_ME = "near me"  # the location value of "near me", "nearby", … (nlu_data/synonyms.yml)


def wants_near_me(tracker: Tracker) -> bool:
    """They asked for something near them but we do not know where they are."""
    location = str(tracker.get_slot("location") or "").strip().lower()
    return location == NEAR_ME and tracker.get_slot("latitude") is None


def build_query(tracker: Tracker) -> SearchQuery:
    """Slots win over what the text implies; the text still brings what no slot caught."""
    topics = tuple(dict.fromkeys(t for t in as_list(tracker.get_slot("topic")) if t != ANY_TOPIC))
    cost = str(tracker.get_slot("cost") or "").lower()
    under = UNDER.search(cost)
    days, when = [], []
    for value in as_list(tracker.get_slot("schedule")):
        if value in WHENS:
            when.append(value)
        elif value.lower() in DAY_NAMES:
            days.append(DAY_NAMES[value.lower()])
    latitude, longitude = tracker.get_slot("latitude"), tracker.get_slot("longitude")
    near = None
    if latitude is not None and longitude is not None:
        near = (float(latitude), float(longitude))
    location = str(tracker.get_slot("location") or "").strip() or None
    if location is not None and location.lower() == NEAR_ME:
        location = None  # a place to ask for (utter_ask_where), not a neighbourhood
    fmt = tracker.get_slot("format")
    language = tracker.get_slot("language")
    return SearchQuery(
        text=search_text(tracker),
        topics=topics,
        age=as_int(tracker.get_slot("age")),
        neighbourhood=None if near else location,
        near=near,
        free_only=cost == "free",
        max_cost=Decimal(under.group(1)) if under else None,
        days=tuple(days),
        when=tuple(when),
        format=fmt if fmt in {"online", "in_person", "hybrid"} else None,
        language=language if isinstance(language, str) and len(language) == 2 else None,
    )


def summary_of(query: SearchQuery, relation: str | None) -> str:
    """A compact echo of what was searched, built from the directory's own values."""
    parts = list(query.topics)
    if query.age is not None:
        parts.append(f"age {query.age}")
    if relation and relation != "self":
        parts.append(relation)
    if query.neighbourhood:
        parts.append(query.neighbourhood)
    if query.free_only:
        parts.append("free")
    if query.max_cost is not None:
        parts.append(f"≤ ${query.max_cost}")
    parts += [w.replace("_", " ") for w in query.when] + list(query.days)
    if query.format:
        parts.append(query.format.replace("_", " "))
    if query.language:
        parts.append(query.language)
    return " · ".join(parts) if parts else "you"
