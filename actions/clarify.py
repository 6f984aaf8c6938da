"""When the NLU is unsure: "did you mean…" buttons from its best guesses, never a dead end."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import Events

NEVER_OFFERED = {"nlu_fallback", "out_of_scope", "EXTERNAL_reminder", "affirm", "deny", "stop"}
MAX_OPTIONS = 3


def label(domain: dict[str, Any], intent: str) -> str | None:
    """The button label the domain keeps for an intent (response utter_clarify_<intent>)."""
    variations = (domain.get("responses") or {}).get(f"utter_clarify_{intent}") or []
    return str(variations[0].get("text")) if variations and variations[0].get("text") else None


class ActionClarify(Action):
    """Offers the NLU's top guesses as buttons; with none usable, shows what the bot can do."""

    def name(self) -> str:
        return "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Events:
        ranking = tracker.latest_message.get("intent_ranking") or []
        buttons = []
        for guess in ranking:
            intent = str(guess.get("name"))
            title = label(domain, intent)
            if intent in NEVER_OFFERED or title is None:
                continue
            buttons.append({"title": title, "payload": f"/{intent}"})
            if len(buttons) == MAX_OPTIONS:
                break
        if buttons:
            dispatcher.utter_message(response="utter_clarify", buttons=buttons)
        else:
            dispatcher.utter_message(response="utter_help")
        return []
