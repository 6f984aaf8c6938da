"""The spreadsheet says what kind each provider is (optional `provider_kind` column)."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.models import ChangeRecord, Provider
from knowledge.transfer import import_csv
from knowledge.transfer.csv_format import COLUMNS, OPTIONAL_COLUMNS
from tests.knowledge.transfer.factories import (
    ACTOR,
    csv_text,
    empty_directory,
    export_text,
    import_rows,
    problems,
    row,
)

OLD_COLUMNS = [name for name in COLUMNS if name not in OPTIONAL_COLUMNS]  # sheets before it


def kinds(session: Session) -> dict[str, str]:
    """Each provider's kind, by name."""
    return {name: kind for name, kind in session.execute(select(Provider.name, Provider.kind))}


@pytest.mark.parametrize(
    ("cell", "kind"),
    [
        ("library", "library"),
        ("Community Group", "community_group"),
        ("community-group", "community_group"),
        (" GOVERNMENT ", "government"),
        ("", "nonprofit"),
    ],
)
def test_a_new_provider_gets_the_kind_the_sheet_gives(
    session: Session, cell: str, kind: str
) -> None:
    report = import_rows(session, [row(provider_kind=cell)])
    assert report.ok, problems(report)
    assert kinds(session) == {"Eastside Library": kind}


def test_a_bad_kind_is_refused_with_its_row_column_and_the_allowed_values(
    session: Session,
) -> None:
    report = import_rows(session, [row(), row(external_id="b", provider_kind="church")])
    assert problems(report) == [
        "row 3, column provider_kind: 'church' is not one of: school, library, museum, "
        "nonprofit, business, college, community_group, government"
    ]
    assert kinds(session) == {}


def test_a_sheet_without_the_column_still_imports(session: Session) -> None:
    text = csv_text([row()], columns=OLD_COLUMNS)
    assert "provider_kind" not in text
    report = import_csv(session, text.encode(), actor=ACTOR)
    assert report.ok and report.created == 1, problems(report)
    assert kinds(session) == {"Eastside Library": "nonprofit"}


def test_a_misspelt_column_is_not_taken_for_it(session: Session) -> None:
    columns = [*OLD_COLUMNS, "provider_knid"]
    report = import_csv(session, csv_text([row()], columns=columns).encode(), actor=ACTOR)
    assert (
        problems(report)[0] == "row 1: unknown column 'provider_knid'; did you mean provider_kind?"
    )


def test_rows_of_one_provider_must_agree(session: Session) -> None:
    rows = [
        row(provider_kind="library"),
        row(external_id="b", provider_kind=""),
        row(external_id="c", provider_kind="museum"),
    ]
    assert problems(import_rows(session, rows)) == [
        "row 4, column provider_kind: museum contradicts row 2, which makes 'Eastside Library' "
        "a library"
    ]


def test_a_known_provider_keeps_its_kind_unless_told_to_change_it(session: Session) -> None:
    assert import_rows(session, [row(provider_kind="library")]).ok
    again = import_rows(session, [row(provider_kind="")])  # empty: unknown, the kind stays
    assert again.ok and again.unchanged == 1 and kinds(session) == {"Eastside Library": "library"}
    refused = import_rows(session, [row(provider_kind="museum")])
    assert problems(refused) == [
        "row 2, column provider_kind: 'Eastside Library' is already a library in the directory; "
        "write library or leave provider_kind empty (an organiser can change it by importing "
        "with --update-provider-kinds)"
    ]
    assert kinds(session) == {"Eastside Library": "library"}


def test_updating_kinds_on_purpose_changes_them_with_history(session: Session) -> None:
    assert import_rows(session, [row()]).ok  # an older sheet: every provider a nonprofit
    data = csv_text([row(provider_kind="library")]).encode()
    report = import_csv(session, data, actor=ACTOR, update_provider_kinds=True)
    assert report.ok, problems(report)
    assert report.changed_records == {"provider kind": ["Eastside Library (nonprofit → library)"]}
    assert kinds(session) == {"Eastside Library": "library"}
    record = session.scalars(select(ChangeRecord).where(ChangeRecord.field == "kind")).one()
    assert (record.old_value, record.new_value, record.actor) == (
        "nonprofit",
        "library",
        ACTOR.name,
    )


def test_a_dry_run_of_a_kind_change_changes_nothing(session: Session) -> None:
    assert import_rows(session, [row()]).ok
    data = csv_text([row(provider_kind="library")]).encode()
    report = import_csv(session, data, actor=ACTOR, dry_run=True, update_provider_kinds=True)
    assert report.changed_records == {"provider kind": ["Eastside Library (nonprofit → library)"]}
    session.expire_all()
    assert kinds(session) == {"Eastside Library": "nonprofit"}


def test_export_writes_the_kind_and_the_round_trip_is_byte_identical(session: Session) -> None:
    rows = [
        row(provider_kind="library"),
        row(
            external_id="m-1", title="Sketching", provider="Harbour Museum", provider_kind="museum"
        ),
        row(external_id="c-1", title="Repair Cafe", provider="Fixers", provider_kind=""),
    ]
    assert import_rows(session, rows).ok
    first = export_text(session)
    exported = list(csv.DictReader(io.StringIO(first)))
    assert [(r["provider"], r["provider_kind"]) for r in exported] == [
        ("Eastside Library", "library"),
        ("Fixers", "nonprofit"),
        ("Harbour Museum", "museum"),
    ]
    empty_directory(session)
    report = import_rows(session, exported)
    assert report.ok and report.created == 3
    assert export_text(session) == first
