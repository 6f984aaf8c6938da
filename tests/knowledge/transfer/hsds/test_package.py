"""The HSDS 3.0 Tabular Data Package: every object validates against the official schemas, and a
package imported into an empty directory exports again byte for byte."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.models import Location, Opportunity
from knowledge.transfer import import_csv
from knowledge.transfer.hsds import AddressDefaults, export_package, import_package
from knowledge.transfer.hsds.package import official_descriptor
from knowledge.transfer.hsds.place import country_of_locale
from tests.knowledge.transfer.factories import ACTOR, empty_directory, import_rows, problems, row
from tests.knowledge.transfer.hsds.schemas import package_errors, package_objects
from tests.knowledge.transfer.test_hsds import small_directory

CITY = AddressDefaults(state_province="Ohio", country="US", timezone="America/New_York")
JUNIPER_FORD = Path(__file__).resolve().parents[3] / "cities" / "juniper-ford" / "directory.csv"
MOMENT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


class _Frozen(datetime):
    """A clock stopped at MOMENT, so two directories written by imports have equal timestamps."""

    @classmethod
    def now(cls, tz: Any = None) -> _Frozen:
        return cls.fromtimestamp(MOMENT.timestamp(), tz)


def export(session: Session, folder: Path) -> dict[str, bytes]:
    """Write the package; its files' bytes by name."""
    export_package(session, folder, CITY)  # counts checked by the CLI test
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_the_demo_package_has_no_schema_errors(demo_session: Session, tmp_path: Path) -> None:
    export(demo_session, tmp_path)
    assert package_errors(tmp_path) == []
    objects = package_objects(tmp_path)
    assert len(objects["service"]) == len(demo_session.scalars(select(Opportunity)).all())
    assert all(address["state_province"] and address["country"] for address in objects["address"])
    virtual = [place for place in objects["location"] if place["location_type"] == "virtual"]
    assert virtual and all(place.get("url") for place in virtual)
    assert objects["metadata"] and all(item["resource_id"] for item in objects["metadata"])


def test_the_package_lists_hsds_tables_and_columns_only(
    demo_session: Session, tmp_path: Path
) -> None:
    export(demo_session, tmp_path)
    written = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    official = {item["name"]: item for item in official_descriptor()["resources"]}
    assert {item["name"] for item in written["resources"]} <= set(official)
    for resource in written["resources"]:
        assert resource == official[resource["name"]]
        with (tmp_path / resource["path"]).open(encoding="utf-8", newline="") as file:
            header = next(csv.reader(file))
        assert header == [field["name"] for field in resource["schema"]["fields"]]
    files = {path.name for path in tmp_path.iterdir()} - {"datapackage.json"}
    assert files == {item["path"] for item in written["resources"]}


def test_juniper_fords_directory_validates(session: Session, tmp_path: Path) -> None:
    report = import_csv(session, JUNIPER_FORD, actor=ACTOR)
    assert report.ok, problems(report)
    export(session, tmp_path)
    assert package_errors(tmp_path) == []
    # Its sheet gives no postal codes: its places go out without the address HSDS would refuse.
    assert package_objects(tmp_path)["address"] == []
    assert package_objects(tmp_path)["location"]


def test_schedules_carry_the_city_offset_and_how_to_attend(
    session: Session, tmp_path: Path
) -> None:
    import_rows(session, [row(start_time="16:00", end_time="17:30", start_date="2026-07-06")])
    export(session, tmp_path)
    (schedule,) = package_objects(tmp_path)["schedule"]
    assert (schedule["opens_at"], schedule["closes_at"]) == ("16:00-04:00", "17:30-04:00")
    assert schedule["timezone"] == -4  # summer time on the schedule's first day
    assert schedule["attending_type"] == "in person"


def test_an_address_without_state_or_country_takes_the_citys(
    session: Session, tmp_path: Path
) -> None:
    import_rows(session, [row()])
    session.scalars(select(Location)).one().postal_code = "44109"
    export(session, tmp_path)
    (address,) = package_objects(tmp_path)["address"]
    assert (address["state_province"], address["country"]) == ("Ohio", "US")
    assert country_of_locale("en_US") == "US" and country_of_locale("es") is None


def test_a_package_round_trips_through_an_empty_directory_byte_for_byte(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("knowledge.models.base.datetime", _Frozen)
    small_directory(session)
    import_rows(session, [row(external_id="tr-1", title="Chess") | {"title_es": "Ajedrez"}])
    before = export(session, tmp_path / "before")
    empty_directory(session)
    report = import_package(session, tmp_path / "before", actor=ACTOR)
    assert report.ok, problems(report)
    after = export(session, tmp_path / "after")
    assert package_errors(tmp_path / "after") == []
    assert set(after) == set(before)
    for name in before:
        if name != "metadata.csv":  # the history: the import is a change of its own
            assert after[name] == before[name], name


def test_the_demo_city_round_trips_but_for_history_times_and_verification(
    demo_session: Session, tmp_path: Path
) -> None:
    before = export(demo_session, tmp_path / "before")
    empty_directory(demo_session)
    report = import_package(demo_session, tmp_path / "before", actor=ACTOR)
    assert report.ok, problems(report)
    after = export(demo_session, tmp_path / "after")
    places = demo_session.scalars(select(Location)).all()
    assert len(places) == len(package_objects(tmp_path / "before")["location"])
    for name in set(before) - {"metadata.csv", "services.csv", "attributes.csv"}:
        assert after[name] == before[name], name
    # Only people verify a provider, and the import stamps the listings it writes.
    assert _without(before["services.csv"], "last_modified") == _without(
        after["services.csv"], "last_modified"
    )
    assert _without(before["attributes.csv"], "verified") == _without(
        after["attributes.csv"], "verified"
    )


def _without(data: bytes, what: str) -> list[list[str]]:
    """A table without one column, or without the attribute rows of one Wayfinder field."""
    records = list(csv.reader(io.StringIO(data.decode(), newline="")))
    if what in records[0]:
        at = records[0].index(what)
        return [record[:at] + record[at + 1 :] for record in records]
    return [record for record in records if record[3] != what]


def test_importing_a_folder_that_is_not_a_package_is_refused(
    session: Session, tmp_path: Path
) -> None:
    report = import_package(session, tmp_path, actor=ACTOR)
    assert not report.ok
    assert "has no datapackage.json; expected an HSDS Tabular Data Package folder" in str(
        report.problems[0]
    )


def test_a_dry_run_writes_nothing(session: Session, tmp_path: Path) -> None:
    small_directory(session)
    export(session, tmp_path)
    empty_directory(session)
    report = import_package(session, tmp_path, actor=ACTOR, dry_run=True)
    assert report.ok and report.created == 3
    assert session.scalars(select(Opportunity)).all() == []
