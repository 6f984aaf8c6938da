"""Credentials the learner already has: "I already have my CPR card, what's next?" keeps it on
their profile and answers with the steps after it; "my credentials" lists what they told us."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.base import DirectoryAction, Events
from actions.children import young_learner
from actions.city import current_city
from actions.listing_facts import credential_type
from actions.listing_lines import short
from actions.pathways import (
    GOAL_ENTITY,
    goal_buttons,
    goal_words,
    learner_age,
    learner_held,
    path_reply,
)
from actions.resolve import current_learner, latest_entity
from actions.voice import voice
from knowledge.credentials_held import (
    best_known,
    credentials_named,
    goals_after,
    held,
    held_names,
    note_held,
)
from knowledge.goals import resolve_goal
from knowledge.learners import find_learner
from knowledge.models import Credential, Learner
from knowledge.pathway_builder import goals_to_offer
from knowledge.taxonomy import load_taxonomy

CREDENTIAL_ENTITY = "credential"  # a "which one?" button's credential id
NAME_IN_BUTTON = 40


def credentials_meant(session: Session, tracker: Tracker) -> list[Credential]:
    """The credential a "which one?" button names, else those the message's words name."""
    chosen = latest_entity(tracker, CREDENTIAL_ENTITY)
    if chosen is not None:
        found = session.get(Credential, int(chosen)) if chosen.isdigit() else None
        return [found] if found is not None else []
    text = str(tracker.latest_message.get("text") or "")
    return [] if text.startswith("/") else credentials_named(session, text)


class ActionNoteCredential(DirectoryAction):
    """Keeps the credential named on the learner's profile (not a child's) and answers with the
    steps towards their goal after it; asks which one when the words fit several, and how to
    say it when they fit none."""

    def name(self) -> str:
        return "action_note_credential"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        session: Session,
    ) -> Events:
        found = credentials_meant(session, tracker)
        if not found:
            example = best_known(session)
            if example is None:
                dispatcher.utter_message(response="utter_credential_not_recognised_none_listed")
            else:
                dispatcher.utter_message(
                    response="utter_credential_not_recognised", example=example.name
                )
            return []
        if len(found) > 1:
            dispatcher.utter_message(
                response="utter_which_credential",
                choices="\n".join(f"{i}. {c.name}" for i, c in enumerate(found, 1)),
                buttons=[
                    {
                        "title": short(c.name, NAME_IN_BUTTON),
                        "payload": f'/have_credential{{"{CREDENTIAL_ENTITY}":"{c.id}"}}',
                    }
                    for c in found
                ],
            )
            return []
        credential = found[0]
        if young_learner(tracker):  # nothing about a child outlives the conversation
            learner = find_learner(session, tracker.sender_id)
            response = "utter_credential_child_not_kept"
        else:
            learner = current_learner(session, tracker)
            new = note_held(session, learner, credential)
            response = "utter_credential_noted" if new else "utter_credential_already_noted"
        dispatcher.utter_message(response=response, credential=credential.name)
        return self._next_steps(dispatcher, session, tracker, learner, credential)

    @staticmethod
    def _next_steps(
        dispatcher: CollectingDispatcher,
        session: Session,
        tracker: Tracker,
        learner: Learner | None,
        credential: Credential,
    ) -> Events:
        """The path towards the goal said now or earlier, starting after what they hold; with no
        goal, the careers the credential helps towards (else the city's) to pick one."""
        city = current_city(session)
        today = city.today()
        said = goal_words(tracker) or str(tracker.get_slot(GOAL_ENTITY) or "")
        if said:
            goal = resolve_goal(load_taxonomy(session), said)
            held_now = learner_held(session, tracker, learner) | held_names([credential])
            age = learner_age(tracker, learner)
            speaking = voice(tracker, city)
            answered = path_reply(dispatcher, session, said, goal, age, held_now, today, speaking)
            if answered is not None:
                return answered
        careers = goals_after(session, credential)
        if careers:
            dispatcher.utter_message(
                response="utter_credential_paths",
                credential=credential.name,
                buttons=goal_buttons(careers),
            )
        else:
            dispatcher.utter_message(
                response="utter_credential_ask_goal",
                buttons=goal_buttons(goals_to_offer(session, today=today)),
            )
        return []


class ActionListCredentials(DirectoryAction):
    """The credentials the learner told us they hold, with how to add one."""

    def name(self) -> str:
        return "action_list_credentials"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        session: Session,
    ) -> Events:
        credentials = held(session, find_learner(session, tracker.sender_id))
        if not credentials:
            child = young_learner(tracker)
            response = "utter_credentials_child_not_kept" if child else "utter_no_credentials_held"
            dispatcher.utter_message(response=response)
            return []
        speaking = voice(tracker, current_city(session))
        dispatcher.utter_message(
            response="utter_credentials_held",
            count=str(len(credentials)),
            listing="\n".join(
                f"{i}. {c.name} ({credential_type(c.credential_type, speaking)})"
                for i, c in enumerate(credentials, 1)
            ),
        )
        return []
