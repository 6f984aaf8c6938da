"""Off-topic, unless the directory knows the words (actions.reread)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.base import DirectoryAction, Events
from actions.reread import as_if, read_again


class ActionOutOfScope(DirectoryAction):
    """Says what the assistant is for; a message naming a listing, a credential or a subject of
    the city's listings is answered as the request it is instead."""

    def name(self) -> str:
        return "action_out_of_scope"

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
        dispatcher.utter_message(response="utter_out_of_scope")
        return []
