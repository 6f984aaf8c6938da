"""The community spreadsheet's columns, and turning one row of cells into checked, typed values.

Parsing is pure (no database, no I/O) so the CSV and HSDS importers, an HTTP API and a chat
upload all apply the same rules and report problems the same way.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from sqlalchemy import Column

from knowledge.models import (
    CREDENTIAL_TYPES,
    DAYS,
    FORMATS,
    PROVIDER_KINDS,
    STATUSES,
    Credential,
    Location,
    Neighbourhood,
    Opportunity,
    Provider,
    Topic,
)
from knowledge.transfer.languages import ISO_639_1
from knowledge.transfer.report import Problem

COLUMNS = (
    "external_id",
    "title",
    "provider",
    "provider_kind",
    "description",
    "topics",
    "min_age",
    "max_age",
    "cost",
    "cost_notes",
    "format",
    "address",
    "neighborhood",
    "city",
    "latitude",
    "longitude",
    "days",
    "start_time",
    "end_time",
    "start_date",
    "end_date",
    "application_deadline",
    "languages",
    "credential",
    "credential_type",
    "enroll_url",
    "contact_phone",
    "contact_email",
    "version",
)
REQUIRED = ("title", "provider", "description", "topics", "format")
# Columns a header may leave out (sheets made before they existed stay valid); export writes them.
# `version` is the listing's version when exported: a sheet without it is a fresh file, not an
# old export, and is imported without the check (docs/csv-import.md, "Old exports").
OPTIONAL_COLUMNS = ("provider_kind", "version")
# Fields an HSDS file carries beyond the spreadsheet; a CSV header may not use them.
HSDS_ONLY = ("status", "eligibility", "assured_date")
LOCATION_COLUMNS = ("address", "neighborhood", "city", "latitude", "longitude")
MAX_AGE = 120
MAX_COST = Decimal("99999999.99")  # Numeric(10, 2)
CENT = Decimal("0.01")

_DAY_NAMES = {day.lower(): day for day in DAYS} | {
    name: day
    for name, day in zip(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        DAYS,
        strict=True,
    )
}
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_SEPARATORS = re.compile(r"[\s-]+")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_WHOLE = re.compile(r"^[+-]?\d+$")


def _limits() -> dict[str, int]:
    """Longest text each column may hold, read from the models so the two cannot drift apart."""
    columns: dict[str, Any] = {
        "external_id": Opportunity.__table__.c.external_id,
        "title": Opportunity.__table__.c.title,
        "provider": Provider.__table__.c.name,
        "address": Location.__table__.c.address,
        "neighborhood": Neighbourhood.__table__.c.name,
        "city": Location.__table__.c.city,
        "credential": Credential.__table__.c.name,
        "enroll_url": Opportunity.__table__.c.enroll_url,
        "contact_phone": Opportunity.__table__.c.enroll_phone,
        "contact_email": Opportunity.__table__.c.enroll_email,
    }
    return {name: _length(column) for name, column in columns.items()}


def _length(column: Column[Any]) -> int:
    """The declared length of a string column."""
    length = getattr(column.type, "length", None)
    assert isinstance(length, int), column
    return length


MAX_LENGTHS = _limits()
TOPIC_MAX_LENGTH = _length(Topic.__table__.c.name)  # type: ignore[arg-type]


@dataclass
class OpportunityRow:
    """One listing as read from a row; cells that failed to parse are None."""

    row: int
    external_id: str | None = None
    title: str = ""
    provider: str = ""
    provider_kind: str | None = None  # empty or absent: unknown
    description: str = ""
    topics: list[str] = field(default_factory=list)
    min_age: int | None = None
    max_age: int | None = None
    cost: Decimal | None = None
    cost_notes: str | None = None
    format: str = ""
    address: str | None = None
    neighbourhood: str | None = None
    city: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    days: list[str] = field(default_factory=list)
    start_time: time | None = None
    end_time: time | None = None
    start_date: date | None = None
    end_date: date | None = None
    application_deadline: date | None = None
    languages: list[str] = field(default_factory=list)
    credential: str | None = None
    credential_type: str | None = None
    enroll_url: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    version: int | None = None  # the listing's version in the export the row came from
    extras: dict[str, Any] = field(default_factory=dict)  # HSDS-only fields, by model attribute
    provider_details: dict[str, Any] = field(default_factory=dict)  # for a new provider
    location_details: dict[str, Any] = field(default_factory=dict)  # for a new location
    failed: set[str] = field(default_factory=set)  # columns with a problem (reported already)

    @property
    def has_location(self) -> bool:
        """Whether any location cell is filled in."""
        return any(
            value is not None
            for value in (
                self.address,
                self.neighbourhood,
                self.city,
                self.latitude,
                self.longitude,
            )
        )


def check_header(header: Sequence[str]) -> list[Problem]:
    """Every missing, unknown or repeated column name in the header row (row 1)."""
    names = [normalise_header(name) for name in header]
    problems = []
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        problems.append(Problem(f"column(s) appear more than once: {', '.join(repeated)}", row=1))
    unknown = [name or "(empty)" for name in names if name not in COLUMNS]
    absent = [name for name in COLUMNS if name not in names]
    missing = [name for name in absent if name not in OPTIONAL_COLUMNS]
    for name in unknown:
        close = difflib.get_close_matches(name, absent, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        problems.append(Problem(f"unknown column {name!r}{hint}", row=1))
    if missing:
        problems.append(Problem(f"missing column(s): {', '.join(missing)}", row=1))
    if problems:
        needed = ", ".join(name for name in COLUMNS if name not in OPTIONAL_COLUMNS)
        optional = ", ".join(OPTIONAL_COLUMNS)
        problems.append(
            Problem(f"the header must name these columns: {needed} (and may add {optional})", row=1)
        )
    return problems


def normalise_header(name: str) -> str:
    """Header names are matched ignoring case, surrounding spaces and a byte-order mark."""
    return name.replace("\ufeff", "").strip().lower()


def parse_row(cells: Mapping[str, str], row: int) -> tuple[OpportunityRow, list[Problem]]:
    """Check and convert one row's cells; returns the values and every problem found."""
    cell = Cells(cells, row)
    result = OpportunityRow(
        row=row,
        external_id=cell.text("external_id"),
        title=cell.text("title", required=True) or "",
        provider=cell.text("provider", required=True) or "",
        provider_kind=cell.choice("provider_kind", PROVIDER_KINDS),
        description=cell.text("description", required=True) or "",
        topics=cell.topics(),
        min_age=cell.age("min_age"),
        max_age=cell.age("max_age"),
        cost=cell.cost(),
        cost_notes=cell.text("cost_notes"),
        format=cell.choice("format", FORMATS, required=True) or "",
        address=cell.text("address"),
        neighbourhood=cell.text("neighborhood"),
        city=cell.text("city"),
        latitude=cell.coordinate("latitude", 90),
        longitude=cell.coordinate("longitude", 180),
        days=cell.days(),
        start_time=cell.time("start_time"),
        end_time=cell.time("end_time"),
        start_date=cell.date("start_date"),
        end_date=cell.date("end_date"),
        application_deadline=cell.date("application_deadline"),
        languages=cell.languages(),
        credential=cell.text("credential"),
        credential_type=cell.choice("credential_type", CREDENTIAL_TYPES),
        enroll_url=cell.text("enroll_url"),
        contact_phone=cell.text("contact_phone"),
        contact_email=cell.text("contact_email"),
        version=cell.version(),
    )
    _check_together(result, cell)
    if "status" in cells:
        result.extras["status"] = cell.choice("status", STATUSES) or "active"
    if "eligibility" in cells:
        result.extras["eligibility"] = cell.text("eligibility")
    if "assured_date" in cells:
        result.extras["assured_date"] = cell.date("assured_date")
    result.failed = {problem.column for problem in cell.problems if problem.column}
    return result, cell.problems


def _check_together(row: OpportunityRow, cell: Cells) -> None:
    """Rules that compare two cells of the same row."""
    if row.min_age is not None and row.max_age is not None and row.max_age < row.min_age:
        cell.fail("max_age", f"{row.max_age} is below min_age {row.min_age}")
    if row.start_date and row.end_date and row.end_date < row.start_date:
        cell.fail("end_date", f"{row.end_date} is before start_date {row.start_date}")
    if row.start_time and row.end_time and row.end_time <= row.start_time:
        cell.fail(
            "end_time",
            f"{format_time(row.end_time)} is not after start_time {format_time(row.start_time)}",
        )
    if row.credential_type and not cell.filled("credential"):
        cell.fail("credential_type", "is filled in but credential is empty; name the credential")
    for present, absent in (("latitude", "longitude"), ("longitude", "latitude")):
        if cell.filled(present) and not cell.filled(absent):
            cell.fail(absent, f"{present} is given, so {absent} is needed too (or clear both)")


class Cells:
    """One row's cells, collecting every problem instead of stopping at the first."""

    def __init__(self, cells: Mapping[str, str], row: int) -> None:
        self.cells = {column: (value or "").strip() for column, value in cells.items()}
        self.row = row
        self.problems: list[Problem] = []

    def fail(self, column: str, message: str) -> None:
        """Record a problem with one cell."""
        self.problems.append(Problem(message, self.row, column))

    def filled(self, column: str) -> bool:
        """Whether the cell has anything in it."""
        return bool(self.cells.get(column))

    def text(self, column: str, *, required: bool = False) -> str | None:
        """A trimmed text cell; empty means unknown (None)."""
        value = self.cells.get(column, "")
        if not value:
            if required:
                self.fail(column, "is required but empty")
            return None
        limit = MAX_LENGTHS.get(column)
        if limit is not None and len(value) > limit:
            self.fail(column, f"is {len(value)} characters long; at most {limit} fit")
            return None
        return value

    def choice(self, column: str, allowed: Sequence[str], *, required: bool = False) -> str | None:
        """One of a fixed set of words, ignoring case and accepting spaces or hyphens for '_'."""
        value = self.text(column, required=required)
        if value is None:
            return None
        key = (value, tuple(allowed))
        word = _CHOICES.get(key)
        if word is not None:
            return word
        word = _SEPARATORS.sub("_", value.lower())
        if word not in allowed:
            self.fail(column, f"{value!r} is not one of: {', '.join(allowed)}")
            return None
        return _remember(_CHOICES, key, word)

    def _parts(self, column: str) -> list[str]:
        """The non-empty `;`-separated parts of a list cell."""
        return [part.strip() for part in self.cells.get(column, "").split(";") if part.strip()]

    def topics(self) -> list[str]:
        """Topic names (matched to the taxonomy later), at least one."""
        key = ("topics", self.cells.get("topics", ""))
        known = _LISTS.get(key)
        if known is not None:
            return list(known)
        parts = self._parts("topics")
        if not parts:
            self.fail("topics", "is required but empty")
        topics: list[str] = []
        for part in parts:
            if len(part) > TOPIC_MAX_LENGTH:
                self.fail("topics", f"topic {part!r} is longer than {TOPIC_MAX_LENGTH} characters")
            elif part.lower() not in (topic.lower() for topic in topics):
                topics.append(part)
        if parts and len(topics) == len(parts):  # no topic too long (nor repeated)
            _remember(_LISTS, key, tuple(topics))
        return topics

    def days(self) -> list[str]:
        """Meeting days as Mon…Sun in week order."""
        key = ("days", self.cells.get("days", ""))
        known = _LISTS.get(key)
        if known is not None:
            return list(known)
        days = set()
        problems = len(self.problems)
        for part in self._parts("days"):
            day = _DAY_NAMES.get(part.lower())
            if day is None:
                self.fail("days", f"{part!r} is not a day; use {';'.join(DAYS)}")
            else:
                days.add(day)
        ordered = [day for day in DAYS if day in days]
        if len(self.problems) == problems:
            _remember(_LISTS, key, tuple(ordered))
        return ordered

    def languages(self) -> list[str]:
        """ISO 639-1 codes in the order given, lower-case, without repeats."""
        key = ("languages", self.cells.get("languages", ""))
        known = _LISTS.get(key)
        if known is not None:
            return list(known)
        codes: list[str] = []
        problems = len(self.problems)
        for part in self._parts("languages"):
            code = part.lower()
            if not _LANGUAGE.match(code):
                self.fail(
                    "languages", f"{part!r} is not a two-letter ISO 639-1 code (e.g. en, es, fr)"
                )
            elif code not in ISO_639_1:
                self.fail("languages", f"{part!r} is not an ISO 639-1 language code")
            elif code not in codes:
                codes.append(code)
        if len(self.problems) == problems:
            _remember(_LISTS, key, tuple(codes))
        return codes

    def whole_number(self, column: str) -> int | None:
        """A whole number such as 12."""
        value = self.text(column)
        if value is None:
            return None
        if not _WHOLE.match(value):
            self.fail(column, f"{value!r} is not a whole number")
            return None
        return int(value)

    def version(self) -> int | None:
        """The version an export wrote (1 or more); empty for a row the export did not write."""
        value = self.whole_number("version")
        if value is not None and value < 1:
            self.fail(
                "version",
                f"{value} is not a version; keep the number the export wrote, or leave it empty "
                "for a new listing",
            )
            return None
        return value

    def age(self, column: str) -> int | None:
        """An age in years, 0 to 120."""
        age = self.whole_number(column)
        if age is None:
            return None
        if age < 0:
            self.fail(column, f"{age} is negative; ages are 0 or more")
            return None
        if age > MAX_AGE:
            self.fail(column, f"{age} is not a plausible age (at most {MAX_AGE})")
            return None
        return age

    def cost(self) -> Decimal | None:
        """A price such as 25 or 12.50; 0 means free."""
        value = self.text("cost")
        if value is None:
            return None
        known = _COSTS.get(value)
        if known is not None:
            return known
        try:
            amount = Decimal(value)
        except InvalidOperation:
            amount = Decimal("NaN")
        if not amount.is_finite():
            self.fail("cost", f"{value!r} is not a number; write e.g. 25 or 12.50 (0 = free)")
            return None
        if amount < 0:
            self.fail("cost", f"{value} is negative; write 0 for free")
            return None
        if amount > MAX_COST or amount != amount.quantize(CENT):  # too big to quantize
            self.fail("cost", f"{value} must have at most 2 decimals and be below 100,000,000")
            return None
        return _remember(_COSTS, value, amount.quantize(CENT))

    def coordinate(self, column: str, bound: int) -> float | None:
        """A latitude (±90) or longitude (±180) in decimal degrees."""
        value = self.text(column)
        if value is None:
            return None
        known = _COORDINATES.get((value, bound))
        if known is not None:
            return known
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            self.fail(column, f"{value!r} is not a number in decimal degrees, e.g. 41.5013")
            return None
        if not -bound <= number <= bound:
            self.fail(
                column, f"{value} is out of range; {column} lies between -{bound} and {bound}"
            )
            return None
        return _remember(_COORDINATES, (value, bound), number)

    def date(self, column: str) -> date | None:
        """A calendar date written YYYY-MM-DD."""
        value = self.text(column)
        if value is None:
            return None
        known = _DATES.get(value)
        if known is not None:
            return known
        try:
            if not _DATE.match(value):
                raise ValueError(value)
            return _remember(_DATES, value, date.fromisoformat(value))
        except ValueError:
            self.fail(column, f"{value!r} is not a date; write YYYY-MM-DD, e.g. 2027-01-09")
            return None

    def time(self, column: str) -> time | None:
        """A clock time written HH:MM (24-hour)."""
        value = self.text(column)
        if value is None:
            return None
        known = _TIMES.get(value)
        if known is not None:
            return known
        match = _TIME.match(value)
        if match and int(match[1]) < 24 and int(match[2]) < 60:
            return _remember(_TIMES, value, time(int(match[1]), int(match[2])))
        self.fail(column, f"{value!r} is not a time; write HH:MM (24-hour), e.g. 18:30")
        return None


# What cells that converted without a problem converted to, by their text: a spreadsheet repeats
# the same few choices, dates, times, prices, places, days and topics thousands of times. Only
# immutable values are kept (lists as tuples, each caller getting a list of its own).
_CHOICES: dict[tuple[str, tuple[str, ...]], str] = {}
_DATES: dict[str, date] = {}
_TIMES: dict[str, time] = {}
_COSTS: dict[str, Decimal] = {}
_COORDINATES: dict[tuple[str, int], float] = {}
_LISTS: dict[tuple[str, str], tuple[str, ...]] = {}  # (column, cell) → topics, days, languages
_REMEMBERED = 20_000  # at most, per kind

_Key = TypeVar("_Key")
_Value = TypeVar("_Value")


def _remember(known: dict[_Key, _Value], key: _Key, value: _Value) -> _Value:
    """Keep a cell's value for the next cell with the same text; returns it."""
    if len(known) >= _REMEMBERED:
        known.clear()
    known[key] = value
    return value


def format_cost(amount: Decimal | None) -> str:
    """25 for whole amounts, 12.50 otherwise; empty when unknown."""
    if amount is None:
        return ""
    if amount == amount.to_integral_value():
        return str(int(amount))
    return f"{amount.quantize(CENT)}"


def format_float(value: float | None) -> str:
    """The shortest text that reads back as the same float."""
    return "" if value is None else repr(float(value))


def format_time(value: time | None) -> str:
    """HH:MM."""
    return "" if value is None else value.strftime("%H:%M")


def format_date(value: date | None) -> str:
    """YYYY-MM-DD."""
    return "" if value is None else value.isoformat()


def check_duplicates(rows: Sequence[OpportunityRow]) -> list[Problem]:
    """Rows that would write the same listing: same external_id, or same provider and title."""
    problems = []
    by_id: dict[str, int] = {}
    by_name: dict[tuple[str, str], int] = {}
    for row in rows:
        if row.external_id:
            first = by_id.setdefault(row.external_id, row.row)
            if first != row.row:
                problems.append(
                    Problem(
                        f"{row.external_id!r} is already used in row {first}",
                        row.row,
                        "external_id",
                    )
                )
        elif row.title and row.provider:
            key = (row.provider.lower(), row.title.lower())
            first = by_name.setdefault(key, row.row)
            if first != row.row:
                problems.append(
                    Problem(
                        f"{row.title!r} by {row.provider!r} is already in row {first}; rows "
                        "without external_id are matched by provider and title, so give them "
                        "external_ids",
                        row.row,
                        "title",
                    )
                )
    return problems
