"""Events read back by name resolve to Rasa's classes, found once (bot/rasa_ext/event_types.py)."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

from bot.rasa_ext import event_types


def test_names_resolve_to_rasas_classes_and_unknown_names_to_rasas_answers() -> None:
    event_types.install()
    assert Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("slot") is SlotSet  # kept
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("topic") is None  # Rasa's backwards compatibility
    assert Event.resolve_by_type("made_up", ActionExecuted) is ActionExecuted
    assert Event.resolve_by_type("slot", ActionExecuted) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("made_up")


def test_events_read_back_are_the_events_stored() -> None:
    event_types.install()
    stored = [SlotSet("topic", "coding"), UserUttered("hi"), ActionExecuted("action_listen")]
    assert [Event.from_parameters(event.as_dict()) for event in stored] == stored


def test_install_wraps_once() -> None:
    event_types.install()
    wrapped = Event.resolve_by_type
    event_types.install()
    assert Event.resolve_by_type is wrapped
