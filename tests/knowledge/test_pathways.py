"""Pathways: matching a goal to a pathway and marking steps for a learner's age and credentials."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.models import Pathway
from knowledge.pathways import find_pathway, plan_steps
from knowledge.seed import seed_directory
from tests.knowledge.test_seed import OPPORTUNITIES, PATHWAYS, write_seed

TODAY = date(2026, 11, 23)

LATER_CLUB = dict(
    OPPORTUNITIES[0],
    external_id="t-003",
    title="Code Club (spring)",
    schedule={"start_date": "2027-03-01", "end_date": "2027-06-30"},
)
THREE_STEPS = [
    dict(
        PATHWAYS[0],
        keywords=["coder", "coding", "software developer"],
        steps=[
            {"title": "Start", "opportunity": "t-001"},
            {"title": "Draw", "opportunity": "t-002", "min_age": 12},
            {"title": "Certify", "credential": "web-cert", "min_age": 16},
        ],
    )
]


def seeded(session: Session, tmp_path: Path, **overrides: Any) -> Pathway:
    seed_directory(session, write_seed(tmp_path, **{"pathways": THREE_STEPS, **overrides}))
    pathway = session.scalar(select(Pathway))
    assert pathway is not None
    return pathway


@pytest.mark.parametrize(
    "goal",
    [
        "I want to become a software developer",
        "how do i get into CODING?",
        "web developer",
        "web develper",
    ],
)
def test_find_pathway_matches_keywords_careers_and_typos(
    session: Session, tmp_path: Path, goal: str
) -> None:
    seeded(session, tmp_path)
    found = find_pathway(session, goal)
    assert found is not None and found.key == "software"


def test_find_pathway_returns_none_for_an_unrelated_goal(session: Session, tmp_path: Path) -> None:
    seeded(session, tmp_path)
    assert find_pathway(session, "I want to be an astronaut") is None


def test_a_beginner_starts_at_step_one(session: Session, tmp_path: Path) -> None:
    pathway = seeded(session, tmp_path)
    states = [v.state for v in plan_steps(session, pathway, age=17, today=TODAY)]
    assert states == ["next", "later", "later"]


def test_a_young_learner_sees_which_steps_open_later(session: Session, tmp_path: Path) -> None:
    pathway = seeded(session, tmp_path)
    views = plan_steps(session, pathway, age=11, today=TODAY)
    assert [(v.state, v.from_age) for v in views] == [
        ("next", 10),
        ("too_young", 12),
        ("too_young", 16),
    ]


def test_held_credentials_mark_earlier_steps_done(session: Session, tmp_path: Path) -> None:
    pathway = seeded(session, tmp_path)
    views = plan_steps(session, pathway, age=30, held={"code badge"}, today=TODAY)
    assert [v.state for v in views] == ["done", "next", "later"]
    views = plan_steps(session, pathway, age=30, held={"WEB-CERT"}, today=TODAY)
    assert [v.state for v in views] == ["done", "done", "done"]


def test_an_ended_step_is_replaced_by_a_current_program_awarding_the_same(
    session: Session, tmp_path: Path
) -> None:
    pathway = seeded(session, tmp_path, opportunities=[*OPPORTUNITIES, LATER_CLUB])
    views = plan_steps(session, pathway, age=12, today=date(2027, 6, 1))
    assert views[0].replaced is True
    assert views[0].opportunity is not None and views[0].opportunity.external_id == "t-003"
    views = plan_steps(session, pathway, age=12, today=date(2027, 7, 1))
    assert views[0].replaced is True and views[0].opportunity is None
