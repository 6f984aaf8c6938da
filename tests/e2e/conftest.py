"""The whole stack on localhost with a trained model, a fresh demo directory and tracker store.

The model is trained once per run by `make test` (WAYFINDER_TEST_MODEL names it); these tests
start the action server (.venv), the Rasa server (.venv-rasa) and the channel gateway exactly as
`make run` does. They talk over the REST channel, the gateway's web API and Telegram, whose Bot
API is a fake server on localhost (tests/fakes/telegram_api/); navigators are configured.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy.orm import Session

from benchmarks.stack import (
    Assistant,
    StackError,
    free_port,
    run_assistant,
    start_process,
    stop_processes,
    wait_until,
)
from bot.launch import gateway_command
from knowledge.db import make_engine
from knowledge.migrate import upgrade
from knowledge.seed import seed_directory
from knowledge.settings import PROJECT_ROOT
from tests.fakes.telegram_api import FakeBotApi
from tests.web.conftest import browser, spanish_browser  # noqa: F401  (shared headless Chromiums)

ROOT = PROJECT_ROOT
_free_port = free_port  # the name the tests that start their own servers use
NAVIGATORS = -1001234567890  # the navigators' Telegram group (a supergroup id)
PSEUDONYM_KEY = "e2e-" + "k" * 40
GATEWAY_TOKEN = "e2e-gateway-" + "t" * 32  # the worker's key to /internal/deliver
BOT_TOKEN = "123456789:E2E-TEST-TOKEN"
# The demo city's time zone (knowledge/demo/city.yml), as a city sets it: dates, reminders and
# calendar files are then in a zone other than UTC, where a forgotten conversion shows.
CITY_TIMEZONE = "America/New_York"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/e2e is marked e2e, so `make unit` can leave it to `make e2e`."""
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


def _model() -> Path:
    """The model `make test` trained for this run."""
    configured = os.environ.get("WAYFINDER_TEST_MODEL", "").strip()
    if not configured:
        pytest.fail("WAYFINDER_TEST_MODEL is not set: run these tests with `make e2e`")
    path = Path(configured)
    if not path.exists():
        pytest.fail(f"WAYFINDER_TEST_MODEL={path} does not exist: run `make e2e`")
    return path


def _wait_until(ready: Callable[[], bool], timeout_s: float, what: str, log: Path) -> None:
    """Poll until a server answers; on time-out fail the test with the end of its log."""
    try:
        wait_until(ready, timeout_s, what, log)
    except StackError as error:
        pytest.fail(str(error))


@dataclass
class Stack:
    """The running servers and where their data lives."""

    rasa_url: str
    action_url: str
    gateway_url: str
    database_url: str
    tracker_url: str
    logs: Path
    telegram: FakeBotApi

    def session(self) -> Session:
        """A session on the directory the actions use, to check what they stored."""
        return Session(make_engine(self.database_url))


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Seeded demo directory + action server + Rasa server + gateway; stopped at the end."""
    model = _model()
    work = tmp_path_factory.mktemp("e2e")
    database_url = f"sqlite:///{work / 'directory.db'}"
    engine = make_engine(database_url)
    upgrade(engine)
    with Session(engine) as db, db.begin():
        seed_directory(db)
    engine.dispose()
    gateway_port = free_port()
    telegram = FakeBotApi().start()
    settings = {
        "NAVIGATOR_CHAT_ID": str(NAVIGATORS),
        "WAYFINDER_HELP_CONTACT": "call 555-0100",
        "WAYFINDER_GATEWAY_PORT": str(gateway_port),
        "WAYFINDER_PSEUDONYM_KEY": PSEUDONYM_KEY,
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_API_BASE_URL": telegram.base_url.removesuffix("/bot"),
        "TELEGRAM_WEBHOOK_URL": "",
        "WAYFINDER_CORS_ORIGINS": "",
        "WAYFINDER_GATEWAY_TOKEN": GATEWAY_TOKEN,
        "WAYFINDER_TIMEZONE": CITY_TIMEZONE,
    }
    try:
        with run_assistant(model, database_url, work, env=settings) as assistant:
            yield from _with_gateway(assistant, gateway_port, telegram)
    except StackError as error:
        pytest.fail(str(error))
    finally:
        telegram.close()


def _with_gateway(assistant: Assistant, port: int, telegram: FakeBotApi) -> Iterator[Stack]:
    """Start the channel gateway beside a running assistant, as `make run` does."""
    gateway_url = f"http://127.0.0.1:{port}"
    gateway_log = assistant.logs / "gateway.log"
    gateway = start_process(gateway_command(), assistant.env, gateway_log)
    try:
        wait_until(
            lambda: bool(requests.get(f"{gateway_url}/health", timeout=2).json()["telegram"]),
            60,
            "the gateway (with Telegram)",
            gateway_log,
            gateway,
        )
        yield Stack(
            rasa_url=assistant.rasa_url,
            action_url=assistant.action_url,
            gateway_url=gateway_url,
            database_url=assistant.database_url,
            tracker_url=assistant.tracker_url,
            logs=assistant.logs,
            telegram=telegram,
        )
    finally:
        stop_processes([gateway])


@dataclass
class Reply:
    """What the assistant answered to one message."""

    messages: list[dict[str, Any]]

    @property
    def text(self) -> str:
        """All text of the reply, joined, for content assertions."""
        return "\n".join(str(message.get("text", "")) for message in self.messages)

    @property
    def buttons(self) -> list[dict[str, str]]:
        """Every button offered in the reply."""
        return [button for message in self.messages for button in message.get("buttons") or []]


class Conversation:
    """One user talking to the assistant over the REST channel."""

    def __init__(self, stack: Stack, sender: str | None = None) -> None:
        self.stack = stack
        self.sender = sender or f"e2e-{uuid.uuid4().hex[:12]}"

    def say(self, message: str, metadata: dict[str, Any] | None = None) -> Reply:
        """Send a message (or a button payload), with the channel's metadata (a language hint as
        the gateway sends it), and return the reply."""
        body: dict[str, Any] = {"sender": self.sender, "message": message}
        if metadata is not None:
            body["metadata"] = metadata
        response = requests.post(
            f"{self.stack.rasa_url}/webhooks/rest/webhook", json=body, timeout=60
        )
        response.raise_for_status()
        return Reply(response.json())

    def slots(self) -> dict[str, Any]:
        """The conversation's slots, from Rasa's HTTP API."""
        response = requests.get(
            f"{self.stack.rasa_url}/conversations/{self.sender}/tracker", timeout=30
        )
        response.raise_for_status()
        return dict(response.json()["slots"])


@pytest.fixture
def talk(stack: Stack) -> Callable[..., Conversation]:
    """Start a new conversation (optionally as a given sender)."""
    return lambda sender=None: Conversation(stack, sender)
