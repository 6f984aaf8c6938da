"""The learner's plan as files they keep ("send me my plan"): a calendar file and a printable
page. The action only says what is coming and asks the channel for the files with a small custom
payload; the gateway builds them from the directory for this learner (bot/gateway/plan_files.py),
so no file goes through the conversation."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.base import DirectoryAction, Events
from actions.city import current_city
from knowledge.plan_export import CUSTOM_KEY, ICS, exported_plan, formats_of

# Channels whose gateway delivers the files: Telegram sends them, the widget links them (web).
FILE_CHANNELS = ("telegram", "web")
# (a calendar among the files, the web widget) → what the reply says of them
RESPONSES = {
    (True, False): "utter_plan_export",
    (False, False): "utter_plan_export_printable",
    (True, True): "utter_plan_export_web",
    (False, True): "utter_plan_export_printable_web",
}


class ActionExportPlan(DirectoryAction):
    """Offers the saved plan as a calendar file and a printable page, or says why it cannot."""

    def name(self) -> str:
        return "action_export_plan"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        session: Session,
    ) -> Events:
        plan = exported_plan(session, tracker.sender_id, current_city(session))
        kinds = formats_of(plan) if plan is not None else ()
        if plan is None or not kinds:
            dispatcher.utter_message(response="utter_plan_export_empty")
            return []
        channel = tracker.get_latest_input_channel()
        if channel not in FILE_CHANNELS:
            dispatcher.utter_message(response="utter_plan_export_no_files")
            return []
        response = RESPONSES[(ICS in kinds, channel == "web")]
        dispatcher.utter_message(response=response, count=str(len(plan.items)))
        dispatcher.utter_message(json_message={CUSTOM_KEY: {"formats": list(kinds)}})
        return []
