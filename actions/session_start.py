"""A new session picks up what the learner told us before (age, place, interests) and which city
the assistant speaks for (the `city` slot its greeting and answers name)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.base import DirectoryAction, Events
from actions.city import current_city
from actions.settings import action_settings
from knowledge.learners import find_learner

CITY_SLOT = "city"  # None: responses say "near you" instead of a name


class ActionSessionStart(DirectoryAction):
    """Carries slots over (as Rasa's default does), fills empty ones from the stored profile, and
    sets the city afresh (a carried-over name may be from before the city was configured)."""

    def name(self) -> str:
        return "action_session_start"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        session: Session,
    ) -> Events:
        events: list[EventType] = [SessionStarted()]
        carried = {
            name: value
            for name, value in tracker.slots.items()
            if value is not None and name not in ("requested_slot", CITY_SLOT)
        }
        events += [SlotSet(name, value) for name, value in carried.items()]
        events.append(SlotSet(CITY_SLOT, current_city(session).name))
        learner = find_learner(session, tracker.sender_id)
        if learner is not None:
            stored = {
                "age": float(learner.age) if learner.age is not None else None,
                "location": learner.neighbourhood,
                "language": learner.language,
                "topic": list(learner.interests) or None,
                "chat_language": learner.chat_language,
                "chat_language_chosen": learner.chat_language_chosen
                if learner.chat_language
                else None,
            }
            events += [
                SlotSet(name, value)
                for name, value in stored.items()
                if value is not None and name not in carried
            ]
        events.append(ActionExecuted("action_listen"))
        return events

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Events:
        """A session must start even when the database is down: then without the profile."""
        events = await super().run(dispatcher, tracker, domain)
        if events:
            return events
        dispatcher.messages.clear()
        return [SessionStarted(), _configured_city(), ActionExecuted("action_listen")]


def _configured_city() -> EventType:
    """Without the directory, the city is the configured one, or none ("near you")."""
    try:
        name = action_settings().directory.city_name
    except ValueError:  # a bad setting is reported where the servers start (bot.serve)
        name = None
    return SlotSet(CITY_SLOT, name)
