"""Scripted conversations on each city, each against an assistant trained on its own directory.

The demo city's script (tests/e2e/demo_conversations.yml) runs on the stack the other e2e tests
share: the model `make e2e` trained (WAYFINDER_TEST_MODEL) on the seeded demo directory. Every
folder of tests/cities with a directory.csv and a conversations.yml gets a test of its own,
found by looking, so a new city needs no code: its spreadsheet is imported into an empty
database, the NLU lookups are generated from it into a copy of the training data, a model is
trained on that copy (once per run, 2–4 minutes; with WAYFINDER_TEST_CITY_MODELS set, models are
kept there and trained again only when what they learn from changed) and its servers started.
The code is benchmarks.city_model, benchmarks.stack and benchmarks.conversation_run, shared with
`make bench` (benchmarks.conversations).

The target is 0.95 (TARGET): 95 % of conversations passing on every city (issue #12). The floors
below are NOT the target: they are what passed when this suite was written, rounded down to 5 %,
so that a regression fails while the features that make the rest pass are still being built;
raise them as those land, up to TARGET.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from benchmarks.city_model import CityError, city_env, prepare_city
from benchmarks.conversation_run import ScriptResult, describe, rest_sender, run_script
from benchmarks.conversation_script import load_script
from benchmarks.conversations import (
    DEMO_SCRIPT,
    TARGET_PASS_RATE,
    ScriptedCity,
    city_folders,
    folder_city,
)
from benchmarks.stack import Assistant, StackError, run_assistant
from tests.e2e.conftest import Stack

TARGET = TARGET_PASS_RATE
# Regression floors. The demo keeps a conversation of slack below what passed (19/20 on
# 2026-12-07: the details of the first listing near the 14 bus say "Bus 1, 14 and 22" where
# the script expects "Bus 14"); every other city is held to the TARGET itself (at most 1 of
# Juniper Ford's 21 may fail): at a floor of 0.85 a regression that failed two conversations
# (a bare credential name noted as held, 19/21) passed CI unseen.
DEMO_FLOOR = 0.9  # at least 18 of 20
CITY_FLOOR = TARGET  # every city of tests/cities: at least 95 %, 20 of Juniper Ford's 21
CITIES = city_folders()


def checked(result: ScriptResult, floor: float, logs: Path) -> None:
    """Keep the full report beside the servers' logs, print it, and hold the pass rate to
    the floor."""
    report = describe(result, every_turn=True)
    (logs / f"scripted-{result.city.lower().replace(' ', '-')}.txt").write_text(report + "\n")
    print(report)
    assert result.pass_rate >= floor, (
        f"{result.pass_rate:.0%} of conversations passed, below the floor of {floor:.0%} "
        f"(target {TARGET:.0%}):\n{report}"
    )


def test_the_demo_city_passes_its_scripted_conversations(stack: Stack) -> None:
    result = run_script(load_script(DEMO_SCRIPT), rest_sender(stack.rasa_url), "demo")
    checked(result, DEMO_FLOOR, stack.logs)


@dataclass
class CityStack:
    """A city of tests/cities and its running assistant."""

    city: ScriptedCity
    assistant: Assistant


@pytest.fixture(scope="session", params=CITIES, ids=[folder.name for folder in CITIES])
def city_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CityStack]:
    """The city's directory imported, its model trained on its own lookups, its servers up."""
    city = folder_city(request.param)
    kept = os.environ.get("WAYFINDER_TEST_CITY_MODELS", "").strip()
    work = Path(kept) / city.name if kept else tmp_path_factory.mktemp(f"city-{city.name}")
    logs = tmp_path_factory.mktemp(f"run-{city.name}")
    try:
        model = prepare_city(city.name, city.load, work, progress=print)
        with run_assistant(model.model, model.database_url, logs, env=city_env()) as assistant:
            yield CityStack(city, assistant)
    except (CityError, StackError) as error:
        pytest.fail(str(error))


def test_each_city_passes_its_scripted_conversations(city_stack: CityStack) -> None:
    script = load_script(city_stack.city.script)
    result = run_script(script, rest_sender(city_stack.assistant.rasa_url), city_stack.city.name)
    checked(result, CITY_FLOOR, city_stack.assistant.logs)
