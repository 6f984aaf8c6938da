"""Credentials the learner or their family already has: "I already have my CPR card, what's
next?" keeps it on their profile and answers with the steps after it; "my son already has his
CPR card" keeps it for the son, and his steps start after it; "my credentials" lists what each
person holds."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.base import DirectoryAction, Events
from actions.children import KEPT_FROM_AGE, young_learner
from actions.city import current_city
from actions.listing_facts import credential_type
from actions.listing_lines import short
from actions.pathways import GOAL_ENTITY, goal_buttons, goal_words, path_reply
from actions.query import as_int
from actions.reread import SEARCH, as_if, read_again, where_to_get
from actions.resolve import current_learner, latest_entity
from actions.voice import voice
from knowledge.credentials_held import (
    best_known,
    credentials_named,
    goals_after,
    held,
    held_by_each,
    held_names,
    note_held,
    spoken_of,
)
from knowledge.goals import resolve_goal
from knowledge.learners import SELF, find_learner, remember_profile, stored_age
from knowledge.locales import LocaleError
from knowledge.models import Credential, Learner
from knowledge.pathway_builder import goals_to_offer
from knowledge.search.formats import SOURCE_VOICE, Voice
from knowledge.search.interpret import RELATIONS, Interpretation, interpret
from knowledge.search.locale_rules import says_held
from knowledge.taxonomy import load_taxonomy

CREDENTIAL_ENTITY = "credential"  # a "which one?" button's credential id
RELATION = "relation"  # who holds it: an entity of the words or of a button, and a slot
SOMEONE_ELSE = "child"  # "she has her CPR card", about no one the conversation knows
KNOWN_RELATIONS = frozenset({SELF, *RELATIONS.values()})  # what a hand-typed payload may name
NAME_IN_BUTTON = 40
# Each answer about the learner's own credential, and its words for one of their family's.
FOR_FAMILY = {
    "utter_credential_noted": "utter_credential_noted_for",
    "utter_credential_already_noted": "utter_credential_already_noted_for",
    "utter_credential_paths": "utter_credential_paths_for",
    "utter_credential_ask_goal": "utter_credential_ask_goal_for",
    "utter_credentials_held": "utter_credentials_held_for",
}


def _typed(tracker: Tracker) -> str:
    """The newest message's words, "" for a button's payload."""
    text = str(tracker.latest_message.get("text") or "")
    return "" if text.startswith("/") else text


def _named(tracker: Tracker) -> tuple[str | None, Interpretation | None]:
    """The person the newest message names by the NLU's entity or its words ("my son", "mi
    hija", "I'm 15"), with what its words say."""
    text = _typed(tracker)
    reading = interpret(text) if text else None
    named = latest_entity(tracker, RELATION)
    if named not in KNOWN_RELATIONS:
        named = reading.relation if reading is not None else None
    return named, reading


def _family(tracker: Tracker) -> str | None:
    """The child of theirs the conversation is about (family mode), if any."""
    relation = tracker.get_slot(RELATION)
    return str(relation) if relation not in (None, SELF) else None


def holder(tracker: Tracker) -> tuple[str, int | None]:
    """Who the newest message says holds the credential, and the age it says they are: the
    person it names; else, in a conversation about a child of theirs, that child unless the
    words are the speaker's own ("I have my …"); else someone unnamed ("she has her …") as
    their child; else the learner themselves."""
    named, reading = _named(tracker)
    age = reading.age if reading is not None else None
    if named is not None:
        return named, age
    spoken = spoken_of(_typed(tracker))
    family = _family(tracker)
    if family is not None:
        return (SELF if spoken == "speaker" else family), age
    return (SOMEONE_ELSE if spoken == "other" else SELF), age


def asked_about(tracker: Tracker) -> str | None:
    """Whose credentials a "what credentials …" message asks for: the family member it names,
    or the child the conversation is about when it says "she", "his", …; None: everyone's."""
    named, _reading = _named(tracker)
    if named is not None:
        return named if named != SELF else None
    if spoken_of(_typed(tracker)) == "other":
        return _family(tracker)
    return None


def worded_for(response: str, relation: str) -> str:
    """The response about the learner's own credential, or its words for their family's."""
    return response if relation == SELF else FOR_FAMILY[response]


def person(relation: str, speaking: Voice = SOURCE_VOICE) -> str:
    """A relation in the learner's words ("son", "hijo") for "your {relation}"."""
    try:
        return speaking.word(f"relation_{relation}")
    except LocaleError:
        return relation.replace("_", " ")


def age_of(tracker: Tracker, learner: Learner | None, relation: str) -> int | None:
    """The holder's age for their path: the conversation's when it is about them, else the one
    stored on the profile for them."""
    current = _family(tracker) or SELF
    if relation == current:
        age = as_int(tracker.get_slot("age"))
        if age is not None:
            return age
    return None if learner is None else stored_age(learner, relation)


def credentials_meant(session: Session, tracker: Tracker) -> list[Credential]:
    """The credential a "which one?" button names, else those the message's words name."""
    chosen = latest_entity(tracker, CREDENTIAL_ENTITY)
    if chosen is not None:
        found = session.get(Credential, int(chosen)) if chosen.isdigit() else None
        return [found] if found is not None else []
    text = str(tracker.latest_message.get("text") or "")
    return [] if text.startswith("/") else credentials_named(session, text)


class ActionNoteCredential(DirectoryAction):
    """Keeps the credential named on the profile of whoever holds it (the learner, or the child
    of theirs the message or conversation is about; never for a child chatting) and answers
    with that person's steps towards their goal after it; asks which one when the words fit
    several, and how to say it when they fit none. Words that name a credential without
    saying it is held ("food handlers card", "where can I get …") are read again as the
    search, details or question they are: nothing is kept that the learner did not say."""

    def name(self) -> str:
        return "action_note_credential"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        session: Session,
    ) -> Events:
        text = _typed(tracker)
        if text and not says_held(text):  # "food handlers card": one to get, not one held
            # "dónde puedo sacar …" wants the programs, whatever their titles say
            again = None if where_to_get(text) else read_again(session, text, to_get=True)
            return as_if(tracker, again or SEARCH)
        found = credentials_meant(session, tracker)
        relation, said_age = holder(tracker)
        if len(found) != 1:
            self._not_one(dispatcher, session, found, relation)
            return []
        credential = found[0]
        learner, response, events = self._keep(session, tracker, credential, relation, said_age)
        speaking = voice(tracker, current_city(session))
        dispatcher.utter_message(
            response=response, credential=credential.name, relation=person(relation, speaking)
        )
        age = said_age if said_age is not None else age_of(tracker, learner, relation)
        held_now = held_names([*held(session, learner, relation), credential])
        return events + self._next_steps(
            dispatcher, session, tracker, relation, age, held_now, credential
        )

    @staticmethod
    def _not_one(
        dispatcher: CollectingDispatcher,
        session: Session,
        found: list[Credential],
        relation: str,
    ) -> None:
        """Which one, when the words fit several (each button saying whose it is); how to say
        it, when they fit none."""
        if found:
            dispatcher.utter_message(
                response="utter_which_credential",
                choices="\n".join(f"{i}. {c.name}" for i, c in enumerate(found, 1)),
                buttons=[
                    {
                        "title": short(c.name, NAME_IN_BUTTON),
                        "payload": "/have_credential"
                        f'{{"{CREDENTIAL_ENTITY}":"{c.id}","{RELATION}":"{relation}"}}',
                    }
                    for c in found
                ],
            )
            return
        example = best_known(session)
        if example is None:
            dispatcher.utter_message(response="utter_credential_not_recognised_none_listed")
        else:
            dispatcher.utter_message(
                response="utter_credential_not_recognised", example=example.name
            )

    @staticmethod
    def _keep(
        session: Session,
        tracker: Tracker,
        credential: Credential,
        relation: str,
        said_age: int | None,
    ) -> tuple[Learner | None, str, Events]:
        """Keep it for the holder, unless a child under 13 is chatting: nothing about them, or
        their family, outlives the conversation. The learner, the response and the slots."""
        own = relation == SELF
        said_young = own and said_age is not None and said_age < KEPT_FROM_AGE
        if young_learner(tracker) or said_young:
            learner = find_learner(session, tracker.sender_id)
            response = (
                "utter_credential_child_not_kept" if own else "utter_credential_family_not_kept"
            )
            if said_young and said_age is not None:  # "I'm 11 and …": later turns know it too
                return learner, response, [SlotSet(RELATION, SELF), SlotSet("age", float(said_age))]
            return learner, response, []
        learner = current_learner(session, tracker)
        if said_age is not None:
            remember_profile(session, learner, relation=relation, age=said_age)
        new = note_held(session, learner, credential, relation)
        response = "utter_credential_noted" if new else "utter_credential_already_noted"
        return (
            learner,
            worded_for(response, relation),
            now_about(tracker, relation, said_age, learner),
        )

    @staticmethod
    def _next_steps(
        dispatcher: CollectingDispatcher,
        session: Session,
        tracker: Tracker,
        relation: str,
        age: int | None,
        held_now: set[str],
        credential: Credential,
    ) -> Events:
        """The holder's path towards the goal said now or earlier, starting after what they
        hold; with no goal, the careers the credential helps towards (else the city's) to pick
        one."""
        city = current_city(session)
        today = city.today()
        speaking = voice(tracker, city)
        said = goal_words(tracker) or str(tracker.get_slot(GOAL_ENTITY) or "")
        if said:
            goal = resolve_goal(load_taxonomy(session), said)
            answered = path_reply(dispatcher, session, said, goal, age, held_now, today, speaking)
            if answered is not None:
                return answered
        whose = {} if relation == SELF else {"relation": person(relation, speaking)}
        careers = goals_after(session, credential)
        if careers:
            dispatcher.utter_message(
                response=worded_for("utter_credential_paths", relation),
                credential=credential.name,
                buttons=goal_buttons(careers),
                **whose,
            )
        else:
            dispatcher.utter_message(
                response=worded_for("utter_credential_ask_goal", relation),
                buttons=goal_buttons(goals_to_offer(session, today=today)),
                **whose,
            )
        return []


def now_about(tracker: Tracker, relation: str, said_age: int | None, learner: Learner) -> Events:
    """The conversation is now about the holder, as a search "for her brother" would make it:
    their relation and age (said, else stored), so a path asked for next is theirs."""
    current = _family(tracker) or SELF
    if relation == current:
        slot_age = as_int(tracker.get_slot("age"))
        if said_age is None or said_age == slot_age:
            return []
        return [SlotSet("age", float(said_age))]
    age = said_age if said_age is not None else age_of(tracker, learner, relation)
    return [SlotSet(RELATION, relation), SlotSet("age", float(age) if age is not None else None)]


class ActionListCredentials(DirectoryAction):
    """The credentials the learner told us they and their family hold, person by person (or
    those of the one family member asked about), with how to add one."""

    def name(self) -> str:
        return "action_list_credentials"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        session: Session,
    ) -> Events:
        learner = find_learner(session, tracker.sender_id)
        speaking = voice(tracker, current_city(session))
        relation = asked_about(tracker)
        if relation is not None:
            one = held(session, learner, relation)
            whose = person(relation, speaking)
            if not one:
                dispatcher.utter_message(response="utter_no_credentials_held_for", relation=whose)
            else:
                dispatcher.utter_message(
                    response="utter_credentials_held_for",
                    relation=whose,
                    count=str(len(one)),
                    listing=listing(one, speaking),
                )
            return []
        everyone = held_by_each(session, learner)
        if not everyone:
            child = young_learner(tracker)
            response = "utter_credentials_child_not_kept" if child else "utter_no_credentials_held"
            dispatcher.utter_message(response=response)
            return []
        for holder_relation, credentials in everyone:
            own = holder_relation == SELF
            dispatcher.utter_message(
                response=worded_for("utter_credentials_held", holder_relation),
                count=str(len(credentials)),
                listing=listing(credentials, speaking),
                **({} if own else {"relation": person(holder_relation, speaking)}),
            )
        return []


def listing(credentials: list[Credential], speaking: Voice = SOURCE_VOICE) -> str:
    """'1. CPR/AED & First Aid Certification (certification)', one line each."""
    return "\n".join(
        f"{i}. {c.name} ({credential_type(c.credential_type, speaking)})"
        for i, c in enumerate(credentials, 1)
    )
