"""Every field's bad values are refused with 422 naming the JSON field and saying what to write
(the spreadsheet's own messages); the JSON ↔ cell conversion on its own."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bot.api.fields import FIELD_OF, JSON_NAMES, cells_from_json, json_value
from knowledge.editing.fields import FIELDS
from tests.bot.api.conftest import Api

BAD_VALUES: list[tuple[dict[str, Any], str, str]] = [
    ({"name": None}, "name", "required"),
    ({"name": ""}, "name", "required"),
    ({"name": 12}, "name", "must be text"),
    ({"name": "x" * 301}, "name", "at most 300"),
    ({"name": "a\x00b"}, "name", "NUL"),
    ({"description": "   "}, "description", "required"),
    ({"description": ["a"]}, "description", "must be text"),
    ({"topics": []}, "topics", "required"),
    ({"topics": None}, "topics", "required"),
    ({"topics": "robotics"}, "topics", "list of strings"),
    ({"topics": [1]}, "topics", "list of strings"),
    ({"topics": ["a;b"]}, "topics", "contains ';'"),
    ({"topics": ["x" * 81]}, "topics", "longer than 80"),
    ({"format": "walking"}, "format", "not one of"),
    ({"format": None}, "format", "required"),
    ({"format": 1}, "format", "must be text"),
    ({"minimum_age": -1}, "minimum_age", "negative"),
    ({"minimum_age": 121}, "minimum_age", "plausible"),
    ({"minimum_age": "8"}, "minimum_age", "whole number"),
    ({"minimum_age": 8.5}, "minimum_age", "whole number"),
    ({"minimum_age": True}, "minimum_age", "whole number"),
    ({"minimum_age": 13}, "minimum_age", "below the youngest"),
    ({"maximum_age": 2}, "maximum_age", "below the youngest"),
    ({"maximum_age": 10**40}, "maximum_age", "plausible"),
    ({"cost": -3}, "cost", "negative"),
    ({"cost": "ten"}, "cost", "not a number"),
    ({"cost": 1.234}, "cost", "2 decimals"),
    ({"cost": 1e30}, "cost", "below 100,000,000"),
    ({"cost": "1e999999"}, "cost", "below 100,000,000"),
    ({"cost": True}, "cost", "must be a number"),
    ({"cost": {"amount": 5}}, "cost", "must be a number"),
    ({"fees_description": 5}, "fees_description", "must be text"),
    ({"days": ["Someday"]}, "days", "not a day"),
    ({"days": "Mon"}, "days", "list of strings"),
    ({"start_time": "25:00"}, "start_time", "not a time"),
    ({"start_time": "10am"}, "start_time", "not a time"),
    ({"start_time": 10}, "start_time", "must be text"),
    ({"start_time": "10:00", "end_time": "09:00"}, "end_time", "not be after"),
    ({"start_date": "2000-01-01"}, "start_date", "in the past"),
    ({"start_date": "next week"}, "start_date", "not a date"),
    ({"start_date": "2030-02-30"}, "start_date", "not a date"),
    ({"start_date": "2030-05-01", "end_date": "2030-04-01"}, "end_date", "before the start"),
    ({"end_date": "01/04/2030"}, "end_date", "not a date"),
    ({"application_deadline": "1999-12-31"}, "application_deadline", "in the past"),
    ({"seats_available": -1}, "seats_available", "negative"),
    ({"seats_available": 10**9}, "seats_available", "plausible number of seats"),
    ({"seats_available": "lots"}, "seats_available", "whole number"),
    ({"status": "paused"}, "status", "not one of"),
    ({"status": None}, "status", "required"),
    ({"languages": ["english"]}, "languages", "write en for English"),
    ({"languages": ["xx-!!"]}, "languages", "not a language code; write a BCP 47 tag"),
    ({"languages": "en"}, "languages", "list of strings"),
    ({"eligibility_description": {}}, "eligibility_description", "must be text"),
    ({"eligibility_description": "\ud800"}, "eligibility_description", "unpaired surrogate"),
    ({"url": "https://example.org/" + "x" * 500}, "url", "at most 500"),
    ({"contact_phone": "5" * 51}, "contact_phone", "at most 50"),
    ({"email": "a" * 201}, "email", "at most 200"),
    ({"accessibility": ["ramp"]}, "accessibility", "must be text"),
    ({"transportation": 14}, "transportation", "must be text"),
    ({"transportation": "a\x00b"}, "transportation", "NUL"),
    ({"colour": "red"}, "colour", "not a field"),
    ({"nme": "Story"}, "nme", "did you mean 'name'"),
    ({"id": 99}, "id", "set by the directory"),
    ({"provider": {"id": 2, "name": "Robot Club"}}, "provider", "set by the directory"),
    ({"modified_at": "2030-01-01T00:00:00Z"}, "modified_at", "set by the directory"),
]


def test_every_editable_field_has_bad_values_tested() -> None:
    tested = {field for _, field, _ in BAD_VALUES}
    assert set(FIELD_OF) <= tested


@pytest.mark.parametrize(("change", "field", "says"), BAD_VALUES)
def test_a_bad_value_is_refused_naming_the_field_and_nothing_changes(
    shared_api: Api, change: dict[str, Any], field: str, says: str
) -> None:
    listing = shared_api.listing("story_time")
    answer = shared_api.call(
        "PATCH",
        f"/opportunities/{listing['id']}",
        json=change | {"version": listing["version"]},
    )
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert [problem["field"] for problem in body["problems"]] == [field]
    assert says in body["problems"][0]["message"]
    assert body["error"].startswith("1 problem, nothing was changed: ")
    assert shared_api.listing("story_time") == listing


def test_every_problem_is_reported_at_once(shared_api: Api) -> None:
    listing = shared_api.listing("story_time")
    change = {"minimum_age": -1, "cost": "ten", "status": "paused", "colour": "red"}
    answer = shared_api.call(
        "PATCH", f"/opportunities/{listing['id']}", json=change | {"version": listing["version"]}
    )
    assert answer.status_code == 422
    fields = sorted(problem["field"] for problem in answer.json()["problems"])
    assert fields == ["colour", "cost", "minimum_age", "status"]
    assert answer.json()["error"].startswith("4 problems")


def test_a_new_listings_bad_values_are_refused_the_same_way(shared_api: Api) -> None:
    body = {
        "name": "Chess",
        "description": "Chess.",
        "topics": ["chess"],
        "format": "online",
        "maximum_age": -4,
        "version": 3,
    }
    answer = shared_api.call("POST", "/opportunities", json=body)
    assert answer.status_code == 422
    fields = sorted(problem["field"] for problem in answer.json()["problems"])
    assert fields == ["maximum_age", "version"]


def test_every_field_has_a_json_name() -> None:
    assert set(JSON_NAMES) == set(FIELDS)
    assert len(set(JSON_NAMES.values())) == len(JSON_NAMES)


def test_json_values_become_the_cells_the_spreadsheet_takes() -> None:
    cells, problems = cells_from_json(
        {
            "name": "Robots",
            "topics": ["robotics", "coding"],
            "minimum_age": 8,
            "cost": Decimal("12.50"),
            "days": ["Sat"],
            "languages": [],
            "url": None,
        }
    )
    assert problems == []
    assert cells == {
        "title": "Robots",
        "topics": "robotics; coding",
        "min_age": "8",
        "cost": "12.50",
        "days": "Sat",
        "languages": "",
        "enroll_url": "",
    }


def test_read_only_fields_sent_back_unchanged_are_ignored() -> None:
    current = {"id": 3, "version": 2, "provider": {"id": 1, "name": "A"}}
    same = {"id": 3, "provider": {"id": 1, "name": "A"}}
    assert cells_from_json(same, current=current) == ({}, [])
    _, problems = cells_from_json({"id": 4}, current=current)
    assert [problem.field for problem in problems] == ["id"]


@pytest.mark.parametrize(
    ("attribute", "value", "shown"),
    [
        ("cost_amount", Decimal("25.00"), 25),
        ("cost_amount", Decimal("12.50"), 12.5),
        ("status", "temporarily_closed", "temporarily closed"),
        ("language_list", ["en", "es"], ["en", "es"]),
        ("min_age", None, None),
    ],
)
def test_values_are_shown_as_json(attribute: str, value: Any, shown: Any) -> None:
    assert json_value(attribute, value) == shown
