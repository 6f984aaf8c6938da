"""Progress on a terminal only: pipes, files, scripts and tests see the output they always saw."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from knowledge.cli import main
from knowledge.progress import NO_PROGRESS, TerminalProgress, progress_on, shows_progress
from tests.knowledge.transfer.factories import csv_text, many_rows


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_only_a_terminal_gets_progress() -> None:
    assert shows_progress(Terminal(), env={"TERM": "xterm-256color"}) is True
    assert shows_progress(io.StringIO(), env={"TERM": "xterm-256color"}) is False
    assert shows_progress(Terminal(), env={"TERM": "dumb"}) is False
    closed = Terminal()
    closed.close()
    assert shows_progress(closed, env={}) is False
    assert shows_progress(object(), env={}) is False  # type: ignore[arg-type]


def test_progress_on_a_pipe_is_silent_and_on_a_terminal_draws_a_bar(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TERM", "xterm")
    piped = io.StringIO()
    with progress_on(piped) as progress:
        progress.stage("Checking rows", 1000)
        progress.advance(1000)
    assert progress is NO_PROGRESS and piped.getvalue() == ""
    terminal = Terminal()
    with progress_on(terminal) as progress:
        assert isinstance(progress, TerminalProgress)
        progress.stage("Checking rows", 1000)
        progress.advance(1000)
    drawn = terminal.getvalue()
    assert "Checking rows" in drawn and "1000" in drawn and "rows" in drawn


@pytest.fixture
def migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A migrated, empty directory the CLI reads, and a 1,200-row spreadsheet for it."""
    monkeypatch.setenv("WAYFINDER_DATABASE_URL", f"sqlite:///{tmp_path / 'progress.db'}")
    monkeypatch.setenv("TERM", "xterm")
    assert main(["db", "upgrade"]) == 0
    sheet = tmp_path / "big.csv"
    sheet.write_text(csv_text(many_rows(1200)), encoding="utf-8")
    return sheet


def test_piped_commands_print_no_progress(
    migrated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["directory", "import", str(migrated)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.startswith(f"Imported {migrated}: 1200 created, 0 updated, 0 unchanged.")
    output = tmp_path / "export.csv"
    assert main(["directory", "export", "--output", str(output)]) == 0
    assert capsys.readouterr().err == f"Exported 1200 listings to {output}.\n"


def test_on_a_terminal_progress_goes_to_standard_error_only(
    migrated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, err = io.StringIO(), Terminal()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    assert main(["directory", "import", str(migrated)]) == 0
    assert out.getvalue().startswith(f"Imported {migrated}: 1200 created, 0 updated, 0 unchanged.")
    assert "Checking rows" in err.getvalue() and "Writing listings" in err.getvalue()
    assert "Imported" not in err.getvalue()
    out.seek(0), out.truncate()
    assert main(["directory", "export"]) == 0
    assert out.getvalue().count("\r\n") == 1201  # the sheet, untouched by the bar
    assert "Writing rows" in err.getvalue()
