"""The learner's plan: save, show and remove, kept in the directory database across sessions."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.base import DirectoryAction, Events
from actions.children import young_learner
from actions.city import current_city
from actions.listing_lines import numbered, short, title_of
from actions.query import as_list
from actions.resolve import (
    by_name,
    current_learner,
    latest_entity,
    ordinal_index,
    resolve_opportunity,
    resolve_or_ask,
)
from actions.voice import voice
from knowledge.learners import (
    add_to_plan,
    find_learner,
    plan_of,
    remove_from_plan,
)
from knowledge.reports.recording import record_usage

TITLE_IN_REMOVE_BUTTON = 28


class ActionSaveOpportunity(DirectoryAction):
    """Adds the result the user points at (or the one being discussed) to their plan."""

    def name(self) -> str:
        return "action_save_opportunity"

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
        title = title_of(opportunity, voice(tracker, city))
        if young_learner(tracker):  # nothing about a child outlives the conversation
            dispatcher.utter_message(response="utter_child_not_kept", title=title)
            return [SlotSet("selected", str(opportunity.id))]
        learner = current_learner(session, tracker)
        relation = tracker.get_slot("relation")
        _, new = add_to_plan(session, learner, opportunity, relation if relation else None)
        if new:
            record_usage(session, "plan_saved", tracker, day=city.today())  # anonymous: issue #17
        response = "utter_saved" if new else "utter_already_saved"
        dispatcher.utter_message(response=response, title=title)
        return [SlotSet("selected", str(opportunity.id))]


class ActionShowPlan(DirectoryAction):
    """The saved plan, numbered, with a remove button per item."""

    def name(self) -> str:
        return "action_show_plan"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        session: Session,
    ) -> Events:
        learner = find_learner(session, tracker.sender_id)
        items = plan_of(session, learner) if learner is not None else []
        if not items:
            dispatcher.utter_message(response="utter_plan_empty")
            return [SlotSet("plan_items", [])]
        opportunities = [item.opportunity for item in items]
        speaking = voice(tracker, current_city(session))
        dispatcher.utter_message(
            response="utter_plan",
            count=str(len(items)),
            listing=numbered(opportunities, voice=speaking),
            buttons=[
                {
                    "title": f"✕ {short(title_of(o, speaking), TITLE_IN_REMOVE_BUTTON)}",
                    "payload": f'/remove_from_plan{{"ordinal":"{i}"}}',
                }
                for i, o in enumerate(opportunities, 1)
            ],
        )
        return [SlotSet("plan_items", [str(o.id) for o in opportunities])]


class ActionRemoveFromPlan(DirectoryAction):
    """Removes an item by its number in the plan as last shown, by name, or the selected one."""

    def name(self) -> str:
        return "action_remove_from_plan"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        session: Session,
    ) -> Events:
        learner = find_learner(session, tracker.sender_id)
        items = plan_of(session, learner) if learner is not None else []
        if learner is None or not items:
            dispatcher.utter_message(response="utter_not_in_plan")
            return []
        shown = as_list(tracker.get_slot("plan_items")) or [str(i.opportunity_id) for i in items]
        index = ordinal_index(latest_entity(tracker, "ordinal"), len(shown))
        titles = {str(item.opportunity_id): item.opportunity.title for item in items}
        wanted = shown[index] if index is not None else None
        if wanted is None:
            wanted = by_name(str(tracker.latest_message.get("text") or ""), titles)
        if wanted is None:
            selected = resolve_opportunity(session, tracker, ids=[])
            wanted = str(selected.id) if selected is not None else None
        if wanted is None or wanted not in titles:
            dispatcher.utter_message(response="utter_not_in_plan")
            return []
        removed = next(item.opportunity for item in items if str(item.opportunity_id) == wanted)
        title = title_of(removed, voice(tracker, current_city(session)))
        remove_from_plan(session, learner, int(wanted))
        dispatcher.utter_message(response="utter_removed", title=title)
        return [SlotSet("plan_items", [i for i in shown if i != wanted])]
