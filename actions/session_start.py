"""A new session picks up what the learner told us before (age, place, interests)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.base import DirectoryAction, Events
from knowledge.learners import find_learner


class ActionSessionStart(DirectoryAction):
    """Carries slots over (as Rasa's default does) and fills empty ones from the stored profile."""

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
            if value is not None and name != "requested_slot"
        }
        events += [SlotSet(name, value) for name, value in carried.items()]
        learner = find_learner(session, tracker.sender_id)
        if learner is not None:
            stored = {
                "age": float(learner.age) if learner.age is not None else None,
                "location": learner.neighbourhood,
                "language": learner.language,
                "topic": list(learner.interests) or None,
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
        return [SessionStarted(), ActionExecuted("action_listen")]
