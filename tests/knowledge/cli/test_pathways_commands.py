"""`wayfinder pathways import|export|show`: the city's own pathways, and a goal's path."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from knowledge.listing_fields import FieldError, parse_age
from knowledge.models import Pathway
from tests.knowledge.cli.conftest import City, Cli

SHEET = (
    "pathway,step,listing,credential,min_age,career,note\n"
    "Robots,Build a robot,Saturday Robotics,,9,robotics engineer,Every Saturday.\n"
    "Robots,Start reading early,ev-1,,3,,\n"
)


def test_import_dry_run_then_import_then_export(city: City, cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "pathways.csv"
    path.write_text(SHEET, encoding="utf-8")
    code, out, err = cli("pathways", "import", str(path), "--dry-run")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == (
        f"Dry run of {path}: would be 1 created, 0 updated, 0 unchanged; nothing was written."
    )
    with city.session() as session:
        assert session.scalars(select(Pathway)).all() == []
    code, out, _ = cli("pathways", "import", str(path), "--actor", "Olu")
    assert code == 0
    assert "new pathway: Robots" in out and "new career: robotics engineer" in out
    code, out, _ = cli("pathways", "export")
    assert code == 0
    assert out.replace("\r\n", "\n") == SHEET
    exported = tmp_path / "again.csv"
    code, _, err = cli("pathways", "export", "--output", str(exported))
    assert code == 0 and err == f"Exported 1 pathways (2 steps) to {exported}.\n"
    assert exported.read_text(encoding="utf-8").replace("\r\n", "\n") == SHEET


def test_a_bad_sheet_exits_1_with_every_problem_on_stderr(
    city: City, cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "pathways.csv"
    path.write_text(SHEET + "Robots,Fly,no-such-listing,,abc,,\n", encoding="utf-8")
    code, out, err = cli("pathways", "import", str(path))
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "row 4, column listing: 'no-such-listing' is neither the external_id nor the title of "
        "a listing in the directory",
        "row 4, column min_age: 'abc' is not a whole number of years",
        f"2 problems in {path}; nothing was imported.",
    ]
    assert cli("pathways", "import", str(tmp_path / "missing.csv"))[0] == 1


def test_show_prints_the_built_path_for_a_goal_in_any_words(
    city: City, cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli("pathways", "show", "how do i become a robotics technician", "--age", "8")
    assert code == 0
    assert out.splitlines() == [
        "Built from the listings: mechatronics technician",
        " 1. [too_young] Saturday Robotics (Robot Club) ages 9+",
    ]
    code, out, _ = cli("pathways", "show", "zorblax wrangler")
    assert code == 0 and out.startswith("Nothing matches 'zorblax wrangler'.")
    with pytest.raises(SystemExit) as stopped:  # refused as `wayfinder directory search` does
        cli("pathways", "show", "plumber", "--age", "200")
    with pytest.raises(FieldError) as refused:
        parse_age("200")
    assert stopped.value.code == 2
    assert f"argument --age: {refused.value}\n" in capsys.readouterr().err
