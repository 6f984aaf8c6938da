"""Listings their providers have not confirmed lately rank a little lower, and say so."""

from __future__ import annotations

from datetime import timedelta

import pytest

from knowledge.search.engine import search
from knowledge.search.last_confirmed import is_stale
from knowledge.search.query import SearchQuery
from tests.knowledge.search.conftest import TODAY, Directory

LONG_AGO = TODAY - timedelta(days=200)
LATELY = TODAY - timedelta(days=5)


def test_a_fresh_listing_beats_an_otherwise_equal_stale_one(directory: Directory) -> None:
    directory.listing("Alpha Coders", assured_date=LONG_AGO)  # first by title if scores tied
    directory.listing("Beta Coders", assured_date=LATELY)
    result = directory.search("coding")
    assert [hit.title for hit in result.results] == ["Beta Coders", "Alpha Coders"]
    fresh, stale = result.results
    assert (fresh.stale, stale.stale) == (False, True)
    assert stale.reason.endswith(f"· last confirmed {LONG_AGO:%b} {LONG_AGO.day}, {LONG_AGO.year}")
    assert "confirmed" not in fresh.reason
    assert stale.to_dict()["assured_date"] == LONG_AGO.isoformat() and stale.to_dict()["stale"]


def test_a_much_better_match_still_wins_when_stale(directory: Directory) -> None:
    directory.listing("Robot Builders", topics=("robotics",), assured_date=LONG_AGO)
    directory.listing(
        "Tinker Time",
        topics=("crafts",),
        description="Crafts, and now and then robotics kits.",
        assured_date=LATELY,
    )
    assert directory.titles("robotics") == ["Robot Builders", "Tinker Time"]


def test_a_listing_never_confirmed_is_not_ranked_down(directory: Directory) -> None:
    directory.listing("Alpha Coders")  # never confirmed: no date to hold against it
    directory.listing("Beta Coders", assured_date=LATELY)
    result = directory.search("coding")
    assert [hit.title for hit in result.results] == ["Alpha Coders", "Beta Coders"]
    assert not result.results[0].stale and result.results[0].score == result.results[1].score


def test_the_days_come_from_the_caller_never_from_the_environment(
    directory: Directory, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory.listing("Alpha Coders", assured_date=TODAY - timedelta(days=30))
    directory.listing("Beta Coders", assured_date=LATELY)
    monkeypatch.setenv("FRESHNESS_DAYS", "20")  # the process's settings pass it; search ignores it
    assert directory.titles("coding") == ["Alpha Coders", "Beta Coders"]  # 30 < 60, the default
    given = search(directory.session, SearchQuery("coding"), today=TODAY, freshness_days=20)
    assert [hit.title for hit in given.results] == ["Beta Coders", "Alpha Coders"]
    monkeypatch.setenv("FRESHNESS_DAYS", "45")
    again = search(directory.session, SearchQuery("coding"), today=TODAY, freshness_days=20)
    assert [hit.title for hit in again.results] == ["Beta Coders", "Alpha Coders"]


def test_stale_means_confirmed_more_than_the_days_ago() -> None:
    assert not is_stale(TODAY - timedelta(days=60), today=TODAY, days=60)
    assert is_stale(TODAY - timedelta(days=61), today=TODAY, days=60)
    assert not is_stale(None, today=TODAY, days=60)
