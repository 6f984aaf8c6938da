"""`wayfinder directory import|export` as a user runs them: exit codes, messages, files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.cli import main
from knowledge.db import make_engine
from knowledge.models import Opportunity
from knowledge.transfer.csv_format import export_columns
from tests.knowledge.transfer.factories import csv_text, row


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the CLI at a fresh SQLite file."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("WAYFINDER_DATABASE_URL", url)
    return url


@pytest.fixture
def migrated(db_url: str, capsys: pytest.CaptureFixture[str]) -> str:
    """A migrated, empty directory."""
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    return db_url


def write_csv(tmp_path: Path, *rows: dict[str, str]) -> Path:
    """A spreadsheet file with every column an export writes."""
    path = tmp_path / "groups.csv"
    path.write_text(csv_text(rows, export_columns()), encoding="utf-8")
    return path


def test_import_prints_a_summary_and_is_idempotent(
    migrated: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path, row(external_id="a"), row(external_id="b", title="Chess"))
    assert main(["directory", "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"Imported {path}: 2 created, 0 updated, 0 unchanged." in out
    assert "  new provider: Eastside Library" in out
    assert main(["directory", "import", str(path)]) == 0
    assert capsys.readouterr().out == f"Imported {path}: 0 created, 0 updated, 2 unchanged.\n"


def test_import_prices_listings_in_the_configured_currency(
    migrated: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAYFINDER_CURRENCY", "eur")
    assert main(["directory", "import", str(write_csv(tmp_path, row(cost="12.50")))]) == 0
    engine = make_engine(migrated)
    with Session(engine) as session:
        assert session.scalars(select(Opportunity.cost_currency)).all() == ["EUR"]
    engine.dispose()


def test_import_with_problems_exits_1_and_lists_them_on_stderr(
    migrated: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path, row(), row(external_id="x", min_age="12", max_age="9"))
    assert main(["directory", "import", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        "row 3, column max_age: 9 is below min_age 12",
        f"1 problem in {path}; nothing was imported.",
    ]
    assert main(["directory", "export"]) == 0
    assert capsys.readouterr().out == ",".join(export_columns()) + "\r\n"


def test_dry_run_reports_and_writes_nothing(
    migrated: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path, row())
    assert main(["directory", "import", str(path), "--dry-run"]) == 0
    assert f"Dry run of {path}: would be 1 created" in capsys.readouterr().out
    assert main(["directory", "import", str(path)]) == 0
    assert "1 created" in capsys.readouterr().out


def test_import_of_a_missing_file_says_so(
    migrated: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["directory", "import", str(tmp_path / "nope.csv")]) == 1
    assert "nope.csv is not a file" in capsys.readouterr().err


def test_import_refuses_an_unmigrated_database(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["directory", "import", str(write_csv(tmp_path, row()))]) == 1
    assert "wayfinder db upgrade" in capsys.readouterr().err


def test_export_writes_each_format_to_stdout_or_a_file(
    migrated: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cells = row(provider_kind="library", credential="Code Badge", credential_type="badge")
    path = write_csv(tmp_path, cells | {"version": "1"})  # a new listing's version
    main(["directory", "import", str(path)])
    capsys.readouterr()
    assert main(["directory", "export", "--format", "csv"]) == 0
    assert capsys.readouterr().out == path.read_bytes().decode()  # the file, unchanged
    assert main(["directory", "export", "--format", "hsds-json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["services"]) == 1
    output = tmp_path / "badges.json"
    assert main(["directory", "export", "--format", "badges", "--output", str(output)]) == 0
    assert capsys.readouterr().err == f"Exported 1 achievement to {output}.\n"
    assert json.loads(output.read_text(encoding="utf-8"))[0]["name"] == "Code Badge"


def test_an_exported_hsds_file_imports_through_the_same_command(
    migrated: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["directory", "import", str(write_csv(tmp_path, row()))])
    feed = tmp_path / "feed.json"
    assert main(["directory", "export", "--format", "hsds-json", "--output", str(feed)]) == 0
    capsys.readouterr()
    assert main(["directory", "import", str(feed)]) == 0
    assert capsys.readouterr().out == f"Imported {feed}: 0 created, 0 updated, 1 unchanged.\n"


def test_hsds_export_in_a_chat_language_uses_the_translations(
    migrated: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cells = row(title="Chess Club") | {"title_es": "Club de ajedrez", "description_es": "Jugamos."}
    main(["directory", "import", str(write_csv(tmp_path, cells))])
    capsys.readouterr()
    assert main(["directory", "export", "--format", "hsds-json", "--language", "es"]) == 0
    (service,) = json.loads(capsys.readouterr().out)["services"]
    assert (service["name"], service["description"]) == ("Club de ajedrez", "Jugamos.")
    assert service["x-translations"]["en"]["name"] == "Chess Club"


def test_hsds_export_refuses_a_bad_language_and_a_language_for_csv(
    migrated: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as bad:  # argparse's refusal of an option value
        main(["directory", "export", "--format", "hsds-json", "--language", "xx-!!"])
    assert bad.value.code == 2 and "is not a language code" in capsys.readouterr().err
    assert main(["directory", "export", "--format", "csv", "--language", "es"]) == 1
    assert "--language applies to --format hsds-json only" in capsys.readouterr().err
