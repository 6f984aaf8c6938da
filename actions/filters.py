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
from knowledge.search.interpret import LANGUAGE_NAMES
from knowledge.search.query import SearchQuery

ANY_TOPIC = "any"
DROP_INTENT = "drop_filter"
DROP_ENTITY = "filter"
# What dropping each filter sets: the payload names the filter, never a value, so a button stays
# short (Telegram allows 64 bytes of callback data) and means the same after a refinement.
DROPS: dict[str, dict[str, Any]] = {
    "topic": {"topic": [ANY_TOPIC]},  # any topic, so the form does not ask for one again
    "age": {"age": None, "grade": None},
    "location": {"location": None, "latitude": None, "longitude": None},
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
    }


def active_filters(understood: Mapping[str, Any], currency: str = "USD") -> list[Filter]:
    """Every filter the search ran with, in the order people say them; prices in `currency`."""
    found: list[Filter] = []

    def add(name: str, label: str | None) -> None:
        if label:
            found.append(Filter(name, label))

    add("topic", ", ".join(str(t) for t in understood.get("topics") or [] if t != ANY_TOPIC))
    age = understood.get("age")
    add("age", None if age is None else f"age {age}")
    near = understood.get("near")
    add("location", understood.get("neighbourhood") or ("📍 near you" if near else None))
    if understood.get("free_only"):
        add("cost", "free")
    elif understood.get("max_cost") is not None:
        add("cost", f"≤ {money(Decimal(str(understood['max_cost'])), currency)}")
    times = [str(w).replace("_", " ") for w in understood.get("when") or []]
    add("schedule", ", ".join([*(str(d) for d in understood.get("days") or []), *times]))
    fmt = understood.get("format")
    add("format", str(fmt).replace("_", " ") if fmt else None)
    language = understood.get("language")
    add("language", LANGUAGE_NAMES.get(str(language), str(language)) if language else None)
    return found


def summary(filters: Sequence[Filter], relation: str | None = None) -> str:
    """ "coding · age 12 · daughter · Riverside · free": what was searched, for whom."""
    parts = [item.label for item in filters]
    if relation and relation != "self":
        names = [item.name for item in filters]
        parts.insert(names.index("age") + 1 if "age" in names else int("topic" in names), relation)
    return " · ".join(parts) if parts else "you"


def drop_buttons(filters: Sequence[Filter]) -> list[dict[str, str]]:
    """One button per filter that drops it and searches again (payloads well under 64 bytes)."""
    return [
        {
            "title": f"✕ {item.label}",
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
