"""Skipping a custom slot mapping's action on a message that surely leaves its slot as it is.

Rasa 3.6 runs every custom slot mapping's action on every message (`action_extract_slots`): for
the chat's language (`action_set_language`, actions/language.py) that was a second call to the
action server on each turn, about 7 ms of a search turn's p95 at 5 msg/s (docs/benchmarks-
assistant.md). The gateway already knows, from the learner's profile and the message, when a
message cannot change the language (knowledge.chat_language.settled); it then lists the slot in
the message's metadata under `settled_slots`, and the mapping's action is not called. A message
without that metadata (another client, a test story), or whose intent is one of the slot
mapping's own `intent`s, is decided as before.

A session's first message is the other case: the session start, which Rasa calls anyway, decides
the language from the profile and what the gateway says the message reads as (`language_read` in
the metadata, actions/session_start.py); the mapping's action then need not run again for it.
`install()` runs when the Rasa server builds our
tracker store (bot/endpoints.yml), at start-up.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.actions.action import ActionExtractSlots
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)
SETTLED = "settled_slots"  # the message metadata's key (bot/gateway/core.py)
# Intents that decide a slot whatever the gateway thought: they choose it ("¿hablas español?").
DECIDING_INTENTS = {"chat_language": frozenset({"choose_language"})}
# Slots our session start decides when the message that starts a session carries this metadata.
DECIDED_AT_SESSION_START = {"chat_language": "language_read"}

Execute = Callable[..., Awaitable[tuple[list[Any], set[str]]]]


def settled_slots(tracker: DialogueStateTracker) -> set[str]:
    """The slots the latest message's metadata says it leaves as they are."""
    metadata = (tracker.latest_message.metadata if tracker.latest_message else None) or {}
    named = metadata.get(SETTLED) if isinstance(metadata, dict) else None
    if not isinstance(named, list):
        return set()
    return {name for name in named if isinstance(name, str)}


def slot_of(mapping: dict[str, Any], domain: Domain) -> str | None:
    """The name of the slot whose mappings hold this very mapping."""
    for slot in domain.slots:
        if any(candidate is mapping for candidate in slot.mappings):
            return str(slot.name)
    return None


def started_with_this_message(tracker: DialogueStateTracker) -> bool:
    """Whether the session started as the latest message arrived (no earlier message in it)."""
    messages = 0
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            messages += 1
            if messages > 1:
                return False
        elif isinstance(event, SessionStarted):
            return messages == 1
    return False


def decided_at_session_start(slot: str, tracker: DialogueStateTracker) -> bool:
    """Whether the session start decided this slot for the latest message."""
    key = DECIDED_AT_SESSION_START.get(slot)
    metadata = (tracker.latest_message.metadata if tracker.latest_message else None) or {}
    if key is None or not isinstance(metadata, dict) or key not in metadata:
        return False
    return started_with_this_message(tracker)


def skipped(mapping: dict[str, Any], tracker: DialogueStateTracker, domain: Domain) -> bool:
    """Whether the mapping's action need not run for the latest message."""
    slot = slot_of(mapping, domain)
    if slot is None:
        return False
    if slot not in settled_slots(tracker) and not decided_at_session_start(slot, tracker):
        return False
    intent = (tracker.latest_message.intent or {}).get("name") if tracker.latest_message else None
    return intent not in DECIDING_INTENTS.get(slot, frozenset())


def install() -> None:
    """Wrap ActionExtractSlots' custom-action step (once)."""
    original: Execute = ActionExtractSlots._execute_custom_action
    if getattr(original, "wayfinder_settled", False):
        return

    async def execute(
        self: ActionExtractSlots,
        mapping: dict[str, Any],
        executed_custom_actions: set[str],
        output_channel: Any,
        nlg: Any,
        tracker: DialogueStateTracker,
        domain: Domain,
    ) -> tuple[list[Any], set[str]]:
        if skipped(mapping, tracker, domain):
            logger.debug("skipped %s: the message leaves its slot as it is", mapping.get("action"))
            return [], executed_custom_actions
        return await original(
            self, mapping, executed_custom_actions, output_channel, nlg, tracker, domain
        )

    execute.wayfinder_settled = True  # type: ignore[attr-defined]
    ActionExtractSlots._execute_custom_action = execute
