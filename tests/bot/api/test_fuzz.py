"""Property-based fuzzing (Hypothesis) of every operation in the OpenAPI document over real HTTP:
whatever the path ids, headers, query and body, the API never answers 5xx, and every answer is
a status the document declares with a body that fits its schema.

Derandomized and without an example database, so a run is repeatable and cannot flap.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from bot.api.openapi import document
from knowledge.transfer.csv_format import COLUMNS
from tests.bot.api.conftest import Api
from tests.bot.api.schema import answer_mismatches, resolve

# Hypothesis caches data in .hypothesis/ under the working directory: keep that out of the tree.
set_hypothesis_home_dir(str(Path(tempfile.gettempdir()) / "wayfinder-hypothesis"))
SPEC = document()
METHODS = ("get", "post", "patch")
OPERATIONS = sorted(
    (method.upper(), path)
    for path, item in SPEC["paths"].items()
    for method in item
    if method in METHODS
)
FIELDS = sorted(resolve(SPEC, {"$ref": "#/components/schemas/Fields"})["properties"])
KEYS = [*FIELDS, "version", "provider", "id", "modified_at", "colour"]
PEOPLE: list[str | None] = [  # the valid tokens more often than not
    *("librarian", "librarian", "volunteer", "artist", "organiser", "organiser"),
    *("revoked", None, "wf_guess"),
]

printable = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=30)
any_text = st.text(st.characters(codec="utf-8"), max_size=40)  # NUL too
wild_text = st.text(max_size=40)  # lone surrogates as well: JSON can carry them
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | wild_text
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=6,
)
future = st.dates(min_value=date(2031, 1, 1), max_value=date(2040, 12, 31)).map(str)
# Values each field could well take, so that many requests get past the checks and write.
LIKELY = {
    "name": st.sampled_from(["Chess Club", "Robotics"]) | any_text,
    "description": st.sampled_from(["Learn to play.", "Bring a friend"]) | any_text,
    "topics": st.lists(st.sampled_from(["chess", "art"]) | any_text, min_size=1, max_size=3),
    "format": st.sampled_from(["in_person", "online", "hybrid"]),
    "minimum_age": st.integers(min_value=0, max_value=12),
    "maximum_age": st.integers(min_value=12, max_value=120),
    "cost": st.integers(min_value=0, max_value=500) | st.sampled_from([12.5, "7.25"]),
    "fees_description": st.none() | any_text,
    "days": st.lists(st.sampled_from(["Mon", "Wed", "Sat", "sunday"]), max_size=3),
    "start_time": st.sampled_from(["09:00", "10:30"]),
    "end_time": st.sampled_from(["11:00", "12:00"]),
    "start_date": future,
    "end_date": future,
    "application_deadline": future,
    "seats_available": st.integers(min_value=0, max_value=300),
    "status": st.sampled_from(["active", "temporarily closed", "inactive"]),
    "languages": st.lists(st.sampled_from(["en", "es", "fr", "hmn", "ase", "zh-Hant"]), max_size=2),
    "translations": st.dictionaries(
        st.sampled_from(["es", "fr"]) | any_text,
        st.none()
        | st.fixed_dictionaries({}, optional={"title": any_text, "description": any_text}),
        max_size=2,
    ),
    "eligibility_description": st.none() | any_text,
    "url": st.none() | st.just("https://example.org/join") | any_text,
    "contact_phone": st.none() | st.just("555-0134"),
    "email": st.none() | st.just("club@example.org"),
    "accessibility": st.none() | st.just("Step-free entrance") | any_text,
    "transportation": st.none() | st.just("Bus 14 stops outside") | any_text,
    "provider": st.sampled_from(["Eastside Library", 1, {"id": 2}, "Harbour Arts"]),
}
assert set(LIKELY) == {*FIELDS, "provider"}
likely_bodies = st.fixed_dictionaries({}, optional=LIKELY)
CREATE = ("POST", "/opportunities")
REQUIRED = ("name", "description", "topics", "format")
likely_new = st.fixed_dictionaries(
    {name: LIKELY[name] for name in REQUIRED},
    optional={name: value for name, value in LIKELY.items() if name not in REQUIRED},
)
junk_bodies = st.dictionaries(st.sampled_from(KEYS) | any_text, json_values, max_size=6)
bodies = likely_bodies | likely_bodies | junk_bodies | json_values


def csv_text(rows: list[list[str]]) -> bytes:
    """Rows under the spreadsheet's header, as a CSV file."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows([[cell.replace("\x00", "") for cell in row] for row in rows])  # NUL: no CSV
    return out.getvalue().encode("utf-8")


CELLS = {
    "title": st.sampled_from(["Story Time", "Chess Club"]) | any_text,
    "provider": st.sampled_from(["Eastside Library", "Robot Club", "Harbour Arts"]) | any_text,
    "description": any_text,
    "topics": st.sampled_from(["reading", "chess; games"]) | any_text,
    "format": st.sampled_from(["in_person", "online"]) | any_text,
    "min_age": st.sampled_from(["", "3", "99"]) | any_text,
    "external_id": st.sampled_from(["", "ext-1", "ext-2"]) | any_text,
}
csv_rows = st.tuples(*(CELLS.get(column, st.just("") | any_text) for column in COLUMNS)).map(list)
csv_bodies = st.lists(csv_rows, max_size=3).map(csv_text)


@st.composite
def requests_to_send(
    draw: st.DrawFn,
    operations: list[tuple[str, str]],
    people: list[str | None],
    *,
    careful: bool = False,
) -> dict[str, Any]:
    """One request to one of the operations, from plausible to absurd (`careful`: a seeded
    listing, a JSON body of likely fields and the version just read, so most get to the rules)."""
    method, template = draw(st.sampled_from(operations))
    listings = st.sampled_from([1, 2, 3])
    ident = draw(
        listings
        if careful
        else listings
        | st.integers(min_value=-(2**70), max_value=2**70)
        | printable.filter(lambda text: text not in (".", ".."))
    )
    path = template.replace("{id}", quote(str(ident), safe=""))
    headers: dict[str, str] = {}
    who = draw(st.sampled_from(people))
    version = "read" if careful else draw(st.sampled_from(["read", "read", "none", "header"]))
    if version == "header":
        headers["If-Match"] = draw(st.sampled_from(['"1"', "2", 'W/"3"', "*"]) | printable)
    params = (
        {}
        if careful
        else draw(
            st.dictionaries(
                st.sampled_from(["limit", "cursor", "modified_after", "dry_run", "name"])
                | any_text,
                st.sampled_from(["2", "100", "2027-01-01T00:00:00Z", "true"]) | any_text,
                max_size=2,
            )
            if draw(st.booleans())
            else st.just({})
        )
    )
    data: bytes | None = None
    if method != "GET":
        usual = "csv" if template == "/imports" else "json"
        kind = usual if careful else draw(st.sampled_from([usual, usual, "json", "raw", "none"]))
        if kind == "json":
            likely = likely_new if (method, template) == CREATE else likely_bodies
            body = draw(likely if careful else bodies)
            data = json.dumps(body).encode("utf-8", "surrogatepass")
            headers["Content-Type"] = "application/json"
        elif kind == "csv":
            data = draw(csv_bodies)
            headers["Content-Type"] = "text/csv"
        elif kind == "raw":
            data = draw(st.binary(max_size=200))
            headers["Content-Type"] = draw(
                st.sampled_from(["application/json", "text/csv", "text/plain", "x/y"])
            )
    return {
        "method": method,
        "template": template,
        "path": path,
        "who": who,
        "read_version": version == "read" and method != "GET" and "{id}" in template,
        "headers": headers,
        "params": params,
        "data": data,
    }


def check(api: Api, sent: dict[str, Any]) -> None:
    """Send one request; the answer is below 500, documented, and fits its schema."""
    headers = dict(sent["headers"])
    who = sent["who"]
    if sent["read_version"]:  # as a client does: read the listing, send its version back
        read = api.call("GET", sent["path"].removesuffix("/close"), "organiser")
        if read.status_code == 200:
            headers["If-Match"] = read.headers["ETag"]
    if who == "wf_guess":
        headers["Authorization"] = "Bearer wf_guess"
        who = None
    answer = api.call(
        sent["method"], sent["path"], who, headers=headers, params=sent["params"], data=sent["data"]
    )
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert isinstance(answer.json()["error"], str)
    assert answer_mismatches(SPEC, sent["method"], sent["template"], answer) == []


def fuzzing(examples: int) -> settings:
    """Hypothesis settings for one of these tests: repeatable, no example database."""
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


MEMBERS: list[str | None] = ["librarian", "volunteer", "artist", "organiser"]
WRITES = [op for op in OPERATIONS if op[0] != "GET" and op[1] != "/imports"]


@fuzzing(100)
@given(sent=requests_to_send(OPERATIONS, PEOPLE))
def test_any_request_to_any_operation(api_on_both: Api, sent: dict[str, Any]) -> None:
    check(api_on_both, sent)


@fuzzing(100)
@given(sent=requests_to_send(WRITES, MEMBERS, careful=True))
def test_members_creating_changing_and_closing_listings(
    api_on_both: Api, sent: dict[str, Any]
) -> None:
    check(api_on_both, sent)


@fuzzing(40)
@given(sent=requests_to_send([("POST", "/imports")], MEMBERS, careful=True))
def test_members_uploading_spreadsheets(api_on_both: Api, sent: dict[str, Any]) -> None:
    check(api_on_both, sent)


@fuzzing(40)
@given(sent=requests_to_send([op for op in OPERATIONS if op[0] == "GET"], MEMBERS))
def test_members_reading_and_paging(api_on_both: Api, sent: dict[str, Any]) -> None:
    check(api_on_both, sent)
