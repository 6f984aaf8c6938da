"""One listing in full: what, who, where, when, cost, who can join, how, what it leads to."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.base import DirectoryAction, Events
from actions.city import current_city
from actions.listing import details_of, staleness_of
from actions.resolve import resolve_or_ask
from knowledge.search.freshness import freshness_days


class ActionOpportunityDetails(DirectoryAction):
    """Details of the result the user points at, by number, by name or by button."""

    def name(self) -> str:
        return "action_opportunity_details"

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
        dispatcher.utter_message(response="utter_details", **details_of(opportunity))
        today = current_city(session).today()  # the learner's date, not the server's
        stale = staleness_of(opportunity, today=today, days=freshness_days())
        if stale is not None:  # ranked lower too; say why before they make the trip
            dispatcher.utter_message(response="utter_details_stale", **stale)
        return [SlotSet("selected", str(opportunity.id))]
