"""Scripted conversations on each city, each against an assistant trained on its own directory.

`python -m benchmarks.conversations` builds the demo city (seeded) and every city of
tests/cities (its directory.csv imported) the way a city builds its assistant
(benchmarks.city_model), starts its action server and Rasa server (benchmarks.stack), runs its
scripted conversations over the REST channel (benchmarks.conversation_run) and writes
docs/benchmarks-conversations.md. Models are kept in benchmarks/data/conversations/ and trained
again only when what they learn from changed. The e2e suite (tests/e2e/test_scripted_cities.py)
runs the same scripts with the same code.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.cached_directories import DATA_DIR
from benchmarks.city_model import (
    CityError,
    CityModel,
    city_env,
    import_command,
    prepare_city,
    seed_command,
)
from benchmarks.conversation_run import (
    ScriptResult,
    describe_turn,
    rest_sender,
    run_script,
)
from benchmarks.conversation_script import ScriptError, load_script, shown_path
from benchmarks.machine import Machine, describe_machine
from benchmarks.stack import StackError, run_assistant
from knowledge.settings import PROJECT_ROOT

TARGET_PASS_RATE = 0.95  # issue #12: on every city
DEMO = "demo"
DEMO_SCRIPT = PROJECT_ROOT / "tests" / "e2e" / "demo_conversations.yml"
CITIES_DIR = PROJECT_ROOT / "tests" / "cities"
WORK = DATA_DIR / "conversations"
OUTPUT = PROJECT_ROOT / "docs" / "benchmarks-conversations.md"
RASA_SITE = PROJECT_ROOT / ".venv-rasa" / "lib"


@dataclass(frozen=True)
class ScriptedCity:
    """A city with scripted conversations and how its directory is loaded."""

    name: str  # "demo", or the folder's name under tests/cities
    script: Path
    load: tuple[str, ...]  # `wayfinder` arguments that fill its empty directory


def city_folders(root: Path = CITIES_DIR) -> list[Path]:
    """Every folder of tests/cities with a spreadsheet and scripted conversations."""
    if not root.is_dir():
        return []
    return sorted(
        folder
        for folder in root.iterdir()
        if (folder / "directory.csv").is_file() and (folder / "conversations.yml").is_file()
    )


def demo_city() -> ScriptedCity:
    """The demo city (knowledge/demo, seeded) and its script in tests/e2e."""
    return ScriptedCity(DEMO, DEMO_SCRIPT, tuple(seed_command()))


def folder_city(folder: Path) -> ScriptedCity:
    """A city of tests/cities: its directory.csv imported, its conversations.yml."""
    return ScriptedCity(
        folder.name, folder / "conversations.yml", tuple(import_command(folder / "directory.csv"))
    )


def scripted_cities(root: Path = CITIES_DIR) -> list[ScriptedCity]:
    """The demo city, then every city of tests/cities."""
    return [demo_city(), *(folder_city(folder) for folder in city_folders(root))]


@dataclass(frozen=True)
class Measured:
    """One city's run: its result, or why it could not be run."""

    city: ScriptedCity
    result: ScriptResult | None
    model: CityModel | None
    error: str | None = None


def measure(city: ScriptedCity, work: Path) -> Measured:
    """Build the city's assistant, start it, run its script; any failure is kept, not raised."""
    model: CityModel | None = None
    try:
        script = load_script(city.script)
        model = prepare_city(city.name, city.load, work / city.name, progress=_say)
        run_logs = work / city.name / "run"
        shutil.rmtree(run_logs, ignore_errors=True)  # a fresh tracker store every run
        _say(f"{city.name}: starting its assistant and running {len(script.conversations)} "
             "conversations …")  # fmt: skip
        with run_assistant(model.model, model.database_url, run_logs, env=city_env()) as servers:
            result = run_script(script, rest_sender(servers.rasa_url), sender_prefix=city.name)
    except (ScriptError, CityError, StackError) as error:
        return Measured(city, None, model, str(error))
    _say(f"{city.name}: {result.passed}/{result.total} conversations passed")
    return Measured(city, result, model)


def render(measured: Sequence[Measured], machine: Machine, command: str) -> str:
    """docs/benchmarks-conversations.md."""
    lines = [
        "# Benchmarks: scripted conversations",
        "",
        f"Measured {machine.measured_at:%Y-%m-%d %H:%M} with `{command}`.",
        "",
        f"| city | script | conversations passed | pass rate | target ≥ {TARGET_PASS_RATE:.0%} |",
        "|---|---|---|---|---|",
    ]
    for item in measured:
        lines.append(_row(item))
    lines += [
        "",
        "Each city's assistant is built as the city would build its own: its directory is loaded "
        "into an empty SQLite database (`wayfinder db upgrade`, then `wayfinder directory seed` "
        "for the demo city or `wayfinder directory import directory.csv`), the NLU lookups are "
        "generated from that database into a copy of the training data, and a model is trained "
        "from config.yml, bot/domain, bot/data and that copy; its action server and Rasa server "
        "then run on that database, with the city-identity settings unset. Every conversation "
        "talks as a new user over the REST channel. A turn passes when the listing titles and "
        "words its script expects are in the reply's texts and button titles (ignoring case) "
        "and those it rules out are not; a conversation passes when all its turns do. Scripts: "
        "the demo city's in tests/e2e/demo_conversations.yml, each other city's in "
        "tests/cities/<city>/conversations.yml (written apart from the code).",
        "",
        *_machine_section(machine, measured),
    ]
    for item in measured:
        lines += ["", *_city_section(item)]
    return "\n".join(lines) + "\n"


def _row(item: Measured) -> str:
    """One city's line of the summary table."""
    script = shown_path(item.city.script)
    if item.result is None:
        return f"| {item.city.name} | {script} | not run | — | not measured |"
    result = item.result
    verdict = "met" if result.pass_rate >= TARGET_PASS_RATE else "**not met**"
    return (
        f"| {result.city} | {script} | {result.passed}/{result.total} | "
        f"{result.pass_rate:.0%} | {verdict} |"
    )


def _machine_section(machine: Machine, measured: Sequence[Measured]) -> list[str]:
    """The hardware and software the figures come from, and what training took."""
    trained = [
        f"{item.city.name} "
        + ("reused" if item.model.training_s is None else f"{item.model.training_s:.0f} s")
        for item in measured
        if item.model is not None
    ]
    return [
        "## Machine",
        "",
        f"- CPU: {machine.cpu}, {machine.cores} cores",
        f"- RAM: {machine.ram_gb:.1f} GiB",
        f"- OS: {machine.os}",
        f"- Python {machine.python}, SQLite {machine.sqlite}, {_rasa_version()}",
        f"- Date: {machine.measured_at:%Y-%m-%d %H:%M}; load average {machine.load:.1f} when the "
        "run started",
        "- Model training per city (reused: nothing it learns from had changed since the last "
        f"run): {', '.join(trained) or 'none'}",
    ]


def _city_section(item: Measured) -> list[str]:
    """A city's failing conversations, each with its first failing turn."""
    title = item.result.city if item.result is not None else item.city.name
    if item.result is None:
        return [f"## {title}: not run", "", "```", item.error or "", "```"]
    failed = item.result.failed
    if not failed:
        return [f"## {title}", "", f"All {item.result.total} conversations passed."]
    lines = [f"## {title}: failing conversations ({len(failed)} of {item.result.total})", ""]
    for conversation in failed:
        first = conversation.failures[0]
        later = len(conversation.failures) - 1
        more = f" ({later} later turn{'s' if later != 1 else ''} failed too)" if later else ""
        lines.append(f"- **{conversation.name}** — {describe_turn(first)}{more}")
    return lines


def _rasa_version() -> str:
    """Rasa's version in .venv-rasa, from its installed metadata."""
    for info in sorted(RASA_SITE.glob("python*/site-packages/rasa-*.dist-info")):
        return "Rasa " + info.name.removeprefix("rasa-").removesuffix(".dist-info")
    return "Rasa (version unknown)"


def _say(message: str) -> None:
    """Progress on standard output."""
    print(message, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every city's script (or the named ones) and write the report."""
    cities = scripted_cities()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--city",
        action="append",
        choices=[city.name for city in cities],
        help="only this city (repeatable; default: the demo city and every city of tests/cities)",
    )
    parser.add_argument("--work", type=Path, default=WORK, help="where databases and models live")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="report file to write")
    args = parser.parse_args(argv)
    chosen = [city for city in cities if not args.city or city.name in args.city]
    machine = describe_machine(None)
    started = time.perf_counter()
    measured = [measure(city, args.work) for city in chosen]
    command = "python -m benchmarks.conversations" + "".join(
        f" --city {name}" for name in args.city or []
    )
    report = render(measured, machine, command)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report, encoding="utf-8")
    print(report)
    print(f"Wrote {shown_path(args.output)} in {time.perf_counter() - started:.0f} s.")
    return 1 if any(item.result is None for item in measured) else 0


if __name__ == "__main__":
    sys.exit(main())
