"""Trackers copy their slots and describe their form as Rasa's did (bot/rasa_ext/tracker_copies)."""

from __future__ import annotations

import copy
import dataclasses
import json

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.slots import (
    AnySlot,
    BooleanSlot,
    CategoricalSlot,
    FloatSlot,
    ListSlot,
    Slot,
    TextSlot,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot.rasa_ext import tracker_copies

MAPPINGS = [{"type": "custom"}]


def slots() -> list[Slot]:
    return [
        TextSlot("topic", MAPPINGS, initial_value="coding"),
        ListSlot("days", MAPPINGS, initial_value=["sat"]),
        FloatSlot("age", MAPPINGS, max_value=110),
        CategoricalSlot("format", MAPPINGS, values=["online", "in person"]),
        BooleanSlot("free_only", MAPPINGS),
        AnySlot("metadata", MAPPINGS),
    ]


def test_a_copied_slot_is_what_copy_copy_made() -> None:
    tracker_copies.install()
    for slot in slots():
        slot.value = slot.value  # as set in a conversation
        copied = copy.copy(slot)
        assert type(copied) is type(slot) and copied is not slot
        assert copied.__dict__ == slot.__dict__
        copied.value = "changed"
        assert slot.value != "changed"


def test_a_tracker_with_a_form_is_described_as_rasa_described_it() -> None:
    tracker_copies.install()
    domain = Domain.from_yaml('version: "3.1"\nforms: {search_form: {required_slots: [age]}}')
    tracker = DialogueStateTracker("learner", slots())
    parse = {
        "intent": {"name": "find_opportunity", "confidence": 0.93},
        "entities": [{"entity": "topic", "value": "coding", "start": 0, "end": 6}],
        "intent_ranking": [{"name": "find_opportunity", "confidence": 0.93}],
        "text": "coding for my son",
    }
    tracker.update(UserUttered("coding for my son", parse["intent"], parse["entities"]))
    tracker.update(ActiveLoop("search_form"), domain)
    tracker.update(SlotSet("age", 11.0))
    loop = tracker.active_loop
    assert loop is not None and loop.trigger_message
    state = tracker.current_state(EventVerbosity.ALL)
    assert state["active_loop"] == dataclasses.asdict(loop)  # what Rasa's own gave
    assert state["active_loop"]["trigger_message"] is loop.trigger_message  # not deep-copied
    assert json.dumps(state, sort_keys=True) == json.dumps(
        {**state, "active_loop": dataclasses.asdict(loop)}, sort_keys=True
    )
    assert DialogueStateTracker("other", slots()).current_state()["active_loop"] == {}


def test_install_once() -> None:
    tracker_copies.install()
    installed = Slot.__copy__
    tracker_copies.install()
    assert Slot.__copy__ is installed
