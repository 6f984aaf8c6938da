"""From the conversation's slots and the user's words to a directory search."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from rasa_sdk import Tracker

from actions.filters import ANY_TOPIC as ANY_TOPIC  # re-exported: what "anything" means
from actions.filters import active_filters, summary, understood_of
from knowledge.listing_fields import DAY_NAMES, MAX_AGE, FieldError, parse_cost, parse_language
from knowledge.models import FORMATS
from knowledge.search.formats import SOURCE_VOICE, Voice
from knowledge.search.interpret import interpret
from knowledge.search.query import ROUTE, WHENS, SearchQuery
from knowledge.taxonomy import Taxonomy
from knowledge.text import is_stop_word, words

UNDER = re.compile(r"under\s*[^\d\s]{0,3}\s*(\d+(?:\.\d+)?)")  # $50, €50, kr 50, EUR 50
SEARCH_INTENTS = {"find_opportunity", "inform", "share_location"}
# Longer messages are read for filters and topics (slots), not searched word by word: a
# 3,000-character message would name every need at once and slow the search down.
MAX_SEARCH_TEXT = 500
MAX_RADIUS_KM = 500.0  # as far as a search looks (knowledge.search.query)


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
    except (TypeError, ValueError, OverflowError):
        return None


def typed(event: dict[str, Any]) -> bool:
    """A user message someone typed in a search (not a button's payload)."""
    text = str(event.get("text") or "")
    intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
    return bool(text.strip()) and not text.startswith("/") and intent in SEARCH_INTENTS


def search_text(tracker: Tracker, taxonomy: Callable[[], Taxonomy] | None = None) -> str:
    """The words the search reads besides the slots.

    The newest message, when someone typed it in a search. After a button (a dropped filter, a
    suggested topic, a shared pin) only the subject words of the message before it: the filters
    that message implied are in the slots by now (validate_search_form copies them), and one the
    user just dropped must not come back from the words.
    """
    latest = True
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        if typed(event):
            text = str(event.get("text") or "")
            if len(text) > MAX_SEARCH_TEXT:
                return ""
            if latest:
                return text
            if taxonomy is None:
                return ""
            return " ".join(interpret(text, taxonomy(), chat_language(tracker)).terms)
        latest = False
    return ""


NEAR_ME = "near me"  # the location value of "near me", "nearby", … (nlu_data/synonyms.yml)


def wants_near_me(tracker: Tracker) -> bool:
    """They asked for something near them but we do not know where they are."""
    location = str(tracker.get_slot("location") or "").strip().lower()
    return location == NEAR_ME and _point(tracker) is None


def radius_without_place(tracker: Tracker) -> float | None:
    """The distance they asked for ("within 2 km") when neither a neighbourhood nor a shared
    location says from where (the search then runs everywhere: ask where they are)."""
    radius = _radius(tracker)
    location = str(tracker.get_slot("location") or "").strip()
    if radius is None or _point(tracker) is not None:
        return None
    return radius if not location or location.lower() == NEAR_ME else None


def _radius(tracker: Tracker) -> float | None:
    """The radius slot, when it is a distance a search takes (more than 0, at most 500 km)."""
    try:
        radius = float(tracker.get_slot("radius"))
    except (TypeError, ValueError):
        return None
    return radius if 0 < radius <= MAX_RADIUS_KM else None


def _route(tracker: Tracker) -> str | None:
    """The route slot, when it names a line ("14", "m15")."""
    route = str(tracker.get_slot("route") or "").strip()
    return route if ROUTE.fullmatch(route) else None


def _point(tracker: Tracker) -> tuple[float, float] | None:
    """The shared location, when both coordinates are numbers on the globe."""
    try:
        latitude = float(tracker.get_slot("latitude"))
        longitude = float(tracker.get_slot("longitude"))
    except (TypeError, ValueError):
        return None
    if -90 <= latitude <= 90 and -180 <= longitude <= 180:
        return latitude, longitude
    return None


def _max_cost(cost: str) -> Decimal | None:
    """The amount in "under 50", if it is one a listing's cost could be."""
    under = UNDER.search(cost)
    return Decimal(under.group(1)) if under and _allowed(parse_cost, under.group(1)) else None


def _allowed(parse: Callable[[str], object], value: str) -> bool:
    """Whether the listing field's own rule takes the value (a slot may hold anything)."""
    try:
        parse(value)
    except FieldError:
        return False
    return True


def build_query(tracker: Tracker, taxonomy: Callable[[], Taxonomy] | None = None) -> SearchQuery:
    """Slots win over what the text implies; the text still brings what no slot caught.
    `taxonomy` is asked for only when the words of an earlier message must be read.

    Every slot value is checked here, so a value the search cannot use is left out rather than
    refused: whatever a slot holds, this never raises.
    """
    topics = tuple(dict.fromkeys(t for t in as_list(tracker.get_slot("topic")) if t != ANY_TOPIC))
    cost = str(tracker.get_slot("cost") or "").lower()
    days, when = [], []
    for value in as_list(tracker.get_slot("schedule")):
        if value in WHENS:
            when.append(value)
        elif value.lower() in DAY_NAMES:
            days.append(DAY_NAMES[value.lower()])
    near = _point(tracker)
    location = str(tracker.get_slot("location") or "").strip() or None
    if location is not None and location.lower() == NEAR_ME:
        location = None  # a place to ask for (utter_ask_where), not a neighbourhood
    elif location is not None and all(is_stop_word(word) for word in words(location)):
        location = None  # "At home we speak Spanish": the NLU took a word, not a place
    age = as_int(tracker.get_slot("age"))
    fmt = tracker.get_slot("format")
    language = str(tracker.get_slot("language") or "").strip().lower()
    return SearchQuery(
        text=search_text(tracker, taxonomy),
        topics=topics,
        age=age if age is not None and 0 <= age <= MAX_AGE else None,
        neighbourhood=None if near else location,
        near=near,
        free_only=cost == "free",
        max_cost=_max_cost(cost),
        days=tuple(dict.fromkeys(days)),
        when=tuple(dict.fromkeys(when)),
        format=fmt if fmt in FORMATS else None,
        language=language if _allowed(parse_language, language) else None,
        radius_km=_radius(tracker) if near or location else None,
        route=_route(tracker),
        text_language=chat_language(tracker),
    )


def chat_language(tracker: Tracker) -> str | None:
    """The language the learner chats in (the `chat_language` slot; None: the source one)."""
    value = tracker.get_slot("chat_language")
    return str(value) if value else None


def summary_of(
    query: SearchQuery, relation: str | None, currency: str = "USD", voice: Voice = SOURCE_VOICE
) -> str:
    """A compact echo of what was searched, built from the directory's own values; a price limit
    is in the city's `currency`, the words in the learner's language."""
    return summary(active_filters(understood_of(query), currency, voice), relation, voice)
