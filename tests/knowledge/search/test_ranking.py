"""Ranking sanity: the listing a person means comes first, and each one says why it is there."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

from tests.knowledge.search.conftest import CENTRE, Directory, km_north


def test_a_listing_filed_under_the_topic_beats_one_that_only_mentions_it(
    directory: Directory,
) -> None:
    directory.listing(
        "Bridge Builders",
        topics=("engineering",),
        description="Design bridges, then use robotics kits to test them.",
    )
    directory.listing("Tuesday Tinkerers", topics=("robotics",), description="Build and test.")
    assert directory.titles("robotics") == ["Tuesday Tinkerers", "Bridge Builders"]


def test_nearer_beats_farther_when_otherwise_equal(directory: Directory) -> None:
    directory.listing("Far Club", at=(CENTRE[0] + km_north(4), CENTRE[1]))
    directory.listing("Near Club", at=(CENTRE[0] + km_north(1), CENTRE[1]))
    directory.listing("Middle Club", at=(CENTRE[0] - km_north(2), CENTRE[1]))
    result = directory.search("coding", near=CENTRE, radius_km=5)
    assert [hit.title for hit in result.results] == ["Near Club", "Middle Club", "Far Club"]
    assert [round(hit.distance_km or 0) for hit in result.results] == [1, 2, 4]


def test_a_typo_still_finds_the_topic(directory: Directory) -> None:
    directory.topic("robotics", "robots")
    directory.listing("Robot Wranglers", topics=("robotics",))
    directory.listing("Paint Night", topics=("art",))
    result = directory.search("robtics")
    assert [hit.title for hit in result.results] == ["Robot Wranglers"]
    assert result.understood["corrections"] == {"robtics": "robotics"}


def test_a_synonym_finds_the_topic(directory: Directory) -> None:
    directory.topic("coding", "programming", "python")
    directory.listing("Snake Charmers", topics=("coding",))
    assert directory.titles("python for beginners") == ["Snake Charmers"]


def test_words_in_the_title_lift_a_listing_within_its_topic(directory: Directory) -> None:
    directory.listing("Code Lab")
    directory.listing("Girls Code Club")
    assert directory.titles("coding club") == ["Girls Code Club", "Code Lab"]


def test_a_title_typo_is_forgiven_when_no_topic_matches(directory: Directory) -> None:
    directory.listing("Scratch Animation Studio", topics=("animation",))
    assert directory.titles("scrach") == ["Scratch Animation Studio"]


def test_a_program_aimed_at_the_age_beats_an_all_ages_one(directory: Directory) -> None:
    directory.listing("Anyone Welcome")
    directory.listing("Ten to Twelve", min_age=10, max_age=12)
    assert directory.titles("coding", age=11) == ["Ten to Twelve", "Anyone Welcome"]


def test_summer_camps_rank_above_year_round_programs_for_summer(directory: Directory) -> None:
    directory.listing("All Year Club", start_date=date(2026, 9, 1), end_date=date(2027, 8, 31))
    directory.listing("July Camp", start_date=date(2027, 7, 5), end_date=date(2027, 7, 9))
    assert directory.titles("coding this summer") == ["July Camp", "All Year Club"]


def test_the_reason_names_topic_ages_cost_and_distance(directory: Directory) -> None:
    directory.listing(
        "Robot Club",
        topics=("robotics",),
        min_age=10,
        max_age=14,
        cost_amount=Decimal("0"),
        at=(CENTRE[0] + km_north(1.2), CENTRE[1]),
    )
    (hit,) = directory.search("robotics", near=CENTRE).results
    assert hit.reason == "robotics · ages 10–14 · free · 1.2 km"
    assert hit.topics == ("robotics",)


def test_the_reason_adds_days_when_the_time_was_asked_about(directory: Directory) -> None:
    riverside = directory.place("Riverside", *CENTRE)
    directory.listing(
        "Homework Help",
        topics=("tutoring",),
        min_age=14,
        cost_amount=Decimal("45"),
        neighbourhood=riverside,
        days=["Tue", "Thu"],
        start_time=time(16, 0),
    )
    (hit,) = directory.search("tutoring after school").results
    assert hit.reason == "tutoring · ages 14+ · $45 · Riverside · Tue, Thu 16:00"


def test_an_online_listing_says_online_and_has_no_distance(directory: Directory) -> None:
    directory.listing("Web Class", max_age=12)
    (hit,) = directory.search("coding").results
    assert hit.reason == "coding · up to age 12 · cost not listed · online"
    assert hit.distance_km is None


def test_results_page_with_limit_and_offset_in_the_same_order(directory: Directory) -> None:
    for km in (1, 2, 3, 4):
        directory.listing(f"Club {km}", at=(CENTRE[0] + km_north(km), CENTRE[1]))
    first = directory.search("coding", near=CENTRE, limit=2)
    from knowledge.search.engine import search
    from knowledge.search.query import SearchQuery
    from tests.knowledge.search.conftest import TODAY

    second = search(
        directory.session, SearchQuery("coding", near=CENTRE), today=TODAY, limit=2, offset=2
    )
    assert [hit.title for hit in first.results + second.results] == [
        "Club 1",
        "Club 2",
        "Club 3",
        "Club 4",
    ]
    assert first.total == second.total == 4


def test_for_teens_prefers_teen_programs_and_sinks_childrens_ones(directory: Directory) -> None:
    directory.listing("Little Coders", min_age=6, max_age=9)
    directory.listing("Grown-Up Coding", min_age=18)
    directory.listing("Teen Coding Lab", min_age=13, max_age=18)
    assert directory.titles("coding for teens") == [
        "Teen Coding Lab",
        "Grown-Up Coding",
        "Little Coders",
    ]


def test_day_names_are_accepted_in_any_case_or_spelled_out(directory: Directory) -> None:
    directory.listing("Saturday Club", days=["Sat"])
    assert directory.titles("coding", days=("saturday",)) == ["Saturday Club"]
    assert directory.titles("coding", days=("SAT",)) == ["Saturday Club"]
