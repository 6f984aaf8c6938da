"""`wayfinder db upgrade|status` and `wayfinder directory seed` as a user runs them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from knowledge.cli import main
from tests.knowledge.test_seed import write_seed


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the CLI at a fresh SQLite file."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("WAYFINDER_DATABASE_URL", url)
    return url


def test_upgrade_then_status_reports_up_to_date(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "status"]) == 1
    assert "needs `wayfinder db upgrade`" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert "Schema upgraded from empty to" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert "Schema already at" in capsys.readouterr().out
    assert main(["db", "status"]) == 0


def test_seed_refuses_an_unmigrated_database(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["directory", "seed"]) == 1
    err = capsys.readouterr().err
    assert "has no schema yet" in err and "wayfinder db upgrade" in err


def test_seed_reports_counts_and_is_idempotent(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_seed(tmp_path / "seed")
    main(["db", "upgrade"])
    assert main(["directory", "seed", "--folder", str(folder)]) == 0
    assert "opportunities: 2 created, 0 updated, 0 unchanged" in capsys.readouterr().out
    assert main(["directory", "seed", "--folder", str(folder)]) == 0
    assert "opportunities: 0 created, 0 updated, 2 unchanged" in capsys.readouterr().out


def test_a_bad_seed_file_loads_nothing(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_seed(tmp_path / "seed")
    (folder / "opportunities" / "zz.yml").write_text("- external_id: x\n  title: [unclosed\n")
    main(["db", "upgrade"])
    capsys.readouterr()
    assert main(["directory", "seed", "--folder", str(folder)]) == 1
    assert "nothing was loaded" in capsys.readouterr().err
    assert main(["directory", "seed", "--folder", str(write_seed(tmp_path / "ok"))]) == 0
    assert "opportunities: 2 created" in capsys.readouterr().out


def test_a_closed_pipe_ends_the_command_quietly(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = {**os.environ, "WAYFINDER_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"}
    wayfinder = [
        sys.executable,
        "-c",
        "import sys; from knowledge.cli import main; sys.exit(main())",
    ]
    subprocess.run([*wayfinder, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([*wayfinder, "directory", "seed"], env=env, check=True, capture_output=True)
    search = subprocess.Popen(
        [*wayfinder, "directory", "search", "art", "--limit", "20"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert search.stdout is not None
    search.stdout.close()  # before the command has started writing: its first write hits EPIPE
    _, stderr = search.communicate()
    assert b"BrokenPipeError" not in stderr
    assert search.returncode == 0
