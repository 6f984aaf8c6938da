"""Skipping a custom slot mapping's action on a message that surely leaves its slot as it is.

Rasa 3.6 runs every custom slot mapping's action on every message (`action_extract_slots`): for
the chat's language (`action_set_language`, actions/language.py) that was a second call to the
action server on each turn, about 7 ms of a search turn's p95 at 5 msg/s (docs/benchmarks-
assistant.md). The gateway already knows, from the learner's profile and the message, when a
message cannot change the language (knowledge.chat_language.settled); it then lists the slot in
the message's metadata under `settled_slots`, and the mapping's action is not called. A message
without that metadata (another client, a test story), or whose intent is one of the slot
mapping's own `intent`s, is decided as before. `install()` runs when the Rasa server builds our
tracker store (bot/endpoints.yml), at start-up.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.actions.action import ActionExtractSlots
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)
SETTLED = "settled_slots"  # the message metadata's key (bot/gateway/core.py)
# Intents that decide a slot whatever the gateway thought: they choose it ("¿hablas español?").
DECIDING_INTENTS = {"chat_language": frozenset({"choose_language"})}

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


def skipped(mapping: dict[str, Any], tracker: DialogueStateTracker, domain: Domain) -> bool:
    """Whether the mapping's action need not run for the latest message."""
    settled = settled_slots(tracker)
    if not settled:
        return False
    slot = slot_of(mapping, domain)
    if slot is None or slot not in settled:
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
