"""The example spreadsheet imports cleanly and the column documentation matches the code."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.models import Opportunity
from knowledge.settings import PROJECT_ROOT
from knowledge.transfer import import_csv
from knowledge.transfer.csv_format import COLUMNS, REQUIRED
from tests.knowledge.transfer.factories import ACTOR, problems

EXAMPLE = PROJECT_ROOT / "knowledge" / "examples" / "directory-import-example.csv"
DOC = PROJECT_ROOT / "docs" / "csv-import.md"


def test_the_example_file_imports_and_shows_the_variety_groups_need(session: Session) -> None:
    report = import_csv(session, EXAMPLE, actor=ACTOR)
    assert report.ok, problems(report)
    assert 5 <= report.created <= 8
    listings = list(session.scalars(select(Opportunity)))
    assert {listing.is_free for listing in listings} == {True, False}
    assert {"in_person", "online"} <= {listing.format for listing in listings}
    assert any(listing.awards for listing in listings)
    online = [listing for listing in listings if listing.format == "online"]
    assert [place.location_type for listing in online for place in listing.locations] == [
        "virtual"
    ] * len(online)
    assert all(place.url for listing in online for place in listing.locations)
    physical = {place for listing in listings for place in listing.locations} - {
        place for listing in online for place in listing.locations
    }
    assert physical and all(place.postal_code for place in physical)
    # The new-records lines the documentation's dry run shows are the ones the file gives.
    shown = re.search(r"^  new locations: (.+)$", DOC.read_text(), re.MULTILINE)
    assert shown and shown[1] == ", ".join(report.new_records["location"])


def test_the_documentation_table_lists_every_column_in_order() -> None:
    documented = re.findall(r"^\| `([a-z_]+)` \| ([^|]+)\|", DOC.read_text(), re.MULTILINE)
    assert [name for name, _ in documented] == list(COLUMNS)
    required = [name for name, cell in documented if cell.strip() == "**yes**"]
    assert required == list(REQUIRED)


def test_the_documentation_shows_the_example_command() -> None:
    text = DOC.read_text()
    assert f"wayfinder directory import {EXAMPLE.relative_to(PROJECT_ROOT)}" in text
    fresh = [name for name in COLUMNS if name != "version"]  # a fresh file: no version column
    assert Path(EXAMPLE).read_text(encoding="utf-8").startswith(",".join(fresh) + "\n")
