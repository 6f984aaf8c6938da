"""Demo-data test: the whole demo city survives CSV and HSDS round trips unchanged."""

from __future__ import annotations

import csv
import io

from sqlalchemy.orm import Session

from knowledge.models import ChangeRecord
from knowledge.transfer import export_badges, export_hsds
from tests.knowledge.transfer.factories import (
    count,
    empty_directory,
    export_text,
    import_rows,
    problems,
    without_versions,
)
from tests.knowledge.transfer.test_hsds import hsds_import


def test_reimporting_the_demo_exports_changes_nothing(demo_session: Session) -> None:
    text = export_text(demo_session)
    rows = list(csv.DictReader(io.StringIO(text)))
    records = count(demo_session, ChangeRecord)
    report = import_rows(demo_session, rows)
    assert (report.created, report.updated, report.unchanged) == (0, 0, len(rows)), problems(report)
    assert hsds_import(demo_session, export_hsds(demo_session)).unchanged == len(rows)
    assert count(demo_session, ChangeRecord) == records
    assert len(export_badges(demo_session)) >= 25


def test_the_demo_city_round_trips_through_an_empty_directory(demo_session: Session) -> None:
    text = export_text(demo_session)
    document = export_hsds(demo_session)
    empty_directory(demo_session)
    report = import_rows(demo_session, list(csv.DictReader(io.StringIO(text))))
    assert report.ok, problems(report)
    assert without_versions(export_text(demo_session)) == without_versions(text)
    empty_directory(demo_session)
    assert hsds_import(demo_session, document).ok
    assert without_versions(export_text(demo_session)) == without_versions(text)
