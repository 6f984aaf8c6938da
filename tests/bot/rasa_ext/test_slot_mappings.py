"""The real domain's slot mappings, run by Rasa's own slot extraction: only search messages fill
the search's slots, so a day or a place said in passing never becomes a filter."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa.core.actions.action import ActionExtractSlots
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

ROOT = Path(__file__).resolve().parents[3]
DOMAIN = Domain.load(str(ROOT / "bot" / "domain"))
SAID = [
    ("location", "Riverside"),
    ("schedule", "Sat"),
    ("cost", "free"),
    ("format", "online"),
    ("language", "es"),
    ("topic", "robotics"),
    ("age", "9"),
    ("relation", "daughter"),
]
FILTERS = {"location", "schedule", "cost", "format", "language", "topic"}
WHO = {"age", "relation"}


def filled(intent: str) -> dict[str, Any]:
    """The slots Rasa's slot extraction sets for a message with every entity in SAID."""
    entities = [{"entity": name, "value": value, "start": 0, "end": 1} for name, value in SAID]
    message = UserUttered("…", intent={"name": intent, "confidence": 0.9}, entities=entities)
    tracker = DialogueStateTracker.from_events("mappings", [message], slots=DOMAIN.slots)
    events = asyncio.run(
        ActionExtractSlots(action_endpoint=None).run(
            CollectingOutputChannel(),
            TemplatedNaturalLanguageGenerator(DOMAIN.responses),
            tracker,
            DOMAIN,
        )
    )
    return {event.key: event.value for event in events if isinstance(event, SlotSet)}


@pytest.mark.parametrize(
    "intent",
    ["out_of_scope", "greet", "thank", "goodbye", "help", "bot_challenge", "nlu_fallback",
     "affirm", "deny", "stop", "talk_to_human", "save_opportunity", "opportunity_details"],
)  # fmt: skip
def test_messages_outside_a_search_fill_no_search_slot(intent: str) -> None:
    assert not (FILTERS | WHO) & set(filled(intent))


@pytest.mark.parametrize("intent", ["find_opportunity", "inform"])
def test_search_messages_fill_every_slot_they_name(intent: str) -> None:
    assert set(filled(intent)) >= FILTERS | WHO


def test_a_goal_says_who_it_is_for_but_sets_no_filter() -> None:
    slots = set(filled("explore_pathway"))
    assert slots >= WHO and not FILTERS & slots
