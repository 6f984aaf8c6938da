"""A goal becomes the pathway's steps for this learner, each a local program or credential."""

from __future__ import annotations

from actions.pathways import ActionExplorePathway
from tests.actions.conftest import Run, entity, slot_events, tracker


def test_a_nurse_goal_gives_the_health_pathway_with_steps_and_numbers(
    directory: str, run: Run
) -> None:
    t = tracker("I want to become a nurse", intent="explore_pathway",
                entities=[entity("career_goal", "nurse")], slots={"age": 15.0})  # fmt: skip
    messages, events = run(ActionExplorePathway(), t)
    (message,) = messages
    assert message["response"] == "utter_pathway"
    assert "nurs" in message["name"].lower()
    lines = message["steps"].splitlines()
    assert len(lines) >= 3 and lines[0].startswith("1. ")
    assert any("🔒" in line for line in lines)  # a 15-year-old is too young for the later steps
    results = slot_events(events)["results"]
    assert len(results) == len(lines)


def test_an_unknown_goal_says_so(directory: str, run: Run) -> None:
    t = tracker("I want to be an astronaut pilot", intent="explore_pathway",
                entities=[entity("career_goal", "astronaut pilot")])  # fmt: skip
    messages, events = run(ActionExplorePathway(), t)
    assert messages[0]["response"] == "utter_no_pathway"
    assert messages[0]["goal"] == "astronaut pilot"
    assert events == []
