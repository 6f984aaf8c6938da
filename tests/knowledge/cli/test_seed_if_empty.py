"""`make run` seeds the demo city only into an empty directory: a real city's database, holding
its own spreadsheet, never gets Alder Bay's listings mixed in (`wayfinder directory seed
--if-empty`, the Makefile's `seed` target)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.cli import main
from knowledge.db import make_engine
from knowledge.models import Credential, Opportunity, Provider
from knowledge.seed import DEMO_DIR
from knowledge.settings import PROJECT_ROOT
from tests.knowledge.transfer.factories import csv_text, row

# A small city that is not the demo: its own providers, places and credential.
JUNIPER_FORD = [
    row(
        external_id="jf-001",
        title="Riverbank Robotics",
        provider="Juniper Ford Makers",
        provider_kind="community_group",
        topics="robotics",
        address="12 Mill Rd",
        neighborhood="Millrace",
        city="Juniper Ford",
        latitude="44.1",
        longitude="-93.2",
        credential="Millrace Maker Badge",
        credential_type="badge",
    ),
    row(
        external_id="jf-002",
        title="Story Hour",
        provider="Juniper Ford Library",
        provider_kind="library",
        topics="reading",
        address="1 Library Sq",
        neighborhood="Old Mill",
        city="Juniper Ford",
        latitude="44.11",
        longitude="-93.21",
    ),
]


def seed_command() -> list[str]:
    """The arguments the Makefile's `seed` target gives `wayfinder` (what `make run` runs)."""
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^seed:.*\n\t@\$\(WAYFINDER\) (.+)$", makefile, flags=re.MULTILINE)
    assert recipe, "the Makefile has a seed target that runs wayfinder"
    return recipe.group(1).split()


def demo_names() -> dict[str, set[str]]:
    """Every provider, credential and listing the demo city would add."""
    providers = yaml.safe_load((DEMO_DIR / "providers.yml").read_text(encoding="utf-8"))
    credentials = yaml.safe_load((DEMO_DIR / "credentials.yml").read_text(encoding="utf-8"))
    listings = [
        entry["external_id"]
        for path in sorted((DEMO_DIR / "opportunities").glob("*.yml"))
        for entry in yaml.safe_load(path.read_text(encoding="utf-8"))
    ]
    return {
        "providers": {entry["name"] for entry in providers},
        "credentials": {entry["name"] for entry in credentials},
        "listings": set(listings),
    }


@pytest.fixture
def city_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty, migrated database the CLI reads (WAYFINDER_DATABASE_URL), nothing else set."""
    url = f"sqlite:///{tmp_path / 'city.db'}"
    monkeypatch.setenv("WAYFINDER_DATABASE_URL", url)
    monkeypatch.delenv("WAYFINDER_SEED_DEMO", raising=False)
    assert main(["db", "upgrade"]) == 0
    return url


def import_city(tmp_path: Path, rows: list[dict[str, str]]) -> None:
    """The city imports its own spreadsheet through the CLI."""
    sheet = tmp_path / "city.csv"
    sheet.write_text(csv_text(rows), encoding="utf-8")
    assert main(["directory", "import", str(sheet)]) == 0


def contents(url: str) -> dict[str, Any]:
    """What the directory holds, by name."""
    engine = make_engine(url)
    with Session(engine) as session:
        found = {
            "providers": set(session.scalars(select(Provider.name))),
            "credentials": set(session.scalars(select(Credential.name))),
            "listings": set(session.scalars(select(Opportunity.external_id))),
            "count": session.scalar(select(func.count(Opportunity.id))),
        }
    engine.dispose()
    return found


def run_wayfinder(url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`wayfinder ARGS` in its own process, as make runs it."""
    inherited = {name: value for name, value in os.environ.items() if name != "WAYFINDER_SEED_DEMO"}
    environment = inherited | {"WAYFINDER_DATABASE_URL": url, **env}
    code = "import sys; from knowledge.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_ROOT,
    )


def test_the_makefile_seeds_only_into_an_empty_directory() -> None:
    assert seed_command() == ["directory", "seed", "--if-empty"]


def test_a_city_that_imported_its_spreadsheet_never_gets_the_demo_city(
    city_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import_city(tmp_path, JUNIPER_FORD)
    before = contents(city_db)
    done = run_wayfinder(city_db, *seed_command())
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "The directory already holds 2 listings; not adding the demo city "
        "(set WAYFINDER_SEED_DEMO=1 to add it).\n"
    )
    after = contents(city_db)
    assert after == before
    for kind, names in demo_names().items():
        assert not names & after[kind], f"demo {kind} in the city's directory"
    assert run_wayfinder(city_db, *seed_command()).returncode == 0  # `make run` again: the same
    assert contents(city_db) == before


def test_an_empty_directory_gets_the_demo_city_and_keeps_it_current(
    city_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(seed_command()) == 0
    out = capsys.readouterr().out
    assert out.startswith("The directory is empty; loading the demo city.\nSeeded from ")
    assert "opportunities: 253 created" in out
    assert main(seed_command()) == 0  # only the demo's listings: reloaded, nothing changes
    assert "opportunities: 0 created, 0 updated, 253 unchanged" in capsys.readouterr().out


def test_seed_demo_0_never_seeds(
    city_db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAYFINDER_SEED_DEMO", "0")
    capsys.readouterr()
    assert main(seed_command()) == 0
    assert capsys.readouterr().out == "WAYFINDER_SEED_DEMO=0: not loading the demo city.\n"
    assert contents(city_db)["count"] == 0


def test_seed_demo_1_adds_the_demo_beside_a_city_without_clashes(
    city_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import_city(tmp_path, JUNIPER_FORD)
    done = run_wayfinder(city_db, *seed_command(), WAYFINDER_SEED_DEMO="1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("WAYFINDER_SEED_DEMO=1: adding the demo city to the 2 listings")
    assert contents(city_db)["count"] == 2 + len(demo_names()["listings"])


@pytest.mark.parametrize(
    ("clash", "named"),
    [
        ({"credential": "Arduino Explorer Badge"}, "credential 'Arduino Explorer Badge'"),
        ({"provider": "riverside high school"}, "provider 'riverside high school'"),
        ({"neighborhood": "Riverside"}, "neighbourhood 'Riverside' (of Juniper Ford)"),
    ],
)
def test_a_name_clash_is_one_clear_line_exit_1_and_loads_nothing(
    city_db: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    clash: dict[str, str],
    named: str,
) -> None:
    import_city(tmp_path, [JUNIPER_FORD[0] | clash, JUNIPER_FORD[1]])
    before = contents(city_db)
    done = run_wayfinder(city_db, *seed_command(), WAYFINDER_SEED_DEMO="1")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "IntegrityError" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith(f"error: nothing was loaded: the demo city would add a second {named}")
    assert line.endswith("rename yours, or seed into an empty database")
    assert contents(city_db) == before


def test_a_plain_seed_into_a_clashing_directory_is_refused_the_same_way(
    city_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import_city(tmp_path, [JUNIPER_FORD[0] | {"credential": "Arduino Explorer Badge"}])
    capsys.readouterr()
    assert main(["directory", "seed"]) == 1
    assert "a second credential 'Arduino Explorer Badge'" in capsys.readouterr().err
