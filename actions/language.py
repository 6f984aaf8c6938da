"""The chat's language: decided on every message (the slot's mapping), and answered when chosen."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.base import Events
from actions.children import young_learner
from actions.db import directory_session
from actions.resolve import current_learner
from knowledge.chat_language import (
    ChatLanguage,
    language_named_in,
    named_language,
    next_language,
)
from knowledge.language_detect import detected_code
from knowledge.learners import remember_chat_language
from knowledge.locales import supported, supported_languages

logger = logging.getLogger(__name__)

LANGUAGE_SLOT = "chat_language"
CHOSEN_SLOT = "chat_language_chosen"
CHOOSE_INTENT = "choose_language"
LANGUAGE_ENTITY = "language"
HINT = "language_hint"  # message metadata: Telegram's or the browser's language (bot/gateway)
NOT_TYPED = ("EXTERNAL_reminder",)  # fired by the reminder worker: no learner wrote anything


def named_in(tracker: Tracker) -> str | None:
    """The language the latest message chose, if it asked for one (a button, "en español")."""
    message = tracker.latest_message or {}
    if (message.get("intent") or {}).get("name") != CHOOSE_INTENT:
        return None
    for entity in message.get("entities") or []:
        if entity.get("entity") == LANGUAGE_ENTITY:
            found = named_language(entity.get("value"))
            if found is not None:
                return found
    # A bare "español" or "english" carries no language entity (the NLU reads it as a topic word).
    return language_named_in(str(message.get("text") or ""))


def current_of(tracker: Tracker) -> ChatLanguage | None:
    """The language this conversation already uses (the session start fills it from the profile)."""
    code = supported(tracker.get_slot(LANGUAGE_SLOT))
    if code is None:
        return None
    return ChatLanguage(code, chosen=bool(tracker.get_slot(CHOSEN_SLOT)))


class ActionSetLanguage(Action):
    """Sets chat_language on every message (Rasa runs a custom slot mapping's action each turn), and
    keeps a change on the learner's profile; sets nothing when nothing changes."""

    def name(self) -> str:
        return "action_set_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Events:
        message = tracker.latest_message or {}
        if (message.get("intent") or {}).get("name") in NOT_TYPED:
            return []
        current = current_of(tracker)
        metadata = message.get("metadata") or {}
        chosen = next_language(
            current,
            text=str(message.get("text") or ""),
            named=named_in(tracker),
            hint=metadata.get(HINT) if isinstance(metadata, dict) else None,
            detect=detected_code,
        )
        if chosen == current:
            return []
        self._remember(tracker, chosen)
        return [SlotSet(LANGUAGE_SLOT, chosen.code), SlotSet(CHOSEN_SLOT, chosen.chosen)]

    @staticmethod
    def _remember(tracker: Tracker, chosen: ChatLanguage) -> None:
        """On the profile, for the next conversation; not for a child speaking for themselves, and
        a database failure only costs that (the conversation keeps its slot)."""
        if young_learner(tracker):
            return
        try:
            with directory_session() as session:
                learner = current_learner(session, tracker)
                remember_chat_language(session, learner, chosen.code, chosen=chosen.chosen)
        except SQLAlchemyError:
            logger.exception("could not keep the chat language of %s", tracker.sender_id)


class ActionChooseLanguage(Action):
    """ "¿Hablas español?" is answered in the language chosen; "/language" offers them all."""

    def name(self) -> str:
        return "action_choose_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Events:
        if named_in(tracker) is not None:
            dispatcher.utter_message(response="utter_language_chosen")
            return []
        buttons = [
            {
                "title": language.native_name,
                "payload": f'/{CHOOSE_INTENT}{{"{LANGUAGE_ENTITY}":"{language.code}"}}',
            }
            for language in supported_languages()
        ]
        dispatcher.utter_message(response="utter_choose_language", buttons=buttons)
        return []
