"""A learner under 13 speaking for themselves: answered, but no profile, plan or reminder kept."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from actions.learner_plan import ActionSaveOpportunity
from actions.reminders import ActionSetReminder
from actions.search import ActionSearchOpportunities
from knowledge.models import Learner, Opportunity, PlanItem, Reminder
from tests.actions.conftest import Run, tracker


def _first_listing(db: Session) -> str:
    """The id of a listing the actions can point at."""
    return str(db.scalars(select(Opportunity.id).where(Opportunity.status == "active")).first())


def _count(db: Session, model: Any) -> int:
    """Rows of a table, read afresh."""
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize(
    "action", [ActionSaveOpportunity(), ActionSetReminder()], ids=["save", "remind"]
)
def test_a_child_speaking_for_themselves_keeps_no_plan_or_reminder(
    action: Any, directory: str, db: Session, run: Run
) -> None:
    """The bot says why and suggests a parent or carer; nothing is written."""
    listing = _first_listing(db)
    t = tracker("save it", slots={"selected": listing, "age": 11.0, "relation": "self"})
    messages, _ = run(action, t)
    assert [m["response"] for m in messages] == ["utter_child_not_kept"]
    assert (_count(db, PlanItem), _count(db, Reminder), _count(db, Learner)) == (0, 0, 0)


@pytest.mark.parametrize(
    "slots",
    [{"age": 13.0, "relation": "self"}, {"age": 9.0, "relation": "daughter"}],
    ids=["thirteen", "a parent for a child"],
)
def test_a_teenager_or_a_parent_for_a_child_saves_as_before(
    slots: dict[str, Any], directory: str, db: Session, run: Run
) -> None:
    """The rule is about a child's own data, not about programs for children."""
    t = tracker("save it", slots={"selected": _first_listing(db), **slots})
    messages, _ = run(ActionSaveOpportunity(), t)
    assert messages[0]["response"] == "utter_saved"
    assert _count(db, PlanItem) == 1


def test_a_childs_search_stores_no_profile(directory: str, db: Session, run: Run) -> None:
    """Results as for anyone, but no learner row with their age and interests."""
    t = tracker("art", slots={"topic": ["art"], "age": 10.0, "relation": "self"})
    messages, _ = run(ActionSearchOpportunities(), t)
    assert messages and messages[0]["response"] == "utter_results"
    assert _count(db, Learner) == 0
    run(ActionSearchOpportunities(), tracker("art", slots={"topic": ["art"], "age": 30.0}))
    assert _count(db, Learner) == 1
