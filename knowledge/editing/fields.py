"""The listing fields people edit, parsed and checked by the community spreadsheet's own rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from knowledge.editing.place_fields import (
    is_place_attribute,
    main_place,
    place_problems,
    place_value,
)
from knowledge.history import as_text
from knowledge.listing_fields import format_time
from knowledge.models import FORMATS, STATUSES, Opportunity
from knowledge.transfer.report import Problem
from knowledge.transfer.rows import Cells


@dataclass(frozen=True)
class EditableField:
    """One field: its spreadsheet/API name, the listing attribute, and words for people."""

    name: str
    attribute: str
    label: str
    example: str
    required: bool = False


FIELDS: dict[str, EditableField] = {
    field.name: field
    for field in (
        EditableField("title", "title", "title", "Saturday Robotics", required=True),
        EditableField(
            "description", "description", "description", "Build and code robots", required=True
        ),
        EditableField("topics", "topics", "topics", "robotics; coding", required=True),
        EditableField("format", "format", "format", "in_person, online or hybrid", required=True),
        EditableField("min_age", "min_age", "youngest age", "8"),
        EditableField("max_age", "max_age", "oldest age", "14"),
        EditableField("cost", "cost_amount", "cost", "25 (0 = free)"),
        EditableField("cost_notes", "financial_aid", "financial aid", "Free for families on SNAP"),
        EditableField("days", "days", "days", "Sat; Sun"),
        EditableField("start_time", "start_time", "start time", "10:00"),
        EditableField("end_time", "end_time", "end time", "12:00"),
        EditableField("start_date", "start_date", "next session date", "2027-01-09"),
        EditableField("end_date", "end_date", "end date", "2027-03-27"),
        EditableField(
            "application_deadline", "application_deadline", "application deadline", "2027-01-02"
        ),
        EditableField("seats_available", "seats_available", "seats left", "12"),
        EditableField("status", "status", "status", "active, temporarily_closed or inactive"),
        EditableField("languages", "language_list", "languages", "en; es"),
        EditableField("eligibility", "eligibility", "who can join", "Ages 8-14, no experience"),
        EditableField("enroll_url", "enroll_url", "sign-up link", "https://example.org/join"),
        EditableField("contact_phone", "enroll_phone", "contact phone", "555-0134"),
        EditableField("contact_email", "enroll_email", "contact email", "club@example.org"),
        EditableField(
            "accessibility",
            "place_accessibility",
            "access note",
            "Step-free entrance; lift to the 2nd floor",
        ),
        EditableField(
            "transport",
            "place_transport",
            "transport note",
            "Bus 14 stops outside; bike racks",
        ),
    )
}
BY_ATTRIBUTE = {field.attribute: field for field in FIELDS.values()}
# Dates a provider sets for the future: a past one is almost always a typo.
FUTURE_DATES = ("start_date", "application_deadline")


def parse_fields(cells: Mapping[str, str]) -> tuple[dict[str, Any], list[Problem]]:
    """Check and convert the given cells (by field name); values come back by listing attribute.

    An empty cell clears an optional field; required fields cannot be emptied.
    """
    cell = Cells(cells, 0)
    values: dict[str, Any] = {}
    for name in cells:
        field = FIELDS.get(name)
        if field is None:
            known = ", ".join(FIELDS)
            cell.fail(name, f"is not a field that can be changed; use one of: {known}")
            continue
        value = _parse_one(cell, field)
        if not any(problem.column == name for problem in cell.problems):
            values[field.attribute] = value
    return values, [_without_row(problem) for problem in cell.problems]


def _parse_one(cell: Cells, field: EditableField) -> Any:
    """One field through the spreadsheet's parser for its kind."""
    name = field.name
    if name in ("min_age", "max_age"):
        return cell.age(name)
    if name == "cost":
        return cell.cost()
    if name == "format":
        return cell.choice(name, FORMATS, required=True)
    if name == "status":
        return cell.choice(name, STATUSES, required=True)
    if name == "topics":
        return cell.topics()
    if name == "days":
        return cell.days()
    if name == "languages":
        return cell.languages() or ["en"]
    if name in ("start_time", "end_time"):
        return cell.time(name)
    if name in ("start_date", "end_date", "application_deadline"):
        return cell.date(name)
    if name == "seats_available":
        return cell.seats(name)
    return cell.text(name, required=field.required)


def _without_row(problem: Problem) -> Problem:
    """Problems of a single edit point at a field, not a spreadsheet row."""
    return Problem(problem.message, None, problem.column, field_label="field")


def check_together(
    current: Opportunity | None, values: Mapping[str, Any], today: date
) -> list[Problem]:
    """Rules across fields, on the listing as it would be after the change."""

    def after(attribute: str) -> Any:
        if attribute in values:
            return values[attribute]
        return getattr(current, attribute) if current is not None else None

    problems = []
    if current is not None:
        problems += place_problems(main_place(current), values, lambda a: BY_ATTRIBUTE[a].name)

    def fail(name: str, message: str) -> None:
        problems.append(Problem(message, None, name, field_label="field"))

    low, high = after("min_age"), after("max_age")
    if low is not None and high is not None and high < low:
        name = "max_age" if "max_age" in values else "min_age"
        fail(name, f"the oldest age ({high}) would be below the youngest ({low})")
    start, end = after("start_date"), after("end_date")
    if start is not None and end is not None and end < start:
        name = "end_date" if "end_date" in values else "start_date"
        fail(name, f"the end date ({end}) would be before the start date ({start})")
    opens, closes = after("start_time"), after("end_time")
    if opens is not None and closes is not None and closes <= opens:
        name = "end_time" if "end_time" in values else "start_time"
        fail(
            name,
            f"the end time ({format_time(closes)}) would not be after the start time "
            f"({format_time(opens)})",
        )
    for attribute in FUTURE_DATES:
        value = values.get(attribute)
        if value is not None and value < today:
            fail(
                BY_ATTRIBUTE[attribute].name,
                f"{value} is in the past; give a date from {today} on",
            )
    return problems


def display(opportunity: Opportunity | None, attribute: str) -> str:
    """A field's current value as people read it (empty shows as a dash)."""
    if opportunity is None:
        return "—"
    value = value_of(opportunity, attribute)
    if attribute == "topics":
        value = [topic.name for topic in value]
    return shown(value)


def value_of(opportunity: Opportunity, attribute: str) -> Any:
    """A field's stored value: the listing's own, or its place's note."""
    if is_place_attribute(attribute):
        return place_value(opportunity, attribute)
    return getattr(opportunity, attribute)


def shown(value: Any) -> str:
    """A parsed value as people read it."""
    if isinstance(value, (list, tuple)):
        return "; ".join(str(item) for item in value) or "—"
    text = as_text(value)
    return "—" if text in (None, "") else str(text)


@dataclass(frozen=True)
class FieldChange:
    """One line of a preview or a review diff."""

    field: str
    label: str
    before: str
    after: str


def diff(opportunity: Opportunity | None, values: Mapping[str, Any]) -> list[FieldChange]:
    """What would change, field by field (unchanged fields left out)."""
    changes = []
    for attribute, value in values.items():
        field = BY_ATTRIBUTE[attribute]
        before, after_ = display(opportunity, attribute), shown(value)
        if before != after_:
            changes.append(FieldChange(field.name, field.label, before, after_))
    return changes
