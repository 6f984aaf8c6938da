"""What an import found: counts of created/updated/unchanged listings and every problem, located."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from knowledge.writes import Outcome


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, pointing at the spreadsheet row and column to fix."""

    message: str
    row: int | None = None
    column: str | None = None
    record: str = "row"  # "row" in a CSV, "service"/"organization" in an HSDS file
    field_label: str = "column"  # "column" in a CSV, "field" in an HSDS file

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"{self.record} {self.row}")
        if self.column:
            where.append(f"{self.field_label} {self.column}")
        return f"{', '.join(where) or 'file'}: {self.message}"


@dataclass
class ImportReport:
    """The outcome of one import; nothing is written unless `problems` is empty."""

    source: str
    dry_run: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    new_records: dict[str, list[str]] = field(default_factory=dict)
    changed_records: dict[str, list[str]] = field(default_factory=dict)  # beyond the listings
    # How problems are located in this kind of file: "row 7, column max_age" for a CSV,
    # "service 3, field maximum_age" for HSDS (spreadsheet column names mapped to its fields).
    record: str = "row"
    field_label: str = "column"
    field_names: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the input was valid (and, unless a dry run, written)."""
        return not self.problems

    def add(self, message: str, row: int | None = None, column: str | None = None) -> None:
        """Record a problem at a spreadsheet row and column."""
        self.extend([Problem(message, row, column)])

    def extend(self, problems: Iterable[Problem]) -> None:
        """Record problems found by the row parser, located the way this file is read."""
        for problem in problems:
            if problem.row is not None and problem.record == "row":
                column = problem.column and self.field_names.get(problem.column, problem.column)
                problem = replace(
                    problem, record=self.record, field_label=self.field_label, column=column
                )
            self.problems.append(problem)

    def count(self, outcome: Outcome) -> None:
        """Tally one listing's outcome."""
        setattr(self, outcome, getattr(self, outcome) + 1)

    def note_new(self, kind: str, name: str) -> None:
        """Remember a provider, topic, … the import creates, so a typo shows up in the summary."""
        self.new_records.setdefault(kind, []).append(name)

    def note_changed(self, kind: str, description: str) -> None:
        """Remember a change to a record other than a listing (a provider's kind), to show it."""
        self.changed_records.setdefault(kind, []).append(description)

    def summary(self) -> str:
        """The one line printed at the end."""
        if self.problems:
            count = len(self.problems)
            problems = "problem" if count == 1 else "problems"
            return f"{count} {problems} in {self.source}; nothing was imported."
        counts = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        if self.dry_run:
            return f"Dry run of {self.source}: would be {counts}; nothing was written."
        return f"Imported {self.source}: {counts}."
