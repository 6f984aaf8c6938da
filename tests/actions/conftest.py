"""Actions run against a private copy of the seeded demo directory, with trackers built inline."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.city import forget_cached_facts
from actions.settings import ActionSettings, serve_with
from knowledge.db import make_engine

ROOT = Path(__file__).resolve().parents[2]
Configure = Callable[..., None]


@pytest.fixture(autouse=True)
def configure() -> Iterator[Configure]:
    """Set the action server's variables, as its environment would at start-up:
    `configure(NAVIGATOR_CHAT_ID="-100123")`. Unset ones take their defaults."""
    variables: dict[str, str] = {}

    def _configure(**given: str) -> None:
        variables.update(given)
        serve_with(ActionSettings.from_env(variables))

    yield _configure
    serve_with(None)


@pytest.fixture
def directory(demo_db_url: str, tmp_path: Path, configure: Configure) -> str:
    """A throwaway copy of the demo city that the actions under test read and write; the city
    is the directory's (no WAYFINDER_CITY_NAME, …), and no person is configured."""
    source = Path(demo_db_url.removeprefix("sqlite:///"))
    copy = tmp_path / "directory.db"
    shutil.copy(source, copy)
    url = f"sqlite:///{copy}"
    forget_cached_facts()
    # The demo's confirmation dates age with the clock: no listing is stale unless a test says so.
    configure(WAYFINDER_DATABASE_URL=url, FRESHNESS_DAYS="100000")
    return url


@pytest.fixture
def db(directory: str) -> Iterator[Session]:
    """A session on the same copy, to check what the actions stored."""
    engine = make_engine(directory)
    with Session(engine) as session:
        yield session
    engine.dispose()


def tracker(
    text: str = "",
    *,
    intent: str = "find_opportunity",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    sender: str = "test-user",
    ranking: list[dict[str, Any]] | None = None,
    events: list[dict[str, Any]] | None = None,
    after: list[dict[str, Any]] | None = None,
) -> Tracker:
    """A tracker whose latest message is `text`, parsed as `intent` with `entities`."""
    message = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
        "intent_ranking": ranking or [{"name": intent, "confidence": 0.9}],
    }
    user_event = {"event": "user", "text": text, "parse_data": message}
    return Tracker(
        sender,
        slots or {},
        message,
        [*(events or []), user_event, *(after or [])],
        False,
        None,
        {},
        "action_listen",
    )


def entity(name: str, value: str) -> dict[str, Any]:
    """An entity as the NLU reports it."""
    return {"entity": name, "value": value}


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The real domain, merged from its files as Rasa merges them (what actions receive)."""
    merged: dict[str, Any] = {}
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        for key, value in (yaml.safe_load(path.read_text()) or {}).items():
            if isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            elif isinstance(value, list):
                merged.setdefault(key, []).extend(value)
    merged["forms"] = {
        name: {"required_slots": form["required_slots"]} for name, form in merged["forms"].items()
    }
    return merged


Run = Callable[..., tuple[list[dict[str, Any]], list[dict[str, Any]]]]


@pytest.fixture
def run(domain: dict[str, Any]) -> Run:
    """Run an action; returns (messages, events)."""

    def _run(action: Action, t: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        dispatcher = CollectingDispatcher()
        events = asyncio.run(action.run(dispatcher, t, domain))
        return dispatcher.messages, list(events)

    return _run


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The slots an action set, by name."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
