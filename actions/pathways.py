"""A goal ("I want to become a nurse") as concrete local steps from where the learner is."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.base import DirectoryAction, Events
from actions.query import as_int
from actions.resolve import latest_entity
from knowledge.learners import find_learner
from knowledge.pathways import StepView, find_pathway, plan_steps

MARKS = {"done": "✓", "next": "➡️", "later": "•", "too_young": "🔒"}


def step_line(number: int, step: StepView) -> str:
    """'2. ➡️ Get CPR certified — Youth CPR Course (Red Cross Alder Bay)' from directory data."""
    parts = [f"{number}. {MARKS[step.state]} {step.title}"]
    if step.opportunity is not None:
        parts.append(f" — {step.opportunity.title} ({step.opportunity.provider.name})")
    elif step.credential is not None:
        parts.append(f" — {step.credential.name}")
    if step.state == "too_young" and step.from_age is not None:
        parts.append(f" [{step.from_age}+]")
    return "".join(parts)


class ActionExplorePathway(DirectoryAction):
    """The pathway that fits the goal, marked for the learner's age and credentials."""

    def name(self) -> str:
        return "action_explore_pathway"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        session: Session,
    ) -> Events:
        text = str(tracker.latest_message.get("text") or "")
        goal = latest_entity(tracker, "career_goal") or tracker.get_slot("career_goal") or ""
        pathway = find_pathway(session, f"{goal} {'' if text.startswith('/') else text}")
        if pathway is None:
            dispatcher.utter_message(response="utter_no_pathway", goal=goal or text)
            return []
        learner = find_learner(session, tracker.sender_id)
        relation = tracker.get_slot("relation")
        age = as_int(tracker.get_slot("age"))
        if age is None and learner is not None and relation in (None, "self"):
            age = learner.age
        held = set(learner.credentials_held) if learner is not None else set()
        steps = plan_steps(session, pathway, age=age, held=held)
        upcoming = next((s for s in steps if s.state == "next"), None)
        next_step = MARKS["done"] if upcoming is None else upcoming.title
        if upcoming is not None and upcoming.opportunity is not None:
            next_step = f"{upcoming.title} — {upcoming.opportunity.title}"
        dispatcher.utter_message(
            response="utter_pathway",
            name=pathway.name,
            steps="\n".join(step_line(i, step) for i, step in enumerate(steps, 1)),
            next_step=next_step,
        )
        ids = [str(s.opportunity.id) if s.opportunity is not None else "" for s in steps]
        return [
            SlotSet("results", ids),
            SlotSet("results_shown", float(len(ids))),
            SlotSet("selected", None),
        ]
