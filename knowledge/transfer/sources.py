"""Reading an uploaded file as text, and choosing the importer by what the file holds."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from knowledge.transfer.report import ImportReport

Source = Path | TextIO | bytes


def source_name(source: Source) -> str:
    """How the summary names the input."""
    if isinstance(source, Path):
        return str(source)
    if isinstance(source, bytes):
        return "upload"
    return str(getattr(source, "name", "<stream>"))


def read_text(source: Source, report: ImportReport, *, expected: str) -> str | None:
    """The file's text without a byte-order mark, or None after reporting why it is unusable."""
    if isinstance(source, (Path, bytes)):
        data = source.read_bytes() if isinstance(source, Path) else source
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            report.add(
                f"is not UTF-8 text (byte 0x{data[error.start]:02x} on line {line}); "
                "save it as “CSV UTF-8” (or JSON in UTF-8) and try again"
            )
            return None
    else:
        try:
            text = source.read().removeprefix("\ufeff")
        except UnicodeDecodeError as error:
            report.add(f"is not UTF-8 text ({error.reason}); save it as “CSV UTF-8” and try again")
            return None
    if not text.strip():
        report.add(f"is empty; expected {expected}")
        return None
    return text
