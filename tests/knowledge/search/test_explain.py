"""When filters leave nothing (or little): which filter emptied the result and what is closest."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import pytest

from tests.knowledge.search.conftest import CENTRE, Directory, km_north


def test_too_young_says_how_many_exist_and_for_which_ages(directory: Directory) -> None:
    for title in ("Robot League", "Robot Lab", "Robot Team"):
        directory.listing(title, topics=("robotics",), min_age=14, max_age=18)
    result = directory.search("robotics", age=8)
    assert result.results == [] and result.total == 0
    explanation = result.explanation
    assert explanation is not None
    (relaxation,) = explanation.blocking
    assert relaxation.to_dict() == {
        "relaxed": "age",
        "count": 3,
        "message": "3 robotics programs exist without the age limit, all for ages 14+",
        "closest": {"min_age": 14, "max_age": 18},
    }
    assert explanation.unfiltered == 3
    assert explanation.message.startswith("No robotics programs match all your filters: 3 robotics")


def test_free_only_reports_the_cheapest(directory: Directory) -> None:
    directory.listing("Pricey", cost_amount=Decimal("120"))
    directory.listing("Cheaper", cost_amount=Decimal("35"))
    (relaxation,) = directory.search("coding", free_only=True).explanation.blocking  # type: ignore[union-attr]
    assert relaxation.relaxed == "cost" and relaxation.count == 2
    assert relaxation.closest == {"cheapest": 35.0}
    assert relaxation.message.endswith("but none is free; the cheapest costs $35")


def test_too_far_reports_the_nearest_distance_and_neighbourhood(directory: Directory) -> None:
    northgate = directory.place("Northgate", CENTRE[0] + km_north(7), CENTRE[1])
    directory.listing("Far Club", neighbourhood=northgate)
    (relaxation,) = directory.search("coding", near=CENTRE, radius_km=2).explanation.blocking  # type: ignore[union-attr]
    assert relaxation.relaxed == "place"
    assert relaxation.closest == {
        "online": 0,
        "nearest_km": 7.0,
        "nearest_neighbourhood": "Northgate",
    }
    assert "the nearest is 7.0 km from" in relaxation.message


def test_wrong_day_reports_the_days_it_runs(directory: Directory) -> None:
    directory.listing("Midweek Club", days=["Tue", "Thu"], start_time=time(16, 0))
    (relaxation,) = directory.search("coding", when=("weekend",)).explanation.blocking  # type: ignore[union-attr]
    assert relaxation.relaxed == "time"
    assert relaxation.closest == {"days": ["Tue", "Thu"], "start_times": ["16:00"]}


def test_each_blocking_filter_is_listed_most_results_first(directory: Directory) -> None:
    directory.listing("Spanish Class", language_list=["es"], format="in_person")
    directory.listing("Online Only A", format="online")
    directory.listing("Online Only B", format="online")
    explanation = directory.search("coding", format="in_person", language="en").explanation
    assert explanation is not None
    assert [(r.relaxed, r.count) for r in explanation.blocking] == [("format", 2), ("language", 1)]
    assert explanation.blocking[1].closest == {"languages": ["es"]}


def test_no_single_filter_to_blame_says_so(directory: Directory) -> None:
    directory.listing("Paid Online", format="online", cost_amount=Decimal("20"))
    explanation = directory.search("coding", format="in_person", free_only=True).explanation
    assert explanation is not None
    assert explanation.blocking == ()
    assert explanation.unfiltered == 1
    assert "none matches this combination of filters" in explanation.message


def test_an_unknown_subject_suggests_topics(directory: Directory) -> None:
    directory.topic("robotics")
    directory.listing("Art Club", topics=("art",))
    explanation = directory.search("robotronics workshops").explanation
    assert explanation is not None
    assert explanation.unfiltered == 0
    assert "robotics" in explanation.suggestions
    assert explanation.message.startswith(
        "Nothing in the directory matches “robotronics workshops”."
    )


def test_few_results_come_with_what_more_would_appear(directory: Directory) -> None:
    directory.listing("Kids Club", min_age=8, max_age=10)
    directory.listing("Teen Club", min_age=14, max_age=17)
    result = directory.search("coding", age=9)
    assert result.total == 1
    assert result.explanation is not None
    assert result.explanation.message.startswith("Only 1 coding program matches;")
    assert result.explanation.blocking[0].relaxed == "age"


def test_plenty_of_results_need_no_explanation(directory: Directory) -> None:
    for number in range(3):
        directory.listing(f"Club {number}")
    assert directory.search("coding").explanation is None


def test_the_explanation_is_plain_data(directory: Directory) -> None:
    directory.listing("Teen Club", min_age=14)
    data = directory.search("coding", age=5).to_dict()["explanation"]
    assert set(data) == {"subject", "total", "unfiltered", "blocking", "message", "suggestions"}
    assert data["blocking"][0]["relaxed"] == "age"


def test_a_subject_too_large_to_read_at_once_is_explained_alike_filter_by_filter(
    directory: Directory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over COUNT_CAP listings about the subject, each filter is counted on its own: the same
    relaxations, counts and closest listings as reading them all at once."""
    directory.listing("Spanish Class", language_list=["es"], format="in_person")
    directory.listing("Online Only A", format="online", min_age=16)
    directory.listing("Online Only B", format="online")

    def explained() -> list[tuple[str, int, dict[str, object]]]:
        found = directory.search("coding", format="in_person", language="en", age=12)
        assert found.explanation is not None
        return [(r.relaxed, r.count, r.closest) for r in found.explanation.blocking]

    at_once = explained()
    assert [(name, count) for name, count, _ in at_once] == [("format", 1), ("language", 1)]
    monkeypatch.setattr("knowledge.search.explain.COUNT_CAP", 1)
    assert explained() == at_once
