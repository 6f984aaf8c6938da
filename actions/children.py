"""Learners under 13 speaking for themselves get every answer, but nothing about them is kept
after the conversation: no stored profile, plan or reminders (data minimisation for children,
in the spirit of COPPA and the GDPR's article 8; docs/security.md)."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.query import as_int
from knowledge.learners import SELF

KEPT_FROM_AGE = 13  # younger learners' data is not stored


def young_learner(tracker: Tracker) -> bool:
    """The person chatting said they are under 13 and is searching for themselves."""
    age = as_int(tracker.get_slot("age"))
    relation = tracker.get_slot("relation")
    return age is not None and age < KEPT_FROM_AGE and str(relation or "") == SELF
