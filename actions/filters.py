"""The filters a search ran with, as people read them, and dropping one with a button."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import Events
from actions.listing_lines import money
from knowledge.locales import LocaleError
from knowledge.search.formats import SOURCE_VOICE, Voice, language_name, weekday
from knowledge.search.interpret import LANGUAGE_NAMES
from knowledge.search.phrasing import one_decimal
from knowledge.search.query import SearchQuery

ANY_TOPIC = "any"
DROP_INTENT = "drop_filter"
DROP_ENTITY = "filter"
# What dropping each filter sets: the payload names the filter, never a value, so a button stays
# short (Telegram allows 64 bytes of callback data) and means the same after a refinement.
DROPS: dict[str, dict[str, Any]] = {
    "topic": {"topic": [ANY_TOPIC]},  # any topic, so the form does not ask for one again
    "age": {"age": None, "grade": None},
    "location": {"location": None, "latitude": None, "longitude": None, "radius": None},
    "route": {"route": None},
    "cost": {"cost": None},
    "schedule": {"schedule": None},
    "format": {"format": None},
    "language": {"language": None},
}


@dataclass(frozen=True)
class Filter:
    """One active filter: its name (a key of DROPS) and how it reads ("free", "Sat, evening")."""

    name: str
    label: str


def understood_of(query: SearchQuery) -> dict[str, Any]:
    """A query's filters in the shape the search reports what it understood (Plan.to_dict)."""
    return {
        "topics": list(query.topics),
        "age": query.age,
        "free_only": query.free_only,
        "max_cost": None if query.cost_limit is None else float(query.cost_limit),
        "days": list(query.days),
        "when": list(query.when),
        "format": query.format,
        "language": query.language,
        "neighbourhood": query.neighbourhood,
        "near": list(query.near) if query.near else None,
        "radius_km": query.radius_km,
        "radius_given": query.radius_km is not None,
        "route": query.route,
    }


def active_filters(
    understood: Mapping[str, Any], currency: str = "USD", voice: Voice = SOURCE_VOICE
) -> list[Filter]:
    """Every filter the search ran with, in the order people say them, in the learner's
    language; prices in `currency`."""
    found: list[Filter] = []

    def add(name: str, label: str | None) -> None:
        if label:
            found.append(Filter(name, label))

    add("topic", ", ".join(str(t) for t in understood.get("topics") or [] if t != ANY_TOPIC))
    age = understood.get("age")
    add("age", None if age is None else voice.word("filter_age", age=age))
    add("location", _place_label(understood, voice))
    route = understood.get("route")
    add("route", voice.word("filter_route", route=str(route).upper()) if route else None)
    if understood.get("free_only"):
        add("cost", voice.word("filter_free"))
    elif understood.get("max_cost") is not None:
        limit = money(Decimal(str(understood["max_cost"])), currency, voice)
        add("cost", voice.word("at_most", price=limit))
    days = [weekday(str(code), voice) for code in understood.get("days") or []]
    times = [_named(voice, "when", str(w)) for w in understood.get("when") or []]
    add("schedule", ", ".join([*days, *times]))
    fmt = understood.get("format")
    add("format", _named(voice, "format", str(fmt)) if fmt else None)
    language = understood.get("language")
    if language:
        code = str(language)
        add("language", language_name(code, voice, LANGUAGE_NAMES.get(code, code)))
    return found


def _place_label(understood: Mapping[str, Any], voice: Voice) -> str | None:
    """ "Riverside", "📍 near you", or with the distance asked for: "within 2.0 km of Riverside"."""
    place, near = understood.get("neighbourhood"), understood.get("near")
    radius = understood.get("radius_km") if understood.get("radius_given") else None
    if radius is not None and (place or near):
        km = one_decimal(float(radius), voice)
        if place:
            return voice.word("near_place_within", km=km, place=place)
        return voice.word("near_you_within", km=km)
    return place or (voice.word("near_you") if near else None)


def _named(voice: Voice, kind: str, value: str) -> str:
    """A filter's value in words ("after_school" → "after school"), the value when the words
    book has none for it."""
    try:
        return voice.word(f"{kind}_{value}")
    except LocaleError:
        return value.replace("_", " ")


def summary(
    filters: Sequence[Filter], relation: str | None = None, voice: Voice = SOURCE_VOICE
) -> str:
    """ "coding · age 12 · daughter · Riverside · free": what was searched, for whom."""
    parts = [item.label for item in filters]
    if relation and relation != "self":
        names = [item.name for item in filters]
        who = _named(voice, "relation", relation)
        parts.insert(names.index("age") + 1 if "age" in names else int("topic" in names), who)
    return " · ".join(parts) if parts else voice.word("searched_for_you")


def drop_buttons(filters: Sequence[Filter], voice: Voice = SOURCE_VOICE) -> list[dict[str, str]]:
    """One button per filter that drops it and searches again (payloads well under 64 bytes)."""
    return [
        {
            "title": voice.word("drop", label=item.label),
            "payload": f'/drop_filter{{"filter":"{item.name}"}}',  # DROP_INTENT, DROP_ENTITY
        }
        for item in filters
    ]


class ActionDropFilter(Action):
    """Clears the slots of the filter a button names; the rule then searches again."""

    def name(self) -> str:
        return "action_drop_filter"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Events:
        """Unknown or missing names (an old or hand-typed payload) change nothing."""
        events: Events = []
        for name in tracker.get_latest_entity_values(DROP_ENTITY):
            events += [SlotSet(slot, value) for slot, value in DROPS.get(str(name), {}).items()]
        return events
