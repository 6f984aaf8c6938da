"""Importing the community spreadsheet: read, check every row, then write all of it or nothing."""

from __future__ import annotations

import csv
import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy.orm import Session

from knowledge.history import Actor
from knowledge.progress import NO_PROGRESS, Progress
from knowledge.transfer.csv_cells import read_records, restored
from knowledge.transfer.csv_format import check_header, normalise_header
from knowledge.transfer.loader import load_rows
from knowledge.transfer.report import ImportReport
from knowledge.transfer.rows import OpportunityRow, check_duplicates, parse_row
from knowledge.transfer.sources import Source, read_text, source_name

PROGRESS_CHUNK = 500  # rows checked between two progress reports


def import_csv(
    session: Session,
    source: Source,
    *,
    actor: Actor,
    dry_run: bool = False,
    name: str | None = None,
    update_provider_kinds: bool = False,
    force: bool = False,
    progress: Progress = NO_PROGRESS,
) -> ImportReport:
    """Create or update a listing per row; with any problem, or a dry run, nothing is written.

    `source` is a path, an open text stream or raw uploaded bytes. The caller owns the transaction.
    A provider_kind that differs from a known provider's is a problem unless
    `update_provider_kinds`. A row of an export (its `version` cell) whose listing changed after
    the export is a problem unless `force`. `progress` hears how many rows are checked and written.
    """
    report = ImportReport(source=name or source_name(source), dry_run=dry_run)
    text = read_text(
        source, report, expected="a header row naming the columns, then a row per listing"
    )
    if text is None:
        return report
    with _collector_paused():
        rows = parse_csv(text, report, progress)
        load_rows(
            session,
            rows,
            actor=actor,
            report=report,
            update_provider_kinds=update_provider_kinds,
            force=force,
            progress=progress,
        )
    return report


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while importing: the rows, values and records it keeps alive
    make each full collection scan them all again (over a second of a 10,000-row import).

    Only the cycle collector pauses (reference counting frees as usual), and only if it was on;
    it runs again as soon as the import ends, however it ends.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def parse_csv(
    text: str, report: ImportReport, progress: Progress = NO_PROGRESS
) -> list[OpportunityRow]:
    """Every data row checked and converted; problems go to the report (header problems stop it).

    Cells our export neutralised (a leading apostrophe before =, +, -, @, …) are restored first.
    """
    try:
        records = read_records(text)
    except csv.Error as error:
        report.add(f"cannot be read as CSV {error}")
        return []
    header = records[0]
    header_problems = check_header(header)
    if header_problems:
        report.extend(header_problems)
        return []
    names = [normalise_header(name) for name in header]
    return parse_records(names, [restored(record) for record in records[1:]], report, progress)


def parse_records(
    names: Sequence[str],
    records: Sequence[Sequence[str]],
    report: ImportReport,
    progress: Progress = NO_PROGRESS,
) -> list[OpportunityRow]:
    """Rows 2, 3, … of the sheet; blank rows are skipped, their numbers still count."""
    rows = []
    progress.stage("Checking rows", len(records))
    for start in range(0, len(records), PROGRESS_CHUNK):
        chunk = records[start : start + PROGRESS_CHUNK]
        for number, record in enumerate(chunk, start=start + 2):
            if not any(cell.strip() for cell in record):
                continue
            if any(cell.strip() for cell in record[len(names) :]):
                report.add(
                    f"has {len(record)} cells but the header has {len(names)} columns; "
                    "a comma inside a cell needs the cell in double quotes",
                    number,
                )
                continue
            row, problems = parse_row(dict(zip(names, record, strict=False)), number)
            report.extend(problems)
            rows.append(row)
        progress.advance(len(chunk))
    report.extend(check_duplicates(rows))
    return rows
