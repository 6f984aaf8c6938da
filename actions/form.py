"""The search form asks only for what is missing; this checks and completes what it heard."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.db import directory_session
from actions.query import ANY_TOPIC, as_int, as_list
from knowledge.learners import find_learner
from knowledge.search.interpret import interpret
from knowledge.taxonomy import load_taxonomy

MIN_AGE, MAX_AGE = 3, 99
GRADE_TO_AGE = 5  # kindergarten (grade 0) is about 5 years old, grade 7 about 12
ANYTHING = re.compile(r"\b(any ?thing|whatever|not sure|no idea|don'?t know|anything at all)\b")
FILTER_ENTITIES = ("cost", "schedule", "location", "format", "language", "latitude", "provider")
BARE_NUMBER = re.compile(r"^\D{0,20}?(\d{1,3})\D{0,30}$")


def topics_in(text: str) -> list[str]:
    """Topics the directory's taxonomy finds in free text (the NLU may miss rare wordings)."""
    try:
        with directory_session() as session:
            return [match.name for match in interpret(text, load_taxonomy(session)).topics]
    except SQLAlchemyError:
        return []


class ValidateSearchForm(FormValidationAction):
    """Fills topic and age from the text when entities are missing; refuses impossible ages."""

    def name(self) -> str:
        return "validate_search_form"

    async def extract_topic(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """No topic entity: read topics from the words, or take "anything" as any topic."""
        if list(tracker.get_latest_entity_values("topic")):
            return {}
        text = str(tracker.latest_message.get("text") or "")
        if text.startswith("/"):
            return {}
        found = topics_in(text)
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
        """A grade becomes an age; a bare number answering "how old?" is the age."""
        if list(tracker.get_latest_entity_values("age")):
            return {}
        grade = tracker.get_slot("grade")
        if list(tracker.get_latest_entity_values("grade")) and grade is not None:
            return {"age": float(int(float(grade)) + GRADE_TO_AGE), "grade": None}
        if tracker.get_slot("requested_slot") == "age":
            match = BARE_NUMBER.match(str(tracker.latest_message.get("text") or ""))
            if match:
                return {"age": float(match.group(1))}
        relation = latest_relation(tracker)
        if relation:
            # Someone else now ("for her brother"): their stored age, else ask for it.
            stored = _stored_age(tracker.sender_id, relation)
            return {"age": float(stored) if stored is not None else None}
        if tracker.get_slot("requested_slot") == "age":
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
        """Ages we can search for; anything else is asked again with an example."""
        age = as_int(value)
        if age is None or not MIN_AGE <= age <= MAX_AGE:
            dispatcher.utter_message(response="utter_invalid_age")
            return {"age": None}
        return {"age": float(age)}

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Topic and age, as the domain says."""
        return domain_slots


def _has_filters(tracker: Tracker) -> bool:
    """The newest message narrows the search (cost, time, place, format, language)."""
    return any(list(tracker.get_latest_entity_values(name)) for name in FILTER_ENTITIES)


def latest_relation(tracker: Tracker) -> str | None:
    """Who the newest message is about, when it says so."""
    values = list(tracker.get_latest_entity_values("relation"))
    return str(values[0]) if values else None


def _stored_age(sender_id: str, relation: str) -> int | None:
    """The stored age of the learner (self) or their daughter, son, …, if they told us before."""
    try:
        with directory_session() as session:
            learner = find_learner(session, sender_id)
            if learner is None:
                return None
            if relation == "self":
                return learner.age
            for dependant in learner.dependants:
                if dependant.relation == relation:
                    return dependant.age
    except SQLAlchemyError:
        return None
    return None
