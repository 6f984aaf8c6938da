"""Every kind of bad spreadsheet input is reported with its row, column and what is wrong.

These run on one shared SQLite directory (a refused import writes nothing); the import's
writes are tested on both databases in test_csv_import."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from knowledge.db import make_engine
from knowledge.history import Actor
from knowledge.models import Base, ChangeRecord, Credential, Opportunity, Provider
from knowledge.transfer import import_csv
from knowledge.transfer.csv_format import COLUMNS, REQUIRED
from knowledge.writes import get_or_create_credential
from tests.knowledge.transfer.factories import (
    ACTOR,
    count,
    csv_text,
    import_rows,
    problems,
    row,
)


@pytest.fixture(scope="module")
def refusing_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One empty directory for the whole module: a refused import writes nothing to it."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('refusals') / 'directory.db'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(refusing_db: Engine) -> Iterator[Session]:
    """A session on the shared empty directory, rolled back after each test."""
    with Session(refusing_db) as db:
        yield db
        db.rollback()


def only_problem(session: Session, **cells: str) -> str:
    """Import a file of one good row and one row with these cells; return the single problem."""
    report = import_rows(session, [row(external_id="ok-1"), row(external_id="bad-1", **cells)])
    assert count(session, Opportunity) == 0
    (problem,) = problems(report)
    return problem


def test_import_rejects_negative_age(session: Session) -> None:
    problem = only_problem(session, min_age="-3")
    assert problem == "row 3, column min_age: -3 is negative; ages are 0 or more"


def test_import_rejects_min_age_above_max_age(session: Session) -> None:
    problem = only_problem(session, min_age="12", max_age="9")
    assert problem == "row 3, column max_age: 9 is below min_age 12"


@pytest.mark.parametrize("value", ["2027-02-30", "09/01/2027", "2027-1-9", "soon"])
def test_import_rejects_a_bad_date(session: Session, value: str) -> None:
    problem = only_problem(session, start_date=value, end_date="")
    assert problem == (
        f"row 3, column start_date: {value!r} is not a date; write YYYY-MM-DD, e.g. 2027-01-09"
    )


def test_import_rejects_end_date_before_start_date(session: Session) -> None:
    problem = only_problem(session, start_date="2027-03-01", end_date="2027-02-01")
    assert problem == "row 3, column end_date: 2027-02-01 is before start_date 2027-03-01"


@pytest.mark.parametrize("value", ["25:00", "9.30", "10:61", "noon"])
def test_import_rejects_a_bad_time(session: Session, value: str) -> None:
    problem = only_problem(session, end_time=value)
    assert problem == (
        f"row 3, column end_time: {value!r} is not a time; write HH:MM (24-hour), e.g. 18:30"
    )


def test_import_rejects_end_time_before_start_time(session: Session) -> None:
    problem = only_problem(session, start_time="18:00", end_time="17:30")
    assert problem == "row 3, column end_time: 17:30 is not after start_time 18:00"


def test_import_rejects_an_unknown_format(session: Session) -> None:
    problem = only_problem(session, format="outdoors")
    assert problem == ("row 3, column format: 'outdoors' is not one of: in_person, online, hybrid")


def test_import_rejects_an_unknown_day(session: Session) -> None:
    problem = only_problem(session, days="Mon;Thurs")
    assert problem == "row 3, column days: 'Thurs' is not a day; use Mon;Tue;Wed;Thu;Fri;Sat;Sun"


def test_import_rejects_text_that_is_no_language_tag(session: Session) -> None:
    problem = only_problem(session, languages="en;xx-!!")
    assert problem == (
        "row 3, column languages: 'xx-!!' is not a language code; write a BCP 47 tag such as "
        "en, es, hmn (Hmong), ase (American Sign Language), zh-Hant, es-419"
    )


def test_import_rejects_a_code_that_is_no_language(session: Session) -> None:
    problem = only_problem(session, languages="zz")
    assert problem.startswith("row 3, column languages: 'zz' is not a language code")


def test_import_names_the_code_of_a_language_written_by_name(session: Session) -> None:
    problem = only_problem(session, languages="Hmong")
    assert problem == "row 3, column languages: 'Hmong' is not a language code; write hmn for Hmong"


def test_import_rejects_an_unknown_credential_type(session: Session) -> None:
    problem = only_problem(session, credential="Chess Badge", credential_type="trophy")
    assert problem.startswith("row 3, column credential_type: 'trophy' is not one of: badge,")


def test_import_rejects_a_credential_type_without_a_credential(session: Session) -> None:
    problem = only_problem(session, credential="", credential_type="badge")
    assert problem == (
        "row 3, column credential_type: is filled in but credential is empty; name the credential"
    )


def test_import_rejects_a_new_credential_without_a_type(session: Session) -> None:
    problem = only_problem(session, credential="Chess Badge", credential_type="")
    assert problem == (
        "row 3, column credential_type: 'Chess Badge' is a new credential; "
        "say which type it is in credential_type"
    )


def test_import_rejects_a_type_that_contradicts_the_directory(session: Session) -> None:
    get_or_create_credential(session, "Food Handler Card", "license", ACTOR)
    session.flush()
    problem = only_problem(session, credential="food handler card", credential_type="badge")
    assert problem == (
        "row 3, column credential_type: 'Food Handler Card' is already a license; "
        "write license or leave credential_type empty"
    )
    assert count(session, Credential) == 1


def test_import_rejects_two_rows_giving_one_new_credential_different_types(
    session: Session,
) -> None:
    report = import_rows(
        session,
        [
            row(external_id="a", credential="Chess Badge", credential_type="badge"),
            row(external_id="b", credential="Chess Badge", credential_type="certificate"),
        ],
    )
    assert problems(report) == [
        "row 3, column credential_type: certificate contradicts row 2, "
        "which makes 'Chess Badge' a badge"
    ]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (
            {"latitude": "91"},
            "row 3, column latitude: 91 is out of range; latitude lies between -90 and 90",
        ),
        (
            {"longitude": "-181.5"},
            "row 3, column longitude: -181.5 is out of range; longitude lies between -180 and 180",
        ),
        (
            {"longitude": ""},
            "row 3, column longitude: latitude is given, so longitude is needed too "
            "(or clear both)",
        ),
        (
            {"latitude": ""},
            "row 3, column latitude: longitude is given, so latitude is needed too (or clear both)",
        ),
    ],
)
def test_import_rejects_bad_or_half_coordinates(
    session: Session, cells: dict[str, str], expected: str
) -> None:
    assert only_problem(session, **cells) == expected


def test_import_rejects_a_duplicate_external_id(session: Session) -> None:
    report = import_rows(
        session, [row(external_id="ab-1"), row(external_id="ab-2"), row(external_id="ab-1")]
    )
    assert problems(report) == ["row 4, column external_id: 'ab-1' is already used in row 2"]


def test_import_rejects_two_rows_without_ids_for_the_same_listing(session: Session) -> None:
    report = import_rows(
        session, [row(external_id=""), row(external_id="", title="saturday code club")]
    )
    (problem,) = problems(report)
    assert problem.startswith(
        "row 3, column title: 'saturday code club' by 'Eastside Library' is already in row 2;"
    )


@pytest.mark.parametrize("column", REQUIRED)
def test_import_rejects_a_missing_required_cell(session: Session, column: str) -> None:
    assert (
        only_problem(session, **{column: "  "}) == f"row 3, column {column}: is required but empty"
    )


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("min_age", "ten", "'ten' is not a whole number"),
        ("max_age", "12.5", "'12.5' is not a whole number"),
        ("cost", "$25", "'$25' is not a number; write e.g. 25 or 12.50 (0 = free)"),
        ("cost", "NaN", "'NaN' is not a number; write e.g. 25 or 12.50 (0 = free)"),
        ("cost", "12.505", "12.505 must have at most 2 decimals and be below 100,000,000"),
        ("latitude", "north", "'north' is not a number in decimal degrees, e.g. 41.5013"),
    ],
)
def test_import_rejects_an_unparseable_number(
    session: Session, column: str, value: str, expected: str
) -> None:
    assert only_problem(session, **{column: value}) == f"row 3, column {column}: {expected}"


def test_import_rejects_a_negative_cost(session: Session) -> None:
    assert (
        only_problem(session, cost="-5") == "row 3, column cost: -5 is negative; write 0 for free"
    )


def test_import_rejects_text_too_long_for_its_column(session: Session) -> None:
    assert only_problem(session, title="x" * 301) == (
        "row 3, column title: is 301 characters long; at most 300 fit"
    )


def test_import_rejects_a_row_with_more_cells_than_columns(session: Session) -> None:
    text = csv_text([row()]).rstrip("\r\n") + ",stray\r\n"
    report = import_csv(session, text.encode(), actor=ACTOR)
    assert problems(report) == [
        f"row 2: has {len(COLUMNS) + 1} cells but the header has {len(COLUMNS)} columns; "
        "a comma inside a cell needs the cell in double quotes"
    ]


def test_import_reports_missing_and_unknown_header_columns(session: Session) -> None:
    columns = [name for name in COLUMNS if name not in ("format", "cost")]
    columns[columns.index("neighborhood")] = "neighbourhood"
    report = import_csv(session, csv_text([row()], columns=columns).encode(), actor=ACTOR)
    assert problems(report)[:2] == [
        "row 1: unknown column 'neighbourhood'; did you mean neighborhood?",
        "row 1: missing column(s): cost, format, neighborhood",
    ]
    assert problems(report)[2].startswith("row 1: the header must name these columns: external_id,")


def test_import_reports_a_repeated_header_column(session: Session) -> None:
    report = import_csv(
        session, csv_text([row()], columns=[*COLUMNS, "title"]).encode(), actor=ACTOR
    )
    assert problems(report)[0] == "row 1: column(s) appear more than once: title"


def test_import_accepts_header_names_in_any_case_and_order(session: Session) -> None:
    columns = [name.upper() for name in reversed(COLUMNS)]
    text = csv_text([{name.upper(): value for name, value in row().items()}], columns=columns)
    report = import_csv(session, text.encode(), actor=ACTOR)
    assert report.ok and report.created == 1


def test_import_rejects_a_file_that_is_not_utf8(session: Session) -> None:
    data = csv_text([row(title="Café français")]).encode("latin-1")
    report = import_csv(session, data, actor=ACTOR)
    assert problems(report) == [
        "file: is not UTF-8 text (byte 0xe9 on line 2); "
        "save it as “CSV UTF-8” (or JSON in UTF-8) and try again"
    ]


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b" \r\n\r\n"])
def test_import_rejects_an_empty_file(session: Session, data: bytes) -> None:
    report = import_csv(session, data, actor=ACTOR)
    assert problems(report) == [
        "file: is empty; expected a header row naming the columns, then a row per listing"
    ]


def test_import_reports_every_problem_of_every_row_and_writes_nothing(session: Session) -> None:
    rows = [
        row(external_id="r2", min_age="-1"),
        row(external_id="r3"),
        row(external_id="r4", format="", days="Funday", cost="free"),
        row(external_id="r5", end_date="2020-01-01"),
    ]
    report = import_rows(session, rows)
    assert problems(report) == [
        "row 2, column min_age: -1 is negative; ages are 0 or more",
        "row 4, column cost: 'free' is not a number; write e.g. 25 or 12.50 (0 = free)",
        "row 4, column format: is required but empty",
        "row 4, column days: 'Funday' is not a day; use Mon;Tue;Wed;Thu;Fri;Sat;Sun",
        "row 5, column end_date: 2020-01-01 is before start_date 2027-01-09",
    ]
    assert report.summary() == "5 problems in groups.csv; nothing was imported."
    assert (count(session, Opportunity), count(session, Provider)) == (0, 0)
    assert count(session, ChangeRecord) == 0


def test_row_numbers_count_blank_rows_and_multi_line_cells(session: Session) -> None:
    rows = [row(external_id="a", description="Line one.\nLine two."), {}, row(min_age="x")]
    report = import_rows(session, rows)
    assert problems(report) == ["row 4, column min_age: 'x' is not a whole number"]


def test_a_clean_import_writes_history_as_the_given_actor(session: Session) -> None:
    report = import_csv(
        session, csv_text([row()]).encode(), actor=Actor(name="maria", source="import")
    )
    assert report.ok
    records = session.scalars(select(ChangeRecord).where(ChangeRecord.entity_type == "opportunity"))
    (record,) = records
    assert (record.actor, record.source, record.action) == ("maria", "import", "create")


def test_problems_are_listed_in_row_order(session: Session) -> None:
    rows = [row(external_id="a"), row(external_id="a"), row(external_id="b", min_age="x")]
    assert problems(import_rows(session, rows)) == [
        "row 3, column external_id: 'a' is already used in row 2",
        "row 4, column min_age: 'x' is not a whole number",
    ]


def test_import_rejects_a_text_stream_that_is_not_utf8(session: Session) -> None:
    data = csv_text([row(title="Café")]).encode("latin-1")
    stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    (problem,) = problems(import_csv(session, stream, actor=ACTOR))
    assert problem.startswith("file: is not UTF-8 text (invalid continuation byte)")
