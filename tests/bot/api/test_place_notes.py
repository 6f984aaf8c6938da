"""The API shows and changes the notes of a listing's place (accessibility, transportation) like
its own fields; a listing without a place is refused with what to do."""

from __future__ import annotations

from bot.api.openapi import document
from tests.bot.api.conftest import Api


def test_a_listing_shows_and_changes_its_places_notes(api: Api) -> None:
    listing = api.listing("story_time")
    assert listing["accessibility"] is None and listing["transportation"] is None
    change = {"transportation": "Bus 14 stops outside", "accessibility": "Step-free entrance"}
    answer = api.call(
        "PATCH", f"/opportunities/{listing['id']}", json=change | {"version": listing["version"]}
    )
    assert answer.status_code == 200, answer.text
    now = api.listing("story_time")
    assert now["transportation"] == "Bus 14 stops outside"
    assert now["accessibility"] == "Step-free entrance"
    cleared = api.call(
        "PATCH",
        f"/opportunities/{listing['id']}",
        json={"transportation": None, "version": now["version"]},
    )
    assert cleared.status_code == 200, cleared.text
    assert api.listing("story_time")["transportation"] is None


def test_a_listing_without_a_place_is_told_why(api: Api) -> None:
    listing = api.listing("painting")
    answer = api.call(
        "PATCH",
        f"/opportunities/{listing['id']}",
        "organiser",
        json={"transportation": "Bus 14", "version": listing["version"]},
    )
    assert answer.status_code == 422
    (problem,) = answer.json()["problems"]
    assert problem["field"] == "transportation" and "has none" in problem["message"]


def test_the_schema_documents_both_fields() -> None:
    fields = document()["components"]["schemas"]["Fields"]["properties"]
    assert {"accessibility", "transportation"} <= set(fields)
