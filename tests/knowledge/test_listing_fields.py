"""One bad value, one refusal: the listing fields' rules (knowledge.listing_fields) give the same
message whichever way the value arrives (seed file, spreadsheet, HSDS, chat edit, API, CLI)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from bot.api.fields import JSON_NAMES, cells_from_json
from knowledge.cli import main
from knowledge.editing.fields import parse_fields
from knowledge.listing_fields import MAX_AGE, MAX_COST, FieldError, parse_age, parse_cost
from knowledge.seed import SeedError, seed_directory
from knowledge.transfer import import_hsds
from knowledge.transfer.hsds_import import HSDS_FIELDS
from tests.knowledge.test_seed import OPPORTUNITIES, write_seed
from tests.knowledge.transfer.factories import ACTOR, import_rows, row

# field (the spreadsheet's column), the value as a person writes it, and the one refusal.
BAD_VALUES = {
    "age 500": ("min_age", "500", "500 is not a plausible age (at most 120)"),
    "age -1": ("min_age", "-1", "-1 is negative; ages are 0 or more"),
    "cost above the cap": (
        "cost",
        "100000000",
        "100000000 must have at most 2 decimals and be below 100,000,000",
    ),
    "bad date": (
        "start_date",
        "2027-02-30",
        "'2027-02-30' is not a date; write YYYY-MM-DD, e.g. 2027-01-09",
    ),
    "bad time": ("start_time", "25:00", "'25:00' is not a time; write HH:MM (24-hour), e.g. 18:30"),
    "unknown day": ("days", "Caturday", "'Caturday' is not a day; use Mon;Tue;Wed;Thu;Fri;Sat;Sun"),
}
NUMBERS = ("min_age", "cost")  # written as numbers in YAML and JSON
SCHEDULE = {"start_date": "start_date", "start_time": "start_time", "days": "days"}
HSDS_SCHEDULE = {"start_date": "valid_from", "start_time": "opens_at", "days": "byday"}
CLI_OPTIONS = {"min_age": "--age", "cost": "--max-cost", "start_date": "--today", "days": "--days"}


def _typed(field: str, value: str) -> Any:
    """The value as a YAML or JSON document holds it."""
    return int(value) if field in NUMBERS else value


def seed_refusals(field: str, value: str, session: Session, tmp_path: Path) -> list[str]:
    """The seed's refusal, without the file, entry and field it names first."""
    entry = dict(OPPORTUNITIES[0])
    if field in SCHEDULE:
        entry["schedule"] = dict(entry.get("schedule") or {})
        entry["schedule"][SCHEDULE[field]] = [value] if field == "days" else value
    elif field == "cost":
        entry["cost"] = {"amount": _typed(field, value)}
    else:
        entry[field] = _typed(field, value)
    with pytest.raises(SeedError) as raised:
        seed_directory(session, write_seed(tmp_path, opportunities=[entry]))
    where, _, message = str(raised.value).partition(f"{field}: ")
    assert where == "all.yml t-001: "
    return [message]


def spreadsheet_refusals(field: str, value: str, session: Session, tmp_path: Path) -> list[str]:
    """A CSV upload's problems with that column."""
    report = import_rows(session, [row(**{field: value})], dry_run=True)
    return [problem.message for problem in report.problems if problem.column == field]


def hsds_refusals(field: str, value: str, session: Session, tmp_path: Path) -> list[str]:
    """An HSDS document's problems with the HSDS field that holds the column."""
    service: dict[str, Any] = {
        "id": "svc-1",
        "organization_id": "org-1",
        "name": "Learn to Row",
        "description": "Four Saturday mornings on the water.",
        "x-format": "online",
        "attributes": [{"taxonomy_term": {"name": "rowing"}}],
    }
    if field in HSDS_SCHEDULE:
        service["schedules"] = [{HSDS_SCHEDULE[field]: value}]
    elif field == "cost":
        service["cost_options"] = [{"amount": _typed(field, value)}]
    else:
        service["minimum_age"] = _typed(field, value)
    document = {"organizations": [{"id": "org-1", "name": "Rowing Club"}], "services": [service]}
    report = import_hsds(
        session, json.dumps(document).encode(), actor=ACTOR, name="feed.json", dry_run=True
    )
    return [problem.message for problem in report.problems if problem.column == HSDS_FIELDS[field]]


def chat_refusals(field: str, value: str, session: Session, tmp_path: Path) -> list[str]:
    """A guided edit's problems (the text a member typed)."""
    _, problems = parse_fields({field: value})
    return [problem.message for problem in problems]


def api_refusals(field: str, value: str, session: Session, tmp_path: Path) -> list[str]:
    """An API body's problems, read as the API reads it."""
    given = [value] if field == "days" else _typed(field, value)
    cells, problems = cells_from_json({JSON_NAMES[field]: given})
    assert problems == []
    _, refused = parse_fields(cells)
    return [problem.message for problem in refused]


PATHS: dict[str, Callable[[str, str, Session, Path], list[str]]] = {
    "seed": seed_refusals,
    "spreadsheet": spreadsheet_refusals,
    "hsds": hsds_refusals,
    "chat": chat_refusals,
    "api": api_refusals,
}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("case", BAD_VALUES)
def test_a_bad_value_gets_the_same_refusal_on_every_path(
    path: str, case: str, session: Session, tmp_path: Path
) -> None:
    field, value, message = BAD_VALUES[case]
    assert PATHS[path](field, value, session, tmp_path) == [message]


@pytest.mark.parametrize(
    "case", [case for case, (field, _, _) in BAD_VALUES.items() if field in CLI_OPTIONS]
)
def test_the_cli_refuses_a_bad_value_with_the_same_message(
    case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    field, value, message = BAD_VALUES[case]
    option = CLI_OPTIONS[field]
    with pytest.raises(SystemExit) as stopped:
        main(["directory", "search", "coding", f"{option}={value}"])
    assert stopped.value.code == 2
    assert f"argument {option}: {message}\n" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("parse", "good", "bad"),
    [
        (parse_age, str(MAX_AGE), str(MAX_AGE + 1)),
        (parse_cost, str(MAX_COST), str(MAX_COST + 1)),
    ],
)
def test_limits_are_inclusive(parse: Callable[[str], object], good: str, bad: str) -> None:
    parse(good)
    with pytest.raises(FieldError):
        parse(bad)
