"""A city's own curated pathways as a spreadsheet, one row per step (`wayfinder pathways
import|export`), checked like the listings' sheet: all rows or none, problems by row and column,
every change in the history. Format and messages: docs/pathways.md."""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from knowledge.goals import career_index
from knowledge.history import Actor, apply_changes, record_change
from knowledge.listing_fields import MAX_AGE
from knowledge.models import Career, Credential, Opportunity, Pathway, PathwayStep
from knowledge.text import fold, words
from knowledge.transfer.csv_cells import SheetWriter, read_records, restored
from knowledge.transfer.csv_format import normalise_header
from knowledge.transfer.report import ImportReport
from knowledge.transfer.sources import Source, read_text, source_name
from knowledge.writes import Outcome, find_credentials

COLUMNS = ("pathway", "step", "listing", "credential", "min_age", "career", "note")
OPTIONAL_COLUMNS = ("career", "note")  # a sheet may leave them out; export writes them
SEPARATOR = ";"  # between careers in one cell
MAX_NAME = 200  # pathway.name, pathway_step.title, career.name
MAX_KEY = 120  # pathway.key
_WHOLE = re.compile(r"^[+-]?\d+$")


@dataclass
class StepRow:
    """One row: a step of a pathway, as read and resolved (None where a cell failed)."""

    row: int
    pathway: str
    step: str
    opportunity: Opportunity | None = None
    credential: Credential | None = None
    min_age: int | None = None
    careers: list[str] = field(default_factory=list)  # career names as resolved
    note: str | None = None


@dataclass
class _Wanted:
    """What one pathway of the file should become."""

    name: str
    rows: list[StepRow] = field(default_factory=list)
    careers: list[str] = field(default_factory=list)


# -- export ---------------------------------------------------------------------------------


def export_pathways(session: Session, out: TextIO) -> tuple[int, int]:
    """Write the header and one row per step of every pathway (by name, then step order); the
    first row of a pathway names its careers. Returns (pathways, steps)."""
    writer = SheetWriter(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    pathways = session.scalars(
        select(Pathway)
        .options(
            selectinload(Pathway.careers),
            selectinload(Pathway.steps).selectinload(PathwayStep.opportunity),
            selectinload(Pathway.steps).selectinload(PathwayStep.credential),
        )
        .order_by(func.lower(Pathway.name), Pathway.key)
    ).all()
    steps = 0
    for pathway in pathways:
        careers = SEPARATOR.join(sorted((c.name for c in pathway.careers), key=str.lower))
        for number, step in enumerate(pathway.steps):
            listing = step.opportunity
            writer.writerow(
                (
                    pathway.name,
                    step.title,
                    (listing.external_id or listing.title) if listing is not None else "",
                    step.credential.name if step.credential is not None else "",
                    "" if step.min_age is None else str(step.min_age),
                    careers if number == 0 else "",
                    step.note or "",
                )
            )
            steps += 1
    return len(pathways), steps


# -- import ---------------------------------------------------------------------------------


def import_pathways(
    session: Session,
    source: Source,
    *,
    actor: Actor,
    dry_run: bool = False,
    name: str | None = None,
) -> ImportReport:
    """Create or replace each pathway the file names (its steps in row order, its careers from
    the `career` cells); pathways it does not name are left alone. With any problem, or a dry
    run, nothing is written. The caller owns the transaction."""
    report = ImportReport(source=name or source_name(source), dry_run=dry_run)
    text = read_text(
        source, report, expected="a header row naming the columns, then a row per step"
    )
    if text is None:
        return report
    header, records = _records(text, report)
    if not report.ok:
        return report
    rows = _parse(session, header, records, report)
    wanted = _group(rows, report)
    if not report.ok:
        return report
    for item in wanted:  # a dry run only compares
        report.count(_apply(session, item, header, actor, report))
    return report


def _records(text: str, report: ImportReport) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The checked header and (row number, cells) of every non-blank data row."""
    try:
        records = read_records(text)
    except csv.Error as error:
        report.add(f"cannot be read as CSV {error}")
        return [], []
    header = [normalise_header(name) for name in records[0]]
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        report.add(f"column(s) appear more than once: {', '.join(repeated)}", 1)
    absent = [name for name in COLUMNS if name not in header]
    for name in header:
        if name not in COLUMNS:
            close = difflib.get_close_matches(name, absent, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            report.add(f"unknown column {name or '(empty)'!r}{hint}", 1)
    missing = [name for name in absent if name not in OPTIONAL_COLUMNS]
    if missing:
        report.add(f"missing column(s): {', '.join(missing)}", 1)
    if not report.ok:
        needed = ", ".join(name for name in COLUMNS if name not in OPTIONAL_COLUMNS)
        report.add(
            f"the header must name these columns: {needed} (and may add "
            f"{', '.join(OPTIONAL_COLUMNS)})",
            1,
        )
        return header, []
    rows = []
    for number, record in enumerate(map(restored, records[1:]), start=2):
        if not any(cell.strip() for cell in record):
            continue
        if any(cell.strip() for cell in record[len(header) :]):
            report.add(
                f"has {len(record)} cells but the header has {len(header)} columns; "
                "a comma inside a cell needs the cell in double quotes",
                number,
            )
            continue
        rows.append((number, record))
    if not rows and report.ok:
        report.add("has a header but no steps; add a row per step of each pathway")
    return header, rows


def _parse(
    session: Session,
    header: Sequence[str],
    records: list[tuple[int, list[str]]],
    report: ImportReport,
) -> list[StepRow]:
    """Every row's cells checked and resolved against the directory."""
    cells = [
        (number, {name: (value or "").strip() for name, value in zip(header, record, strict=False)})
        for number, record in records
    ]
    listings = _Listings(session, [row.get("listing", "") for _n, row in cells])
    credentials = find_credentials(session, [row.get("credential", "") for _n, row in cells])
    careers = _Careers(session)
    rows = []
    for number, row in cells:
        parsed = StepRow(number, row.get("pathway", ""), row.get("step", ""))
        for column, value in (("pathway", parsed.pathway), ("step", parsed.step)):
            if not value:
                report.add("is required but empty", number, column)
            elif len(value) > MAX_NAME:
                report.add(
                    f"is {len(value)} characters long; at most {MAX_NAME} fit", number, column
                )
        listing, credential = row.get("listing", ""), row.get("credential", "")
        if listing and credential:
            report.add(
                "give either a listing or a credential, not both (a step is one of them; "
                "a listing's own credential is shown with it)",
                number,
                "credential",
            )
        elif not listing and not credential:
            report.add(
                "is empty, and so is credential; give the listing's external_id or exact title, "
                "or a credential's name",
                number,
                "listing",
            )
        elif listing:
            parsed.opportunity = listings.find(listing, number, report)
        else:
            parsed.credential = credentials.get(credential.lower())
            if parsed.credential is None:
                report.add(_unknown_credential(session, credential), number, "credential")
        parsed.min_age = _age(row.get("min_age", ""), number, report)
        for wanted in (part.strip() for part in row.get("career", "").split(SEPARATOR)):
            if len(wanted) > MAX_NAME:
                too_long = f"'{wanted[:40]}…' is {len(wanted)} characters long; at most {MAX_NAME}"
                report.add(too_long, number, "career")
            elif wanted:
                parsed.careers.append(careers.find(wanted))
        parsed.note = row.get("note") or None
        rows.append(parsed)
    return rows


def _age(cell: str, number: int, report: ImportReport) -> int | None:
    """A whole number of years, 0–120, or None for an empty cell."""
    if not cell:
        return None
    if not _WHOLE.match(cell):
        report.add(f"{cell!r} is not a whole number of years", number, "min_age")
        return None
    value = int(cell)
    if not 0 <= value <= MAX_AGE:
        report.add(f"{value} is not an age; write 0 to {MAX_AGE}", number, "min_age")
        return None
    return value


def _unknown_credential(session: Session, name: str) -> str:
    """The message for a credential the directory lacks, with the closest names."""
    names = list(session.scalars(select(Credential.name)))
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return (
        f"'{name}' is not a credential of the directory{hint} (credentials come from the "
        "listings' spreadsheet, column credential)"
    )


class _Listings:
    """Listings named in the file, by external_id, else by exact title (ignoring case)."""

    def __init__(self, session: Session, cells: Iterable[str]) -> None:
        wanted = {cell for cell in cells if cell}
        lowered = {cell.lower() for cell in wanted}
        found = (
            session.scalars(
                select(Opportunity).where(
                    or_(
                        Opportunity.external_id.in_(wanted),
                        func.lower(Opportunity.title).in_(lowered),
                    )
                )
            ).all()
            if wanted
            else []
        )
        self.by_id = {item.external_id: item for item in found if item.external_id}
        self.by_title: dict[str, list[Opportunity]] = {}
        for item in sorted(found, key=lambda o: o.id):
            self.by_title.setdefault(item.title.lower(), []).append(item)

    def find(self, cell: str, number: int, report: ImportReport) -> Opportunity | None:
        """The listing a cell names, or None after reporting why not."""
        if cell in self.by_id:
            return self.by_id[cell]
        same = self.by_title.get(cell.lower(), [])
        if len(same) == 1:
            return same[0]
        if same:
            ids = ", ".join(item.external_id or f"#{item.id}" for item in same)
            report.add(
                f"{len(same)} listings are called '{cell}' ({ids}); give the external_id of one",
                number,
                "listing",
            )
        else:
            report.add(
                f"'{cell}' is neither the external_id nor the title of a listing in the directory",
                number,
                "listing",
            )
        return None


class _Careers:
    """Career cells: a career of the directory by name (ignoring case), else a new one named as
    the cell says, linked to the starter career one of whose titles it is (any language, typos
    allowed) when there is one."""

    def __init__(self, session: Session) -> None:
        names = session.scalars(select(Career.name))
        self.known = {name.lower(): name for name in names}

    def find(self, cell: str) -> str:
        """The career's name as it will be stored."""
        return self.known.get(cell.lower(), cell)


def _group(rows: list[StepRow], report: ImportReport) -> list[_Wanted]:
    """Rows by pathway (named the same ignoring case), in file order; a step title twice in one
    pathway is refused."""
    wanted: dict[str, _Wanted] = {}
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        if not row.pathway:
            continue
        key = row.pathway.lower()
        item = wanted.setdefault(key, _Wanted(row.pathway))
        step = (key, row.step.lower())
        if row.step and step in seen:
            report.add(
                f"'{row.step}' is already a step of '{item.name}' in row {seen[step]}",
                row.row,
                "step",
            )
        seen.setdefault(step, row.row)
        item.rows.append(row)
        for name in row.careers:
            if name.lower() not in {known.lower() for known in item.careers}:
                item.careers.append(name)
    return list(wanted.values())


def _apply(
    session: Session, item: _Wanted, header: Sequence[str], actor: Actor, report: ImportReport
) -> Outcome:
    """Create or update one pathway (compare only on a dry run); returns what happened."""
    pathway = session.scalar(
        select(Pathway)
        .where(func.lower(Pathway.name) == item.name.lower())
        .options(selectinload(Pathway.careers), selectinload(Pathway.steps))
    )
    old_notes = {step.title.lower(): step.note for step in pathway.steps} if pathway else {}
    steps = [
        PathwayStep(
            position=position,
            title=row.step,
            note=row.note if "note" in header else old_notes.get(row.step.lower()),
            min_age=row.min_age,
            opportunity=row.opportunity,
            credential=row.credential,
        )
        for position, row in enumerate(item.rows, start=1)
    ]
    new_shape = [_shape(step) for step in steps]
    careers_given = "career" in header
    for name in item.careers:
        if _career(session, name, dry_run=True) is None:
            starter = career_index().named(name)
            same = starter is None or fold(starter.name) == fold(" ".join(words(name)))
            noted = name if same else f"{name} ({starter.name if starter else ''})"
            if noted not in _noted(report, "career"):
                report.note_new("career", noted)
    if pathway is None:
        report.note_new("pathway", item.name)
        if report.dry_run:
            return "created"
        values = {
            "key": _free_key(session, item.name),
            "name": item.name,
            "goal_type": "career",
            "keywords": [],
            "careers": [
                _career(session, name, dry_run=False, actor=actor) for name in item.careers
            ],
        }
        pathway = Pathway()
        apply_changes(session, pathway, values, actor)
        pathway.steps.extend(steps)
        session.flush()
        record_change(session, pathway, "steps", None, _steps_text(pathway.steps), actor)
        return "created"
    for step in steps:  # built for comparing only until we know the steps change
        if step in session:
            session.expunge(step)
    old_shape = [_shape(step) for step in pathway.steps]
    old_careers = sorted(c.name.lower() for c in pathway.careers)
    careers_change = careers_given and old_careers != sorted(n.lower() for n in item.careers)
    name_change = pathway.name != item.name
    if old_shape == new_shape and not careers_change and not name_change:
        return "unchanged"
    if report.dry_run:
        return "updated"
    changes: dict[str, object] = {"name": item.name}
    if careers_given:
        changes["careers"] = _careers(session, item.careers, actor)
    apply_changes(session, pathway, changes, actor)
    if old_shape != new_shape:
        before = _steps_text(pathway.steps)
        pathway.steps.clear()
        session.flush()
        pathway.steps.extend(steps)
        session.flush()
        record_change(session, pathway, "steps", before, _steps_text(pathway.steps), actor)
    return "updated"


def _noted(report: ImportReport, kind: str) -> list[str]:
    """What the report already lists as new of this kind."""
    return report.new_records.get(kind, [])


def _shape(step: PathwayStep) -> tuple[object, ...]:
    """What makes two steps the same."""
    return (
        step.title,
        step.note,
        step.min_age,
        step.opportunity.id if step.opportunity is not None else None,
        step.credential.id if step.credential is not None else None,
    )


def _steps_text(steps: Iterable[PathwayStep]) -> str:
    """The steps in order as one history value: '1. Title (listing) | 2. …'."""
    parts = []
    for step in steps:
        target = (
            step.opportunity.external_id or step.opportunity.title
            if step.opportunity
            else (step.credential.name if step.credential else "")
        )
        parts.append(f"{step.position}. {step.title} ({target})")
    return " | ".join(parts)


def _career(
    session: Session, name: str, *, dry_run: bool, actor: Actor | None = None
) -> Career | None:
    """The directory's career of that name (ignoring case); else created (with history) unless
    a dry run, keyed by the starter career it names when no other career has that key yet."""
    career = session.scalar(select(Career).where(func.lower(Career.name) == name.lower()))
    if career is not None or dry_run:
        return career
    assert actor is not None
    starter = career_index().named(name)
    key = starter.key if starter is not None else None
    if key is not None and session.scalar(select(Career.id).where(Career.key == key)):
        key = None  # another of the city's careers already stands for that starter career
    career = Career()
    apply_changes(session, career, {"key": key, "name": name}, actor)
    return career


def _careers(session: Session, names: Sequence[str], actor: Actor) -> list[Career]:
    """The careers of these names, created as needed."""
    found = [_career(session, name, dry_run=False, actor=actor) for name in names]
    return [career for career in found if career is not None]


def _free_key(session: Session, name: str) -> str:
    """A pathway key made from the name, unused so far ("plumbing-path", "plumbing-path-2")."""
    base = "-".join(words(name))[:MAX_KEY].strip("-") or "pathway"
    taken = set(session.scalars(select(Pathway.key).where(Pathway.key.like(f"{base}%"))))
    key, number = base, 2
    while key in taken:
        suffix = f"-{number}"
        key, number = base[: MAX_KEY - len(suffix)] + suffix, number + 1
    return key
