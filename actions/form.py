"""The search form asks only for what is missing; this checks and completes what it heard, and
decides what the message keeps from the search before it (actions.context)."""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.base import Events
from actions.context import (
    NEW_REQUEST_INTENT,
    changed,
    fresh_start,
    implied_by_words,
    is_new_request,
    one_place,
    request_sentence,
    requested,
    value_before_message,
)
from actions.db import directory_reads
from actions.query import ANY_TOPIC, SEARCH_INTENTS, as_int, as_list, typed
from knowledge.learners import SELF, find_learner, stored_age
from knowledge.search.interpret import Interpretation, grade_value, interpret, number_value
from knowledge.taxonomy import load_taxonomy

# Ages a search can be for: a baby's months read as 0 ("18 months old" → 1); 0 typed on its own,
# a negative number or more than a lifetime is asked again.
LEARNER_MIN_AGE, LEARNER_MAX_AGE = 1, 110
GRADE_TO_AGE = 5  # kindergarten (grade 0) is about 5 years old, grade 7 about 12
ANYTHING = re.compile(r"\b(any ?thing|whatever|not sure|no idea|don'?t know|anything at all)\b")
FILTER_ENTITIES = ("cost", "schedule", "location", "format", "language", "latitude", "provider")
# A number answering "how old?" ("9", "-3", "nine", "about 12 i think"), with its sign.
BARE_NUMBER = re.compile(r"^\D{0,20}?(?:(?<![\w])([-−–])\s?)?(\d{1,4})\D{0,30}$")
ONLY_NUMBER = re.compile(r"^(?:([-−–])\s?)?(\d{1,4})$")  # "-3", "150": nothing else
SPELLED_ANSWER = re.compile(r"^\W*([a-z]+(?:[ -][a-z]+)?)\W*(?:years?(?: old)?|yo|y/o)?\W*$")
MONTHS = re.compile(r"\bmonths?\b")
# What the newest message says (its taxonomy reading), computed once per validation run.
_READING: ContextVar[tuple[str, Interpretation] | None] = ContextVar("reading", default=None)


def latest_text(tracker: Tracker) -> str:
    """The newest message's words when someone typed them in a search, else ""."""
    message = tracker.latest_message or {}
    event = {"text": message.get("text"), "parse_data": message}
    return str(message.get("text") or "") if typed(event) else ""


def read(text: str) -> Interpretation:
    """Filters, topics and place the words name, by the directory's taxonomy when it answers."""
    cached = _READING.get()
    if cached is not None and cached[0] == text:
        return cached[1]
    try:
        with directory_reads() as session:
            return interpret(text, load_taxonomy(session))
    except SQLAlchemyError:
        return interpret(text)


def topics_in(text: str, *, starter: bool = True) -> list[str]:
    """Topics the directory's taxonomy finds in free text (the NLU may miss rare wordings): the
    city's own, else (`starter`) the starter vocabulary's ("forklift", "sign language"), which
    the search maps to the city's listings."""
    return read(text).topic_names(starter=starter)


def spoken_age(value: Any) -> int | None:
    """An age slot value as a number: 12.0, "12", "nine", "twenty-one"."""
    number = as_int(value)
    return number if number is not None else number_value(str(value or ""))


class ValidateSearchForm(FormValidationAction):
    """Fills topic and age from the text when entities are missing; refuses impossible ages;
    starts a new request afresh and keeps a refinement's filters."""

    def name(self) -> str:
        return "validate_search_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        """The form's own checks, then what this message keeps from the search before it."""
        text = latest_text(tracker)
        reading = read(text) if text else None
        before = value_before_message(tracker, "topic")
        token = _READING.set((text, reading) if reading is not None else None)
        try:
            events = await super().run(dispatcher, tracker, domain)
        finally:
            _READING.reset(token)
        named = list(tracker.get_latest_entity_values("topic"))
        if not named and reading is not None:
            named = [match.name for match in reading.topics]
        changes: dict[str, Any] = {}
        if is_new_request(tracker, named, before):
            changes.update(fresh_start(tracker))
        request = request_sentence(text) if text else None
        if request is not None and reading is not None:  # a long story with one request in it
            whole = implied_by_words(tracker, reading)
            changes.update({key: whole[key] for key in ("location", "relation") if key in whole})
            changes.update(requested(read(request)))
        elif reading is not None:
            changes.update(implied_by_words(tracker, reading))
        changes.update(one_place(tracker, changes))
        return [
            *events,
            *(SlotSet(name, value) for name, value in changed(tracker, changes).items()),
        ]

    async def extract_topic(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """No topic entity: read topics from the words, or take "anything" as any topic."""
        if list(tracker.get_latest_entity_values("topic")) or not _searching(tracker):
            return {}
        text = latest_text(tracker)
        if not text:
            return {}
        # A refinement ("and for his sister?") keeps its topic: the starter vocabulary's wide
        # net ("sister" is a word of babysitting) is for a request that has none yet.
        refining = bool(tracker.get_slot("topic")) and not _new_request_intent(tracker)
        found = topics_in(text, starter=not refining)
        if found:
            return {"topic": found}
        if tracker.get_slot("topic"):
            return {}  # a refinement ("only free ones") keeps the topic it refines
        if ANYTHING.search(text.lower()) or _has_filters(tracker):
            # "anything", or "something free on Saturdays near Riverside": any topic will do.
            return {"topic": [ANY_TOPIC]}
        if tracker.get_slot("requested_slot") == "topic":
            return {"topic": None}  # not an answer: ask again rather than fall silent
        return {}

    async def extract_age(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """An age from the entity, a grade, the words ("my twins are nine", "turns 10 soon"), a
        bare number answering "how old?"; someone else now: their stored age, else ask."""
        if not _searching(tracker):
            return {}
        text = latest_text(tracker)
        ages = {spoken_age(age) for age in tracker.get_latest_entity_values("age")}
        if ages:
            # Two ages ("she's 9, she'll be 10 next month"): the one the words mean, else the first.
            said = read(text).age if text and len(ages) > 1 else None
            return {"age": float(said)} if said is not None and said in ages else {}
        for grade in tracker.get_latest_entity_values("grade"):
            number = grade_value(str(grade))
            if number is not None and 0 <= number <= 12:
                return {"age": float(number + GRADE_TO_AGE)}
        if text:
            said = read(text).age
            if said is not None:
                return {"age": float(said)}
        asked = tracker.get_slot("requested_slot") == "age"
        if text:
            # A number alone is an age ("-3" too, to be refused); with other words, only as the
            # answer to "how old?".
            answer = _number_answer(text, alone=not asked)
            if answer is not None:
                return {"age": float(answer)}
        relation = latest_relation(tracker)
        if relation and relation != value_before_message(tracker, "relation"):
            # Someone else now ("for her brother"): their stored age, else ask for it.
            stored = _stored_age(tracker.sender_id, relation)
            return {"age": float(stored) if stored is not None else None}
        if asked:
            if text and not tracker.latest_message.get("entities"):
                dispatcher.utter_message(response="utter_invalid_age", given=text[:40])
            return {"age": None}  # not an answer: ask again rather than fall silent
        return {}

    def validate_topic(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Keep a list of topic names."""
        topics = list(dict.fromkeys(as_list(value)))  # two extractors may both find "art"
        return {"topic": topics or None}

    def validate_age(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Ages we can search for; anything else is asked again, saying what we could not use."""
        if value is None:
            return {"age": None}
        age = spoken_age(value)
        text = str(tracker.latest_message.get("text") or "")
        if age is not None and _said_otherwise(tracker, age):
            return {"age": value_before_message(tracker, "age")}
        if age is not None and _negative(text, age):
            age = -age
        baby = age == 0 and MONTHS.search(text.lower()) is not None
        if age is None or not (LEARNER_MIN_AGE <= age <= LEARNER_MAX_AGE or baby):
            given = str(age) if age is not None else str(value)[:40]
            dispatcher.utter_message(response="utter_invalid_age", given=given)
            return {"age": None}
        return {"age": float(age)}

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventType | None:
        """Topic, then age only when the search is for someone else whose age we do not know
        ("for my daughter"): a learner asking for themselves ("I want to learn sign language")
        gets results at once, each showing its ages, and can still say an age to narrow them.
        Both slots are read and checked from every message all the same."""
        missing = [name for name in self.domain_slots(domain) if tracker.slots.get(name) is None]
        if not age_matters(tracker):
            missing = [name for name in missing if name != "age"]
        return SlotSet(REQUESTED_SLOT, missing[0] if missing else None)


def age_matters(tracker: Tracker) -> bool:
    """The search is for a child or relative ("my son", "for her brother"), not for themselves:
    as the newest message's entity or words say (the NLU may miss "for my daughter", which the
    form then sets from the words), else as the search before it was for."""
    relation = latest_relation(tracker) or tracker.get_slot("relation")
    return relation is not None and str(relation) != SELF


def _new_request_intent(tracker: Tracker) -> bool:
    """The newest message asks for something (find_opportunity), rather than refining (inform)."""
    return (tracker.latest_message.get("intent") or {}).get("name") == NEW_REQUEST_INTENT


def _searching(tracker: Tracker) -> bool:
    """The newest message is part of a search: chit-chat and other intents fill nothing."""
    return (tracker.latest_message.get("intent") or {}).get("name") in SEARCH_INTENTS


def _number_answer(text: str, *, alone: bool = False) -> int | None:
    """A number answering "how old?": "9", "-3", "nine", "twelve years"; `alone`: only a message
    that is nothing but the number ("-3", "nine")."""
    digits = (ONLY_NUMBER if alone else BARE_NUMBER).match(text.strip())
    if digits:
        return -int(digits.group(2)) if digits.group(1) else int(digits.group(2))
    spelled = SPELLED_ANSWER.match(text.strip().lower())
    if spelled is None or (alone and spelled.group(0).strip() != spelled.group(1)):
        return None
    return number_value(spelled.group(1))


def _said_otherwise(tracker: Tracker, number: int) -> bool:
    """The words use the number for something else: a distance ("within 2 km") or a line ("the
    14 bus"), which the NLU may still tag as an age."""
    text = latest_text(tracker)
    if not text:
        return False
    reading = read(text)
    return number in reading.not_ages and reading.age != number


def _negative(text: str, age: int) -> bool:
    """The message wrote the age with a minus ("she's -3"), which the NLU reads as 3."""
    return age > 0 and re.search(rf"(?<![\w])[-−–]\s?{age}\b", text) is not None


def _has_filters(tracker: Tracker) -> bool:
    """The newest message narrows the search (cost, time, place, format, language)."""
    return any(list(tracker.get_latest_entity_values(name)) for name in FILTER_ENTITIES)


def latest_relation(tracker: Tracker) -> str | None:
    """Who the newest message is about, when it says so: the NLU's entity, else the words (the
    NLU may miss "for my daughter")."""
    values = list(tracker.get_latest_entity_values("relation"))
    if values:
        return str(values[0])
    text = latest_text(tracker)
    return read(text).relation if text else None


def _stored_age(sender_id: str, relation: str) -> int | None:
    """The stored age of the learner (self) or their daughter, son, …, if they told us before."""
    try:
        with directory_reads() as session:
            learner = find_learner(session, sender_id)
            return None if learner is None else stored_age(learner, relation)
    except SQLAlchemyError:
        return None
