"""When the NLU is unsure: "did you mean…" buttons from its best guesses, never a dead end."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.base import DirectoryAction, Events
from actions.reread import as_if, read_again
from knowledge.locales import book, supported

NEVER_OFFERED = {"nlu_fallback", "out_of_scope", "EXTERNAL_reminder", "affirm", "deny", "stop"}
MAX_OPTIONS = 3


def label(domain: dict[str, Any], intent: str, language: str | None = None) -> str | None:
    """The button label kept for an intent (response utter_clarify_<intent>): the learner's
    language's (locales/<code>/responses.yml) when it has one, else the domain's."""
    name = f"utter_clarify_{intent}"
    translated = (book(language, "responses").get("responses") or {}) if language else {}
    for responses in (translated, domain.get("responses") or {}):
        variations = responses.get(name) or []
        if variations and variations[0].get("text"):
            return str(variations[0]["text"])
    return None


class ActionClarify(DirectoryAction):
    """A message naming a listing, a credential or a subject of the city's listings is answered
    as the request it is (actions.reread); otherwise the NLU's top guesses as buttons, and with
    none usable, what the bot can do."""

    def name(self) -> str:
        return "action_clarify"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        session: Session,
    ) -> Events:
        intent = read_again(session, str(tracker.latest_message.get("text") or ""))
        if intent is not None:
            return as_if(tracker, intent)
        ranking = tracker.latest_message.get("intent_ranking") or []
        language = supported(tracker.get_slot("chat_language"))
        buttons = []
        for guess in ranking:
            intent = str(guess.get("name"))
            title = label(domain, intent, language)
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
