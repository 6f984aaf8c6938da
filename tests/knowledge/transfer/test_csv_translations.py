"""A listing's title and description in other chat languages, as title_<code> and
description_<code> columns: imported, replaced, cleared, exported back, and checked."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.history import history_of
from knowledge.listing_fields import MAX_LENGTHS, translation_languages
from knowledge.models import Opportunity, OpportunityTranslation
from knowledge.transfer import ImportReport, import_csv
from knowledge.transfer.csv_format import COLUMNS
from tests.knowledge.transfer.factories import ACTOR, count, csv_text, export_text, problems, row

OTHER = translation_languages()[0]  # es in the starter locales; any other chat language works
TITLE, DESCRIPTION = f"title_{OTHER}", f"description_{OTHER}"


def import_sheet(
    session: Session, rows: Iterable[Mapping[str, str]], columns: Iterable[str] = ()
) -> ImportReport:
    """Import rows under the sheet's columns plus the given ones."""
    data = csv_text(rows, (*COLUMNS, *columns)).encode("utf-8")
    return import_csv(session, data, actor=ACTOR, name="groups.csv")


def translated(**cells: str) -> dict[str, str]:
    """A valid row with a translated title and description."""
    return row(**{TITLE: "Club de programación", DESCRIPTION: "Crea juegos en Scratch."} | cells)


def translations(session: Session) -> dict[str, tuple[str, str]]:
    """The only listing's translations by language."""
    session.expire_all()
    listing = session.scalars(select(Opportunity)).one()
    return {found.language: (found.title, found.description) for found in listing.translations}


def test_translation_columns_are_imported(session: Session) -> None:
    report = import_sheet(session, [translated()], (TITLE, DESCRIPTION))
    assert problems(report) == []
    assert translations(session) == {OTHER: ("Club de programación", "Crea juegos en Scratch.")}


def test_a_reimport_replaces_the_translation_and_records_it(session: Session) -> None:
    import_sheet(session, [translated()], (TITLE, DESCRIPTION))
    before = session.scalars(select(Opportunity)).one().version
    report = import_sheet(session, [translated(**{TITLE: "Club de código"})], (TITLE, DESCRIPTION))
    assert report.updated == 1
    assert translations(session)[OTHER][0] == "Club de código"
    listing = session.scalars(select(Opportunity)).one()
    assert [(r.field, r.old_value, r.new_value) for r in history_of(session, listing)][-1] == (
        TITLE,
        "Club de programación",
        "Club de código",
    )
    assert listing.version == before + 1  # an export made before cannot undo it


def test_emptied_cells_remove_the_translation(session: Session) -> None:
    import_sheet(session, [translated()], (TITLE, DESCRIPTION))
    import_sheet(session, [translated(**{TITLE: "", DESCRIPTION: ""})], (TITLE, DESCRIPTION))
    assert translations(session) == {}
    assert count(session, OpportunityTranslation) == 0


def test_a_sheet_without_the_columns_leaves_translations_alone(session: Session) -> None:
    import_sheet(session, [translated()], (TITLE, DESCRIPTION))
    report = import_sheet(session, [row()])
    assert report.unchanged == 1
    assert OTHER in translations(session)


def test_the_same_translation_again_changes_nothing(session: Session) -> None:
    import_sheet(session, [translated()], (TITLE, DESCRIPTION))
    report = import_sheet(session, [translated()], (TITLE, DESCRIPTION))
    assert (report.updated, report.unchanged) == (0, 1)


def test_an_export_writes_the_translations_and_reads_back_unchanged(session: Session) -> None:
    import_sheet(
        session, [translated(), row(external_id="plain", title="Plain")], (TITLE, DESCRIPTION)
    )
    text = export_text(session)
    exported = list(csv.DictReader(io.StringIO(text)))
    assert [(r[TITLE], r[DESCRIPTION]) for r in exported] == [
        ("", ""),
        ("Club de programación", "Crea juegos en Scratch."),
    ]
    report = import_csv(session, text.encode(), actor=ACTOR, name="export.csv")
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert export_text(session) == text


def test_a_translated_title_longer_than_a_title_is_refused(session: Session) -> None:
    long = "x" * (MAX_LENGTHS["title"] + 1)
    report = import_sheet(session, [translated(**{TITLE: long})], (TITLE, DESCRIPTION))
    assert problems(report) == [
        f"row 2, column {TITLE}: is {len(long)} characters long; at most {MAX_LENGTHS['title']} fit"
    ]
    assert count(session, Opportunity) == 0


def test_a_column_for_a_language_learners_do_not_chat_in_is_refused_clearly(
    session: Session,
) -> None:
    report = import_sheet(session, [row()], ("title_hmn",))
    (problem, *_) = problems(report)
    assert problem.startswith("row 1: column 'title_hmn': 'hmn' is not a language learners")
    assert "is not a language learners chat in; listings can be translated into: " in problem
    assert count(session, Opportunity) == 0


def test_a_column_for_no_language_is_refused_clearly(session: Session) -> None:
    report = import_sheet(session, [row()], ("description_xx-!!",))
    (problem, *_) = problems(report)
    assert "column 'description_xx-!!': 'xx-!!' is not a language code" in problem
