"""The HSDS 3.0 Tabular Data Package: every object validates against the official schemas, and a
package imported into an empty directory exports again byte for byte, change history included."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.history import Actor, apply_changes, history_of
from knowledge.models import ChangeRecord, Location, Opportunity, Provider
from knowledge.transfer import import_csv
from knowledge.transfer.hsds import AddressDefaults, export_package, import_package
from knowledge.transfer.hsds.objects import PACKAGE_SOURCE
from knowledge.transfer.hsds.package import official_descriptor
from knowledge.transfer.hsds.place import country_of_locale
from tests.knowledge.transfer.factories import ACTOR, empty_directory, import_rows, problems, row
from tests.knowledge.transfer.hsds.schemas import package_errors, package_objects
from tests.knowledge.transfer.test_hsds import small_directory

CITY = AddressDefaults(state_province="Ohio", country="US", timezone="America/New_York")
JUNIPER_FORD = Path(__file__).resolve().parents[3] / "cities" / "juniper-ford" / "directory.csv"
MOMENT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # when the exported directory was written
LATER = datetime(2026, 4, 20, 15, 45, tzinfo=UTC)  # when a package of it is imported


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
    stop_clock(monkeypatch, MOMENT)
    small_directory(session)
    import_rows(session, [row(external_id="tr-1", title="Chess") | {"title_es": "Ajedrez"}])
    provider = session.scalars(select(Provider).where(Provider.name == "Code Coop")).one()
    apply_changes(session, provider, {"verified": True}, Actor("an organiser", "cli"))
    listing = session.scalars(select(Opportunity).where(Opportunity.title == "Chess")).one()
    apply_changes(session, listing, {"description": "Openings and endgames."}, ACTOR)
    session.flush()
    stop_clock(monkeypatch, LATER)  # the import happens weeks later
    before, after = round_trip(session, tmp_path)
    assert package_errors(tmp_path / "after") == []
    assert differing(before, after) == []
    # The history is the package's (its days, actors and order), marked as restored from it.
    provider = session.scalars(select(Provider).where(Provider.name == "Code Coop")).one()
    assert provider.verified
    listing = session.scalars(select(Opportunity).where(Opportunity.title == "Chess")).one()
    assert listing.modified_at == _naive(MOMENT)
    history = history_of(session, listing)
    assert [(record.action, record.field) for record in history] == [
        ("create", "*"),
        ("update", "description"),
    ]
    assert {record.source for record in history} == {PACKAGE_SOURCE}
    assert {record.actor for record in history} == {"test-importer (import)"}
    assert {record.changed_at for record in history} == {datetime(2026, 3, 2)}


def test_the_demo_city_round_trips_byte_for_byte(demo_session: Session, tmp_path: Path) -> None:
    before, after = round_trip(demo_session, tmp_path)
    assert differing(before, after) == []
    places = demo_session.scalars(select(Location)).all()
    assert len(places) == len(package_objects(tmp_path / "before")["location"])
    assert demo_session.scalars(select(Provider).where(Provider.verified)).all()


def test_juniper_fords_directory_round_trips_byte_for_byte(
    session: Session, tmp_path: Path
) -> None:
    report = import_csv(session, JUNIPER_FORD, actor=ACTOR)
    assert report.ok, problems(report)
    before, after = round_trip(session, tmp_path)
    assert differing(before, after) == []
    assert package_objects(tmp_path / "after")["metadata"]


def test_a_record_the_package_gives_no_history_for_gets_the_imports_own(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stop_clock(monkeypatch, MOMENT)
    small_directory(session)
    export(session, tmp_path)
    online = package_objects(tmp_path)["service"]
    (sid,) = [service["id"] for service in online if service["name"] == "Python at Home"]
    _drop_rows(tmp_path / "metadata.csv", resource_id=sid)
    empty_directory(session)
    stop_clock(monkeypatch, LATER)
    assert import_package(session, tmp_path, actor=ACTOR).ok
    listings = {item.title: item for item in session.scalars(select(Opportunity))}
    (own,) = history_of(session, listings["Python at Home"])
    assert (own.action, own.source, own.changed_at) == ("create", "import", _naive(LATER))
    assert listings["Python at Home"].modified_at == _naive(MOMENT)  # the service's last_modified
    (restored,) = history_of(session, listings["Homework Help"])
    assert (restored.source, restored.changed_at) == (PACKAGE_SOURCE, datetime(2026, 3, 2))


def test_an_import_into_a_directory_that_has_the_records_records_its_changes(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stop_clock(monkeypatch, MOMENT)
    small_directory(session)
    export(session, tmp_path)
    listing = session.scalars(select(Opportunity).where(Opportunity.title == "Homework Help")).one()
    apply_changes(session, listing, {"description": "Changed here."}, Actor("someone", "cli"))
    session.flush()
    earlier = [record.id for record in history_of(session, listing)]
    stop_clock(monkeypatch, LATER)
    report = import_package(session, tmp_path, actor=ACTOR)
    assert report.ok and report.updated == 1 and report.created == 0
    history = history_of(session, listing)
    assert [record.id for record in history[:-1]] == earlier
    change = history[-1]
    assert (change.field, change.source, change.changed_at) == (
        "description",
        "import",
        _naive(LATER),
    )
    assert listing.modified_at == _naive(LATER)
    assert (
        session.scalars(select(ChangeRecord).where(ChangeRecord.source == PACKAGE_SOURCE)).all()
        == []
    )


def test_a_bad_time_in_a_package_is_named_not_dropped(session: Session, tmp_path: Path) -> None:
    import_rows(session, [row(days="Mon;Wed")])
    export(session, tmp_path)
    empty_directory(session)
    schedules = tmp_path / "schedules.csv"
    text = schedules.read_text(encoding="utf-8")
    schedules.write_text(text.replace("MO,WE", "mo,we").replace("10:00-05:00", "soon"), "utf-8")
    report = import_package(session, tmp_path, actor=ACTOR)
    assert problems(report) == [
        "service 1, field schedules.opens_at: 'soon' is not a time; write HH:MM (24-hour), "
        "e.g. 18:30"
    ]


def round_trip(session: Session, folder: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Export, import that package into the emptied directory, export again: both packages."""
    before = export(session, folder / "before")
    empty_directory(session)
    report = import_package(session, folder / "before", actor=ACTOR)
    assert report.ok, problems(report)
    return before, export(session, folder / "after")


def differing(before: dict[str, bytes], after: dict[str, bytes]) -> list[str]:
    """The files of two packages that are not byte for byte the same (or in only one)."""
    return sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )


def stop_clock(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    """Every timestamp the models write is `moment` until the clock is stopped elsewhere."""

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Frozen:
            return cls.fromtimestamp(moment.timestamp(), tz)

    monkeypatch.setattr("knowledge.models.base.datetime", Frozen)


def _naive(moment: datetime) -> datetime:
    """A moment as the database keeps it: UTC without tzinfo."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def _drop_rows(path: Path, **cells: str) -> None:
    """Remove a package table's rows that have these cells."""
    with path.open(encoding="utf-8", newline="") as file:
        records = list(csv.DictReader(file))
        header = list(records[0]) if records else []
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, header)
        writer.writeheader()
        writer.writerows(
            record for record in records if any(record[k] != v for k, v in cells.items())
        )


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
