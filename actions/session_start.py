"""A new session picks up what the learner told us before (age, place, interests) and which city
the assistant speaks for (the `city` slot its greeting and answers name); and, when the gateway
says what the first message reads as, the chat's language (one call to the action server fewer
on a session's first message: bot/rasa_ext/settled_slots.py)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.base import DirectoryAction, Events
from actions.children import young_learner
from actions.city import current_city
from actions.language import CHOSEN_SLOT, HINT, LANGUAGE_SLOT
from actions.settings import action_settings
from knowledge.chat_language import ChatLanguage, language_after
from knowledge.learners import find_learner, new_learner, remember_chat_language, seen
from knowledge.locales import supported
from knowledge.reports.recording import record_usage

CITY_SLOT = "city"  # None: responses say "near you" instead of a name
METADATA_SLOT = "session_started_metadata"  # Rasa fills it with the first message's metadata
READ = "language_read"  # the gateway's reading of the first message's language (bot/gateway/core)


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
        city = current_city(session)
        events.append(SlotSet(CITY_SLOT, city.name))
        record_usage(session, "conversation", tracker, day=city.today())  # anonymous: issue #17
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
            stored = {
                name: value
                for name, value in stored.items()
                if value is not None and name not in carried
            }
            events += [SlotSet(name, value) for name, value in stored.items()]
            carried.update(stored)
        decided = first_language(tracker, carried)
        if decided:  # a change: kept on the profile too, as action_set_language keeps it
            events += decided
            if not young_learner(tracker):
                channel = tracker.get_latest_input_channel()
                remember_chat_language(
                    session,  # the learner looked up above, not looked up again
                    seen(learner, channel)
                    if learner is not None
                    else new_learner(session, tracker.sender_id, channel, flush=False),
                    str(carried[LANGUAGE_SLOT]),
                    chosen=bool(carried[CHOSEN_SLOT]),
                )
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
        return [
            SessionStarted(),
            _configured_city(),
            *(first_language(tracker, {}) or []),
            ActionExecuted("action_listen"),
        ]


def first_language(tracker: Tracker, slots: dict[str, Any]) -> list[EventType] | None:
    """The chat's language for the session's first message, decided as action_set_language would
    (knowledge.chat_language) when the gateway said what the message reads as; the slots are
    updated in place. None when the gateway said nothing (then the slot's mapping decides)."""
    metadata = tracker.get_slot(METADATA_SLOT)
    if not isinstance(metadata, dict) or READ not in metadata:
        return None
    code = supported(slots.get(LANGUAGE_SLOT))
    current = ChatLanguage(code, bool(slots.get(CHOSEN_SLOT))) if code else None
    hint = metadata.get(HINT)
    read = metadata.get(READ)
    chosen = language_after(
        current,
        read=read if isinstance(read, str) else None,
        hint=hint if isinstance(hint, str) else None,
    )
    if chosen == current:
        return []
    slots[LANGUAGE_SLOT], slots[CHOSEN_SLOT] = chosen.code, chosen.chosen
    return [SlotSet(LANGUAGE_SLOT, chosen.code), SlotSet(CHOSEN_SLOT, chosen.chosen)]


def _configured_city() -> EventType:
    """Without the directory, the city is the configured one, or none ("near you")."""
    try:
        name = action_settings().directory.city_name
    except ValueError:  # a bad setting is reported where the servers start (bot.serve)
        name = None
    return SlotSet(CITY_SLOT, name)
