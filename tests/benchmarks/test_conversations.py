"""`make bench`'s scripted-conversation report: which cities run, and what the report says."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

import benchmarks.conversations as conversations
from benchmarks.city_model import CityModel
from benchmarks.conversation_run import ConversationResult, Reply, ScriptResult, TurnResult
from benchmarks.conversation_script import Expect
from benchmarks.conversations import (
    DEMO,
    Measured,
    ScriptedCity,
    city_folders,
    render,
    scripted_cities,
)
from benchmarks.machine import Machine

MACHINE = Machine(
    cpu="Test CPU",
    cores=2,
    ram_gb=8.0,
    os="Test OS",
    python="3.10.13",
    sqlite="3.40.1",
    postgresql=None,
    measured_at=datetime(2026, 12, 6, 9, 30),
    load=0.5,
)


def test_cities_are_the_demo_then_every_folder_with_a_spreadsheet_and_a_script(
    tmp_path: Path,
) -> None:
    for name, files in {
        "pine-hollow": ["directory.csv", "conversations.yml"],
        "ash-creek": ["directory.csv", "conversations.yml", "judgements.yml"],
        "only-judged": ["directory.csv", "judgements.yml"],
        "no-directory": ["conversations.yml"],
    }.items():
        (tmp_path / name).mkdir()
        for file in files:
            (tmp_path / name / file).write_text("")
    assert [folder.name for folder in city_folders(tmp_path)] == ["ash-creek", "pine-hollow"]
    cities = scripted_cities(tmp_path)
    assert [city.name for city in cities] == [DEMO, "ash-creek", "pine-hollow"]
    assert cities[0].load == ("directory", "seed")
    assert cities[1].load[:3] == (
        "directory",
        "import",
        str(tmp_path / "ash-creek" / "directory.csv"),
    )
    assert cities[1].script == tmp_path / "ash-creek" / "conversations.yml"
    assert city_folders(tmp_path / "missing") == []


def turn(number: int, user: str, problems: tuple[str, ...] = ()) -> TurnResult:
    return TurnResult(number, user, Expect(), Reply(("Here you go.",), ("Show more",)), problems)


def measured() -> list[Measured]:
    demo = ScriptedCity(DEMO, Path("/x/demo_conversations.yml"), ("directory", "seed"))
    pine = ScriptedCity("pine-hollow", Path("/x/conversations.yml"), ("directory", "import"))
    broken = ScriptedCity("ash-creek", Path("/x/ash.yml"), ("directory", "import"))
    result = ScriptResult(
        "Alder Bay",
        "demo_conversations.yml",
        (
            ConversationResult("fine", (turn(1, "hi"),)),
            ConversationResult(
                "pottery then free",
                (
                    turn(1, "pottery for my 9 year old"),
                    turn(2, "only free ones", ("titles_any: none of 'Clay Club' was listed",)),
                    turn(3, "the first one", ("says_all: did not say 'Sat'",)),
                ),
            ),
        ),
    )
    all_pass = ScriptResult("Pine Hollow", "conversations.yml", (ConversationResult("a", ()),))
    return [
        Measured(demo, result, CityModel(DEMO, "sqlite://", Path("m"), 151.4, Path("w"))),
        Measured(pine, all_pass, CityModel("pine-hollow", "sqlite://", Path("m"), None, Path("w"))),
        Measured(broken, None, None, "ash.yml is not a valid conversation script:\n  - x"),
    ]


def test_the_report_gives_each_citys_pass_rate_and_first_failing_turns() -> None:
    report = render(measured(), MACHINE, "python -m benchmarks.conversations")
    assert report.startswith(
        "# Benchmarks: scripted conversations\n\n"
        "Measured 2026-12-06 09:30 with `python -m benchmarks.conversations`."
    )
    assert "| Alder Bay | /x/demo_conversations.yml | 1/2 | 50% | **not met** |" in report
    assert "| Pine Hollow | /x/conversations.yml | 1/1 | 100% | met |" in report
    assert "| ash-creek | /x/ash.yml | not run | — | not measured |" in report
    assert "- CPU: Test CPU, 2 cores" in report
    assert "Rasa " in report
    assert (
        "Model training per city (reused: " in report and "demo 151 s, pine-hollow reused" in report
    )
    assert "## Alder Bay: failing conversations (1 of 2)" in report
    assert (
        "- **pottery then free** — turn 2 'only free ones': titles_any: none of 'Clay Club' was "
        "listed. Reply: 'Here you go. | Show more' (1 later turn failed too)"
    ) in report
    assert "turn 3" not in report  # only the first failing turn of a conversation
    assert "## Pine Hollow\n\nAll 1 conversations passed." in report
    assert "## ash-creek: not run\n\n```\nash.yml is not a valid conversation script:" in report


def test_main_writes_the_report_and_fails_when_a_city_could_not_be_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = {item.city.name: item for item in measured()}
    cities = [item.city for item in measured()]
    monkeypatch.setattr(conversations, "scripted_cities", lambda: cities)
    monkeypatch.setattr(conversations, "measure", lambda city, _work: results[city.name])
    output = tmp_path / "report.md"
    assert (
        conversations.main(["--city", DEMO, "--work", str(tmp_path), "--output", str(output)]) == 0
    )
    report = output.read_text()
    assert "with `python -m benchmarks.conversations --city demo`" in report
    assert "Pine Hollow" not in report
    assert conversations.main(["--work", str(tmp_path), "--output", str(output)]) == 1
    assert "ash-creek: not run" in output.read_text()
