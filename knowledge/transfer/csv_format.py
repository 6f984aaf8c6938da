"""The community spreadsheet's columns and its header row.

A row's cells are checked in knowledge.transfer.rows, each value by the listing fields' own rules
(knowledge.listing_fields), so the CSV and HSDS importers, an HTTP API and a chat upload apply the
same rules and report problems the same way.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from knowledge.listing_fields import FieldError, parse_translation_language, translation_languages
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
    "state_province",
    "postal_code",
    "country",
    "latitude",
    "longitude",
    "accessibility",
    "transport",
    "location_url",
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
OPTIONAL_COLUMNS = (
    "provider_kind",
    "state_province",
    "postal_code",
    "country",
    "accessibility",
    "transport",
    "location_url",
    "version",
)
# Fields an HSDS file carries beyond the spreadsheet; a CSV header may not use them.
HSDS_ONLY = ("status", "eligibility", "assured_date")
LOCATION_COLUMNS = ("address", "neighborhood", "city", "latitude", "longitude")
# Notes of the row's place (how to get in, how to get there): written to the place the location
# columns name, so every listing held there shows them.
PLACE_NOTE_COLUMNS = ("accessibility", "transport")
# The place's address parts HSDS needs beyond the location columns (empty state_province and
# country: the city's, see knowledge.transfer.hsds.place) and its web address, written the same
# way; on a row that names no place, location_url is where the online listing is joined.
PLACE_COLUMNS = {
    "state_province": "state_province",
    "postal_code": "postal_code",
    "country": "country",
    "accessibility": "accessibility",
    "transport": "transport",
    "location_url": "url",
}  # column → the Location attribute it writes
# A listing's title and description in another language learners chat in: title_es, description_es.
TRANSLATED = ("title", "description")
_TRANSLATION = re.compile(r"^(title|description)_(.+)$")


def translation_columns() -> tuple[str, ...]:
    """The optional translation columns, two per chat language other than the source language."""
    return tuple(f"{part}_{code}" for code in translation_languages() for part in TRANSLATED)


def export_columns() -> tuple[str, ...]:
    """Every column an export writes: the sheet's, then the translations."""
    return COLUMNS + translation_columns()


def check_header(header: Sequence[str]) -> list[Problem]:
    """Every missing, unknown or repeated column name in the header row (row 1)."""
    names = [normalise_header(name) for name in header]
    problems = []
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        problems.append(Problem(f"column(s) appear more than once: {', '.join(repeated)}", row=1))
    translated = translation_columns()
    unknown = [name or "(empty)" for name in names if name not in COLUMNS + translated]
    absent = [name for name in COLUMNS if name not in names]
    missing = [name for name in absent if name not in OPTIONAL_COLUMNS]
    for name in unknown:
        refusal = _translation_refusal(name)
        if refusal is not None:
            problems.append(Problem(refusal, row=1))
            continue
        close = difflib.get_close_matches(name, absent, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        problems.append(Problem(f"unknown column {name!r}{hint}", row=1))
    if missing:
        problems.append(Problem(f"missing column(s): {', '.join(missing)}", row=1))
    if problems:
        needed = ", ".join(name for name in COLUMNS if name not in OPTIONAL_COLUMNS)
        optional = ", ".join(OPTIONAL_COLUMNS + translated)
        problems.append(
            Problem(f"the header must name these columns: {needed} (and may add {optional})", row=1)
        )
    return problems


def normalise_header(name: str) -> str:
    """Header names are matched ignoring case, surrounding spaces and a byte-order mark."""
    return name.replace("\ufeff", "").strip().lower()


def _translation_refusal(name: str) -> str | None:
    """Why a title_xx / description_xx column cannot be read (None for a name of another shape,
    refused as an unknown column)."""
    match = _TRANSLATION.match(name)
    if match is None:
        return None
    try:
        code = parse_translation_language(match[2])
    except FieldError as error:
        return f"column {name!r}: {error}"
    return f"column {name!r}: write {match[1]}_{code}"  # the same language, written another way
