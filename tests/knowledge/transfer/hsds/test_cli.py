"""`wayfinder directory export --format hsds --output DIR` and `import DIR`."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.cli import main
from knowledge.transfer.csv_format import export_columns
from tests.knowledge.transfer.factories import csv_text, row


@pytest.fixture
def migrated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A migrated, empty directory in a Texas city."""
    monkeypatch.setenv("WAYFINDER_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("WAYFINDER_STATE_PROVINCE", "Texas")
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()


def test_the_package_exports_to_a_folder_and_imports_back_unchanged(
    migrated: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = tmp_path / "groups.csv"
    sheet.write_text(csv_text([row()], export_columns()), encoding="utf-8")
    assert main(["directory", "import", str(sheet)]) == 0
    folder = tmp_path / "hsds"
    capsys.readouterr()
    assert main(["directory", "export", "--format", "hsds", "--output", str(folder)]) == 0
    err = capsys.readouterr().err
    assert f"Exported 1 service as an HSDS 3.0 package to {folder}." in err
    assert "1 place(s) went out without an address" in err  # the sheet gives no postal code
    assert (folder / "datapackage.json").is_file() and (folder / "services.csv").is_file()
    assert main(["directory", "import", str(folder)]) == 0
    assert capsys.readouterr().out == f"Imported {folder}: 0 created, 0 updated, 1 unchanged.\n"


def test_the_package_needs_a_folder(
    migrated: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["directory", "export", "--format", "hsds"]) == 1
    assert "give it with --output DIR" in capsys.readouterr().err
    taken = tmp_path / "file.txt"
    taken.write_text("x", encoding="utf-8")
    assert main(["directory", "export", "--format", "hsds", "--output", str(taken)]) == 1
    assert "needs a folder" in capsys.readouterr().err
