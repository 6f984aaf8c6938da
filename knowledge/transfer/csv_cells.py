"""Cells a spreadsheet would run as formulas (CSV injection): neutralised on export, restored on
import, so providers' text cannot run in an organiser's Excel and an export still round-trips.

A cell whose text starts with =, +, -, @, a tab or a carriage return (OWASP's list), after any
leading apostrophes, is written with one more apostrophe in front: spreadsheets show such a cell
as text. Plain numbers (-81.64, +3) are left alone: no spreadsheet runs them. On import one leading
apostrophe is removed from exactly those cells, so an export reads back as the text it came from,
and a sheet saved by a spreadsheet that dropped the apostrophe reads back the same.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import TextIO

FORMULA_STARTS = frozenset("=+-@\t\r")
QUOTE = "'"
PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def _needs_quote(text: str) -> bool:
    """The text starts a formula (after any apostrophes) and is not a plain number."""
    return text.lstrip(QUOTE)[:1] in FORMULA_STARTS and not PLAIN_NUMBER.fullmatch(text)


def neutralise(text: str) -> str:
    """The cell as written to a CSV file: text, never a formula."""
    return QUOTE + text if _needs_quote(text) else text


def restore(cell: str) -> str:
    """The text a cell of our export came from (other cells are returned unchanged)."""
    if cell.startswith(QUOTE) and _needs_quote(cell[1:]):
        return cell[1:]
    return cell


def restored(record: Iterable[str]) -> list[str]:
    """A row's cells as read from a CSV file, each restored."""
    return [restore(cell) if cell[:1] == QUOTE else cell for cell in record]


def read_records(text: str) -> list[list[str]]:
    """Every record of a CSV text. csv.Error names the line, for a NUL too: Python 3.10's reader
    refused one, 3.11's passes it into the cells (and on to the database)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    records = []
    try:
        for record in reader:
            if any("\x00" in cell for cell in record):
                raise csv.Error("line contains NUL")
            records.append(record)
    except csv.Error as error:
        raise csv.Error(f"near line {reader.line_num}: {error}") from None
    return records


class SheetWriter:
    """csv.writer for files people open in a spreadsheet: every cell goes through neutralise."""

    def __init__(self, out: TextIO, lineterminator: str) -> None:
        self._writer = csv.writer(out, lineterminator=lineterminator)

    def writerow(self, cells: Iterable[object]) -> None:
        """One row; numbers are written as their text, None as an empty cell."""
        self._writer.writerow(["" if cell is None else neutralise(str(cell)) for cell in cells])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        """Several rows, in order."""
        for cells in rows:
            self.writerow(cells)
