"""Reminders before a deadline or a start date, kept in the database so restarts lose nothing.

The reminder worker (bot/reminders) finds due reminders and triggers the intent
EXTERNAL_reminder with entity reminder_id over Rasa's HTTP API; ActionDeliverReminder words it.
A web learner is reached only while the chat is open: their reminder waits in the gateway's
outbox until they open it again, so it says the day it was due and, when set, that it will wait.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.base import DirectoryAction, Events
from actions.children import young_learner
from actions.city import current_city
from actions.listing_lines import day, enrol_of, title_of
from actions.resolve import current_learner, latest_entity, resolve_or_ask
from actions.settings import action_settings
from actions.voice import voice
from knowledge.learners import add_to_plan, find_learner, schedule_reminder
from knowledge.models import Reminder

WEB = "web"  # the channel whose reminders wait for the learner to open the chat again


def channel_variant(channel: str | None) -> str:
    """The suffix of a reminder response's web variant ("_web") for the widget, which reaches a
    learner only while their chat is open; none for channels that reach them at once."""
    return f"_{WEB}" if channel == WEB else ""


class ActionSetReminder(DirectoryAction):
    """Schedules a reminder for the chosen listing's deadline (else start) and saves it."""

    def name(self) -> str:
        return "action_set_reminder"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        session: Session,
    ) -> Events:
        opportunity = resolve_or_ask(dispatcher, session, tracker)
        if opportunity is None:
            return []
        city = current_city(session)
        speaking = voice(tracker, city)
        title = title_of(opportunity, speaking)
        if young_learner(tracker):  # a child's reminder would outlive the conversation
            dispatcher.utter_message(response="utter_child_not_kept", title=title)
            return [SlotSet("selected", str(opportunity.id))]
        learner = current_learner(session, tracker)
        at = action_settings().directory.reminder_time
        planned = schedule_reminder(session, learner, opportunity, zone=city.zone, at=at)
        events: Events = [SlotSet("selected", str(opportunity.id))]
        if planned.refusal == "no_date":
            dispatcher.utter_message(response="utter_reminder_no_date", title=title)
            return events
        if planned.refusal == "past":
            dispatcher.utter_message(response="utter_reminder_past", title=title)
            return events
        assert planned.reminder is not None and planned.event_date is not None
        remind_on = day(city.local(planned.reminder.due_at).date(), speaking)  # stored in UTC
        if planned.refusal == "exists":
            dispatcher.utter_message(
                response="utter_reminder_exists", title=title, remind_on=remind_on
            )
            return events
        relation = tracker.get_slot("relation")
        add_to_plan(session, learner, opportunity, relation if relation else None)
        variant = channel_variant(tracker.get_latest_input_channel())
        dispatcher.utter_message(
            response=f"utter_reminder_set_{planned.reminder.kind}{variant}",
            title=title,
            date=day(planned.event_date, speaking),
            remind_on=remind_on,
        )
        return events


class ActionDeliverReminder(DirectoryAction):
    """Words a due reminder; the worker marks it sent once Rasa has run this."""

    def name(self) -> str:
        return "action_deliver_reminder"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        session: Session,
    ) -> Events:
        value = latest_entity(tracker, "reminder_id")
        reminder = session.get(Reminder, int(value)) if value and value.isdigit() else None
        learner = find_learner(session, tracker.sender_id)
        if reminder is None or learner is None or reminder.learner_id != learner.id:
            return []  # forgotten or not this learner's: say nothing
        if reminder.status != "pending":
            return []
        opportunity = reminder.opportunity
        event_date = (
            opportunity.application_deadline if reminder.kind == "deadline" else None
        ) or opportunity.start_date
        city = current_city(session)
        speaking = voice(tracker, city)
        dispatcher.utter_message(
            response=f"utter_reminder_{reminder.kind}{channel_variant(learner.channel)}",
            title=title_of(opportunity, speaking),
            date=day(event_date, speaking) if event_date else "",
            enrol=enrol_of(opportunity),
            due_on=day(city.local(reminder.due_at).date(), speaking),  # the day it was due
        )
        return [SlotSet("selected", str(opportunity.id))]
