"""The chat language's slot action is skipped only when the gateway says the message settles it,
and never for a message that chooses a language."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa.core.actions.action import ActionExtractSlots
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_ext import settled_slots

ROOT = Path(__file__).resolve().parents[3]
DOMAIN = Domain.load(str(ROOT / "bot" / "domain"))
LANGUAGE_ACTION = "action_set_language"
STARTED = [
    ActionExecuted("action_session_start"),
    SessionStarted(),
    ActionExecuted("action_listen"),
]


def called_actions(
    monkeypatch: pytest.MonkeyPatch,
    intent: str,
    metadata: dict[str, Any] | None,
    before: list[Event] | None = None,
) -> list[str]:
    """The custom slot actions Rasa's slot extraction calls for one message."""
    calls: list[str] = []

    async def run_custom_action(self: Any, name: str, *_: Any) -> list[Any]:
        calls.append(name)
        return [SlotSet("chat_language", "es")] if name == LANGUAGE_ACTION else []

    monkeypatch.setattr(ActionExtractSlots, "_run_custom_action", run_custom_action)
    settled_slots.install()
    message = UserUttered(
        "hola, busco clases", intent={"name": intent, "confidence": 0.9}, metadata=metadata
    )
    tracker = DialogueStateTracker.from_events(
        "settled", [*(before or []), message], slots=DOMAIN.slots
    )
    asyncio.run(
        ActionExtractSlots(action_endpoint=None).run(
            CollectingOutputChannel(),
            TemplatedNaturalLanguageGenerator(DOMAIN.responses),
            tracker,
            DOMAIN,
        )
    )
    return calls


def test_the_language_action_runs_without_the_gateways_word(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert LANGUAGE_ACTION in called_actions(monkeypatch, "find_opportunity", None)
    assert LANGUAGE_ACTION in called_actions(monkeypatch, "find_opportunity", {"other": 1})


def test_a_settled_message_skips_the_language_action(monkeypatch: pytest.MonkeyPatch) -> None:
    metadata = {"settled_slots": ["chat_language"]}
    assert LANGUAGE_ACTION not in called_actions(monkeypatch, "find_opportunity", metadata)


def test_a_message_choosing_a_language_is_decided_whatever_the_gateway_said(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    metadata = {"settled_slots": ["chat_language"]}
    assert LANGUAGE_ACTION in called_actions(monkeypatch, "choose_language", metadata)


@pytest.mark.parametrize("named", [["search_topic"], "chat_language", [3], None])
def test_other_or_malformed_settled_lists_skip_nothing(
    monkeypatch: pytest.MonkeyPatch, named: Any
) -> None:
    metadata = {"settled_slots": named}
    assert LANGUAGE_ACTION in called_actions(monkeypatch, "find_opportunity", metadata)


def test_installing_twice_wraps_once() -> None:
    settled_slots.install()
    first = ActionExtractSlots._execute_custom_action
    settled_slots.install()
    assert ActionExtractSlots._execute_custom_action is first


def test_a_sessions_first_message_read_by_the_gateway_was_decided_as_the_session_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read = {"language_read": "es"}
    assert LANGUAGE_ACTION not in called_actions(monkeypatch, "find_opportunity", read, STARTED)
    unsure = {"language_read": None}  # read but too short: the session start decided too
    assert LANGUAGE_ACTION not in called_actions(monkeypatch, "find_opportunity", unsure, STARTED)
    assert LANGUAGE_ACTION in called_actions(monkeypatch, "choose_language", read, STARTED)


def test_a_reading_decides_nothing_after_the_sessions_first_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    earlier = [*STARTED, UserUttered("hi", intent={"name": "greet"}), ActionExecuted("utter_greet")]
    read = {"language_read": "es"}
    assert LANGUAGE_ACTION in called_actions(monkeypatch, "find_opportunity", read, earlier)
    assert LANGUAGE_ACTION in called_actions(monkeypatch, "find_opportunity", read)  # no start
    assert LANGUAGE_ACTION in called_actions(monkeypatch, "find_opportunity", None, STARTED)
