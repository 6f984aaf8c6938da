"""`wayfinder directory search` and `stats` as a user runs them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from knowledge.cli import main
from knowledge.db import make_engine
from knowledge.migrate import upgrade
from tests.knowledge.search.conftest import CENTRE, Directory, km_north

TODAY = ["--today", "2026-11-23"]


@pytest.fixture(scope="module")
def city_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated SQLite file with two places, three coding listings and one robotics listing for
    teens; built once, as every test here only reads it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        city = Directory(session)
        riverside = city.place("Riverside", *CENTRE, "the riverside")
        northgate = city.place("Northgate", CENTRE[0] + km_north(6), CENTRE[1])
        city.topic("coding", "programming")
        city.listing(
            "Saturday Code Club",
            min_age=10,
            max_age=14,
            cost_amount=Decimal("0"),
            neighbourhood=riverside,
            days=["Sat"],
            start_time=time(10, 0),
            external_id="t-001",
        )
        city.listing("Python Lab", min_age=12, cost_amount=Decimal("40"), neighbourhood=northgate)
        city.listing("Web Basics Online", cost_amount=Decimal("0"), external_id="t-003")
        city.listing(
            "Robot League", topics=("robotics",), min_age=14, max_age=18, neighbourhood=northgate
        )
        session.commit()
    engine.dispose()
    yield url


@pytest.fixture
def city(city_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the CLI at the shared city."""
    monkeypatch.setenv("WAYFINDER_DATABASE_URL", city_url)
    return city_url


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI and capture what it printed."""
    capsys.readouterr()
    code = main(["directory", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_lists_results_best_first_with_the_agreed_fields(
    city: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "search", "free coding for a 12 year old", "--near", "41.5,-81.7", "--json", *TODAY
    )
    assert code == 0
    results = json.loads(out)
    assert [item["title"] for item in results] == ["Saturday Code Club"]
    (first,) = results
    agreed = {"id", "external_id", "title", "provider", "score", "reason", "distance_km", "topics"}
    assert agreed <= set(first)
    assert first["external_id"] == "t-001"
    assert first["provider"] == "Test Library"
    assert first["reason"] == "coding · ages 10–14 · free · 0.0 km"
    assert first["distance_km"] == 0.0 and first["topics"] == ["coding"]


def test_human_output_is_a_numbered_list_with_reasons(
    city: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "search", "programming", "--free", *TODAY)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "2 matches for coding · free (1–2 shown):"
    assert lines[1] == " 1. Saturday Code Club — Test Library"
    assert lines[2] == "    coding · ages 10–14 · free · Riverside  [t-001]"
    assert lines[3].startswith(" 2. Web Basics Online")


def test_empty_results_print_the_explanation(city: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "robotics", "--age", "9", *TODAY)
    assert code == 0
    assert out.splitlines() == [
        "No matches for robotics · age 9.",
        "No robotics programs match all your filters: "
        "1 robotics program exists without the age limit, all for ages 14+.",
    ]


def test_json_keeps_stdout_a_list_and_explains_emptiness_on_stderr(
    city: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "search", "robotics", "--age", "9", "--json", *TODAY)
    assert code == 0 and json.loads(out) == []
    assert "all for ages 14+" in err


def test_filters_from_options_reach_the_search(
    city: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(
        capsys, "search", "", "--topic", "coding", "--neighborhood", "the riverside",
        "--radius-km", "2", "--days", "sat,Sun", "--when", "morning", "--max-cost", "10",
        "--format", "in_person", "--language", "EN", "--json", *TODAY,
    )  # fmt: skip
    assert [item["title"] for item in json.loads(out)] == ["Saturday Code Club"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--near", "200,5"], 2, "latitude must be between -90 and 90, not 200"),
        (["--near", "here"], 2, "expected LAT,LON"),
        (["--age", "-3"], 2, "argument --age: -3 is negative; ages are 0 or more"),
        (["--max-cost", "-1"], 2, "argument --max-cost: -1 is negative; write 0 for free"),
        (["--days", "Caturday"], 2, "argument --days: 'Caturday' is not a day; use Mon;Tue;"),
        (["--language", "spanish"], 2, "'spanish' is not a language code; write es for Spanish"),
        (["--neighborhood", "Rivrside Pk"], 1, "unknown neighbourhood 'Rivrside Pk'; did you mean"),
        (["--topic", "zorbulation"], 1, "unknown topic 'zorbulation'"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(
    city: str,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    code: int,
    message: str,
) -> None:
    if code == 2:
        with pytest.raises(SystemExit) as stopped:
            run(capsys, "search", "coding", *args)
        assert stopped.value.code == 2
        err = capsys.readouterr().err
    else:
        exit_code, _, err = run(capsys, "search", "coding", *args)
        assert exit_code == 1
    assert message in err


def test_search_refuses_an_unmigrated_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WAYFINDER_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    code, _, err = run(capsys, "search", "coding")
    assert code == 1 and "wayfinder db upgrade" in err


def test_stats_prints_every_count(city: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "stats")
    assert code == 0
    assert "Opportunities: 4\n  by status: active 4\n  by format: in_person 3, online 1\n" in out
    assert "Providers: 1\n  by kind: nonprofit 1\n" in out
    assert "Credentials: 0\n  by type: none\n" in out
    assert "Pathways: 0 (0 steps)\n" in out
    topics = out.split("Opportunities by topic:\n")[1].split("Opportunities by")[0]
    assert [line.split() for line in topics.splitlines()] == [["coding", "3"], ["robotics", "1"]]
    places = out.split("Opportunities by neighbourhood:\n")[1]
    assert [line.strip().rsplit(maxsplit=1) for line in places.splitlines()] == [
        ["Northgate", "2"],
        ["(no place: online or unknown)", "1"],
        ["Riverside", "1"],
    ]


def test_stats_as_json(city: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "stats", "--json")
    stats = json.loads(out)
    assert stats["opportunities_by_topic"] == {"coding": 3, "robotics": 1}
    assert stats["opportunities_by_neighbourhood"]["Riverside"] == 1
