"""An old export imported again cannot silently undo what was changed since (in chat, the API
or another import): its rows carry the version they were exported at. `--force` overwrites."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.cli import main
from knowledge.db import make_engine
from knowledge.editing.member_edits import edit_listing
from knowledge.models import Member, Opportunity, Provider, Topic
from tests.knowledge.transfer.factories import csv_text, row


@pytest.fixture
def city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    """A migrated directory the CLI works on, with two listings of Eastside Library imported;
    the session (autocommit per block) arranges and checks."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("WAYFINDER_DATABASE_URL", url)
    assert main(["db", "upgrade"]) == 0
    sheet = tmp_path / "first.csv"
    sheet.write_text(
        csv_text([row(external_id="a", title="Code Club"), row(external_id="b", title="Chess")]),
        encoding="utf-8",
    )
    assert main(["directory", "import", str(sheet)]) == 0
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


def export(tmp_path: Path, name: str = "export.csv") -> list[dict[str, str]]:
    """`wayfinder directory export --output FILE`, read back as rows."""
    path = tmp_path / name
    assert main(["directory", "export", "--output", str(path)]) == 0
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def write(tmp_path: Path, rows: list[dict[str, str]], name: str = "edited.csv") -> Path:
    """The rows saved as a spreadsheet would save them (with the export's version column)."""
    path = tmp_path / name
    path.write_text(csv_text(rows, columns=list(rows[0])), encoding="utf-8")
    return path


def listing(session: Session, external_id: str) -> Opportunity:
    """A listing as it is now in the database."""
    session.expire_all()
    return session.scalars(select(Opportunity).where(Opportunity.external_id == external_id)).one()


def edit_in_chat(session: Session, external_id: str, **cells: str) -> None:
    """What a verified provider member's edit in Telegram (or the API) does."""
    session.rollback()  # end the reading transaction: this is another request
    with session.begin():
        found = session.scalars(select(Opportunity).where(Opportunity.external_id == external_id))
        library = session.scalars(select(Provider)).one()
        library.verified = True  # its changes go live
        member = Member(role="provider", name="Lee", telegram_user_id="101", providers=[library])
        session.add(member)
        outcome = edit_listing(
            session, member, found.one(), cells, source="chat", today=date.today()
        )
        assert outcome.published


def test_an_old_export_is_refused_where_its_listing_changed_since_and_nothing_is_written(
    city: Session, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = export(tmp_path)
    edit_in_chat(city, "a", max_age="16")  # after the export
    rows[1]["cost_notes"] = "Bring a laptop"  # the organiser's own change, in the old file
    rows[0]["topics"] = "chess;astronomy"  # a row that may be written: it did not change since
    path = write(tmp_path, rows)
    capsys.readouterr()

    assert main(["directory", "import", str(path)]) == 1  # the old code undid the chat edit
    captured = capsys.readouterr()
    [problem, summary] = captured.err.splitlines()
    assert problem.startswith("row 3, column version: this listing was changed on ")
    assert "(the file has version 1, the directory 2)" in problem
    assert "Export the directory again" in problem
    assert summary == f"1 problem in {path}; nothing was imported."
    code_club, chess = listing(city, "a"), listing(city, "b")
    assert (code_club.max_age, code_club.financial_aid) == (16, None)  # the chat edit stands
    assert [topic.name for topic in chess.topics] == ["coding"]  # all or nothing
    assert city.scalars(select(Topic).where(Topic.name == "astronomy")).first() is None

    assert main(["directory", "import", str(path), "--dry-run"]) == 1  # a dry run says so too
    assert "row 3, column version" in capsys.readouterr().err

    assert [(r["external_id"], r["version"]) for r in rows] == [("b", "1"), ("a", "1")]
    assert main(["directory", "import", str(path), "--force"]) == 0  # an organiser's decision
    assert "0 created, 2 updated" in capsys.readouterr().out
    code_club = listing(city, "a")
    assert (code_club.max_age, code_club.financial_aid) == (14, "Bring a laptop")


def test_importing_the_same_export_twice_changes_nothing_the_second_time(
    city: Session, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = export(tmp_path)
    rows[1]["max_age"] = "15"
    path = write(tmp_path, rows)
    assert main(["directory", "import", str(path)]) == 0
    assert main(["directory", "import", str(path)]) == 0  # row 3 is version 1, its listing 2
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"Imported {path}: 0 created, 0 updated, 2 unchanged."
    )
    rows[1]["max_age"] = "13"  # a further change needs a new export
    assert main(["directory", "import", str(write(tmp_path, rows))]) == 1
    assert "the file has version 1, the directory 2" in capsys.readouterr().err
    fresh = export(tmp_path, "again.csv")
    assert fresh[1]["version"] == "2"
    fresh[1]["max_age"] = "13"
    assert main(["directory", "import", str(write(tmp_path, fresh))]) == 0
    assert listing(city, "a").max_age == 13


def test_a_file_without_versions_is_a_fresh_file_and_updates_as_before(
    city: Session, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_in_chat(city, "a", max_age="16")
    no_column = tmp_path / "fresh.csv"
    no_column.write_text(csv_text([row(external_id="a", title="Code Club", max_age="17")]))
    assert main(["directory", "import", str(no_column)]) == 0
    assert listing(city, "a").max_age == 17
    empty_cell = export(tmp_path)
    empty_cell[1] |= {"version": "", "max_age": "18"}  # a row typed in by hand
    assert main(["directory", "import", str(write(tmp_path, empty_cell))]) == 0
    assert listing(city, "a").max_age == 18


@pytest.mark.parametrize(
    ("cell", "says"),
    [
        ("v3", "row 3, column version: 'v3' is not a whole number"),
        ("0", "row 3, column version: 0 is not a version; keep the number the export wrote"),
    ],
)
def test_a_version_that_is_not_one_is_a_problem(
    city: Session, tmp_path: Path, capsys: pytest.CaptureFixture[str], cell: str, says: str
) -> None:
    rows = export(tmp_path)
    rows[1]["version"] = cell
    capsys.readouterr()
    assert main(["directory", "import", str(write(tmp_path, rows))]) == 1
    assert capsys.readouterr().err.startswith(says)
