"""Small builders for spreadsheet rows and files, so each test states only what it is about."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, func, inspect, select
from sqlalchemy.orm import Session

from knowledge.history import Actor
from knowledge.models import Base
from knowledge.transfer import ImportReport, export_csv, import_csv
from knowledge.transfer.csv_format import COLUMNS


def row(**cells: str) -> dict[str, str]:
    """A valid row for a free weekly in-person class; keyword arguments override cells."""
    base = {
        "external_id": "ab-test-001",
        "title": "Saturday Code Club",
        "provider": "Eastside Library",
        "description": "Build games in Scratch and Python with volunteer mentors.",
        "topics": "coding",
        "min_age": "10",
        "max_age": "14",
        "cost": "0",
        "cost_notes": "",
        "format": "in_person",
        "address": "1420 Main St",
        "neighborhood": "Eastside",
        "city": "Alder Bay",
        "latitude": "41.5013",
        "longitude": "-81.642",
        "days": "Sat",
        "start_time": "10:00",
        "end_time": "12:00",
        "start_date": "2027-01-09",
        "end_date": "2027-05-29",
        "application_deadline": "2027-01-04",
        "languages": "en",
        "credential": "",
        "credential_type": "",
        "enroll_url": "https://eastside.library.example/code-club",
        "contact_phone": "(216) 555-0101",
        "contact_email": "hello@eastside.library.example",
    }
    return base | cells


def csv_text(rows: Iterable[Mapping[str, str]], columns: Iterable[str] = COLUMNS) -> str:
    """A CSV file's text with the given header and rows, as a spreadsheet would save it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    names = list(columns)
    writer.writerow(names)
    for cells in rows:
        writer.writerow([cells.get(name, "") for name in names])
    return out.getvalue()


def many_rows(count: int, *, providers: int = 40, places: int = 150) -> list[dict[str, str]]:
    """`count` distinct, valid rows spread over a realistic number of providers and addresses."""
    topics = ["coding", "robotics", "art", "music", "reading", "math", "science", "cooking"]
    days = ["Mon", "Tue;Thu", "Wed", "Sat", "Mon;Wed;Fri", "Sun"]
    rows = []
    for i in range(count):
        place = i % places
        rows.append(
            row(
                external_id=f"ab-gen-{i:05d}",
                title=f"Program {i}",
                provider=f"Provider {i % providers}",
                topics=f"{topics[i % len(topics)]};{topics[(i + 3) % len(topics)]}",
                min_age=str(i % 12),
                max_age=str(12 + i % 50),
                cost="0" if i % 3 == 0 else f"{i % 90}.50",
                address=f"{100 + place} Main St",
                neighborhood=f"Area {place % 12}",
                latitude=f"{41.4 + place / 1000:.4f}",
                longitude=f"{-81.7 + place / 1000:.4f}",
                days=days[i % len(days)],
                languages="en;es" if i % 4 == 0 else "en",
                credential=f"Badge {i % 20}" if i % 5 == 0 else "",
                credential_type="badge" if i % 5 == 0 else "",
            )
        )
    return rows


ACTOR = Actor(name="test-importer", source="import")


def import_rows(
    session: Session, rows: Iterable[Mapping[str, str]], *, dry_run: bool = False
) -> ImportReport:
    """Import rows as a CSV upload would arrive (UTF-8 bytes)."""
    data = csv_text(rows).encode("utf-8")
    return import_csv(session, data, actor=ACTOR, dry_run=dry_run, name="groups.csv")


def problems(report: ImportReport) -> list[str]:
    """The report's problems as the CLI prints them."""
    return [str(problem) for problem in report.problems]


def count(session: Session, model: type[Any]) -> int:
    """How many rows a table holds."""
    return session.scalar(select(func.count()).select_from(model)) or 0


def export_text(session: Session) -> str:
    """The CSV export as text."""
    out = io.StringIO(newline="")
    export_csv(session, out)
    return out.getvalue()


def without_versions(text: str) -> str:
    """An export without its version column: what importing it into another directory keeps
    (a listing it creates starts at version 1)."""
    records = list(csv.reader(io.StringIO(text, newline="")))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    at = COLUMNS.index("version")
    writer.writerows(record[:at] + record[at + 1 :] for record in records)
    return out.getvalue()


def empty_directory(session: Session) -> None:
    """Delete every row of every table (an "empty database" inside the test's transaction)."""
    existing = set(inspect(session.connection()).get_table_names())
    for table in reversed(Base.metadata.sorted_tables):
        if table.name in existing:  # models may be ahead of a migrated test database
            session.execute(delete(table))
    session.expunge_all()
