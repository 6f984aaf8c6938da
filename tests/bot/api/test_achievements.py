"""GET /api/v1/achievements/{id}: anyone (no token) reads a credential as the Open Badges 3.0
Achievement the badges export embeds, limited per address."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.api.openapi import document
from knowledge.history import Actor
from knowledge.models import Provider
from knowledge.transfer import export_badges
from knowledge.writes import get_or_create_credential
from tests.bot.api.conftest import Api, Seeded, sqlite_api
from tests.bot.api.schema import answer_mismatches

PATH = "/achievements/{id}"


def add_badge(api: Api) -> dict[str, Any]:
    """A badge the seeded library issues; returns its template from the badges export."""
    with api.sessions.begin() as session:
        library = session.scalars(select(Provider).where(Provider.name == "Eastside Library")).one()
        badge = get_or_create_credential(
            session, "Story Badge", "badge", Actor("test", "seed"), issuer=library
        )
        badge.min_age = 6
        session.flush()
        (template,) = export_badges(session)
    return template


def test_anyone_reads_an_achievement_by_the_uuid_of_its_id(api: Api) -> None:
    template = add_badge(api)
    achievement = template["credentialSubject"]["achievement"]
    uuid = achievement["id"].removeprefix("urn:uuid:")
    answer = api.call("GET", f"/achievements/{uuid}", None)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"@context": template["@context"], **achievement}
    assert answer.json()["criteria"]["narrative"].endswith("- Minimum age: 6")
    assert answer_mismatches(document(), "GET", PATH, answer) == []
    urn = api.call("GET", f"/achievements/urn:uuid:{uuid}", None)
    assert urn.json() == answer.json()  # the whole id works too


@pytest.mark.parametrize("ident", ["0b6c3b52-8a8e-4b8a-9d1e-3f0f5a0c7e11", "not-a-uuid", "42"])
def test_an_unknown_achievement_is_a_404_saying_what_to_send(api: Api, ident: str) -> None:
    add_badge(api)
    answer = api.call("GET", f"/achievements/{ident}", None)
    assert answer.status_code == 404
    assert "use the UUID of an Achievement id" in answer.json()["error"]
    assert answer_mismatches(document(), "GET", PATH, answer) == []


@pytest.fixture
def slow_api(template_db: tuple[Path, Seeded], tmp_path: Path) -> Iterator[Api]:
    """The API allowing 3 requests a minute per token, and per address for public reads."""
    with sqlite_api(template_db, tmp_path / "slow", 3) as running:
        yield running


def test_public_reads_are_limited_per_address(slow_api: Api) -> None:
    statuses = [slow_api.call("GET", "/achievements/x", None).status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
    assert slow_api.call("GET", "/opportunities", "librarian").status_code == 200  # own bucket
