"""One listing: in full ("tell me about the second one"), or just what was asked about it ("how
much is it?", "is it wheelchair accessible?", "who runs the karate one?") — Rasa's knowledge-base
pattern, with the attribute read from the words (knowledge/vocabulary/questions.yml) and the
listing from the mention (a number, a name, "it")."""

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
from actions.listing_facts import ATTRIBUTES, Asked, answer
from actions.listing_lines import details_of, staleness_of
from actions.query import as_int
from actions.reread import SEARCH, as_if, where_to_get
from actions.resolve import TITLE_COVERAGE, latest_entity, resolve_opportunity, title_words
from actions.settings import action_settings
from actions.voice import voice
from knowledge.models import Opportunity
from knowledge.reports.recording import record_usage
from knowledge.vocabulary.questions import asking_phrases

MAX_ANSWERED = 4  # "how much, where, when and how do I sign up?"; more would bury the first
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


def message_text(tracker: Tracker) -> str:
    """The words of the newest message ("" for a button's payload, which names no listing)."""
    text = str(tracker.latest_message.get("text") or "")
    return "" if text.startswith("/") else text


def mention_text(text: str) -> str:
    """The words that may name a listing: without what is asked and without words that only
    ask ("how much is the karate one?" → "karate")."""
    for asked in reversed(asking_phrases(text)):  # every one: "wheelchair accessible"
        text = text[: asked.start] + " " + text[asked.end :]
    words = [w for w in WORD.findall(text.lower()) if w.replace("’", "'") not in QUESTION_WORDS]
    return " ".join(words)


def attributes_asked(text: str, opportunity: Opportunity) -> list[str]:
    """What the message asks about the listing, leaving out words of its own title (a question
    about "Power Hour" asks nothing about hours, but "is the Accessible Art Studio wheelchair
    accessible?" still asks about access)."""
    wanted = title_words(opportunity.title)
    own = set(wanted)
    said = set(title_words(text))
    names_title = bool(wanted) and sum(w in said for w in wanted) / len(wanted) >= TITLE_COVERAGE
    found: dict[str, None] = {}
    for asked in asking_phrases(text):
        words = title_words(text[asked.start : asked.end])
        if names_title and words and set(words) <= own:
            continue
        found[asked.attribute] = None
    return [attribute for attribute in found if attribute in ATTRIBUTES]


def asked_age(tracker: Tracker) -> int | None:
    """The age the question names ("ok for a 9 year old?", "for a 4th grader"), if any."""
    age = as_int(latest_entity(tracker, "age"))
    if age is not None:
        return age
    grade = as_int(latest_entity(tracker, "grade"))
    return grade + GRADE_TO_AGE if grade is not None else None


class ActionOpportunityDetails(DirectoryAction):
    """The listing meant (by number, name, button or the one being discussed): what was asked
    about it, or everything when nothing in particular was; asks which one when none is."""

    def name(self) -> str:
        return "action_opportunity_details"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        session: Session,
    ) -> Events:
        text = message_text(tracker)
        opportunity = resolve_opportunity(session, tracker, text=mention_text(text))
        if opportunity is None:
            if where_to_get(text):  # "where can I get one in Spanish?" after a credential
                return as_if(tracker, SEARCH)
            dispatcher.utter_message(response="utter_which_one")
            return []
        city = current_city(session)
        today, speaking = city.today(), voice(tracker, city)  # the learner's date, not the server's
        attributes = attributes_asked(text, opportunity)
        if not attributes:
            details = details_of(opportunity, speaking)
            dispatcher.utter_message(response="utter_details", **details)
        asked = Asked(
            today=today,
            age=asked_age(tracker),
            language=latest_entity(tracker, "language"),
            voice=speaking,
        )
        sent: set[str] = set()
        for attribute in attributes[:MAX_ANSWERED]:
            for found in answer(attribute, session, opportunity, asked):
                if found.response not in sent:  # "how do I apply, and by when?" says it once
                    sent.add(found.response)
                    dispatcher.utter_message(response=found.response, **found.values)
        days = action_settings().directory.freshness_days
        stale = staleness_of(opportunity, today=today, days=days, voice=speaking)
        if stale is not None:  # ranked lower too; say why before they make the trip
            dispatcher.utter_message(response="utter_details_stale", **stale)
        record_usage(session, "details", tracker, day=today)  # anonymous: issue #17
        return [SlotSet("selected", str(opportunity.id))]
