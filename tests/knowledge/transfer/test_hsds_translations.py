"""HSDS carries listings' translations as x-translations, and can be written in one language."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.listing_fields import translation_languages
from knowledge.locales import SOURCE_LANGUAGE
from knowledge.models import Opportunity
from knowledge.transfer import ImportReport, export_hsds, import_csv, import_hsds
from knowledge.transfer.csv_format import COLUMNS
from tests.knowledge.transfer.factories import (
    ACTOR,
    csv_text,
    empty_directory,
    export_text,
    problems,
    row,
)

OTHER = translation_languages()[0]
TITLE, DESCRIPTION = f"title_{OTHER}", f"description_{OTHER}"
SPANISH = {"name": "Club de programación", "description": "Crea juegos en Scratch."}


def translated_directory(session: Session) -> None:
    """One listing translated, one not."""
    rows = [
        row(**{TITLE: SPANISH["name"], DESCRIPTION: SPANISH["description"]}),
        row(external_id="plain", title="Plain Club"),
    ]
    data = csv_text(rows, (*COLUMNS, TITLE, DESCRIPTION)).encode()
    assert import_csv(session, data, actor=ACTOR).ok


def hsds_import(session: Session, document: Any) -> ImportReport:
    return import_hsds(session, json.dumps(document).encode(), actor=ACTOR, name="feed.json")


def by_id(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {service["x-external-id"]: service for service in document["services"]}


def test_services_carry_their_translations(session: Session) -> None:
    translated_directory(session)
    services = by_id(export_hsds(session))
    assert services["ab-test-001"]["x-translations"] == {OTHER: SPANISH}
    assert services["plain"]["x-translations"] == {}
    assert services["ab-test-001"]["name"] == "Saturday Code Club"


def test_translations_survive_an_hsds_round_trip(session: Session) -> None:
    translated_directory(session)
    before = export_text(session)
    document = export_hsds(session)
    empty_directory(session)
    report = hsds_import(session, document)
    assert report.ok, problems(report)
    assert export_text(session) == before
    assert hsds_import(session, document).unchanged == 2


def test_an_export_in_a_language_writes_services_in_it_and_reads_back_unchanged(
    session: Session,
) -> None:
    translated_directory(session)
    document = export_hsds(session, language=OTHER)
    services = by_id(document)
    club = services["ab-test-001"]
    assert (club["name"], club["description"], club["x-language"]) == (
        SPANISH["name"],
        SPANISH["description"],
        OTHER,
    )
    assert club["x-translations"][SOURCE_LANGUAGE]["name"] == "Saturday Code Club"
    assert "x-language" not in services["plain"]  # no translation: written as it is
    before = export_text(session)
    report = hsds_import(session, document)
    assert report.unchanged == 2, problems(report)
    assert export_text(session) == before


def test_a_service_without_x_translations_keeps_the_listings_translations(
    session: Session,
) -> None:
    translated_directory(session)
    document = export_hsds(session)
    for service in document["services"]:
        del service["x-translations"]
    assert hsds_import(session, document).unchanged == 2
    listing = session.scalars(select(Opportunity).where(Opportunity.external_id == "ab-test-001"))
    assert [found.language for found in listing.one().translations] == [OTHER]


def test_a_translation_into_a_language_learners_do_not_chat_in_is_refused(
    session: Session,
) -> None:
    translated_directory(session)
    document = export_hsds(session)
    document["services"][0]["x-translations"]["hmn"] = {"name": "x", "description": "y"}
    (problem,) = problems(hsds_import(session, document))
    assert "x-translations: 'hmn' is not a language learners chat in" in problem


def test_a_service_in_another_language_without_its_original_is_refused(
    session: Session,
) -> None:
    translated_directory(session)
    document = export_hsds(session, language=OTHER)
    club = next(s for s in document["services"] if s.get("x-language"))
    del club["x-translations"][SOURCE_LANGUAGE]
    (problem, *_) = problems(hsds_import(session, document))
    assert f"x-translations.{SOURCE_LANGUAGE} must hold the original" in problem
