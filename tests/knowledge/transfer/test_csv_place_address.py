"""The state_province, postal_code, country and location_url columns: parts of the row's place
(imported, exported and imported back unchanged, one value per place), location_url naming an
online listing's online place, and the addresses they give the HSDS package."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.models import Location, Opportunity
from knowledge.transfer import import_csv
from knowledge.transfer.csv_format import COLUMNS
from knowledge.transfer.hsds import AddressDefaults, export_package
from tests.knowledge.transfer.factories import (
    ACTOR,
    csv_text,
    empty_directory,
    export_text,
    import_rows,
    problems,
    row,
    without_versions,
)
from tests.knowledge.transfer.hsds.schemas import package_errors, package_objects

ADDRESS = {"state_province": "Ontario", "postal_code": "M5V 2T6", "country": "ca"}
PAGE = "https://eastside.library.example/visit"
CLASSROOM = "https://eastside.library.example/online"
NO_PLACE = {"address": "", "neighborhood": "", "city": "", "latitude": "", "longitude": ""}
CITY = AddressDefaults(state_province="Ohio", country="US", timezone="America/New_York")
PLACE_COLUMNS = ("state_province", "postal_code", "country", "location_url")


def place(session: Session, kind: str = "physical") -> Location:
    """The one place of the kind the test imported."""
    (found,) = session.scalars(select(Location).where(Location.location_type == kind))
    return found


def online_row(**cells: str) -> dict[str, str]:
    """A valid online listing without a place, joined at CLASSROOM."""
    return row(format="online", location_url=CLASSROOM) | NO_PLACE | cells


def test_the_columns_are_written_to_the_place_and_round_trip(session: Session) -> None:
    report = import_rows(session, [row(location_url=PAGE, **ADDRESS)])
    assert report.ok, problems(report)
    found = place(session)
    assert (found.state_province, found.postal_code, found.country, found.url) == (
        "Ontario",
        "M5V 2T6",
        "CA",  # upper-cased
        PAGE,
    )
    exported = export_text(session)
    header = exported.splitlines()[0].split(",")
    assert header[header.index("city") + 1 : header.index("city") + 4] == list(PLACE_COLUMNS[:3])
    assert header.index("location_url") == header.index("transport") + 1
    assert ",Ontario,M5V 2T6,CA," in exported and PAGE in exported
    again = import_csv(session, exported.encode(), actor=ACTOR)
    assert again.ok and again.unchanged == 1 and again.updated == 0, problems(again)
    empty_directory(session)
    assert import_csv(session, exported.encode(), actor=ACTOR).ok
    assert without_versions(export_text(session)) == without_versions(exported)


def test_an_update_changes_or_clears_a_known_places_values(session: Session) -> None:
    assert import_rows(session, [row(location_url=PAGE, **ADDRESS)]).ok
    changed = row(state_province="Quebec", postal_code="H2X 1Y4", country="CA", location_url="")
    assert import_rows(session, [changed]).ok
    found = place(session)
    assert (found.state_province, found.postal_code, found.url) == ("Quebec", "H2X 1Y4", None)
    # Empty state and country: the city's (nothing stored), which the HSDS package writes.
    assert import_rows(session, [row(state_province="", country="")]).ok
    assert (place(session).state_province, place(session).country) == (None, None)
    assert place(session).postal_code is None  # an empty cell clears, like every column


def test_a_value_on_one_row_holds_for_every_row_of_the_place(session: Session) -> None:
    rows = [
        row(external_id="a-1", title="Chess", postal_code="44113", country="us"),
        row(external_id="a-2", title="Robots", country="US"),  # the same country, any case
    ]
    report = import_rows(session, rows)
    assert report.ok, problems(report)
    assert (place(session).postal_code, place(session).country) == ("44113", "US")


def test_a_sheet_without_the_columns_imports_and_leaves_the_place_alone(
    session: Session,
) -> None:
    assert import_rows(session, [row(location_url=PAGE, **ADDRESS)]).ok
    columns = [name for name in COLUMNS if name not in PLACE_COLUMNS]
    text = csv_text([row(cost="5")], columns=columns)
    report = import_csv(session, text.encode(), actor=ACTOR)
    assert report.ok and report.updated == 1, problems(report)
    assert (place(session).postal_code, place(session).country, place(session).url) == (
        "M5V 2T6",
        "CA",
        PAGE,
    )


def test_two_values_for_one_place_are_refused(session: Session) -> None:
    rows = [
        row(external_id="a-1", title="Chess", postal_code="44113", location_url=PAGE),
        row(external_id="a-2", title="Robots", postal_code="44114", location_url=CLASSROOM),
    ]
    report = import_rows(session, rows)
    assert problems(report) == [
        "row 3, column postal_code: row 2 gives the same place another postal_code; it belongs "
        "to the place, so write the same one on every row there (or leave it empty on all but "
        "one)",
        "row 3, column location_url: row 2 gives the same place another location_url; it "
        "belongs to the place, so write the same one on every row there (or leave it empty on "
        "all but one)",
    ]
    assert session.scalars(select(Opportunity)).first() is None


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (
            "USA",
            "'USA' is not a country code; write the two letters of ISO 3166-1, such as US, CA or "
            "GB",
        ),
        (
            "U5",
            "'U5' is not a country code; write the two letters of ISO 3166-1, such as US, CA or GB",
        ),
        ("uk", "'uk' is not an ISO 3166-1 country code; write GB"),
        ("XQ", "'XQ' is not an ISO 3166-1 country code; such as US, CA or GB"),
    ],
)
def test_a_bad_country_is_refused(session: Session, cell: str, message: str) -> None:
    report = import_rows(session, [row(country=cell)])
    assert problems(report) == [f"row 2, column country: {message}"]


@pytest.mark.parametrize(
    "cell",
    [
        "www.eastside.library.example/visit",
        "ftp://eastside.library.example/visit",
        "javascript:alert(1)",
        "https://",
        "https://eastside.library.example/our visit",
        "https://bibliothèque.example/visite",
    ],
)
def test_a_bad_web_address_is_refused(session: Session, cell: str) -> None:
    report = import_rows(session, [row(location_url=cell)])
    assert problems(report) == [
        f"row 2, column location_url: {cell!r} is not a web address; write it whole as a browser "
        "shows it, starting with https:// (or http://), without spaces, e.g. "
        "https://example.org/join"
    ]


def test_a_place_part_without_a_place_is_refused(session: Session) -> None:
    report = import_rows(session, [online_row(postal_code="44113")])
    assert problems(report) == [
        "row 2, column postal_code: is part of the address of the place the listing meets at, "
        "but the row names no place; fill in address, neighborhood, city or latitude and "
        "longitude (or clear it)"
    ]


def test_an_online_listing_is_joined_at_its_online_place(session: Session) -> None:
    rows = [online_row(), online_row(external_id="ab-test-002", title="Robots", format="hybrid")]
    report = import_rows(session, rows)
    assert report.ok, problems(report)
    online = place(session, "virtual")  # one place for both: the provider's at that address
    assert (
        online.url == CLASSROOM and online.provider and online.provider.name == "Eastside Library"
    )
    listings = session.scalars(select(Opportunity)).all()
    assert all(listing.locations == [online] for listing in listings)
    exported = export_text(session)
    assert exported.count(CLASSROOM) == 2
    again = import_csv(session, exported.encode(), actor=ACTOR)
    assert again.ok and again.unchanged == 2, problems(again)
    # An empty cell leaves the online place; another address moves the listing there.
    assert import_rows(session, [online_row(location_url="")]).unchanged == 1
    moved = "https://eastside.library.example/zoom"
    assert import_rows(session, [online_row(location_url=moved)]).updated == 1
    listing = session.scalars(select(Opportunity).where(Opportunity.title == "Saturday Code Club"))
    assert [found.url for found in listing.one().locations] == [moved]


def test_an_online_link_on_an_in_person_row_without_a_place_is_refused(
    session: Session,
) -> None:
    report = import_rows(session, [online_row(format="in_person")])
    assert problems(report) == [
        "row 2, column location_url: is where an online listing is joined, but format is "
        "in_person and the row names no place; set format to online or hybrid, or fill in the "
        "place's address, neighborhood, city or latitude and longitude (the link is then the "
        "place's web page)"
    ]


def test_a_sheet_with_whole_addresses_gives_the_hsds_package_addresses(
    session: Session, tmp_path: Path
) -> None:
    rows = [
        row(location_url=PAGE, **ADDRESS),
        row(external_id="ab-test-002", title="Robots", address="9 Oak St", postal_code="44102"),
        row(external_id="ab-test-003", title="Poetry", address="1 Elm St"),  # no postal code
        online_row(external_id="ab-test-004", title="Coding online"),
    ]
    assert import_rows(session, rows).ok
    services, incomplete = export_package(session, tmp_path, CITY)
    assert (services, incomplete) == (4, 1)
    assert package_errors(tmp_path) == []
    objects = package_objects(tmp_path)
    addresses = {item["address_1"]: item for item in objects["address"]}
    assert set(addresses) == {"1420 Main St", "9 Oak St"}
    own = addresses["1420 Main St"]
    parts = (own["city"], own["state_province"], own["postal_code"], own["country"])
    assert parts == ("Alder Bay", "Ontario", "M5V 2T6", "CA")
    city = addresses["9 Oak St"]  # empty state and country: the city's
    assert (city["state_province"], city["postal_code"], city["country"]) == ("Ohio", "44102", "US")
    urls = {
        item["location_type"]: item.get("url") for item in objects["location"] if item.get("url")
    }
    assert urls == {"physical": PAGE, "virtual": CLASSROOM}
