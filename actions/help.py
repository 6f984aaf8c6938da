"""What the assistant can do, unless the message names a listing ("how much is Power Hour
Homework Help?" reads like a call for help to the NLU)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.base import DirectoryAction, Events
from actions.reread import DETAILS, as_if
from actions.resolve import named_in_directory


class ActionHelp(DirectoryAction):
    """utter_help; a message naming a listing of the directory is answered about that listing."""

    def name(self) -> str:
        return "action_help"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        session: Session,
    ) -> Events:
        text = str(tracker.latest_message.get("text") or "")
        if named_in_directory(session, text) is not None:
            return as_if(tracker, DETAILS)
        dispatcher.utter_message(response="utter_help")
        return []
