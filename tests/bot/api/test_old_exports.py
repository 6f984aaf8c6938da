"""POST /imports of an old export: rows whose listing changed since (here through PATCH) are
refused with their row and the version column; only an organiser's token may force them."""

from __future__ import annotations

import csv
import io

from knowledge.transfer import export_csv
from tests.bot.api.conftest import Api

CSV = {"Content-Type": "text/csv"}


def organisers_export(api: Api) -> list[dict[str, str]]:
    """What `wayfinder directory export` gives an organiser, as rows."""
    out = io.StringIO(newline="")
    with api.sessions() as session:
        export_csv(session, out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def sheet(rows: list[dict[str, str]]) -> bytes:
    """The rows as an uploaded file."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def test_an_old_export_cannot_undo_a_change_made_through_the_api_unless_forced(api: Api) -> None:
    rows = organisers_export(api)  # Eastside Library, Harbour Arts, Robot Club
    story_time = api.listing("story_time")
    url = f"/opportunities/{story_time['id']}"
    body = {"maximum_age": 9, "version": story_time["version"]}
    assert api.call("PATCH", url, "librarian", json=body).status_code == 200  # after the export
    painting = next(row for row in rows if row["title"] == "Painting Club")
    painting["max_age"] = "13"  # the organiser's own change, in the old file
    data = sheet(rows)

    answer = api.call("POST", "/imports", "organiser", data=data, headers=CSV)
    assert answer.status_code == 422, answer.text
    [problem] = answer.json()["problems"]
    story_row = 2 + [row["title"] for row in rows].index("Story Time")
    assert (problem["row"], problem["field"]) == (story_row, "version")
    assert "after the export this file comes from" in problem["message"]
    assert api.listing("story_time")["maximum_age"] == 9  # the PATCH stands
    assert api.listing("painting")["maximum_age"] == 12  # all or nothing

    mine = sheet([row for row in rows if row["provider"] == "Eastside Library"])
    forced = api.call("POST", "/imports", "librarian", data=mine, headers=CSV,
                      params={"force": "true"})  # fmt: skip
    assert forced.status_code == 403 and "only an organiser" in forced.json()["error"]
    assert api.listing("story_time")["maximum_age"] == 9

    forced = api.call(
        "POST", "/imports", "organiser", data=data, headers=CSV, params={"force": "true"}
    )
    assert forced.status_code == 200, forced.text
    assert forced.json()["report"]["updated"] == 2
    assert api.listing("story_time")["maximum_age"] == 12  # the organiser chose to overwrite
    assert api.listing("painting")["maximum_age"] == 13


def test_force_must_be_true_or_false(api: Api) -> None:
    answer = api.call("POST", "/imports", "organiser", data=b"title\n", headers=CSV,
                      params={"force": "please"})  # fmt: skip
    assert answer.status_code == 400 and "force" in answer.json()["error"]
