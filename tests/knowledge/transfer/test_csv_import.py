"""Importing the community spreadsheet: all or nothing, idempotent, updates with history."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.history import history_of
from knowledge.models import (
    ChangeRecord,
    Credential,
    Location,
    Neighbourhood,
    NeighbourhoodAlias,
    Opportunity,
    Provider,
    Topic,
    TopicSynonym,
)
from knowledge.transfer import import_csv
from knowledge.writes import get_or_create_neighbourhood, get_or_create_topic
from tests.knowledge.transfer.factories import (
    ACTOR,
    count,
    csv_text,
    import_rows,
    problems,
    row,
)


def listing(session: Session, external_id: str) -> Opportunity:
    """The opportunity with this external id, fresh from the database."""
    session.expire_all()
    found = session.scalar(select(Opportunity).where(Opportunity.external_id == external_id))
    assert found is not None
    return found


def ten_rows() -> list[dict[str, str]]:
    """Ten distinct valid rows."""
    return [row(external_id=f"ab-{i}", title=f"Club {i}") for i in range(10)]


def test_a_file_with_one_bad_row_leaves_the_directory_empty(session: Session) -> None:
    rows = ten_rows()
    rows[6]["max_age"] = "3"
    report = import_rows(session, rows)
    assert problems(report) == ["row 8, column max_age: 3 is below min_age 10"]
    for model in (Opportunity, Provider, Topic, Location, Neighbourhood, ChangeRecord):
        assert count(session, model) == 0, model


def test_dry_run_counts_what_would_change_and_writes_nothing(session: Session) -> None:
    import_rows(session, ten_rows()[:4])
    changed = ten_rows()
    changed[0]["cost"] = "15"
    records_before = count(session, ChangeRecord)
    report = import_rows(session, changed, dry_run=True)
    assert (report.created, report.updated, report.unchanged) == (6, 1, 3)
    assert report.summary() == (
        "Dry run of groups.csv: would be 6 created, 1 updated, 3 unchanged; nothing was written."
    )
    assert count(session, Opportunity) == 4
    assert count(session, ChangeRecord) == records_before
    assert listing(session, "ab-0").cost_amount == 0


def test_importing_the_same_file_twice_changes_nothing(session: Session) -> None:
    first = import_rows(session, ten_rows())
    assert first.summary() == "Imported groups.csv: 10 created, 0 updated, 0 unchanged."
    records = count(session, ChangeRecord)
    second = import_rows(session, ten_rows())
    assert (second.created, second.updated, second.unchanged) == (0, 0, 10)
    assert count(session, ChangeRecord) == records
    assert count(session, Opportunity) == 10


def test_reimport_with_a_known_external_id_updates_and_records_history(session: Session) -> None:
    import_rows(session, [row(max_age="14", cost="0", days="Sat")])
    report = import_rows(
        session, [row(max_age="16", cost="12.5", days="sat;SUN", title="Code Club")]
    )
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    opportunity = listing(session, "ab-test-001")
    assert (opportunity.title, opportunity.max_age, opportunity.days) == (
        "Code Club",
        16,
        ["Sat", "Sun"],
    )
    assert (opportunity.cost_amount, opportunity.is_free) == (Decimal("12.50"), False)
    changes = {
        record.field: (record.old_value, record.new_value)
        for record in history_of(session, opportunity)
        if record.action == "update"
    }
    assert changes == {
        "title": ("Saturday Code Club", "Code Club"),
        "max_age": ("14", "16"),
        "cost_amount": ("0", "12.50"),
        "is_free": ("true", "false"),
        "days": ("Sat", "Sat;Sun"),
    }
    assert count(session, Opportunity) == 1


def test_an_emptied_cell_clears_the_field(session: Session) -> None:
    import_rows(session, [row(max_age="14", cost="5")])
    import_rows(session, [row(max_age="", cost="")])
    opportunity = listing(session, "ab-test-001")
    assert (opportunity.max_age, opportunity.cost_amount, opportunity.is_free) == (None, None, None)


def test_rows_without_external_id_are_matched_by_provider_and_title(session: Session) -> None:
    import_rows(session, [row(external_id="", min_age="8")])
    again = import_rows(session, [row(external_id="", provider="EASTSIDE LIBRARY", min_age="8")])
    assert (again.created, again.unchanged) == (0, 1)
    changed = import_rows(session, [row(external_id="", min_age="9")])
    assert changed.updated == 1
    (opportunity,) = session.scalars(select(Opportunity))
    assert (opportunity.external_id, opportunity.min_age) == (None, 9)


def test_unknown_provider_topic_and_credential_are_created(session: Session) -> None:
    report = import_rows(
        session,
        [
            row(
                provider="Alder Bay Chess Club",
                topics="Chess;strategy games",
                credential="Chess Club Badge",
                credential_type="Badge",
            )
        ],
    )
    assert report.new_records["provider"] == ["Alder Bay Chess Club"]
    assert report.new_records["topic"] == ["chess", "strategy games"]
    assert report.new_records["credential"] == ["Chess Club Badge"]
    opportunity = listing(session, "ab-test-001")
    (credential,) = opportunity.awards
    assert (credential.credential_type, credential.issuer) == ("badge", opportunity.provider)
    assert opportunity.provider.verified is False
    assert sorted(topic.name for topic in opportunity.topics) == ["chess", "strategy games"]
    created = {r.entity_type for r in session.scalars(select(ChangeRecord)) if r.action == "create"}
    assert created >= {"provider", "topic", "credential", "opportunity", "location"}


def test_topics_are_matched_by_name_or_synonym_ignoring_case(session: Session) -> None:
    coding = get_or_create_topic(session, "coding", ACTOR)
    session.add(TopicSynonym(topic=coding, term="programming"))
    session.flush()
    report = import_rows(session, [row(topics="Programming; CODING")])
    assert "topic" not in report.new_records
    assert [topic.name for topic in listing(session, "ab-test-001").topics] == ["coding"]
    assert count(session, Topic) == 1


def test_neighbourhoods_are_matched_by_alias(session: Session) -> None:
    old_town = get_or_create_neighbourhood(session, "Old Town", ACTOR, city="Alder Bay")
    session.add(NeighbourhoodAlias(neighbourhood=old_town, alias="downtown"))
    session.flush()
    import_rows(session, [row(neighborhood="Downtown")])
    opportunity = listing(session, "ab-test-001")
    assert opportunity.neighbourhood is not None
    assert opportunity.neighbourhood.name == "Old Town"
    assert count(session, Neighbourhood) == 1


def test_rows_at_one_address_share_one_location(session: Session) -> None:
    import_rows(
        session,
        [
            row(external_id="a", address="1420 Main St"),
            row(external_id="b", address="1420 MAIN ST ", latitude="", longitude=""),
            row(external_id="c", address="", latitude="41.5013", longitude="-81.642"),
        ],
    )
    (location,) = session.scalars(select(Location))
    assert (location.address, location.latitude, location.location_type) == (
        "1420 Main St",
        41.5013,
        "physical",
    )
    assert listing(session, "b").locations == [location]
    assert listing(session, "c").latitude == 41.5013


def test_an_online_listing_without_an_address_has_no_location(session: Session) -> None:
    cells = dict.fromkeys(("address", "neighborhood", "city", "latitude", "longitude"), "")
    import_rows(session, [row(format="online", **cells)])
    opportunity = listing(session, "ab-test-001")
    assert (opportunity.format, opportunity.locations, opportunity.latitude) == ("online", [], None)


def test_moving_a_listing_replaces_its_location(session: Session) -> None:
    import_rows(session, [row(address="1420 Main St")])
    report = import_rows(
        session, [row(address="9 Harbour Rd", latitude="41.53", longitude="-81.7")]
    )
    assert report.updated == 1
    opportunity = listing(session, "ab-test-001")
    assert [place.address for place in opportunity.locations] == ["9 Harbour Rd"]
    assert opportunity.latitude == 41.53


def test_reimport_keeps_other_credentials_when_the_named_one_is_awarded(session: Session) -> None:
    import_rows(session, [row(credential="A Badge", credential_type="badge")])
    opportunity = listing(session, "ab-test-001")
    extra = Credential(name="B Certificate", credential_type="certificate")
    opportunity.awards.append(extra)
    session.flush()
    report = import_rows(session, [row(credential="A Badge", credential_type="")])
    assert report.unchanged == 1
    assert sorted(c.name for c in listing(session, "ab-test-001").awards) == [
        "A Badge",
        "B Certificate",
    ]


def test_languages_and_days_are_normalised(session: Session) -> None:
    import_rows(session, [row(languages="EN; es;en", days="sun;MON;wednesday")])
    opportunity = listing(session, "ab-test-001")
    assert (opportunity.language_list, opportunity.days) == (["en", "es"], ["Mon", "Wed", "Sun"])


def test_languages_beyond_iso_639_1_are_imported_as_language_tags(session: Session) -> None:
    report = import_rows(session, [row(languages="hmn;ASE;zh-hant;es_419")])
    assert problems(report) == []
    opportunity = listing(session, "ab-test-001")
    assert opportunity.language_list == ["hmn", "ase", "zh-Hant", "es-419"]


def test_import_reads_a_path_or_a_text_stream_with_a_byte_order_mark(
    session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "groups.csv"
    path.write_bytes(b"\xef\xbb\xbf" + csv_text([row(external_id="a")]).encode())
    assert import_csv(session, path, actor=ACTOR).summary() == (
        f"Imported {path}: 1 created, 0 updated, 0 unchanged."
    )
    stream = io.StringIO("\ufeff" + csv_text([row(external_id="b")]))
    assert import_csv(session, stream, actor=ACTOR).created == 1
