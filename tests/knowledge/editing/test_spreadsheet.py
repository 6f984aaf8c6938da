"""A member's spreadsheet: limited to their providers, queued when unverified, all or nothing."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from knowledge.community import AccessError
from knowledge.editing.member_edits import edit_listing
from knowledge.editing.review import approve_request, reviewer_for
from knowledge.editing.spreadsheet import import_for_member
from knowledge.transfer import export_csv
from knowledge.transfer.csv_format import COLUMNS
from tests.knowledge.editing.conftest import TODAY, Directory

SHORT = ("title", "provider", "description", "topics", "format", "min_age", "max_age")
HEADER = ",".join(COLUMNS) + "\n"


def row(line: str) -> str:
    """A full spreadsheet row from the few cells these tests set."""
    cells = dict(zip(SHORT, line.split(","), strict=True))
    return ",".join(cells.get(column, "") for column in COLUMNS) + "\n"


def test_rows_for_another_provider_refuse_the_whole_file(
    session: Session, directory: Directory
) -> None:
    data = (
        HEADER
        + row("Story Time,Eastside Library,Stories.,reading,in_person,3,7")
        + row("Hijack,Robot Club,Mine.,robotics,online,9,14")
    ).encode()
    upload = import_for_member(session, directory.librarian, data, name="a.csv", source="chat")
    assert not upload.published
    [problem] = upload.report.problems
    assert problem.row == 3 and problem.column == "provider" and "not one of your" in str(problem)
    assert directory.story_time.max_age == 6


def test_a_verified_members_file_is_written(session: Session, directory: Directory) -> None:
    data = (HEADER + row("Story Time,Eastside Library,Stories.,reading,in_person,3,7")).encode()
    upload = import_for_member(session, directory.librarian, data, name="a.csv", source="chat")
    assert upload.published and upload.report.updated == 1
    assert directory.story_time.max_age == 7


def test_an_unverified_members_file_waits_then_is_applied(
    session: Session, directory: Directory
) -> None:
    data = (
        HEADER + row("Saturday Robotics,Robot Club,Build robots.,robotics,in_person,9,15")
    ).encode()
    upload = import_for_member(session, directory.volunteer, data, name="b.csv", source="api")
    assert upload.report.ok and upload.request is not None and upload.report.updated == 1
    assert directory.robots.max_age == 14
    approve_request(session, upload.request.id, reviewer_for(directory.organiser), today=TODAY)
    session.expire_all()
    assert directory.robots.max_age == 15


def test_a_providers_upload_confirms_its_listings(session: Session, directory: Directory) -> None:
    data = (HEADER + row("Story Time,Eastside Library,Stories.,reading,in_person,3,6")).encode()
    upload = import_for_member(
        session, directory.librarian, data, name="a.csv", source="chat", today=TODAY
    )
    assert upload.published and upload.report.updated == 1  # the same content, confirmed today
    assert directory.story_time.assured_date == TODAY


def libraries_export(session: Session) -> list[dict[str, str]]:
    """The organisers' export, Eastside Library's rows only."""
    out = io.StringIO(newline="")
    export_csv(session, out)
    rows = csv.DictReader(io.StringIO(out.getvalue()))
    return [cells for cells in rows if cells["provider"] == "Eastside Library"]


def as_file(rows: list[dict[str, str]]) -> bytes:
    """Rows as an uploaded spreadsheet."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def test_a_members_old_export_may_confirm_but_not_undo_a_change_made_since(
    session: Session, directory: Directory
) -> None:
    rows = libraries_export(session)
    later = TODAY + timedelta(days=30)
    seats = {"seats_available": "4"}  # not a sheet column: the sheet cannot undo it
    edit_listing(session, directory.organiser, directory.story_time, seats, source="api",
                 today=TODAY)  # fmt: skip
    confirmed = import_for_member(
        session, directory.librarian, as_file(rows), name="a.csv", source="chat", today=later
    )
    assert confirmed.published and confirmed.report.updated == 1  # still running as listed
    assert directory.story_time.assured_date == later and directory.story_time.seats_available == 4

    edit_listing(session, directory.organiser, directory.story_time, {"max_age": "8"},
                 source="api", today=TODAY)  # fmt: skip
    undo = import_for_member(
        session, directory.librarian, as_file(rows), name="a.csv", source="chat", today=later
    )
    [problem] = undo.report.problems
    assert (problem.row, problem.column) == (2, "version")
    assert directory.story_time.max_age == 8
    with pytest.raises(AccessError, match="only an organiser"):
        import_for_member(session, directory.librarian, as_file(rows), name="a.csv",
                          source="chat", force=True)  # fmt: skip
