"""A person when the bot can't help, and forgetting a learner completely when they ask."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import AllSlotsReset, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.base import DirectoryAction, Events
from actions.city import current_city
from actions.language import CHOSEN_SLOT, LANGUAGE_SLOT
from actions.query import ANY_TOPIC, as_int, as_list
from actions.settings import action_settings
from knowledge.handoffs import open_handoff, recent_handoffs
from knowledge.learners import forget_learner, get_or_create_learner
from knowledge.reports.recording import record_usage

AGE_BANDS = ((5, 9), (10, 12), (13, 15), (16, 17))


def age_band(age: int | None) -> str | None:
    """A band, never an exact age, for the navigator's summary."""
    if age is None:
        return None
    if age >= 18:
        return "adult"
    for low, high in AGE_BANDS:
        if low <= age <= high:
            return f"{low}–{high}"
    return "under 5"


def handoff_summary(tracker: Tracker) -> dict[str, Any]:
    """What a navigator needs: topics, age band, relation and neighbourhood; nothing identifying."""
    return {
        "topics": [t for t in as_list(tracker.get_slot("topic")) if t != ANY_TOPIC],
        "age_band": age_band(as_int(tracker.get_slot("age"))),
        "for": tracker.get_slot("relation") or "self",
        "neighbourhood": tracker.get_slot("location"),
        "channel": tracker.get_latest_input_channel(),
    }


# Requests for a person one learner can make: one open at a time, a few a day (issue #13).
MAX_HANDOFFS_PER_DAY = 3
HANDOFF_WINDOW = timedelta(days=1)


class ActionHandoff(DirectoryAction):
    """Records the request; promises a person only when navigators are configured."""

    def name(self) -> str:
        return "action_handoff"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        session: Session,
    ) -> Events:
        settings = action_settings()
        if settings.navigator_chat_id:
            learner = get_or_create_learner(
                session, tracker.sender_id, tracker.get_latest_input_channel()
            )
            recent = recent_handoffs(session, learner, within=HANDOFF_WINDOW)
            if any(handoff.status == "open" for handoff in recent):  # one request at a time
                dispatcher.utter_message(response="utter_handoff_waiting")
            elif len(recent) >= MAX_HANDOFFS_PER_DAY:  # navigators are few; so is their time
                dispatcher.utter_message(response="utter_handoff_too_many")
            else:
                open_handoff(session, learner, handoff_summary(tracker))
                record_usage(session, "handoff", tracker, day=current_city(session).today())  # #17
                dispatcher.utter_message(response="utter_handoff_requested")
        elif settings.help_contact:
            dispatcher.utter_message(
                response="utter_handoff_unavailable", contact=settings.help_contact
            )
        else:
            dispatcher.utter_message(response="utter_handoff_no_contact")
        return []


class ActionForgetMe(DirectoryAction):
    """After the user confirmed: erases profile, family, plan, reminders and handoffs.

    Returns AllSlotsReset and Restarted; the tracker store (bot/rasa_ext) deletes the stored
    conversation when it sees this action, so the history goes too. Only the language we chat in
    is set again: the next reply must not switch to English (it is not kept on any profile).
    """

    def name(self) -> str:
        return "action_forget_me"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        session: Session,
    ) -> Events:
        forget_learner(session, tracker.sender_id)
        dispatcher.utter_message(response="utter_forgotten")
        language = [
            SlotSet(name, tracker.get_slot(name))
            for name in (LANGUAGE_SLOT, CHOSEN_SLOT)
            if tracker.get_slot(name) is not None
        ]
        return [AllSlotsReset(), Restarted(), *language]
