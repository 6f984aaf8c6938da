"""Every filter at its edges: just inside is found, just outside is not."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Any

import pytest

from knowledge.search.query import QueryError, SearchQuery
from tests.knowledge.search.conftest import CENTRE, Directory, km_north


@pytest.mark.parametrize(
    ("age", "found"), [(9, False), (10, True), (11, True), (14, True), (15, False)]
)
def test_age_is_inclusive_at_both_ends(directory: Directory, age: int, found: bool) -> None:
    directory.listing("Code Club", min_age=10, max_age=14)
    assert (directory.titles("coding", age=age) == ["Code Club"]) is found


def test_a_missing_age_bound_means_no_limit_on_that_side(directory: Directory) -> None:
    directory.listing("Teens and Up", min_age=13)
    directory.listing("Little Ones", max_age=6)
    directory.listing("Everyone")
    assert sorted(directory.titles("coding", age=40)) == ["Everyone", "Teens and Up"]
    assert sorted(directory.titles("coding", age=3)) == ["Everyone", "Little Ones"]


def test_free_only_keeps_zero_cost_and_drops_paid_and_unknown(directory: Directory) -> None:
    directory.listing("Free Club", cost_amount=Decimal("0"))
    directory.listing("Paid Club", cost_amount=Decimal("5"))
    directory.listing("Unknown Cost Club")
    assert directory.titles("coding", free_only=True) == ["Free Club"]


@pytest.mark.parametrize(("limit", "found"), [("49.99", False), ("50", True), ("50.01", True)])
def test_max_cost_includes_the_limit_itself(directory: Directory, limit: str, found: bool) -> None:
    directory.listing("Fifty Dollar Class", cost_amount=Decimal("50.00"))
    titles = directory.titles("coding", max_cost=Decimal(limit))
    assert (titles == ["Fifty Dollar Class"]) is found


def test_max_cost_always_lets_free_listings_through(directory: Directory) -> None:
    directory.listing("Free Class", cost_amount=Decimal("0"))
    assert directory.titles("coding", max_cost=Decimal("0")) == ["Free Class"]


@pytest.mark.parametrize(("km", "found"), [(2.95, True), (3.05, False)])
def test_radius_edge_just_inside_and_just_outside(
    directory: Directory, km: float, found: bool
) -> None:
    directory.listing("North Club", at=(CENTRE[0] + km_north(km), CENTRE[1]))
    result = directory.search("coding", near=CENTRE, radius_km=3)
    assert ([hit.title for hit in result.results] == ["North Club"]) is found
    if found:
        assert result.results[0].distance_km == pytest.approx(km, abs=0.01)


def test_near_a_place_without_a_radius_looks_farther_until_the_page_fills(
    directory: Directory,
) -> None:
    directory.place("Riverside", *CENTRE)
    directory.listing("Seven Km North", at=(CENTRE[0] + km_north(7), CENTRE[1]))
    directory.listing("Two Km North", at=(CENTRE[0] + km_north(2), CENTRE[1]))
    result = directory.search("coding near Riverside", limit=2)
    assert [hit.title for hit in result.results] == ["Two Km North", "Seven Km North"]
    assert (result.understood["radius_km"], result.understood["widened_from_km"]) == (10.0, 5.0)
    assert directory.titles("coding near Riverside", radius_km=5) == ["Two Km North"]


def test_a_neighbourhood_is_searched_around_its_centre(directory: Directory) -> None:
    riverside = directory.place("Riverside", *CENTRE)
    six_km_north = (CENTRE[0] + km_north(6), CENTRE[1])
    directory.listing("Filed There, Far From Centre", at=six_km_north, neighbourhood=riverside)
    directory.listing("Close By", at=(CENTRE[0] + km_north(1), CENTRE[1]))
    assert directory.titles("coding", neighbourhood="Riverside", radius_km=3) == ["Close By"]


def test_a_neighbourhood_without_a_centre_keeps_listings_filed_under_it(
    directory: Directory,
) -> None:
    nowhere = directory.place("Uncharted", 0.0, 0.0)
    nowhere.latitude = nowhere.longitude = None
    directory.listing("Filed There", at=CENTRE, neighbourhood=nowhere)
    directory.listing("Elsewhere", at=CENTRE)
    assert directory.titles("coding", neighbourhood="Uncharted") == ["Filed There"]


def test_a_place_filter_drops_online_listings(directory: Directory) -> None:
    directory.listing("Online Only")
    directory.listing("Nearby", at=CENTRE)
    assert directory.titles("coding", near=CENTRE, radius_km=2) == ["Nearby"]


def test_days_match_any_of_the_days_asked_for(directory: Directory) -> None:
    directory.listing("Saturday Club", days=["Sat"])
    directory.listing("Tuesday Club", days=["Tue"])
    directory.listing("No Schedule Given", at=CENTRE)
    assert directory.titles("coding", days=("Sat", "Sun")) == ["Saturday Club"]
    assert sorted(directory.titles("coding", days=("Tue", "Sat"))) == [
        "Saturday Club",
        "Tuesday Club",
    ]


def test_a_self_paced_online_course_fits_any_day_and_time_but_not_a_season(
    directory: Directory,
) -> None:
    directory.listing("Self-Paced Online")  # online, no days, no start time
    directory.listing("Live Online Tuesdays", days=["Tue"], start_time=time(10, 0))
    assert directory.titles("coding", days=("Sat",), when=("evening",)) == ["Self-Paced Online"]
    assert directory.titles("coding", when=("summer",)) == []


def test_weekend_and_weekday(directory: Directory) -> None:
    directory.listing("Sunday Club", days=["Sun"])
    directory.listing("Friday Club", days=["Fri"])
    directory.listing("Fri and Sat Club", days=["Fri", "Sat"])
    assert sorted(directory.titles("coding", when=("weekend",))) == [
        "Fri and Sat Club",
        "Sunday Club",
    ]
    assert sorted(directory.titles("coding", when=("weekday",))) == [
        "Fri and Sat Club",
        "Friday Club",
    ]


@pytest.mark.parametrize(
    ("days", "starts", "found"),
    [
        (["Mon"], time(14, 29), False),
        (["Mon"], time(14, 30), True),
        (["Thu"], time(17, 59), True),
        (["Thu"], time(18, 0), False),
        (["Sat"], time(15, 0), False),
    ],
)
def test_after_school_means_weekdays_starting_1430_to_1759(
    directory: Directory, days: list[str], starts: time, found: bool
) -> None:
    directory.listing("Club", days=days, start_time=starts)
    assert (directory.titles("coding", when=("after_school",)) == ["Club"]) is found


@pytest.mark.parametrize(("starts", "found"), [(time(17, 29), False), (time(17, 30), True)])
def test_evening_starts_at_1730(directory: Directory, starts: time, found: bool) -> None:
    directory.listing("Club", days=["Wed"], start_time=starts)
    assert (directory.titles("coding", when=("evening",)) == ["Club"]) is found


@pytest.mark.parametrize(("starts", "found"), [(time(11, 59), True), (time(12, 0), False)])
def test_morning_starts_before_noon(directory: Directory, starts: time, found: bool) -> None:
    directory.listing("Club", days=["Sat"], start_time=starts)
    assert (directory.titles("coding", when=("morning",)) == ["Club"]) is found


@pytest.mark.parametrize(
    ("start", "end", "found"),
    [
        (date(2027, 6, 1), date(2027, 6, 14), False),  # ends the day before summer
        (date(2027, 6, 1), date(2027, 6, 15), True),  # ends on its first day
        (date(2027, 8, 31), date(2027, 9, 10), True),  # starts on its last day
        (date(2027, 9, 1), date(2027, 9, 30), False),  # starts the day after
        (date(2027, 7, 5), date(2027, 7, 9), True),  # a summer camp
        (date(2026, 9, 1), None, True),  # ongoing since the autumn
        (None, None, False),  # no dates at all: nothing says it runs in summer
    ],
)
def test_summer_means_running_during_june_15_to_august_31_next(
    directory: Directory, start: date | None, end: date | None, found: bool
) -> None:
    directory.listing("Camp", start_date=start, end_date=end)
    assert (directory.titles("coding", when=("summer",)) == ["Camp"]) is found


def test_format_hybrid_satisfies_online_and_in_person(directory: Directory) -> None:
    directory.listing("Online", format="online")
    directory.listing("Hybrid", format="hybrid")
    directory.listing("In Person", format="in_person")
    assert sorted(directory.titles("coding", format="online")) == ["Hybrid", "Online"]
    assert sorted(directory.titles("coding", format="in_person")) == ["Hybrid", "In Person"]
    assert directory.titles("coding", format="hybrid") == ["Hybrid"]


def test_language_matches_any_language_a_listing_is_taught_in(directory: Directory) -> None:
    directory.listing("Bilingual", language_list=["en", "es"])
    directory.listing("English", language_list=["en"])
    directory.listing("Estonian", language_list=["et"])
    assert directory.titles("coding", language="es") == ["Bilingual"]


@pytest.mark.parametrize(
    ("start", "found"),
    [(date(2026, 12, 23), True), (date(2026, 12, 24), False), (date(2026, 1, 1), True)],
)
def test_upcoming_keeps_running_or_starting_within_n_days(
    directory: Directory, start: date, found: bool
) -> None:
    directory.listing("Class", start_date=start)
    assert (directory.titles("coding", upcoming_days=30) == ["Class"]) is found


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "temporarily_closed"},
        {"status": "inactive"},
        {"status": "defunct"},
        {"end_date": date(2026, 11, 22)},
    ],
)
def test_closed_defunct_and_ended_listings_never_appear(
    directory: Directory, fields: dict[str, Any]
) -> None:
    directory.listing("Hidden", **fields)
    assert directory.titles("coding") == []
    assert directory.titles("") == []


def test_a_listing_ending_today_still_appears(directory: Directory) -> None:
    directory.listing("Last Day", end_date=date(2026, 11, 23))
    assert directory.titles("coding") == ["Last Day"]


def test_explicit_filters_win_over_what_the_text_says(directory: Directory) -> None:
    directory.listing("Kids Club", min_age=8, max_age=10)
    directory.listing("Teen Club", min_age=13, max_age=16)
    assert directory.titles("coding for a 9 year old", age=14) == ["Teen Club"]


@pytest.mark.parametrize(
    "fields",
    [
        {"age": -1},
        {"age": 121},
        {"near": (91.0, 0.0)},
        {"near": (0.0, 181.0)},
        {"radius_km": 0},
        {"max_cost": Decimal("-1")},
        {"days": ("Funday",)},
        {"when": ("midnight",)},
        {"format": "carrier pigeon"},
        {"language": "spanish"},
        {"upcoming_days": -3},
        {"near": (41.5, -81.7), "neighbourhood": "Riverside"},
    ],
)
def test_impossible_queries_are_refused_with_a_reason(fields: dict[str, object]) -> None:
    with pytest.raises(QueryError):
        SearchQuery(**fields)  # type: ignore[arg-type]


def test_a_language_finds_its_regional_variants_and_tags_beyond_iso_639_1(
    directory: Directory,
) -> None:
    directory.listing("Latin American", language_list=["es-419"])
    directory.listing("Hmong", language_list=["hmn", "en"])
    directory.listing("Signed", language_list=["ase"])
    directory.listing("Estonian", language_list=["et"])
    assert directory.titles("coding", language="es") == ["Latin American"]
    assert directory.titles("coding", language="hmn") == ["Hmong"]
    assert directory.titles("coding", language="ase") == ["Signed"]
