"""Members changing listings: permissions, checks, history, review for unverified providers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from knowledge.community import AccessError
from knowledge.editing.member_edits import (
    ChangeRefused,
    StaleVersion,
    close_listing,
    confirm_listing,
    create_listing,
    edit_listing,
)
from knowledge.history import history_of
from knowledge.search.engine import SearchQuery, search
from tests.knowledge.editing.conftest import TODAY, Directory


def test_a_verified_providers_change_is_published_with_history(
    session: Session, directory: Directory
) -> None:
    listing = directory.story_time
    version = listing.version
    outcome = edit_listing(
        session,
        directory.librarian,
        listing,
        {"cost": "5", "seats_available": "12"},
        source="chat",
        today=TODAY,
        expected_version=version,
    )
    assert outcome.published and sorted(outcome.changed) == ["cost_amount", "seats_available"]
    assert listing.cost_amount == Decimal("5.00") and listing.seats_available == 12
    assert listing.is_free is False
    assert listing.assured_date == TODAY  # the provider's own edit confirms the listing
    assert listing.version > version
    fields = {record.field: record for record in history_of(session, listing)}
    assert fields["cost_amount"].new_value == "5" and fields["cost_amount"].source == "chat"
    assert "Lee (member" in fields["seats_available"].actor


def test_an_unverified_providers_change_waits_for_review(
    session: Session, directory: Directory
) -> None:
    listing = directory.robots
    outcome = edit_listing(
        session, directory.volunteer, listing, {"max_age": "16"}, source="api", today=TODAY
    )
    assert not outcome.published and outcome.request is not None
    assert outcome.request.state == "pending" and outcome.request.changes == {"max_age": "16"}
    assert listing.max_age == 14  # unchanged until approved


def test_nobody_touches_another_providers_listing(session: Session, directory: Directory) -> None:
    with pytest.raises(AccessError, match="Robot Club"):
        edit_listing(
            session,
            directory.librarian,
            directory.robots,
            {"title": "Mine now"},
            source="chat",
            today=TODAY,
        )
    with pytest.raises(AccessError):
        create_listing(
            session,
            directory.librarian,
            directory.club,
            {"title": "x", "description": "y", "topics": "z", "format": "online"},
            source="chat",
            today=TODAY,
        )
    with pytest.raises(AccessError):
        confirm_listing(
            session, directory.volunteer, directory.story_time, source="chat", today=TODAY
        )
    assert directory.robots.title == "Saturday Robotics"


@pytest.mark.parametrize(
    ("cells", "field", "words"),
    [
        ({"start_date": "2026-11-30"}, "start_date", "in the past"),
        ({"start_date": "next week"}, "start_date", "not a date"),
        ({"max_age": "2"}, "max_age", "below the youngest"),
        ({"min_age": "9"}, "min_age", "below the youngest"),
        ({"cost": "ten dollars"}, "cost", "not a number"),
        ({"cost": "-3"}, "cost", "negative"),
        ({"seats_available": "-1"}, "seats_available", "negative"),
        ({"seats_available": "lots"}, "seats_available", "whole number"),
        ({"status": "paused"}, "status", "not one of"),
        ({"title": ""}, "title", "required"),
        ({"colour": "red"}, "colour", "not a field"),
        ({"languages": "english"}, "languages", "write en for English"),
        ({"end_time": "09:00", "start_time": "10:00"}, "end_time", "not be after"),
    ],
)
def test_bad_values_are_explained_and_nothing_changes(
    session: Session, directory: Directory, cells: dict[str, str], field: str, words: str
) -> None:
    listing = directory.story_time
    before = (listing.version, listing.min_age, listing.max_age, listing.title)
    with pytest.raises(ChangeRefused) as refused:
        edit_listing(session, directory.librarian, listing, cells, source="chat", today=TODAY)
    assert [problem.column for problem in refused.value.problems] == [field]
    assert words in str(refused.value)
    assert (listing.version, listing.min_age, listing.max_age, listing.title) == before


def test_a_stale_version_is_refused_before_anything_changes(
    session: Session, directory: Directory
) -> None:
    listing = directory.story_time
    with pytest.raises(StaleVersion) as stale:
        edit_listing(
            session,
            directory.librarian,
            listing,
            {"cost": "1"},
            source="api",
            today=TODAY,
            expected_version=listing.version - 1,
        )
    assert stale.value.current == listing.version and listing.cost_amount is None


def test_a_new_listing_needs_the_required_fields_and_is_searchable(
    session: Session, directory: Directory
) -> None:
    with pytest.raises(ChangeRefused) as refused:
        create_listing(
            session,
            directory.librarian,
            directory.library,
            {"title": "Chess"},
            source="chat",
            today=TODAY,
        )
    assert {problem.column for problem in refused.value.problems} == {
        "description",
        "topics",
        "format",
    }
    outcome = create_listing(
        session,
        directory.librarian,
        directory.library,
        {
            "title": "Chess Club",
            "description": "Learn chess with others.",
            "topics": "chess",
            "format": "in_person",
            "min_age": "8",
            "days": "Sat",
        },
        source="chat",
        today=TODAY,
    )
    listing = outcome.opportunity
    assert outcome.published and listing is not None
    assert [place.address for place in listing.locations] == ["1 Main St"]
    assert listing.assured_date == TODAY and listing.days == ["Sat"]
    found = search(session, SearchQuery(text="chess"), today=TODAY)
    assert listing.id in [hit.id for hit in found.results]


def test_closing_and_confirming(session: Session, directory: Directory) -> None:
    listing = directory.story_time
    confirm_listing(session, directory.librarian, listing, source="chat", today=date(2026, 12, 3))
    assert listing.assured_date == date(2026, 12, 3) and listing.status == "active"
    close_listing(session, directory.librarian, listing, source="chat", today=TODAY)
    assert listing.status == "inactive"
