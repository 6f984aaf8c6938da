""" "Send me my plan": the words for each case, and the custom payload asking the channel for the
files (never the files themselves), on the demo city's directory."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.plan_export import ActionExportPlan
from knowledge.learners import add_to_plan, get_or_create_learner
from knowledge.models import Opportunity
from tests.actions.conftest import Run, tracker


def asking(channel: str | None, sender: str = "web-plan") -> Tracker:
    """ "send me my plan" arriving on `channel` (the gateway names it; None: Rasa's REST)."""
    made = tracker("send me my plan", intent="export_plan", sender=sender)
    if channel is not None:
        made.events[-1]["input_channel"] = channel
    return made


def save(db: Session, sender: str, *listings: Opportunity) -> None:
    learner = get_or_create_learner(db, sender)
    for found in listings:
        add_to_plan(db, learner, found)
    db.commit()


def scheduled(db: Session) -> Opportunity:
    """A demo listing with days and a start time (so it has sessions for a calendar)."""
    found = db.scalars(
        select(Opportunity)
        .where(Opportunity.days_mask > 0, Opportunity.start_time.is_not(None))
        .order_by(Opportunity.id)
    ).first()
    assert found is not None
    return found


def unscheduled(db: Session) -> Opportunity:
    """A listing that gives no time and no deadline: nothing for a calendar."""
    found = scheduled(db)
    found.start_time = None
    found.application_deadline = None
    return found


@pytest.mark.parametrize(
    ("channel", "response"),
    [("web", "utter_plan_export_web"), ("telegram", "utter_plan_export")],
)
def test_a_plan_with_dates_asks_the_channel_for_both_files(
    directory: str, db: Session, run: Run, channel: str, response: str
) -> None:
    save(db, "web-plan", scheduled(db))
    messages, events = run(ActionExportPlan(), asking(channel))
    words, payload = messages
    assert words["response"] == response and words["count"] == "1"
    assert payload["custom"] == {"plan_export": {"formats": ["ics", "html"]}}
    assert events == []


def test_a_plan_without_any_date_gets_only_the_printable_page(
    directory: str, db: Session, run: Run
) -> None:
    save(db, "web-plan", unscheduled(db))
    words, payload = run(ActionExportPlan(), asking("web"))[0]
    assert words["response"] == "utter_plan_export_printable_web"
    assert payload["custom"] == {"plan_export": {"formats": ["html"]}}


@pytest.mark.parametrize("sender", ["web-nobody", "web-emptied"])
def test_an_empty_plan_gets_a_helpful_answer_and_no_files(
    directory: str, db: Session, run: Run, sender: str
) -> None:
    if sender == "web-emptied":
        save(db, sender)  # known, with nothing saved
    messages, _ = run(ActionExportPlan(), asking("web", sender))
    assert [m["response"] for m in messages] == ["utter_plan_export_empty"]
    assert not any(m.get("custom") for m in messages)


def test_a_channel_that_cannot_carry_files_says_where_they_can_be_had(
    directory: str, db: Session, run: Run
) -> None:
    save(db, "web-plan", scheduled(db))
    messages, _ = run(ActionExportPlan(), asking(None))
    assert [m["response"] for m in messages] == ["utter_plan_export_no_files"]


def test_every_response_the_action_names_is_in_the_domain(domain: dict[str, Any]) -> None:
    for name in (
        "utter_plan_export",
        "utter_plan_export_web",
        "utter_plan_export_printable",
        "utter_plan_export_printable_web",
        "utter_plan_export_empty",
        "utter_plan_export_no_files",
        "utter_clarify_export_plan",
    ):
        assert name in domain["responses"], name
    assert "action_export_plan" in domain["actions"] and "export_plan" in domain["intents"]
