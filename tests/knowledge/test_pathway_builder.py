"""Pathways built from the directory: any city's listings under a career's topics become ordered,
marked steps; else the programs its words find; else close careers and topics."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from knowledge.goals import resolve_goal
from knowledge.models import Career, Pathway
from knowledge.pathway_builder import (
    LEVELS,
    build_pathway,
    close_options,
    goals_to_offer,
    matching_programs,
)
from knowledge.search.engine import search
from knowledge.search.query import SearchQuery
from knowledge.seed import seed_directory
from knowledge.taxonomy import load_taxonomy
from tests.knowledge.test_seed import CITY, PROVIDERS, write_seed

TODAY = date(2027, 1, 4)

# A city that calls its topics its own way; they join the starter topics plumbing, construction
# and painting, so the starter career "plumber" reaches them.
TOWN = dict(
    CITY,
    topics=[
        {"name": "Pipes & Fittings (Plumbing)", "synonyms": []},
        {"name": "Building Sites", "synonyms": ["construction"]},
        {"name": "Watercolour", "synonyms": ["painting"]},
    ],
)
CREDENTIALS = [
    {"key": "pipe-badge", "name": "Pipe Basics Badge", "type": "badge", "min_age": 14},
    {"key": "osha", "name": "Site Safety Card", "type": "certification", "min_age": 16,
     "prepares_for": {"credentials": ["helper-cert"]}},
    {"key": "helper-cert", "name": "Plumbing Helper Certificate", "type": "certificate",
     "min_age": 16, "requires": ["pipe-badge"]},
    {"key": "licence", "name": "Journeyman Plumber License", "type": "license", "min_age": 18,
     "requires": ["helper-cert"]},
]  # fmt: skip
PLUMBING = "Pipes & Fittings (Plumbing)"


def listing(external_id: str, title: str, topic: str = PLUMBING, **extra: Any) -> dict[str, Any]:
    """One listing of the throwaway city."""
    return {
        "external_id": external_id,
        "title": title,
        "provider": "riverside-library",
        "description": extra.pop("description", f"{title}."),
        "topics": [topic],
        "format": "in_person",
        "schedule": extra.pop("schedule", {"start_date": "2027-02-01", "end_date": "2027-06-30"}),
        **extra,
    }


LISTINGS = [
    listing("p-taster", "Try the Trades Night", min_age=12, max_age=18),
    listing("p-badge", "Pipe Basics for Teens", min_age=14, max_age=18, awards=["pipe-badge"]),
    listing("p-helper", "Plumbing Helper Course", min_age=16, awards=["helper-cert"],
            description="Work beside a licensed service technician on real jobs."),
    listing("p-licence", "Journeyman License Prep", min_age=18, awards=["licence"]),
    listing("p-safety", "Site Safety for Trades", "Building Sites", min_age=16, awards=["osha"]),
    listing("p-ended", "Old Plumbing Course", min_age=16, awards=["helper-cert"],
            schedule={"start_date": "2026-01-01", "end_date": "2026-06-30"}),
    listing("p-paused", "Paused Plumbing Club", status="inactive"),
    listing("p-art", "Watercolour Mornings", "Watercolour",
            description="Paint honeybees and flowers in watercolour; a beekeeper visits."),
]  # fmt: skip


@pytest.fixture
def town(session: Session, tmp_path: Path) -> Session:
    seed_directory(
        session,
        write_seed(
            tmp_path,
            city=TOWN,
            providers=PROVIDERS,
            credentials=CREDENTIALS,
            pathways=[],
            opportunities=LISTINGS,
        ),
    )
    session.flush()
    return session


def titles(session: Session, goal_text: str, **kwargs: Any) -> list[tuple[str, str]]:
    goal = resolve_goal(load_taxonomy(session), goal_text)
    assert goal is not None
    built = build_pathway(session, goal, today=TODAY, **kwargs)
    return [(step.title, step.state) for step in built.steps]


@pytest.mark.parametrize(
    "said", ["plumber", "I'd like to work as a plumber", "plomero", "how do i become a plumer"]
)
def test_a_career_in_any_words_resolves_to_the_starter_career(town: Session, said: str) -> None:
    goal = resolve_goal(load_taxonomy(town), said)
    assert goal is not None and goal.career is not None and goal.career.key == "plumber"
    assert goal.label == "plumber" and goal.topics[0] == "plumbing"


def test_topic_words_name_a_topic_goal(town: Session) -> None:
    goal = resolve_goal(load_taxonomy(town), "something with watercolour")
    assert goal is not None and goal.career is None and goal.topics == ("watercolour",)
    assert resolve_goal(load_taxonomy(town), "zorblax wrangler") is None
    assert resolve_goal(load_taxonomy(town), "a good career path") is None  # frames, no goal


def test_steps_go_from_lightest_credential_to_licence_prerequisites_first(town: Session) -> None:
    assert [title for title, _state in titles(town, "plumber")] == [
        "Try the Trades Night",  # awards nothing: a first taste
        "Pipe Basics for Teens",  # badge
        "Site Safety for Trades",  # a certification, but it prepares for the certificate
        "Plumbing Helper Course",  # certificate; requires the badge
        "Journeyman License Prep",  # licence; requires the certificate
    ]
    assert LEVELS["badge"] < LEVELS["certificate"] < LEVELS["certification"] < LEVELS["license"]


def test_ended_and_paused_listings_and_other_topics_are_left_out(town: Session) -> None:
    names = [title for title, _state in titles(town, "plumber")]
    assert "Old Plumbing Course" not in names and "Paused Plumbing Club" not in names
    assert "Watercolour Mornings" not in names


def test_a_teenager_sees_what_they_can_start_now_and_what_opens_later(town: Session) -> None:
    goal = resolve_goal(load_taxonomy(town), "plumber")
    assert goal is not None
    steps = build_pathway(town, goal, age=15, today=TODAY).steps
    assert [(s.state, s.from_age) for s in steps] == [
        ("next", 12),
        ("next", 14),
        ("too_young", 16),
        ("too_young", 16),
        ("too_young", 18),
    ]
    assert [s.after for s in steps] == [(), (), (), (2,), (4,)]  # what it requires; the safety
    # card only prepares for the certificate: it comes first, but is not needed
    assert steps[1].credential is not None and steps[1].credential.name == "Pipe Basics Badge"


def test_an_adult_skips_the_teen_listings_and_held_credentials_count_as_done(
    town: Session,
) -> None:
    assert titles(town, "plumber", age=30) == [
        ("Site Safety for Trades", "next"),
        ("Plumbing Helper Course", "next"),  # the badge it requires is for teens only
        ("Journeyman License Prep", "later"),  # requires the helper certificate
    ]
    assert titles(town, "plumber", age=30, held={"SITE SAFETY CARD", "helper-cert"}) == [
        ("Site Safety for Trades", "done"),
        ("Plumbing Helper Course", "done"),
        ("Journeyman License Prep", "next"),
    ]


def test_a_required_credential_outside_the_topics_is_added_as_a_step(
    session: Session, tmp_path: Path
) -> None:
    only_helper = [LISTINGS[2], listing("p-badge2", "Pipe Badge Day", "Watercolour",
                                        min_age=14, awards=["pipe-badge"])]  # fmt: skip
    seed_directory(
        session,
        write_seed(
            tmp_path, city=TOWN, providers=PROVIDERS, credentials=CREDENTIALS, pathways=[],
            opportunities=only_helper,
        ),
    )  # fmt: skip
    assert [title for title, _ in titles(session, "plumber")] == [
        "Pipe Badge Day",
        "Plumbing Helper Course",
    ]


def test_no_listing_under_the_topics_falls_back_to_the_programs_the_words_find(
    town: Session,
) -> None:
    goal = resolve_goal(load_taxonomy(town), "i want to be a beekeeper")
    assert goal is not None and goal.career is not None and goal.career.key == "beekeeper"
    assert build_pathway(town, goal, today=TODAY).steps == []
    hits = matching_programs(town, goal, goal.words, today=TODAY)
    assert [hit.title for hit in hits] == ["Watercolour Mornings"]  # it says "beekeeper"


def test_programs_must_say_the_career_not_only_share_a_word(town: Session) -> None:
    goal = resolve_goal(load_taxonomy(town), "pharmacy technician")
    assert goal is not None
    found = search(town, SearchQuery(text="pharmacy technician"), today=TODAY).results
    assert "Plumbing Helper Course" in [hit.title for hit in found]  # "technician" matched
    assert matching_programs(town, goal, goal.words, today=TODAY) == []
    words_only = matching_programs(town, None, "watercolour flowers", today=TODAY)
    assert [hit.title for hit in words_only] == ["Watercolour Mornings"]
    assert matching_programs(town, None, "watercolour robots", today=TODAY) == []


def test_nothing_at_all_suggests_close_careers_and_topics_with_listings(town: Session) -> None:
    roofer = resolve_goal(load_taxonomy(town), "roofer")
    options = close_options(town, roofer, "roofer", today=TODAY)
    assert set(options.topics) == {PLUMBING.lower(), "building sites"}  # trades, not painting
    assert options.careers and "roofer" not in options.careers
    for career in options.careers:  # each one offered leads somewhere: a path can be built
        offered = resolve_goal(load_taxonomy(town), career)
        assert offered is not None and build_pathway(town, offered, today=TODAY).steps
    unknown = close_options(town, None, "zorblax wrangler", today=TODAY)
    assert unknown.careers == [] and len(unknown.topics) == 3  # the largest topics: never nothing


def test_an_empty_directory_offers_nothing_and_builds_nothing(session: Session) -> None:
    goal = resolve_goal(load_taxonomy(session), "plumber")
    assert goal is not None and build_pathway(session, goal, today=TODAY).steps == []
    assert matching_programs(session, goal, "plumber", today=TODAY) == []
    assert close_options(session, goal, "plumber", today=TODAY).topics == []
    assert goals_to_offer(session, today=TODAY) == []


def test_goals_to_offer_are_the_curated_pathways_careers_then_careers_of_big_topics(
    town: Session,
) -> None:
    assert "plumber" in goals_to_offer(town, today=TODAY, limit=3)
    town.add(Pathway(key="art", name="Art", careers=[Career(name="Muralist")]))
    town.flush()
    assert goals_to_offer(town, today=TODAY, limit=3)[0] == "Muralist"
