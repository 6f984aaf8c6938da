"""The review queue: diffs, approval re-checks, rejection reasons reach the member."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from knowledge.community import AccessError
from knowledge.editing.listings import ChangeRefused, create_listing, edit_listing
from knowledge.editing.review import (
    approve_request,
    decisions_to_tell,
    mark_told,
    pending_requests,
    reject_request,
    reviewer_for,
)
from knowledge.history import history_of
from tests.knowledge.editing.conftest import TODAY, Directory


def test_approval_publishes_with_the_author_and_reviewer_in_history(
    session: Session, directory: Directory
) -> None:
    listing = directory.robots
    request = edit_listing(
        session, directory.volunteer, listing, {"max_age": "16"}, source="chat", today=TODAY
    ).request
    assert request is not None
    [pending] = pending_requests(session)
    assert pending.request.id == request.id
    assert [(c.field, c.before, c.after) for c in pending.changes] == [("max_age", "14", "16")]
    assert "Robot Club" in pending.summary and "Val" in pending.summary
    with pytest.raises(AccessError):
        reviewer_for(directory.volunteer)
    reviewer = reviewer_for(directory.organiser)
    outcome = approve_request(session, request.id, reviewer, today=TODAY)
    assert outcome.changed == ["max_age"] and listing.max_age == 16
    assert listing.assured_date == TODAY
    record = next(r for r in history_of(session, listing) if r.field == "max_age")
    assert "Val" in record.actor and "approved by Olu" in record.actor
    assert pending_requests(session) == []
    with pytest.raises(AccessError, match="already approved"):
        approve_request(session, request.id, reviewer, today=TODAY)


def test_rejection_needs_a_reason_and_is_told_once(session: Session, directory: Directory) -> None:
    request = create_listing(
        session,
        directory.volunteer,
        directory.club,
        {
            "title": "Drone Day",
            "description": "Fly drones.",
            "topics": "drones",
            "format": "online",
        },
        source="chat",
        today=TODAY,
    ).request
    assert request is not None
    reviewer = reviewer_for(directory.organiser)
    with pytest.raises(AccessError, match="say why"):
        reject_request(session, request.id, reviewer, "  ")
    reject_request(session, request.id, reviewer, "Please add an age range.")
    [told] = decisions_to_tell(session)
    assert told.state == "rejected" and told.reason == "Please add an age range."
    mark_told(told)
    assert decisions_to_tell(session) == []


def test_approval_rechecks_against_the_listing_as_it_is_now(
    session: Session, directory: Directory
) -> None:
    listing = directory.robots
    request = edit_listing(
        session, directory.volunteer, listing, {"max_age": "10"}, source="chat", today=TODAY
    ).request
    assert request is not None
    listing.min_age = 12  # an organiser raised the minimum meanwhile
    session.flush()
    with pytest.raises(ChangeRefused, match="below the youngest"):
        approve_request(session, request.id, reviewer_for(directory.organiser), today=TODAY)
    assert listing.max_age == 14 and request.state == "pending"
