"""One row of listing cells (a spreadsheet row, an HSDS service, a chat or API edit) turned into
checked, typed values, every problem reported against its row and column.

Each value is checked by the listing fields' own rules (knowledge.listing_fields); this module
adds what a row needs: required cells, rules across two cells, and repeated rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from typing import Any, TypeVar

from knowledge.listing_fields import (
    MAX_LENGTHS,
    FieldError,
    format_time,
    parse_age,
    parse_choice,
    parse_coordinate,
    parse_cost,
    parse_country,
    parse_date,
    parse_list,
    parse_seats,
    parse_text,
    parse_time,
    parse_web_url,
    parse_whole_number,
    translation_languages,
)
from knowledge.listing_translations import TranslatedText
from knowledge.models import CREDENTIAL_TYPES, FORMATS, PROVIDER_KINDS, STATUSES
from knowledge.transfer.csv_format import PLACE_COLUMNS, PLACE_NOTE_COLUMNS
from knowledge.transfer.report import Problem

_Value = TypeVar("_Value")


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
    # The place's address parts, web address and accessibility and transport notes, by column
    # (csv_format.PLACE_COLUMNS), for the columns the sheet has (an empty cell clears the value);
    # values of a sheet without the columns are left alone.
    place_notes: dict[str, str | None] = field(default_factory=dict)
    online_url: str | None = None  # location_url of a row naming no place: its online place
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
    # Title and description in other languages, for the languages whose columns the sheet has
    # (an empty translation removes that language's); languages without columns are left alone.
    translations: dict[str, TranslatedText | None] = field(default_factory=dict)
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

    def place_values(self) -> dict[str, str | None]:
        """place_notes by the Location attribute each column writes."""
        return {PLACE_COLUMNS[column]: value for column, value in self.place_notes.items()}


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
        place_notes=cell.place_notes(),
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
        translations=cell.translations(),
    )
    _online_place(result, cell)
    _check_together(result, cell)
    if "status" in cells:
        result.extras["status"] = cell.choice("status", STATUSES) or "active"
    if "eligibility" in cells:
        result.extras["eligibility"] = cell.text("eligibility")
    if "assured_date" in cells:
        result.extras["assured_date"] = cell.date("assured_date")
    result.failed = {problem.column for problem in cell.problems if problem.column}
    return result, cell.problems


def _online_place(row: OpportunityRow, cell: Cells) -> None:
    """On a row that names no place, location_url is where the online listing is joined: it
    names the listing's online place (for an in-person listing it would name nothing)."""
    if row.has_location or "location_url" not in row.place_notes:
        return
    url = row.place_notes.pop("location_url")
    if url and row.format == "in_person":
        cell.fail(
            "location_url",
            "is where an online listing is joined, but format is in_person and the row names no "
            "place; set format to online or hybrid, or fill in the place's address, "
            "neighborhood, city or latitude and longitude (the link is then the place's web page)",
        )
        return
    row.online_url = url


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
    for column, note in row.place_notes.items():
        if note and not row.has_location:
            what = "a note" if column in PLACE_NOTE_COLUMNS else "part of the address"
            cell.fail(
                column,
                f"is {what} of the place the listing meets at, but the row names no place; fill "
                "in address, neighborhood, city or latitude and longitude (or clear it)",
            )


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
        if limit is not None and len(value) > limit:  # refused in the field's own words
            return self.parsed(column, parse_text, column, value)
        return value

    def parsed(self, column: str, parse: Callable[..., _Value], *args: Any) -> _Value | None:
        """`parse(*args)`, or None with the refusal recorded against the column."""
        try:
            return parse(*args)
        except FieldError as error:
            self.fail(column, str(error))
            return None

    def value(
        self, column: str, parse: Callable[..., _Value], *args: Any, required: bool = False
    ) -> _Value | None:
        """A filled cell through one of the listing fields' parsers; empty means unknown."""
        value = self.text(column, required=required)
        if value is None:
            return None
        try:
            return parse(value, *args)
        except FieldError as error:
            self.fail(column, str(error))
            return None

    def choice(self, column: str, allowed: Sequence[str], *, required: bool = False) -> str | None:
        """One of a fixed set of words, ignoring case and accepting spaces or hyphens for '_'."""
        return self.value(column, parse_choice, allowed, required=required)

    def listed(self, column: str) -> list[str]:
        """A `;`-separated list cell (topics, days, languages), each refused part recorded."""
        values, refusals = parse_list(column, self.cells.get(column, ""))
        for message in refusals:
            self.fail(column, message)
        return values

    def topics(self) -> list[str]:
        """Topic names (matched to the taxonomy later), at least one."""
        problems = len(self.problems)
        topics = self.listed("topics")
        if not topics and len(self.problems) == problems:
            self.fail("topics", "is required but empty")
        return topics

    def days(self) -> list[str]:
        """Meeting days as Mon…Sun in week order."""
        return self.listed("days")

    def languages(self) -> list[str]:
        """ISO 639-1 codes in the order given, lower-case, without repeats."""
        return self.listed("languages")

    def translations(self) -> dict[str, TranslatedText | None]:
        """title_<code> and description_<code> for each language whose columns the row has."""
        found: dict[str, TranslatedText | None] = {}
        for code in translation_languages():
            title, description = f"title_{code}", f"description_{code}"
            if title not in self.cells and description not in self.cells:
                continue
            translated = self.text(title) or ""
            if len(translated) > MAX_LENGTHS["title"]:  # as long as the title may be
                translated = self.parsed(title, parse_text, "title", translated) or ""
            text = TranslatedText(translated, self.cells.get(description, ""))
            found[code] = text or None
        return found

    def place_notes(self) -> dict[str, str | None]:
        """The place's columns (csv_format.PLACE_COLUMNS) the row has (None: cleared); a country
        is upper-cased, a web address must be a whole http(s) one."""
        parsers: dict[str, Callable[[str], str]] = {
            "country": parse_country,
            "location_url": parse_web_url,
        }
        found = {}
        for column in PLACE_COLUMNS:
            if column not in self.cells:
                continue
            parse = parsers.get(column)
            found[column] = self.value(column, parse) if parse else self.text(column)
        return found

    def whole_number(self, column: str) -> int | None:
        """A whole number such as 12."""
        return self.value(column, parse_whole_number)

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
        """An age in years, 0 to MAX_AGE."""
        return self.value(column, parse_age)

    def seats(self, column: str) -> int | None:
        """Seats left, 0 (full) or more."""
        return self.value(column, parse_seats)

    def cost(self) -> Decimal | None:
        """A price such as 25 or 12.50; 0 means free."""
        return self.value("cost", parse_cost)

    def coordinate(self, column: str, bound: int) -> float | None:
        """A latitude (±90) or longitude (±180) in decimal degrees."""
        return self.value(column, parse_coordinate, column, bound)

    def date(self, column: str) -> date | None:
        """A calendar date written YYYY-MM-DD."""
        return self.value(column, parse_date)

    def time(self, column: str) -> time | None:
        """A clock time written HH:MM (24-hour)."""
        return self.value(column, parse_time)


def check_duplicates(rows: Sequence[OpportunityRow]) -> list[Problem]:
    """Rows that would write the same listing: same external_id, or same provider and title;
    and rows of one place giving it different notes (see agree_place_notes)."""
    problems = agree_place_notes(rows)
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


def agree_place_notes(rows: Sequence[OpportunityRow]) -> list[Problem]:
    """Rows naming the same place (provider and location cells) that give it two different
    notes, address parts or web addresses; every row of a place gets the value one of them
    gives, so a value written on one row of a place is not cleared by its other rows' empty
    cells. (Rows naming no place have none: parse_row refused them.)"""
    problems = []
    given: dict[tuple[Any, ...], tuple[int, str]] = {}  # (place, column) → (row, value)
    placed = [row for row in rows if row.has_location]
    for row in placed:
        place = _place_key(row)
        for column, note in row.place_notes.items():
            if not note:
                continue
            first = given.setdefault((*place, column), (row.row, note))
            if first[1] != note:
                problems.append(Problem(_disagreement(column, first[0]), row.row, column))
    for row in placed:
        place = _place_key(row)
        for column, note in row.place_notes.items():
            if not note and (*place, column) in given:
                row.place_notes[column] = given[(*place, column)][1]
    return problems


def _disagreement(column: str, first: int) -> str:
    """Why a row's value for its place is refused: row `first` gave the place another."""
    if column in PLACE_NOTE_COLUMNS:
        return (
            f"row {first} gives the same place another {column} note; a note belongs to the "
            "place, so write the same one on every row there"
        )
    return (
        f"row {first} gives the same place another {column}; it belongs to the place, so write "
        "the same one on every row there (or leave it empty on all but one)"
    )


def _place_key(row: OpportunityRow) -> tuple[Any, ...]:
    """The provider and location cells that name a row's place, ignoring case."""
    texts = (row.provider, row.address, row.neighbourhood, row.city)
    return (*((text or "").casefold() for text in texts), row.latitude, row.longitude)
