"""Searching the directory and paging through the results."""

from __future__ import annotations

from dataclasses import replace
from functools import cache, partial
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from actions.base import DirectoryAction, Events
from actions.children import young_learner
from actions.city import current_city
from actions.context import LONG_MESSAGE, RESETS, SEARCH_ACTION
from actions.filters import Filter, active_filters, drop_buttons, summary, understood_of
from actions.listing_lines import TITLE_IN_BUTTON, numbered, short, title_of
from actions.query import (
    ANY_TOPIC,
    as_list,
    build_query,
    radius_without_place,
    typed,
    wants_near_me,
)
from actions.resolve import current_learner
from actions.settings import action_settings
from actions.voice import voice
from knowledge.learners import remember_profile
from knowledge.models import Location, Opportunity
from knowledge.reports.recording import record_search
from knowledge.search.engine import search
from knowledge.search.formats import SOURCE_VOICE, Voice
from knowledge.search.phrasing import one_decimal
from knowledge.search.query import QueryError, SearchQuery
from knowledge.search.result import SearchResult
from knowledge.search.search_plan import UnknownPlace, UnknownTopic
from knowledge.taxonomy import Taxonomy, load_taxonomy

PAGE = 5
KEEP = 30  # results remembered for "show more" and "the second one"
# Several needs in one message ("swimming for her, tutoring for him, and art for me") are
# searched one at a time: from three topics, or two in a long message. The first is searched;
# the others are offered as buttons.
MANY_NEEDS = 3
MAX_OFFERED = 3
MAX_SUGGESTED_TOPICS = 2
KNOWN_PLACES_SHOWN = 8
PLACE_SHOWN = 60  # characters of an unknown place repeated back
# Each retry gives something up (the topic's name, the place), so a few attempts always end.
MAX_ATTEMPTS = 4


def result_buttons(
    opportunities: list[Opportunity], start: int, voice: Voice = SOURCE_VOICE
) -> list[dict[str, str]]:
    """One button per listed result; the payload refers to its number (Telegram: ≤ 64 bytes)."""
    return [
        {
            "title": f"{start + i}. {short(title_of(item, voice), TITLE_IN_BUTTON)}",
            "payload": f'/opportunity_details{{"ordinal":"{start + i}"}}',
        }
        for i, item in enumerate(opportunities)
    ]


def load_listings(
    session: Session, ids: list[str], voice: Voice = SOURCE_VOICE
) -> list[Opportunity]:
    """Listings by id in the given order, skipping any closed or deleted since.

    One query, with what a listing line shows (provider, places and their neighbourhoods, and
    translations when the voice is not the source language) loaded alongside: loading those one
    listing at a time cost a query each.
    """
    wanted = [int(value) for value in ids if value.isdigit()]
    if not wanted:
        return []
    query = (
        select(Opportunity)
        .where(Opportunity.id.in_(wanted), Opportunity.status == "active")
        .options(
            joinedload(Opportunity.provider),  # a page's few places joined: one round trip
            joinedload(Opportunity.locations).joinedload(Location.neighbourhood),
        )
    )
    if not voice.is_source:
        query = query.options(selectinload(Opportunity.translations))
    found = {opportunity.id: opportunity for opportunity in session.scalars(query).unique()}
    return [found[number] for number in wanted if number in found]


def show_page(
    dispatcher: CollectingDispatcher,
    page: list[Opportunity],
    *,
    start: int,
    total: int,
    summary: str,
    voice: Voice = SOURCE_VOICE,
) -> None:
    """utter_results with numbered buttons, then utter_more_available when more remain."""
    dispatcher.utter_message(
        response="utter_results",
        buttons=result_buttons(page, start, voice),
        summary=summary,
        listing=numbered(page, start, voice),
        shown=f"{start}–{start + len(page) - 1}" if len(page) > 1 else str(start),
        total=str(total),
    )
    remaining = total - (start - 1 + len(page))
    if remaining > 0:
        dispatcher.utter_message(response="utter_more_available", remaining=str(remaining))


def relaxed(query: SearchQuery, error: QueryError) -> SearchQuery | None:
    """The query without what the search refused, or None when nothing can be given up.

    A topic the directory lacks becomes words to search for; a place that is not one of the
    city's neighbourhoods is dropped (searched everywhere, and the user is told).
    """
    try:
        if isinstance(error, UnknownTopic) and query.topics:
            return replace(query, topics=(), text=" ".join([query.text, *query.topics]).strip())
        if isinstance(error, UnknownPlace) and query.neighbourhood:
            return replace(query, neighbourhood=None)
    except QueryError:
        return None
    return None


def search_giving_up(
    session: Session, query: SearchQuery, voice: Voice = SOURCE_VOICE
) -> tuple[SearchResult | None, SearchQuery, list[QueryError]]:
    """The search, giving up what it refuses (in any order) until it runs: the result (None if it
    never did), the query that ran, and every refusal met on the way; its explanation of a thin
    result is worded in the learner's `voice`."""
    setbacks: list[QueryError] = []
    days = action_settings().directory.freshness_days
    for _attempt in range(MAX_ATTEMPTS):
        try:
            found = search(session, query, limit=KEEP, freshness_days=days, voice=voice)
            return found, query, setbacks
        except QueryError as error:
            setbacks.append(error)
            easier = relaxed(query, error)
            if easier is None:
                break
            query = easier
    return None, query, setbacks


def separate_needs(tracker: Tracker, topics: tuple[str, ...]) -> list[str]:
    """The topics as separate needs, in the order the message named them, when one message asks
    for several things (MANY_NEEDS topics, or two in a long message); else []."""
    if len(topics) < 2:
        return []
    longest = 0
    starts: dict[str, int] = {}
    for event in reversed(tracker.events):
        if event.get("event") in RESETS or (
            event.get("event") == "action" and event.get("name") == SEARCH_ACTION
        ):
            break
        if event.get("event") == "user" and typed(event):
            longest = max(longest, len(str(event.get("text") or "")))
            for entity in (event.get("parse_data") or {}).get("entities") or []:
                if entity.get("entity") == "topic" and str(entity.get("value")) not in starts:
                    starts[str(entity.get("value"))] = int(entity.get("start") or 0)
    if len(topics) < MANY_NEEDS and longest <= LONG_MESSAGE:
        return []
    order = {topic: index for index, topic in enumerate(topics)}
    return sorted(topics, key=lambda topic: (starts.get(topic, 1 << 30), order[topic]))


class ActionSearchOpportunities(DirectoryAction):
    """Searches with the slots and the user's words; lists the best with the filters it used;
    explains an empty result with a button per filter to drop. Every refusal of the search
    (QueryError and its kinds) gets an answer that says what to change, never an apology."""

    def name(self) -> str:
        return "action_search_opportunities"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        session: Session,
    ) -> Events:
        taxonomy = cache(partial(load_taxonomy, session))  # read only when needed
        query = build_query(tracker, taxonomy)
        events: Events = []
        needs = separate_needs(tracker, query.topics)
        if needs:  # one need at a time; the words would mix them all, the slots hold the filters
            query = replace(query, topics=(needs[0],), text="")
            events.append(SlotSet("topic", [needs[0]]))
        city = current_city(session)
        currency, speaking = city.currency, voice(tracker, city)
        asked = query  # what the learner asked for, before the search gave anything up
        result, query, setbacks = search_giving_up(session, query, speaking)
        record_search(session, tracker, asked, result, taxonomy, day=city.today())  # #17
        unknown = {e.name: e for e in setbacks if isinstance(e, UnknownPlace)}
        for setback in unknown.values():  # each place once, however often it was refused
            self._unknown_place(dispatcher, setback, taxonomy())
        if unknown:
            events.append(SlotSet("location", None))
        relation = tracker.get_slot("relation")
        if result is None:
            filters = active_filters(understood_of(query), currency, speaking)
            problem = setbacks[-1] if setbacks else QueryError("")
            if not isinstance(problem, UnknownPlace):
                dispatcher.utter_message(
                    response="utter_cannot_search",
                    problem=speaking.word("search_refused", problem=str(problem)),
                    filters=summary(filters, relation, speaking),
                    buttons=drop_buttons(filters, speaking),
                )
            self._offer(dispatcher, needs[1:])
            return events  # the previous list stays, so "the second one" still means it
        self._remember(session, tracker, query)
        ids = [str(hit.id) for hit in result.results]
        if wants_near_me(tracker):  # searched everywhere; ask where, once
            events.append(SlotSet("location", None))
        filters = active_filters(result.understood, currency, speaking)
        if not ids:
            self._nothing(dispatcher, result, filters, relation, speaking)
        else:
            page = load_listings(session, ids[:PAGE], speaking)
            said = summary(filters, relation, speaking)
            show_page(dispatcher, page, start=1, total=len(ids), summary=said, voice=speaking)
            events += [
                SlotSet("results", ids),
                SlotSet("results_shown", float(len(page))),
                SlotSet("selected", ids[0] if len(ids) == 1 else None),
            ]
        radius = radius_without_place(tracker)
        if radius is not None:  # "within 2 km" of where? The list is from everywhere meanwhile.
            km = one_decimal(radius, speaking)
            dispatcher.utter_message(response="utter_ask_where_radius", km=km)
        elif wants_near_me(tracker):
            dispatcher.utter_message(response="utter_ask_where")
        self._offer(dispatcher, needs[1:])
        return events

    @staticmethod
    def _nothing(
        dispatcher: CollectingDispatcher,
        result: SearchResult,
        filters: list[Filter],
        relation: str | None,
        speaking: Voice = SOURCE_VOICE,
    ) -> None:
        """Nothing fits: why, the filters it used, one button per filter to drop, other topics."""
        explanation = result.explanation
        suggestions = explanation.suggestions if explanation else ()
        topics = [
            {"title": topic, "payload": f'/find_opportunity{{"topic":"{topic}"}}'}
            for topic in suggestions[:MAX_SUGGESTED_TOPICS]
        ]
        dispatcher.utter_message(
            response="utter_no_results",
            explanation=explanation.message if explanation else "",
            filters=summary(filters, relation, speaking),
            buttons=drop_buttons(filters, speaking) + topics,
        )

    @staticmethod
    def _unknown_place(
        dispatcher: CollectingDispatcher, error: UnknownPlace, taxonomy: Taxonomy
    ) -> None:
        """The place is not one of the city's neighbourhoods: say so, and which ones are."""
        close = list(dict.fromkeys(error.suggestions))
        known = close + sorted(p.name for p in taxonomy.places.values() if p.name not in close)
        place = short(error.name, PLACE_SHOWN)
        if not known:
            dispatcher.utter_message(response="utter_unknown_place_unlisted", place=place)
            return
        dispatcher.utter_message(
            response="utter_unknown_place",
            place=place,
            known=", ".join(known[:KNOWN_PLACES_SHOWN])
            + ("…" if len(known) > KNOWN_PLACES_SHOWN else ""),
            buttons=[
                {"title": name, "payload": f'/inform{{"location":"{name}"}}'}
                for name in known[:MAX_OFFERED]
            ],
        )

    @staticmethod
    def _offer(dispatcher: CollectingDispatcher, others: list[str]) -> None:
        """The other needs of a message that asked for several: a button each."""
        if not others:
            return
        offered = others[:MAX_OFFERED]
        dispatcher.utter_message(
            response="utter_also_mentioned",
            topics=", ".join(offered),
            buttons=[{"title": t, "payload": f'/inform{{"topic":"{t}"}}'} for t in offered],
        )

    @staticmethod
    def _remember(session: Session, tracker: Tracker, query: SearchQuery) -> None:
        """Keep age, place and interests for next time (for the learner or their dependant);
        nothing for a child speaking for themselves."""
        if young_learner(tracker):
            return
        learner = current_learner(session, tracker)
        topics = [t for t in query.topics if t != ANY_TOPIC]
        remember_profile(
            session,
            learner,
            relation=tracker.get_slot("relation"),
            age=query.age,
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
        relation = tracker.get_slot("relation")
        city = current_city(session)
        speaking = voice(tracker, city)
        page = load_listings(session, ids[shown : shown + PAGE], speaking)
        filters = active_filters(understood_of(build_query(tracker)), city.currency, speaking)
        show_page(
            dispatcher,
            page,
            start=shown + 1,
            total=len(ids),
            summary=summary(filters, str(relation) if relation else None, speaking),
            voice=speaking,
        )
        return [SlotSet("results_shown", float(min(shown + PAGE, len(ids))))]
