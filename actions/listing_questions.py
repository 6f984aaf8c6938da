"""A question about one listing ("how much is the second one?", "is it wheelchair accessible?")
answered in one turn from the listing's own data, with the listing's title."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.base import DirectoryAction, Events
from actions.city import current_city
from actions.form import GRADE_TO_AGE
from actions.listing import details_of, staleness_of
from actions.listing_facts import ATTRIBUTES, Asked, answer
from actions.query import as_int
from actions.resolve import latest_entity, resolve_or_ask
from knowledge.search.freshness import freshness_days

MAX_ANSWERED = 4  # "how much, where, when and how do I sign up?"; more would bury the first
# Entities that can be part of a listing's name ("the [coding] one", "the one in [<place>]");
# the spans of every other entity are the question, not the name, and are left out of matching.
NAME_ENTITIES = frozenset({"topic", "provider", "location"})
# When the NLU found no attribute, a search word still tells what is asked: "is it [free]?",
# "is it [online]?", "is it [in spanish]?", "is it on [weekends]?", "ok for a [9] year old?".
ASKED_BY_ENTITY = {
    "cost": "cost",
    "format": "place",
    "location": "place",
    "language": "language",
    "schedule": "schedule",
    "age": "ages",
    "grade": "ages",
}
# Words that only ask ("how", "does", "is it"); what is left may name a listing.
QUESTION_WORDS = frozenset({"how", "much", "many", "does", "do", "did", "is", "are", "was",
                           "were", "can", "could", "will", "would", "should", "shall", "i", "im",
                           "i'm", "we", "you", "u", "my", "our", "me", "us", "he", "she", "they",
                           "them", "their", "it", "its", "it's", "this", "that", "these",
                           "those", "there", "theres", "there's", "when", "where", "what",
                           "whats", "what's", "who", "whos", "who's", "which", "why", "whether",
                           "if", "any", "anything", "for", "at", "in", "on", "by", "to", "a",
                           "an", "the", "one", "ones", "of", "and", "or", "with", "about",
                           "still", "ok", "okay", "please", "pls", "plz", "tell", "know", "get",
                           "go", "going", "need", "have", "has"})  # fmt: skip
WORD = re.compile(r"[\w'’]+")


def asked_attributes(tracker: Tracker) -> list[str]:
    """The attributes asked about, in the order the message names them, each once."""
    entities = _ordered(tracker.latest_message.get("entities") or [])
    named = [str(e.get("value")).lower() for e in entities if e.get("entity") == "attribute"]
    found = [value for value in named if value in ATTRIBUTES]
    if not found:
        found = [
            ASKED_BY_ENTITY[e["entity"]] for e in entities if e.get("entity") in ASKED_BY_ENTITY
        ]
    return list(dict.fromkeys(found))


def asked_age(tracker: Tracker) -> int | None:
    """The age the question names ("for a 9 year old", "for a 4th grader"), if any."""
    age = as_int(latest_entity(tracker, "age"))
    if age is not None:
        return age
    grade = as_int(latest_entity(tracker, "grade"))
    return grade + GRADE_TO_AGE if grade is not None else None


def mention_text(tracker: Tracker) -> str:
    """The words of the message that may name a listing: without the spans that say what is
    asked (attribute, cost, ordinal, …) and without words that only ask."""
    text = str(tracker.latest_message.get("text") or "")
    if text.startswith("/"):
        return ""  # a button's payload names no listing
    spans = [
        (int(e["start"]), int(e["end"]))
        for e in tracker.latest_message.get("entities") or []
        if e.get("entity") not in NAME_ENTITIES and "start" in e and "end" in e
    ]
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + " " + text[end:]
    words = [w for w in WORD.findall(text.lower()) if w.replace("’", "'") not in QUESTION_WORDS]
    return " ".join(words)


def _ordered(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entities in the order the message says them (extractors report them in their own order)."""
    return sorted(entities, key=lambda e: int(e.get("start") or 0))


class ActionAnswerAboutListing(DirectoryAction):
    """Answers what was asked about the listing meant (by number, by name, or the one being
    discussed) and makes it the one being discussed; asks which one when none is."""

    def name(self) -> str:
        return "action_answer_about_listing"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        session: Session,
    ) -> Events:
        opportunity = resolve_or_ask(dispatcher, session, tracker, text=mention_text(tracker))
        if opportunity is None:
            return []
        today = current_city(session).today()  # deadlines pass on the learner's date
        attributes = asked_attributes(tracker)
        if not attributes:  # a question the NLU could not place: every fact, rather than none
            dispatcher.utter_message(response="utter_details", **details_of(opportunity))
        asked = Asked(
            today=today, age=asked_age(tracker), language=latest_entity(tracker, "language")
        )
        sent: set[str] = set()
        for attribute in attributes[:MAX_ANSWERED]:
            for found in answer(attribute, session, opportunity, asked):
                if found.response not in sent:  # "how do I apply, and by when?" says it once
                    sent.add(found.response)
                    dispatcher.utter_message(response=found.response, **found.values)
        stale = staleness_of(opportunity, today=today, days=freshness_days())
        if stale is not None:  # an old listing's answer may be out of date: say so
            dispatcher.utter_message(response="utter_details_stale", **stale)
        return [SlotSet("selected", str(opportunity.id))]
