"""A member's spreadsheet: limited to their providers, queued when unverified, all or nothing."""

from __future__ import annotations

from sqlalchemy.orm import Session

from knowledge.editing.review import approve_request, reviewer_for
from knowledge.editing.spreadsheet import import_for_member
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
