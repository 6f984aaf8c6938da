"""The accessibility and transport columns: notes of the row's place, imported, exported and
imported back unchanged; one note per place, and only where the row names a place."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.models import Location
from knowledge.transfer import import_csv
from knowledge.transfer.csv_format import COLUMNS
from tests.knowledge.transfer.factories import (
    ACTOR,
    csv_text,
    export_text,
    import_rows,
    problems,
    row,
)

STEP_FREE = "Step-free entrance; lift to the 2nd floor"
BUS = "Bus 14 stops outside; bike racks"


def place(session: Session) -> Location:
    """The one physical place the test imported."""
    (found,) = session.scalars(select(Location).where(Location.location_type == "physical"))
    return found


def test_notes_are_written_to_the_place_and_exported_back(session: Session) -> None:
    report = import_rows(session, [row(accessibility=STEP_FREE, transport=BUS)])
    assert report.ok, problems(report)
    assert (place(session).accessibility, place(session).transport) == (STEP_FREE, BUS)
    exported = export_text(session)
    header = exported.splitlines()[0].split(",")
    assert header.index("accessibility") == header.index("longitude") + 1
    assert STEP_FREE in exported and BUS in exported
    again = import_csv(session, exported.encode(), actor=ACTOR)
    assert again.ok and again.unchanged == 1 and again.updated == 0, problems(again)
    assert place(session).transport == BUS


def test_a_note_on_one_row_holds_for_every_row_of_the_place(session: Session) -> None:
    rows = [
        row(external_id="a-1", title="Chess", transport=BUS),
        row(external_id="a-2", title="Robots"),  # same place, note left empty
    ]
    report = import_rows(session, rows)
    assert report.ok, problems(report)
    assert place(session).transport == BUS


def test_an_update_changes_or_clears_the_note_of_a_known_place(session: Session) -> None:
    assert import_rows(session, [row(transport=BUS)]).ok
    assert import_rows(session, [row(transport="Route 7 to Main St")]).ok
    assert place(session).transport == "Route 7 to Main St"
    assert import_rows(session, [row(transport="")]).ok
    assert place(session).transport is None


def test_a_sheet_without_the_columns_leaves_the_notes_alone(session: Session) -> None:
    assert import_rows(session, [row(accessibility=STEP_FREE)]).ok
    columns = [name for name in COLUMNS if name not in ("accessibility", "transport")]
    text = csv_text([row(title="Saturday Code Club", cost="5")], columns=columns)
    report = import_csv(session, text.encode(), actor=ACTOR)
    assert report.ok and report.updated == 1, problems(report)
    assert place(session).accessibility == STEP_FREE


def test_two_notes_for_one_place_are_refused(session: Session) -> None:
    rows = [
        row(external_id="a-1", title="Chess", transport=BUS),
        row(external_id="a-2", title="Robots", transport="Route 7"),
    ]
    report = import_rows(session, rows)
    assert problems(report) == [
        "row 3, column transport: row 2 gives the same place another transport note; a note "
        "belongs to the place, so write the same one on every row there"
    ]


def test_a_note_without_a_place_is_refused(session: Session) -> None:
    online = row(format="online", address="", neighborhood="", city="", latitude="", longitude="")
    report = import_rows(session, [online | {"accessibility": STEP_FREE}])
    assert problems(report) == [
        "row 2, column accessibility: is a note of the place the listing meets at, but the row "
        "names no place; fill in address, neighborhood, city or latitude and longitude (or clear "
        "it)"
    ]
