"""Listings' translations and language tags through the provider API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from knowledge.listing_fields import translation_languages
from knowledge.models import ChangeRecord
from tests.bot.api.conftest import Api

OTHER = translation_languages()[0]
SPANISH = {"title": "Hora del cuento", "description": "Cuentos para niños."}


def patch(api: Api, key: str, change: dict[str, Any], who: str = "librarian") -> Any:
    """Change a seeded listing at the version just read."""
    listing = api.listing(key)
    body = change | {"version": listing["version"]}
    return api.call("PATCH", f"/opportunities/{listing['id']}", who, json=body)


def test_a_listing_has_no_translations_until_one_is_written(api: Api) -> None:
    assert api.listing("story_time")["translations"] == {}


def test_a_translation_is_written_read_back_and_recorded(api: Api) -> None:
    before = api.listing("story_time")["version"]
    answer = patch(api, "story_time", {"translations": {OTHER: SPANISH}})
    assert answer.status_code == 200, answer.text
    listing = answer.json()
    assert listing["translations"] == {OTHER: SPANISH}
    assert listing["version"] > before
    assert answer.headers["ETag"] == f'"{listing["version"]}"'
    assert api.listing("story_time")["translations"] == {OTHER: SPANISH}
    with api.sessions() as session:
        fields = set(session.scalars(select(ChangeRecord.field)))
    assert {f"title_{OTHER}", f"description_{OTHER}"} <= fields


def test_null_removes_a_translation_and_a_language_left_out_is_kept(api: Api) -> None:
    patch(api, "story_time", {"translations": {OTHER: SPANISH}})
    kept = patch(api, "story_time", {"name": "Story Hour"})
    assert kept.json()["translations"] == {OTHER: SPANISH}
    removed = patch(api, "story_time", {"translations": {OTHER: None}})
    assert removed.status_code == 200, removed.text
    assert removed.json()["translations"] == {}


def test_a_new_listing_can_carry_translations_and_language_tags(api: Api) -> None:
    body = {
        "name": "Hmong Story Circle",
        "description": "Stories told in Hmong and signed in ASL.",
        "topics": ["reading"],
        "format": "in_person",
        "languages": ["hmn", "ase", "zh-hant", "es_419"],
        "translations": {OTHER: SPANISH},
    }
    answer = api.call("POST", "/opportunities", json=body)
    assert answer.status_code == 201, answer.text
    listing = answer.json()
    assert listing["languages"] == ["hmn", "ase", "zh-Hant", "es-419"]
    assert listing["translations"] == {OTHER: SPANISH}


def test_a_bad_language_tag_is_refused_clearly(api: Api) -> None:
    answer = patch(api, "story_time", {"languages": ["en", "xx-!!"]})
    assert answer.status_code == 422
    (problem,) = answer.json()["problems"]
    assert problem["field"] == "languages"
    assert "'xx-!!' is not a language code; write a BCP 47 tag" in problem["message"]


def test_bad_translations_are_refused_with_every_problem_and_nothing_changes(api: Api) -> None:
    change = {
        "minimum_age": -1,
        "translations": {
            "hmn": {"title": "x"},
            OTHER: {"title": "x" * 301, "colour": "red"},
        },
    }
    answer = patch(api, "story_time", change)
    assert answer.status_code == 422
    problems = {problem["field"]: problem["message"] for problem in answer.json()["problems"]}
    assert "is not a language learners chat in" in problems["translations.hmn"]
    assert "title and description" in problems[f"translations.{OTHER}"]
    assert "minimum_age" in problems
    assert api.listing("story_time")["translations"] == {}


def test_a_too_long_translated_title_is_refused(api: Api) -> None:
    answer = patch(api, "story_time", {"translations": {OTHER: {"title": "x" * 301}}})
    assert answer.status_code == 422
    (problem,) = answer.json()["problems"]
    assert problem["field"] == f"translations.{OTHER}"
    assert "at most 300 fit" in problem["message"]


def test_an_unverified_providers_translation_is_refused_not_queued(api: Api) -> None:
    answer = patch(api, "robots", {"translations": {OTHER: SPANISH}}, who="volunteer")
    assert answer.status_code == 422
    (problem,) = answer.json()["problems"]
    assert problem["field"] == "translations"
    assert "spreadsheet upload" in problem["message"]


def test_a_listing_sent_back_as_read_is_accepted(api: Api) -> None:
    patch(api, "story_time", {"translations": {OTHER: SPANISH}})
    listing = api.listing("story_time")
    sent = {key: listing[key] for key in ("name", "translations", "version")}
    answer = api.call("PATCH", f"/opportunities/{listing['id']}", json=sent)
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == listing["version"]
