"""Searching the directory and paging through the results."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from actions.base import DirectoryAction, Events
from actions.listing import TITLE_IN_BUTTON, numbered, short
from actions.query import ANY_TOPIC, as_int, as_list, build_query, summary_of, wants_near_me
from actions.resolve import current_learner
from knowledge.learners import remember_profile
from knowledge.models import Location, Opportunity
from knowledge.search.engine import search
from knowledge.search.plan import UnknownTopic
from knowledge.search.query import QueryError, SearchQuery

PAGE = 5
KEEP = 30  # results remembered for "show more" and "the second one"


def result_buttons(opportunities: list[Opportunity], start: int) -> list[dict[str, str]]:
    """One button per listed result; the payload refers to its number (Telegram: ≤ 64 bytes)."""
    return [
        {
            "title": f"{start + i}. {short(item.title, TITLE_IN_BUTTON)}",
            "payload": f'/opportunity_details{{"ordinal":"{start + i}"}}',
        }
        for i, item in enumerate(opportunities)
    ]


def load_listings(session: Session, ids: list[str]) -> list[Opportunity]:
    """Listings by id in the given order, skipping any closed or deleted since.

    One query, with what a listing line shows (provider, places and their neighbourhoods)
    loaded alongside: loading those one listing at a time cost a query each.
    """
    wanted = [int(value) for value in ids if value.isdigit()]
    if not wanted:
        return []
    query = (
        select(Opportunity)
        .where(Opportunity.id.in_(wanted), Opportunity.status == "active")
        .options(
            joinedload(Opportunity.provider),
            selectinload(Opportunity.locations).joinedload(Location.neighbourhood),
        )
    )
    found = {opportunity.id: opportunity for opportunity in session.scalars(query)}
    return [found[number] for number in wanted if number in found]


def show_page(
    dispatcher: CollectingDispatcher,
    page: list[Opportunity],
    *,
    start: int,
    total: int,
    summary: str,
) -> None:
    """utter_results with numbered buttons, then utter_more_available when more remain."""
    dispatcher.utter_message(
        response="utter_results",
        buttons=result_buttons(page, start),
        summary=summary,
        listing=numbered(page, start),
        shown=f"{start}–{start + len(page) - 1}" if len(page) > 1 else str(start),
        total=str(total),
    )
    remaining = total - (start - 1 + len(page))
    if remaining > 0:
        dispatcher.utter_message(response="utter_more_available", remaining=str(remaining))


class ActionSearchOpportunities(DirectoryAction):
    """Searches with the slots and the user's words; lists the best; explains an empty result."""

    def name(self) -> str:
        return "action_search_opportunities"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        session: Session,
    ) -> Events:
        query = build_query(tracker)
        relation = tracker.get_slot("relation")
        try:
            result = search(session, query, limit=KEEP)
        except UnknownTopic:
            # The NLU named a topic the directory lacks: let the words find what they can.
            query = replace(query, topics=(), text=" ".join([query.text, *query.topics]))
            result = search(session, query, limit=KEEP)
        except QueryError as error:
            dispatcher.utter_message(response="utter_no_results", explanation=str(error))
            return []
        self._remember(session, tracker, query)
        ids = [str(hit.id) for hit in result.results]
        ask_where: Events = []
        if wants_near_me(tracker):  # searched everywhere; ask where, once
            ask_where = [SlotSet("location", None)]
        if not ids:
            explanation = result.explanation.message if result.explanation else ""
            suggestions = result.explanation.suggestions if result.explanation else ()
            dispatcher.utter_message(
                response="utter_no_results",
                explanation=explanation,
                buttons=[
                    {"title": topic, "payload": f'/find_opportunity{{"topic":"{topic}"}}'}
                    for topic in suggestions[:3]
                ],
            )
            if ask_where:
                dispatcher.utter_message(response="utter_ask_where")
            return ask_where  # the previous list stays, so "the second one" still means it
        page = load_listings(session, ids[:PAGE])
        show_page(
            dispatcher,
            page,
            start=1,
            total=len(ids),
            summary=summary_of(query, str(relation) if relation else None),
        )
        if ask_where:
            dispatcher.utter_message(response="utter_ask_where")
        return [
            *ask_where,
            SlotSet("results", ids),
            SlotSet("results_shown", float(len(page))),
            SlotSet("selected", ids[0] if len(ids) == 1 else None),
        ]

    @staticmethod
    def _remember(session: Session, tracker: Tracker, query: SearchQuery) -> None:
        """Keep age, place and interests for next time (for the learner or their dependant)."""
        learner = current_learner(session, tracker)
        topics = [t for t in as_list(tracker.get_slot("topic")) if t != ANY_TOPIC]
        remember_profile(
            session,
            learner,
            relation=tracker.get_slot("relation"),
            age=as_int(tracker.get_slot("age")),
            interests=topics,
            neighbourhood=query.neighbourhood,
            language=query.language,
        )


class ActionMoreResults(DirectoryAction):
    """The next page of the current results."""

    def name(self) -> str:
        return "action_more_results"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        session: Session,
    ) -> Events:
        ids = as_list(tracker.get_slot("results"))
        shown = int(float(tracker.get_slot("results_shown") or 0))
        if shown >= len(ids):
            dispatcher.utter_message(response="utter_no_more_results")
            return []
        page = load_listings(session, ids[shown : shown + PAGE])
        query = build_query(tracker)
        relation = tracker.get_slot("relation")
        show_page(
            dispatcher,
            page,
            start=shown + 1,
            total=len(ids),
            summary=summary_of(query, str(relation) if relation else None),
        )
        return [SlotSet("results_shown", float(min(shown + PAGE, len(ids))))]
