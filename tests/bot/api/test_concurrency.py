"""Two members editing the same listing at the same moment, over real HTTP from two threads:
one change wins, the other is refused with 409; no update is lost silently, none is recorded
twice. Run against PostgreSQL (WAYFINDER_TEST_POSTGRES_URL) and SQLite."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import requests
from sqlalchemy import select

from knowledge.models import ChangeRecord, Topic
from tests.bot.api.conftest import Api

ROUNDS = 5


def at_once(api: Api, calls: list[tuple[str, Callable[[requests.Session], Any]]]) -> list[Any]:
    """Run each call in its own thread and connection, released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(number: int, who: str, call: Callable[[requests.Session], Any]) -> None:
        with requests.Session() as http:
            http.headers["Authorization"] = f"Bearer {api.seeded.tokens[who]}"
            barrier.wait(10)
            results[number] = call(http)

    threads = [
        threading.Thread(target=run, args=(number, who, call))
        for number, (who, call) in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_of_two_simultaneous_changes_one_wins_and_the_other_gets_409(api_on_both: Api) -> None:
    listing_id = api_on_both.seeded.listings["story_time"]
    url = f"{api_on_both.url}/api/v1/opportunities/{listing_id}"
    for round_ in range(ROUNDS):
        version = api_on_both.listing("story_time")["version"]
        titles = {"librarian": f"Lee's title {round_}", "librarian2": f"Lou's title {round_}"}

        def patch(title: str, read: int) -> Callable[[requests.Session], requests.Response]:
            body = {"name": title, "version": read}
            return lambda http: http.patch(url, json=body, timeout=60)

        answers = at_once(
            api_on_both, [(who, patch(title, version)) for who, title in titles.items()]
        )
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [200, 409], [answer.text for answer in answers]
        outcome = {a.status_code: title for title, a in zip(titles.values(), answers, strict=True)}
        winner, loser = outcome[200], outcome[409]
        refused = next(answer for answer in answers if answer.status_code == 409).json()
        assert refused["current"]["name"] == winner  # the loser sees what won, to redo theirs
        final = api_on_both.listing("story_time")
        assert final["name"] == winner and final["version"] == refused["version"] > version
        with api_on_both.sessions() as session:
            written = session.scalars(
                select(ChangeRecord.new_value).where(
                    ChangeRecord.entity_type == "opportunity",
                    ChangeRecord.entity_id == listing_id,
                    ChangeRecord.field == "title",
                    ChangeRecord.new_value.in_([winner, loser]),
                )
            ).all()
        assert written == [winner]  # recorded once; the refused change left no trace


def test_two_new_listings_adding_the_same_new_topic_at_once_never_fail(api_on_both: Api) -> None:
    body = {"description": "Look up.", "topics": ["astronomy"], "format": "in_person"}

    def create(name: str) -> Callable[[requests.Session], requests.Response]:
        sent = body | {"name": name}
        return lambda http: http.post(
            f"{api_on_both.url}/api/v1/opportunities", json=sent, timeout=60
        )

    answers = at_once(api_on_both, [("librarian", create("Star")), ("librarian2", create("Moon"))])
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses in ([201, 201], [201, 409]), [answer.text for answer in answers]
    with api_on_both.sessions() as session:
        assert len(session.scalars(select(Topic).where(Topic.name == "astronomy")).all()) == 1
