"""`wayfinder review`, `review approve` and `review reject`, as an organiser runs them."""

from __future__ import annotations

import getpass

import pytest
from sqlalchemy.orm import Session

from knowledge.editing.member_edits import create_listing, edit_listing
from knowledge.editing.review import decisions_to_tell
from knowledge.editing.spreadsheet import import_for_member
from knowledge.history import history_of
from knowledge.models import ChangeRequest
from knowledge.transfer.csv_format import COLUMNS
from tests.knowledge.cli.conftest import TODAY, City, Cli


def ask_for_max_age(city: City, session: Session, value: str) -> int:
    """Val (unverified provider) asks to change Saturday Robotics' oldest age; the request id."""
    listing = city.listing(session, "Saturday Robotics")
    volunteer = city.member(session, "Val")
    outcome = edit_listing(
        session, volunteer, listing, {"max_age": value}, source="chat", today=TODAY
    )
    assert outcome.request is not None
    return outcome.request.id


def test_an_empty_queue_says_so(city: City, cli: Cli) -> None:
    assert cli("review") == (0, "No change requests are waiting.\n", "")


def test_the_queue_lists_each_request_oldest_first_with_before_and_after(
    city: City, cli: Cli
) -> None:
    with city.session() as session:
        first = ask_for_max_age(city, session, "16")
        club = city.listing(session, "Saturday Robotics").provider
        second = create_listing(
            session,
            city.member(session, "Val"),
            club,
            {"title": "Drone Day", "description": "Fly.", "topics": "drones", "format": "online"},
            source="api",
            today=TODAY,
        ).request
        assert second is not None
    code, out, _ = cli("review")
    assert code == 0
    assert out.startswith("2 change requests are waiting, oldest first:\n")
    assert f"#{first} change to 'Saturday Robotics' from Val of Robot Club" in out
    assert "oldest age: 14 → 16" in out and "via chat" in out
    assert f"#{second.id} new listing 'Drone Day' from Val of Robot Club" in out
    assert "title:       — → Drone Day" in out
    assert out.index(f"#{first} ") < out.index(f"#{second.id} ")
    assert "would be refused" not in out
    assert "wayfinder review approve ID" in out


def test_a_spreadsheet_request_shows_its_rows_and_a_dry_run(city: City, cli: Cli) -> None:
    cells = {
        "title": "Saturday Robotics",
        "provider": "Robot Club",
        "description": "Build robots.",
        "topics": "robotics",
        "format": "online",
        "min_age": "9",
        "max_age": "15",
    }
    data = ",".join(COLUMNS) + "\n" + ",".join(cells.get(c, "") for c in COLUMNS) + "\n"
    with city.session() as session:
        upload = import_for_member(
            session, city.member(session, "Val"), data.encode(), name="robots.csv", source="chat"
        )
        assert upload.request is not None
    code, out, _ = cli("review")
    assert code == 0
    assert "spreadsheet 'robots.csv' (1 rows) from Val of Robot Club" in out
    assert "Dry run of robots.csv: would be 0 created, 1 updated, 0 unchanged" in out
    with city.session() as session:  # the dry run wrote nothing
        assert city.listing(session, "Saturday Robotics").max_age == 14


def test_approval_publishes_names_the_reviewer_and_cannot_happen_twice(
    city: City, cli: Cli
) -> None:
    with city.session() as session:
        request_id = ask_for_max_age(city, session, "16")
    code, out, err = cli("review", "approve", str(request_id), "--as", "Olu")
    assert (code, err) == (0, "")
    assert f"Approved #{request_id}: 'Saturday Robotics'" in out and "max_age" in out
    assert "Val will get the approval on Telegram." in out
    with city.session() as session:
        listing = city.listing(session, "Saturday Robotics")
        assert listing.max_age == 16
        record = next(r for r in history_of(session, listing) if r.field == "max_age")
        assert "Val" in record.actor and "approved by Olu" in record.actor
        assert session.get(ChangeRequest, request_id).decided_by == "Olu"  # type: ignore[union-attr]
    code, _, err = cli("review", "approve", str(request_id))
    assert code == 1 and f"change request {request_id} was already approved" in err


def test_approving_an_unknown_request_is_refused(city: City, cli: Cli) -> None:
    code, out, err = cli("review", "approve", "99")
    assert (code, out) == (1, "") and "there is no change request 99" in err


def test_a_change_that_no_longer_fits_stays_waiting_with_the_problem(city: City, cli: Cli) -> None:
    with city.session() as session:
        request_id = ask_for_max_age(city, session, "10")
        city.listing(session, "Saturday Robotics").min_age = 12  # an organiser raised it since
    _, out, _ = cli("review")
    assert "! approving it now would be refused:" in out and "below the youngest (12)" in out
    code, out, err = cli("review", "approve", str(request_id))
    assert (code, out) == (1, "")
    assert "cannot be published as it stands, so it is still waiting" in err
    assert "the oldest age (10) would be below the youngest (12)" in err
    with city.session() as session:
        assert city.listing(session, "Saturday Robotics").max_age == 14
        assert session.get(ChangeRequest, request_id).state == "pending"  # type: ignore[union-attr]


def test_rejection_needs_a_reason_which_goes_back_to_the_provider(
    city: City, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(getpass, "getuser", lambda: "ada")
    with city.session() as session:
        request_id = ask_for_max_age(city, session, "16")
    code, _, err = cli("review", "reject", str(request_id))
    assert code == 1 and 'say why with --reason "…"' in err
    code, _, err = cli("review", "reject", str(request_id), "--reason", "   ")
    assert code == 1 and "say why, in a few words" in err
    code, out, err = cli("review", "reject", str(request_id), "--reason", "Ages 9-14 only.")
    assert (code, err) == (0, "")
    assert f"Rejected #{request_id} change to 'Saturday Robotics'" in out
    assert "Val will get your reason on Telegram." in out
    with city.session() as session:
        [told] = decisions_to_tell(session)
        assert (told.id, told.state, told.reason) == (request_id, "rejected", "Ages 9-14 only.")
        assert told.decided_by == "ada"  # the OS user, without --as
        assert city.listing(session, "Saturday Robotics").max_age == 14
    code, _, err = cli("review", "reject", str(request_id), "--reason", "Again.")
    assert code == 1 and "already rejected" in err


def test_rejecting_an_unknown_request_is_refused(city: City, cli: Cli) -> None:
    code, _, err = cli("review", "reject", "42", "--reason", "No.")
    assert code == 1 and "there is no change request 42" in err
