"""A city's curated pathways as a spreadsheet: import (all rows or none, problems by row and
column, history), export, and the round trip, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from knowledge.history import Actor
from knowledge.models import Career, ChangeRecord, Opportunity, Pathway, PathwayStep
from knowledge.models.credential import pathway_career
from knowledge.seed import seed_directory
from knowledge.transfer.pathways_csv import COLUMNS, export_pathways, import_pathways
from knowledge.transfer.report import ImportReport
from tests.knowledge.test_pathway_builder import CREDENTIALS, LISTINGS, TOWN
from tests.knowledge.test_seed import PROVIDERS, write_seed

ORGANISER = Actor("Olu", "import")
HEADER = "pathway,step,listing,credential,min_age,career,note\n"
SHEET = HEADER + (
    "Plumbing,Try the trades,p-taster,,12,Plumber;plomero,A free evening to see the work.\n"
    "Plumbing,Earn your first badge,PIPE BASICS FOR TEENS,,14,,\n"
    'Plumbing,Get the helper certificate,,plumbing helper certificate,16,,"Two terms, evenings."\n'
    "Plumbing,Get licensed,p-licence,,18,,\n"
    "Paint,Paint on Saturdays,p-art,,,Chef or line cook,\n"
)


@pytest.fixture
def town(session: Session, tmp_path: Path) -> Session:
    """The builder tests' city (listings p-taster, p-badge, …) without pathways."""
    folder = write_seed(
        tmp_path, city=TOWN, providers=PROVIDERS, credentials=CREDENTIALS, pathways=[],
        opportunities=LISTINGS,
    )  # fmt: skip
    seed_directory(session, folder)
    session.flush()
    return session


def run(session: Session, text: str, *, dry_run: bool = False) -> ImportReport:
    report = import_pathways(
        session, text.encode(), actor=ORGANISER, dry_run=dry_run, name="pathways.csv"
    )
    session.flush()
    return report


def exported(session: Session) -> str:
    out = io.StringIO()
    export_pathways(session, out)
    return out.getvalue()


def pathway(session: Session, name: str) -> Pathway:
    return session.scalars(select(Pathway).where(Pathway.name == name)).one()


def problems(report: ImportReport) -> list[str]:
    return [str(problem) for problem in report.problems]


def test_import_creates_pathways_with_ordered_steps_careers_and_history(town: Session) -> None:
    report = run(town, SHEET)
    assert problems(report) == []
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    plumbing = pathway(town, "Plumbing")
    assert [step.to_dict() for step in plumbing.steps] == [
        {"position": 1, "title": "Try the trades", "note": "A free evening to see the work.",
         "min_age": 12, "opportunity": "p-taster", "credential": None},
        {"position": 2, "title": "Earn your first badge", "note": None, "min_age": 14,
         "opportunity": "p-badge", "credential": None},  # by title, ignoring case
        {"position": 3, "title": "Get the helper certificate", "note": "Two terms, evenings.",
         "min_age": 16, "opportunity": None, "credential": "helper-cert"},
        {"position": 4, "title": "Get licensed", "note": None, "min_age": 18,
         "opportunity": "p-licence", "credential": None},
    ]  # fmt: skip
    # "Plumber" joins the starter career plumber; "plomero" names it too, but the key is taken
    assert sorted((c.name, c.key) for c in plumbing.careers) == [
        ("Plumber", "plumber"),
        ("plomero", None),
    ]
    paint = pathway(town, "Paint")
    assert [(c.name, c.key) for c in paint.careers] == [("Chef or line cook", None)]
    assert report.new_records["pathway"] == ["Plumbing", "Paint"]
    assert report.new_records["career"] == ["Plumber", "plomero (plumber)", "Chef or line cook"]
    records = town.scalars(
        select(ChangeRecord).where(ChangeRecord.entity_type.in_(["pathway", "career"]))
    ).all()
    imported = {
        (r.entity_type, r.entity_key, r.action, r.field)
        for r in records
        if (r.actor, r.source) == ("Olu", "import")
    }
    assert imported == {
        ("pathway", "plumbing", "create", "*"),
        ("pathway", "plumbing", "update", "steps"),
        ("pathway", "paint", "create", "*"),
        ("pathway", "paint", "update", "steps"),
        ("career", "plumber", "create", "*"),
        ("career", "plomero", "create", "*"),
        ("career", "Chef or line cook", "create", "*"),
    }
    steps = next(r for r in records if r.entity_key == "plumbing" and r.field == "steps")
    assert steps.new_value is not None
    assert steps.new_value.startswith("1. Try the trades (p-taster) | 2. Earn your first badge")


def test_a_dry_run_counts_and_writes_nothing(town: Session) -> None:
    report = run(town, SHEET, dry_run=True)
    assert report.ok and (report.created, report.dry_run) == (2, True)
    assert report.summary().startswith("Dry run of pathways.csv: would be 2 created")
    assert town.scalars(select(Pathway)).all() == []
    assert town.scalars(select(Career.name)).all() == ["Web developer"]  # the seed's own


def test_importing_again_changes_nothing_and_a_change_replaces_the_steps(town: Session) -> None:
    run(town, SHEET)
    again = run(town, SHEET)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    shorter = HEADER + "plumbing,Get licensed,p-licence,,18,Plumber,\n"
    report = run(town, shorter)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    plumbing = pathway(town, "plumbing")  # the file's spelling of the name wins
    assert [step.title for step in plumbing.steps] == ["Get licensed"]
    assert [c.name for c in plumbing.careers] == ["Plumber"]
    assert [step.title for step in pathway(town, "Paint").steps] == ["Paint on Saturdays"]
    record = town.scalars(
        select(ChangeRecord)
        .where(ChangeRecord.field == "steps", ChangeRecord.action == "update")
        .order_by(ChangeRecord.id.desc())
    ).first()
    assert record is not None and record.old_value is not None
    assert record.old_value.startswith("1. Try the trades") and record.new_value == (
        "1. Get licensed (p-licence)"
    )


def test_a_sheet_without_career_or_note_columns_keeps_them(town: Session) -> None:
    run(town, SHEET)
    plain = "pathway,step,listing,credential,min_age\nPlumbing,Try the trades,p-taster,,13\n"
    assert run(town, plain).updated == 1
    plumbing = pathway(town, "Plumbing")
    assert [(s.title, s.min_age, s.note) for s in plumbing.steps] == [
        ("Try the trades", 13, "A free evening to see the work.")
    ]
    assert len(plumbing.careers) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "pathway,step,listing,credential,min_age,carreer\n",
            [
                "row 1: unknown column 'carreer'; did you mean career?",
                "row 1: the header must name these columns: pathway, step, listing, credential, "
                "min_age (and may add career, note)",
            ],
        ),
        (
            "pathway,step,listing\nA,B,p-taster\n",
            [
                "row 1: missing column(s): credential, min_age",
                "row 1: the header must name these columns: pathway, step, listing, credential, "
                "min_age (and may add career, note)",
            ],
        ),
        (
            "pathway,step,step,listing,credential,min_age\n",
            [
                "row 1: column(s) appear more than once: step",
                "row 1: the header must name these columns: pathway, step, listing, credential, "
                "min_age (and may add career, note)",
            ],
        ),
        (HEADER, ["file: has a header but no steps; add a row per step of each pathway"]),
        ("", ["file: is empty; expected a header row naming the columns, then a row per step"]),
        (
            HEADER + "A,B,p-taster,,12,,note,extra\n",
            [
                "row 2: has 8 cells but the header has 7 columns; a comma inside a cell needs "
                "the cell in double quotes"
            ],
        ),
        (
            HEADER + ",B,p-taster,,,,\nA,,p-taster,,,,\n",
            [
                "row 2, column pathway: is required but empty",
                "row 3, column step: is required but empty",
            ],
        ),
        (
            HEADER + f"A,{'x' * 201},p-taster,,,,\n",
            ["row 2, column step: is 201 characters long; at most 200 fit"],
        ),
        (
            HEADER + "A,B,p-taster,Pipe Basics Badge,,,\n",
            [
                "row 2, column credential: give either a listing or a credential, not both "
                "(a step is one of them; a listing's own credential is shown with it)"
            ],
        ),
        (
            HEADER + "A,B,,,,,\n",
            [
                "row 2, column listing: is empty, and so is credential; give the listing's "
                "external_id or exact title, or a credential's name"
            ],
        ),
        (
            HEADER + "A,B,no-such-id,,,,\n",
            [
                "row 2, column listing: 'no-such-id' is neither the external_id nor the title "
                "of a listing in the directory"
            ],
        ),
        (
            HEADER + "A,B,,Pipe Basic Badge,,,\n",
            [
                "row 2, column credential: 'Pipe Basic Badge' is not a credential of the "
                "directory; did you mean 'Pipe Basics Badge'? (credentials come from the "
                "listings' spreadsheet, column credential)"
            ],
        ),
        (
            HEADER + "A,B,p-taster,,twelve,,\nA,C,p-taster,,130,,\n",
            [
                "row 2, column min_age: 'twelve' is not a whole number of years",
                "row 3, column min_age: 130 is not an age; write 0 to 120",
            ],
        ),
        (
            HEADER + "A,Start,p-taster,,,,\nA,Next,p-badge,,,,\na,start,p-helper,,,,\n",
            ["row 4, column step: 'start' is already a step of 'A' in row 2"],
        ),
        (
            HEADER + f"A,B,p-taster,,,{'c' * 201},\n",
            [f"row 2, column career: '{'c' * 40}…' is 201 characters long; at most 200"],
        ),
    ],
)
def test_every_problem_is_reported_by_row_and_column_and_nothing_is_written(
    town: Session, text: str, expected: list[str]
) -> None:
    good_rows = SHEET.split("\n", 1)[1] if text.count("\n") > 1 else ""  # after the bad ones
    report = run(town, text + good_rows)
    assert problems(report) == expected
    assert report.summary().endswith("nothing was imported.")
    assert town.scalars(select(Pathway)).all() == []  # the good rows were not written either


def test_a_title_two_listings_share_is_refused(town: Session) -> None:
    twin = town.scalars(select(Opportunity).where(Opportunity.external_id == "p-art")).one()
    twin.title = "Try the Trades Night"
    town.flush()
    report = run(town, HEADER + "A,B,try the trades night,,,,\n")
    assert problems(report) == [
        "row 2, column listing: 2 listings are called 'try the trades night' (p-taster, p-art); "
        "give the external_id of one"
    ]


def test_not_utf8_is_refused(town: Session) -> None:
    report = import_pathways(
        town, (HEADER + "Caf\xe9,B,p-taster,,,,\n").encode("latin-1"), actor=ORGANISER
    )
    assert problems(report) == [
        "file: is not UTF-8 text (byte 0xe9 on line 2); save it as “CSV UTF-8” (or JSON in "
        "UTF-8) and try again"
    ]


def test_export_then_import_into_a_directory_without_pathways_then_export_is_identical(
    town: Session,
) -> None:
    run(town, SHEET)
    first = exported(town)
    assert first.splitlines()[0] == ",".join(COLUMNS)
    assert first.count("\r\n") == 6  # header and five steps
    assert "Paint,Paint on Saturdays,p-art,,,Chef or line cook," in first
    town.execute(delete(pathway_career))
    town.execute(delete(PathwayStep))
    town.execute(delete(Pathway))
    town.execute(delete(Career).where(Career.name != "Web developer"))
    town.expunge_all()
    report = run(town, first)
    assert problems(report) == [] and report.created == 2
    assert exported(town) == first


def test_the_demo_citys_pathways_round_trip(demo_session: Session) -> None:
    first = exported(demo_session)
    pathways = len(demo_session.scalars(select(Pathway)).all())
    assert pathways > 5 and first.count("\r\n") > 40
    for table in (pathway_career, PathwayStep.__table__, Pathway.__table__, Career.__table__):
        demo_session.execute(delete(table))
    demo_session.expunge_all()
    report = run(demo_session, first)
    assert problems(report) == [] and report.created == pathways
    assert exported(demo_session) == first
