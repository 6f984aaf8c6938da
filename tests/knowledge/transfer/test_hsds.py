"""Open Referral HSDS 3.0 JSON: the exported shape, stable ids, and reading it back."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.models import Opportunity, Provider
from knowledge.transfer import export_hsds, import_file, import_hsds
from tests.knowledge.transfer.factories import (
    ACTOR,
    count,
    empty_directory,
    export_text,
    import_rows,
    problems,
    row,
)


def small_directory(session: Session) -> None:
    """Two providers, three listings: in person with a badge, online, and one without an id."""
    import_rows(
        session,
        [
            row(credential="Scratch Badge", credential_type="badge", cost="12.5"),
            row(
                external_id="ab-online",
                title="Python at Home",
                provider="Code Coop",
                format="online",
                address="",
                neighborhood="",
                city="",
                latitude="",
                longitude="",
                languages="en;es",
            ),
            row(external_id="", title="Homework Help", days="Mon;Wed", cost=""),
        ],
    )


def hsds_import(session: Session, document: Any, **kwargs: Any) -> Any:
    """Import a document given as a Python object."""
    return import_hsds(
        session, json.dumps(document).encode(), actor=ACTOR, name="feed.json", **kwargs
    )


def test_export_has_the_hsds_collections_with_their_required_fields(session: Session) -> None:
    small_directory(session)
    document = export_hsds(session)
    assert set(document) == {"organizations", "services", "locations", "taxonomy_terms"}
    assert len(document["services"]) == 3 and len(document["organizations"]) == 2
    for organization in document["organizations"]:
        assert {"id", "name", "description", "x-kind", "x-verified"} <= set(organization)
    for service in document["services"]:
        assert {"id", "organization_id", "name", "description", "status"} <= set(service)
    for location in document["locations"]:
        assert {"id", "location_type", "latitude", "longitude", "addresses"} <= set(location)
    for term in document["taxonomy_terms"]:
        assert {"id", "name", "taxonomy"} <= set(term)
    every_id = [item["id"] for collection in document.values() for item in collection]
    assert all(uuid.UUID(value).version == 5 for value in every_id)
    assert len(set(every_id)) == len(every_id)


def test_exported_ids_link_services_to_organizations_locations_and_terms(
    session: Session,
) -> None:
    small_directory(session)
    document = export_hsds(session)
    organizations = {item["id"] for item in document["organizations"]}
    locations = {item["id"] for item in document["locations"]}
    terms = {item["id"] for item in document["taxonomy_terms"]}
    for service in document["services"]:
        assert service["organization_id"] in organizations
        for link in service["service_at_locations"]:
            assert link["location_id"] in locations and link["service_id"] == service["id"]
        for attribute in service["attributes"]:
            assert attribute["taxonomy_term_id"] in terms and attribute["link_id"] == service["id"]
            assert attribute["taxonomy_term"]["id"] == attribute["taxonomy_term_id"]
    for location in document["locations"]:
        assert location["organization_id"] in organizations


def test_a_service_carries_schedule_cost_languages_and_credentials(session: Session) -> None:
    small_directory(session)
    services = {s["name"]: s for s in export_hsds(session)["services"]}
    club = services["Saturday Code Club"]
    assert (club["minimum_age"], club["maximum_age"], club["status"]) == (10, 14, "active")
    (schedule,) = club["schedules"]
    assert {k: schedule[k] for k in ("freq", "byday", "opens_at", "closes_at", "valid_from")} == {
        "freq": "WEEKLY",
        "byday": "SA",
        "opens_at": "10:00",
        "closes_at": "12:00",
        "valid_from": "2027-01-09",
    }
    (cost,) = club["cost_options"]
    assert (cost["amount"], cost["currency"]) == (12.5, "USD")
    assert club["x-credentials"][0]["credential_type"] == "badge"
    assert [language["code"] for language in services["Python at Home"]["languages"]] == [
        "en",
        "es",
    ]
    assert services["Python at Home"]["service_at_locations"] == []
    assert services["Homework Help"]["cost_options"] == []


def test_export_is_stable_and_maps_status_spelling(session: Session) -> None:
    small_directory(session)
    listing = session.scalars(select(Opportunity).where(Opportunity.title == "Homework Help")).one()
    listing.status = "temporarily_closed"
    session.flush()
    first, second = export_hsds(session), export_hsds(session)
    assert first == second
    statuses = {s["name"]: s["status"] for s in first["services"]}
    assert statuses["Homework Help"] == "temporarily closed"


def test_hsds_export_then_import_into_an_empty_directory_keeps_every_csv_field(
    session: Session,
) -> None:
    small_directory(session)
    before = export_text(session)
    document = export_hsds(session)
    empty_directory(session)
    report = hsds_import(session, document)
    assert report.ok, problems(report)
    assert report.created == 3
    assert export_text(session) == before
    assert hsds_import(session, document).unchanged == 3


def test_hsds_import_sets_new_providers_details_but_never_verified(session: Session) -> None:
    small_directory(session)
    session.scalars(select(Provider)).first().verified = True  # type: ignore[union-attr]
    session.flush()
    document = export_hsds(session)
    document["organizations"][0]["description"] = "A co-op of volunteer coders."
    empty_directory(session)
    assert hsds_import(session, document).ok
    provider = session.scalars(select(Provider).where(Provider.name == "Code Coop")).one()
    assert (provider.description, provider.verified) == ("A co-op of volunteer coders.", False)


def test_hsds_import_reads_a_minimal_document_from_another_system(session: Session) -> None:
    document = {
        "organizations": [{"id": "org-1", "name": "Harbour Rowing Club", "description": ""}],
        "taxonomy_terms": [{"id": "t-1", "name": "Rowing"}],
        "locations": [
            {
                "id": "loc-1",
                "latitude": 41.53,
                "longitude": -81.71,
                "addresses": [{"address_1": "2 Pier St", "city": "Alder Bay"}],
            }
        ],
        "services": [
            {
                "id": "svc-1",
                "organization_id": "org-1",
                "name": "Learn to Row",
                "description": "Four Saturday mornings on the water.",
                "status": "active",
                "attributes": [{"taxonomy_term_id": "t-1"}],
                "service_at_locations": [{"location_id": "loc-1"}],
                "schedules": [{"byday": "SA", "opens_at": "09:00:00", "closes_at": "11:30:00Z"}],
                "cost_options": [{"amount": 20, "currency": "usd"}],
                "minimum_age": 14.0,
            }
        ],
    }
    report = hsds_import(session, document)
    assert report.ok, problems(report)
    listing = session.scalars(select(Opportunity)).one()
    assert (listing.format, listing.days, str(listing.start_time)) == (
        "in_person",
        ["Sat"],
        "09:00:00",
    )
    assert ([t.name for t in listing.topics], listing.min_age, listing.latitude) == (
        ["rowing"],
        14,
        41.53,
    )


def test_hsds_import_reports_problems_by_service_and_field(session: Session) -> None:
    base = {
        "description": "d",
        "status": "active",
        "x-format": "online",
        "attributes": [{"taxonomy_term": {"name": "x"}}],
    }
    document = {
        "organizations": [{"id": "org-1", "name": "Club", "description": ""}],
        "services": [
            base | {"id": "a", "organization_id": "org-1", "name": "A", "minimum_age": -1},
            base | {"id": "b", "organization_id": "nobody", "name": "B", "status": "paused"},
        ],
    }
    report = hsds_import(session, document)
    assert problems(report) == [
        "service 1, field minimum_age: -1 is negative; ages are 0 or more",
        "service 2, field organization_id: 'nobody' is not among the organizations",
        "service 2, field status: 'paused' is not one of: active, temporarily_closed, inactive, "
        "defunct",
    ]
    assert count(session, Opportunity) == 0


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"services": [', "file: is not valid JSON: Expecting value (line 1, column 15)"),
        (
            b'{"organizations": []}',
            "file: must be a JSON object whose services is a list (HSDS 3.0)",
        ),
        (b"", "file: is empty; expected an HSDS JSON object with organizations and services"),
    ],
)
def test_hsds_import_rejects_a_document_it_cannot_read(
    session: Session, data: bytes, expected: str
) -> None:
    report = import_hsds(session, data, actor=ACTOR)
    assert problems(report) == [expected]


def test_import_file_recognises_json_by_content(session: Session, tmp_path: Path) -> None:
    small_directory(session)
    document = export_hsds(session)
    empty_directory(session)
    path = tmp_path / "directory.txt"
    path.write_text(json.dumps(document), encoding="utf-8")
    report = import_file(session, path, actor=ACTOR)
    assert (report.ok, report.created) == (True, 3)
