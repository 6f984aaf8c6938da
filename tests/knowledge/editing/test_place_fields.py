"""Members edit the access and transport notes of a listing's place like its own fields: the
place changes (with its history), every listing held there shows it, and a listing without a
place is told why not."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from knowledge.editing.fields import diff, display
from knowledge.editing.member_edits import ChangeRefused, create_listing, edit_listing
from knowledge.editing.review import approve_request, describe, reviewer_for
from knowledge.history import history_of
from knowledge.models import Location
from tests.knowledge.editing.conftest import TODAY, Directory

BUS = "Bus 14 stops outside"


def test_a_transport_note_is_written_to_the_listings_place(
    session: Session, directory: Directory
) -> None:
    listing = directory.story_time
    assert diff(listing, {"place_transport": BUS})[0].before == "—"
    outcome = edit_listing(
        session, directory.librarian, listing, {"transport": BUS}, source="chat", today=TODAY
    )
    assert outcome.published and outcome.changed == ["place_transport"]
    (branch,) = listing.locations
    assert branch.transport == BUS and display(listing, "place_transport") == BUS
    (change,) = [record for record in history_of(session, branch) if record.field == "transport"]
    assert change.new_value == BUS and "Lee" in change.actor


def test_an_empty_note_clears_it(session: Session, directory: Directory) -> None:
    listing = directory.story_time
    listing.locations[0].accessibility = "Step-free"
    edit_listing(
        session, directory.librarian, listing, {"accessibility": ""}, source="api", today=TODAY
    )
    assert listing.locations[0].accessibility is None


def test_a_listing_without_a_place_cannot_take_a_note(
    session: Session, directory: Directory
) -> None:
    with pytest.raises(ChangeRefused) as refused:
        edit_listing(
            session,
            directory.organiser,
            directory.robots,
            {"transport": BUS},
            source="chat",
            today=TODAY,
        )
    (problem,) = refused.value.problems
    assert problem.column == "transport" and "has none" in problem.message


def test_a_new_listing_notes_the_providers_place(session: Session, directory: Directory) -> None:
    cells = {
        "title": "Homework Club",
        "description": "Help with homework.",
        "topics": "reading",
        "format": "in_person",
        "accessibility": "Lift to every floor",
    }
    outcome = create_listing(
        session, directory.librarian, directory.library, cells, source="chat", today=TODAY
    )
    assert outcome.opportunity is not None
    (branch,) = outcome.opportunity.locations
    assert branch.accessibility == "Lift to every floor"
    assert directory.story_time.locations[0].accessibility == "Lift to every floor"  # same place


def test_an_unverified_providers_note_waits_for_review(
    session: Session, directory: Directory
) -> None:
    hall = Location(name="Club hall", location_type="physical", provider=directory.club)
    directory.robots.locations = [hall]
    session.flush()
    outcome = edit_listing(
        session,
        directory.volunteer,
        directory.robots,
        {"transport": BUS},
        source="chat",
        today=TODAY,
    )
    assert not outcome.published and hall.transport is None
    request = outcome.request
    assert request is not None and describe(request).changes[0].after == BUS
    approve_request(session, request.id, reviewer_for(directory.organiser), today=TODAY)
    assert hall.transport == BUS
