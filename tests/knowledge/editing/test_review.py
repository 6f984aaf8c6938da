"""The review queue: diffs, approval re-checks, rejection reasons reach the member."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from knowledge.community import AccessError
from knowledge.db import make_sessionmaker
from knowledge.editing.member_edits import ChangeRefused, create_listing, edit_listing
from knowledge.editing.review import (
    approve_request,
    decisions_to_tell,
    mark_told,
    pending_requests,
    reject_request,
    reviewer_for,
)
from knowledge.editing.spreadsheet import import_for_member
from knowledge.history import Actor, history_of
from knowledge.models import ChangeRequest, Member, Opportunity, Provider
from knowledge.transfer.csv_format import COLUMNS
from knowledge.writes import get_or_create_topic
from tests.knowledge.editing.conftest import TODAY, Directory
from tests.knowledge.racing import at_once, race_database


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


def sheet(provider: str, title: str, external_id: str = "", max_age: str = "") -> bytes:
    """A one-row spreadsheet."""
    cells = {"external_id": external_id, "title": title, "provider": provider}
    cells |= {"description": "Come along.", "topics": "robotics", "format": "in_person"}
    cells |= {"max_age": max_age}
    return (",".join(COLUMNS) + "\n" + ",".join(cells.get(c, "") for c in COLUMNS) + "\n").encode()


def test_approval_refuses_an_upload_row_naming_a_listing_another_provider_made_meanwhile(
    session: Session, directory: Directory
) -> None:
    queued = import_for_member(
        session, directory.volunteer, sheet("Robot Club", "Open Day", "open-day"),
        name="club.csv", source="chat",
    ).request  # fmt: skip
    assert queued is not None  # no listing had that id yet: the upload was fine then
    published = import_for_member(
        session, directory.librarian, sheet("Eastside Library", "Open Day", "open-day"),
        name="library.csv", source="api",
    )  # fmt: skip
    assert published.published and published.report.created == 1

    with pytest.raises(ChangeRefused) as refused:
        approve_request(session, queued.id, reviewer_for(directory.organiser), today=TODAY)
    [problem] = refused.value.problems
    assert (problem.row, problem.column) == (2, "external_id")
    assert "'open-day' is another provider's listing" in problem.message
    moved = session.scalars(select(Opportunity).where(Opportunity.external_id == "open-day"))
    assert moved.one().provider is directory.library  # still the library's
    assert queued.state == "pending"


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("create", r"Val \(member \d+\) is no longer a member of Robot Club"),
        ("update", r"Val \(member \d+\) may no longer change Robot Club.s listings"),
        ("import", "'Robot Club' is not one of your providers"),
    ],
)
def test_approval_refuses_a_change_whose_member_has_left_the_provider(
    session: Session, directory: Directory, kind: str, says: str
) -> None:
    volunteer, club = directory.volunteer, directory.club
    cells = {"title": "Drone Day", "description": "Fly.", "topics": "drones", "format": "online"}
    if kind == "create":
        request = create_listing(
            session, volunteer, club, cells, source="chat", today=TODAY
        ).request
    elif kind == "update":
        request = edit_listing(
            session, volunteer, directory.robots, {"max_age": "16"}, source="chat", today=TODAY
        ).request
    else:
        data = sheet("Robot Club", "Saturday Robotics", max_age="16")
        request = import_for_member(session, volunteer, data, name="c.csv", source="api").request
    assert request is not None
    volunteer.providers.remove(club)  # an organiser took them off the provider meanwhile
    session.flush()
    with pytest.raises(ChangeRefused, match=says):
        approve_request(session, request.id, reviewer_for(directory.organiser), today=TODAY)
    assert request.state == "pending" and directory.robots.max_age == 14
    assert session.scalars(select(Opportunity).where(Opportunity.title == "Drone Day")).all() == []


def test_approval_refuses_a_change_whose_member_is_gone(
    session: Session, directory: Directory
) -> None:
    request = edit_listing(
        session, directory.volunteer, directory.robots, {"max_age": "16"}, source="chat",
        today=TODAY,
    ).request  # fmt: skip
    assert request is not None
    session.delete(directory.volunteer)
    session.flush()
    session.expire(request)
    assert request.member is None
    with pytest.raises(ChangeRefused, match="the member who sent it has left"):
        approve_request(session, request.id, reviewer_for(directory.organiser), today=TODAY)
    assert session.get(ChangeRequest, request.id).state == "pending"  # type: ignore[union-attr]


@pytest.mark.parametrize("second", ["approve", "reject"])
def test_two_organisers_deciding_one_request_at_once_decide_it_once(
    backend: str, tmp_path: Path, second: str
) -> None:
    with race_database(backend, tmp_path) as engine:
        sessions = make_sessionmaker(engine)
        with sessions.begin() as session:
            club = Provider(name="Robot Club", kind="community_group", verified=False)
            volunteer = Member(role="provider", name="Val", providers=[club])
            session.add_all([club, volunteer])
            get_or_create_topic(session, "drones", Actor("test", "seed"))
            cells = {"title": "Drone Day", "description": "Fly.", "topics": "drones"}
            cells |= {"format": "online"}
            request = create_listing(session, volunteer, club, cells, source="chat", today=TODAY)
            assert request.request is not None
            request_id = request.request.id

        def decide(verb: str, who: str) -> Callable[[sessionmaker[Session]], str]:
            def work(racing: sessionmaker[Session]) -> str:
                reviewer = Actor(who, "chat")
                with racing.begin() as session:
                    if verb == "approve":
                        approve_request(session, request_id, reviewer, today=TODAY)
                    else:
                        reject_request(session, request_id, reviewer, "Not this time.")
                return who

            return work

        results = at_once(  # both read the request while it is still pending
            engine, "change_request", decide("approve", "Olu"), decide(second, "Ola")
        )
        done = [result for result in results if isinstance(result, str)]
        refused = [result for result in results if isinstance(result, AccessError)]
        assert len(done) == len(refused) == 1, results
        assert f"change request {request_id} was already" in str(refused[0])
        with sessions() as session:
            decided = session.get(ChangeRequest, request_id)
            assert decided is not None and decided.decided_by == done[0]
            listings = session.scalars(select(Opportunity.title)).all()
        assert listings == (["Drone Day"] if decided.state == "approved" else [])
