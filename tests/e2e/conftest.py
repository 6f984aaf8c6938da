"""The whole stack on localhost with a trained model, a fresh demo directory and tracker store.

The model is trained once per run by `make test` (WAYFINDER_TEST_MODEL names it); these tests
start the action server (.venv), the Rasa server (.venv-rasa) and the channel gateway exactly as
`make run` does. They talk over the REST channel, the gateway's web API and Telegram, whose Bot
API is a fake server on localhost (tests/fakes/telegram_api.py); navigators are configured.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy.orm import Session

from knowledge.db import make_engine
from knowledge.migrate import upgrade
from knowledge.seed import seed_directory
from tests.fakes.telegram_api import FakeBotApi
from tests.web.conftest import browser  # noqa: F401  (the shared headless Chromium fixture)

ROOT = Path(__file__).resolve().parents[2]
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
PYTHON = ROOT / ".venv" / "bin" / "python"
MODEL_LOAD_TIMEOUT_S = 300
NAVIGATORS = -1001234567890  # the navigators' Telegram group (a supergroup id)
PSEUDONYM_KEY = "e2e-" + "k" * 40
BOT_TOKEN = "123456789:E2E-TEST-TOKEN"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/e2e is marked e2e, so `make unit` can leave it to `make e2e`."""
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


def _free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until(ready: Callable[[], bool], timeout_s: float, what: str, log: Path) -> None:
    """Poll until a server answers; on time-out fail with the end of its log."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
    pytest.fail(f"{what} did not become ready in {timeout_s} s; end of {log}:\n{tail}")


def _model() -> Path:
    """The model `make test` trained for this run."""
    configured = os.environ.get("WAYFINDER_TEST_MODEL", "").strip()
    if not configured:
        pytest.fail("WAYFINDER_TEST_MODEL is not set: run these tests with `make e2e`")
    path = Path(configured)
    if not path.exists():
        pytest.fail(f"WAYFINDER_TEST_MODEL={path} does not exist: run `make e2e`")
    return path


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
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def session(self) -> Session:
        """A session on the directory the actions use, to check what they stored."""
        return Session(make_engine(self.database_url))


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Seeded demo directory + action server + Rasa server; stopped at the end of the run."""
    model = _model()
    work = tmp_path_factory.mktemp("e2e")
    database_url = f"sqlite:///{work / 'directory.db'}"
    engine = make_engine(database_url)
    upgrade(engine)
    with Session(engine) as db, db.begin():
        seed_directory(db)
    engine.dispose()
    rasa_port, action_port, gateway_port = _free_port(), _free_port(), _free_port()
    telegram = FakeBotApi().start()
    stack = Stack(
        rasa_url=f"http://127.0.0.1:{rasa_port}",
        action_url=f"http://127.0.0.1:{action_port}",
        gateway_url=f"http://127.0.0.1:{gateway_port}",
        database_url=database_url,
        tracker_url=f"sqlite:///{work / 'tracker.db'}",
        logs=work,
        telegram=telegram,
    )
    env = {
        **os.environ,
        "WAYFINDER_DATABASE_URL": database_url,
        "WAYFINDER_TRACKER_URL": stack.tracker_url,
        "WAYFINDER_ACTION_SERVER_URL": f"{stack.action_url}/webhook",
        "WAYFINDER_RASA_URL": stack.rasa_url,
        "NAVIGATOR_CHAT_ID": str(NAVIGATORS),
        "WAYFINDER_HELP_CONTACT": "call 555-0100",
        "WAYFINDER_GATEWAY_PORT": str(gateway_port),
        "WAYFINDER_PSEUDONYM_KEY": PSEUDONYM_KEY,
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_API_BASE_URL": telegram.base_url.removesuffix("/bot"),
        "TELEGRAM_WEBHOOK_URL": "",
        "WAYFINDER_CORS_ORIGINS": "",
        "WAYFINDER_GATEWAY_TOKEN": "",
    }
    actions_log = work / "actions.log"
    rasa_log = work / "rasa.log"
    gateway_log = work / "gateway.log"
    with actions_log.open("wb") as a_out, rasa_log.open("wb") as r_out:
        stack.processes.append(
            subprocess.Popen(
                [str(PYTHON), "-m", "rasa_sdk", "--actions", "actions", "-p", str(action_port)],
                cwd=ROOT,
                env=env,
                stdout=a_out,
                stderr=subprocess.STDOUT,
            )
        )
        stack.processes.append(
            subprocess.Popen(
                [
                    str(RASA),
                    "run",
                    "--enable-api",
                    "-i",
                    "127.0.0.1",
                    "-p",
                    str(rasa_port),
                    "--model",
                    str(model),
                    "--endpoints",
                    "bot/endpoints.yml",
                    "--credentials",
                    "bot/credentials.yml",
                ],
                cwd=ROOT,
                env=env,
                stdout=r_out,
                stderr=subprocess.STDOUT,
            )
        )
    try:
        _wait_until(
            lambda: requests.get(f"{stack.action_url}/health", timeout=2).ok,
            60,
            "the action server",
            actions_log,
        )
        _wait_until(
            lambda: (
                requests.get(f"{stack.rasa_url}/status", timeout=2).json().get("model_file")
                is not None
            ),
            MODEL_LOAD_TIMEOUT_S,
            "the Rasa server",
            rasa_log,
        )
        with gateway_log.open("wb") as g_out:
            stack.processes.append(
                subprocess.Popen(
                    [str(PYTHON), "-m", "bot.gateway"],
                    cwd=ROOT,
                    env=env,
                    stdout=g_out,
                    stderr=subprocess.STDOUT,
                )
            )
        _wait_until(
            lambda: requests.get(f"{stack.gateway_url}/health", timeout=2).json()["telegram"],
            60,
            "the gateway (with Telegram)",
            gateway_log,
        )
        yield stack
    finally:
        for process in reversed(stack.processes):
            process.terminate()
        for process in stack.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        telegram.close()


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

    def say(self, message: str) -> Reply:
        """Send a message (or a button payload) and return the reply."""
        response = requests.post(
            f"{self.stack.rasa_url}/webhooks/rest/webhook",
            json={"sender": self.sender, "message": message},
            timeout=60,
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
