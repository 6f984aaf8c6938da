"""Exporting the spreadsheet: the import's columns, every listing, and a lossless round trip."""

from __future__ import annotations

import csv
import io
from datetime import date, time
from decimal import Decimal

from sqlalchemy.orm import Session

from knowledge.models import Credential, Location
from knowledge.transfer.csv_format import export_columns
from knowledge.writes import get_or_create_provider, get_or_create_topic, upsert_opportunity
from tests.knowledge.transfer.factories import (
    ACTOR,
    empty_directory,
    export_text,
    import_rows,
    row,
    without_versions,
)


def exported_rows(session: Session) -> list[dict[str, str]]:
    """The export parsed back into dicts."""
    return list(csv.DictReader(io.StringIO(export_text(session))))


def varied_directory(session: Session) -> None:
    """Listings that exercise every cell: free and paid, online, quotes, several outcomes."""
    import_rows(
        session,
        [
            row(),
            row(
                external_id="ab-paid",
                title='Pottery "Wheel" Basics, Level 1',
                provider="Clay Studio Co-op",
                description="Centre, throw and trim.\nBring an apron; clay is included.",
                topics="Ceramics;Art",
                min_age="16",
                max_age="",
                cost="85.5",
                cost_notes="Sliding scale on request",
                format="hybrid",
                address="77 Kiln Ln",
                neighborhood="Millbrook",
                latitude="41.46",
                longitude="-81.74",
                days="Tue;Thu",
                start_time="18:30",
                end_time="20:45",
                languages="en;es;vi",
                credential="Wheel Throwing Certificate",
                credential_type="certificate",
                contact_email="",
            ),
            row(
                external_id="",
                title="Online Résumé Clinic",
                provider="Clay Studio Co-op",
                topics="job skills",
                format="online",
                address="",
                neighborhood="",
                city="",
                latitude="",
                longitude="",
                days="",
                start_time="",
                end_time="",
                start_date="",
                end_date="",
                application_deadline="",
                languages="",
            ),
        ],
    )


def test_export_writes_the_import_columns_and_one_row_per_listing(session: Session) -> None:
    varied_directory(session)
    text = export_text(session)
    assert text.splitlines()[0] == ",".join(export_columns())
    rows = exported_rows(session)
    assert [r["title"] for r in rows] == [
        "Online Résumé Clinic",
        'Pottery "Wheel" Basics, Level 1',
        "Saturday Code Club",
    ]
    pottery = rows[1]
    assert (pottery["cost"], pottery["max_age"], pottery["days"]) == ("85.50", "", "Tue;Thu")
    assert (pottery["topics"], pottery["languages"]) == ("art;ceramics", "en;es;vi")
    assert (pottery["credential"], pottery["credential_type"]) == (
        "Wheel Throwing Certificate",
        "certificate",
    )
    assert pottery["description"] == "Centre, throw and trim.\nBring an apron; clay is included."
    assert rows[2]["cost"] == "0"


def test_export_includes_listings_of_every_status(session: Session) -> None:
    varied_directory(session)
    provider = get_or_create_provider(session, "Old Hall", ACTOR)
    values = {"title": "Closed Class", "description": "Gone.", "provider": provider}
    upsert_opportunity(session, values | {"status": "defunct"}, ACTOR)
    session.flush()
    assert "Closed Class" in [r["title"] for r in exported_rows(session)]


def test_export_writes_the_first_credential_by_name_and_first_physical_place(
    session: Session,
) -> None:
    provider = get_or_create_provider(session, "Harbour Museum", ACTOR)
    online = Location(provider=provider, location_type="virtual", name="Online")
    dock = Location(provider=provider, address="1 Dock St", latitude=41.53, longitude=-81.71)
    annex = Location(provider=provider, address="3 Dock St")
    zeta = Credential(name="Zeta Badge", credential_type="badge")
    alpha = Credential(name="Alpha Badge", credential_type="badge")
    session.add_all([online, dock, annex, zeta, alpha])
    session.flush()
    values = {
        "external_id": "hm-1",
        "title": "Ship Models",
        "description": "Build a model.",
        "provider": provider,
        "locations": [online, dock, annex],
        "awards": [zeta, alpha],
    }
    upsert_opportunity(session, values, ACTOR)
    session.flush()
    (exported,) = exported_rows(session)
    assert (exported["address"], exported["latitude"], exported["credential"]) == (
        "1 Dock St",
        "41.53",
        "Alpha Badge",
    )


def test_export_then_import_into_an_empty_directory_gives_the_same_file(session: Session) -> None:
    varied_directory(session)
    provider = get_or_create_provider(session, "Harbour Museum", ACTOR)
    upsert_opportunity(
        session,
        {
            "external_id": "hm-2",
            "title": "Knots",
            "description": "  Sailor's knots.  ",
            "provider": provider,
            "cost_amount": Decimal("3.10"),
            "start_date": date(2027, 6, 1),
            "start_time": time(9, 5),
            "status": "temporarily_closed",
            "topics": [get_or_create_topic(session, "sailing", ACTOR)],
        },
        ACTOR,
    )
    session.flush()
    first = export_text(session)
    empty_directory(session)
    report = import_rows(session, list(csv.DictReader(io.StringIO(first))))
    assert report.ok and report.created == 4
    assert without_versions(export_text(session)) == without_versions(first)
    assert "Sailor's knots.," in first and ",3.10," in first and ",09:05," in first


def test_reimporting_an_export_changes_nothing(session: Session) -> None:
    varied_directory(session)
    report = import_rows(session, exported_rows(session))
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)


def test_an_empty_directory_exports_just_the_header(session: Session) -> None:
    assert export_text(session) == ",".join(export_columns()) + "\r\n"


def test_export_order_does_not_depend_on_database_ids(session: Session) -> None:
    import_rows(session, [row(external_id="z", title="Zoo"), row(external_id="a", title="art")])
    assert [r["title"] for r in exported_rows(session)] == ["art", "Zoo"]


def test_exported_text_is_trimmed_like_the_import_trims_it(session: Session) -> None:
    provider = get_or_create_provider(session, "Knot Club", ACTOR)
    values = {"title": " Knots ", "description": "Loops.\n", "provider": provider}
    upsert_opportunity(session, values, ACTOR)
    session.flush()
    (exported,) = exported_rows(session)
    assert (exported["title"], exported["description"]) == ("Knots", "Loops.")
