"""Gateway tests: a throwaway database, settings, a scripted assistant, a recording outlet, the
gateway app over real HTTP, and the shared state of two gateways (in memory, and on Redis)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
from redis import Redis as SyncRedis
from redis.asyncio import Redis
from sqlalchemy.orm import Session, sessionmaker

from bot.gateway.app import make_app
from bot.gateway.core import Gateway
from bot.gateway.messages import BotMessage, Button
from bot.gateway.rasa import RasaUnavailable
from bot.gateway.settings import GatewaySettings
from bot.gateway.shared import SharedState, memory_state, redis_state
from bot.gateway.shared.connection import redis_client
from bot.gateway.shared.leases import Lease, LeaseBoard, MemoryLease
from bot.gateway.shared.updates import MemoryPollingLease
from knowledge.db import make_engine, make_sessionmaker
from knowledge.handoffs import open_handoff
from knowledge.learners import get_or_create_learner
from knowledge.migrate import upgrade
from tests.serving import free_port, serving_app

NAVIGATORS = "-100200300"
os.environ.setdefault("PTB_TIMEDELTA", "true")  # as bot.gateway's main sets it


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A session factory on an empty, migrated SQLite file."""
    engine = make_engine(f"sqlite:///{tmp_path / 'gateway.db'}")
    upgrade(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> GatewaySettings:
    """Settings with a navigators' group and a fixed pseudonym key."""
    env = {
        "WAYFINDER_PSEUDONYM_KEY": "k" * 40,
        "WAYFINDER_DATABASE_URL": f"sqlite:///{tmp_path / 'gateway.db'}",
        "NAVIGATOR_CHAT_ID": NAVIGATORS,
    }
    return GatewaySettings.from_env(env, key_file=tmp_path / "key")


@dataclass
class ScriptedRasa:
    """Stands in for the Rasa server: replies by message, and can open a handoff like the
    action does; records every call."""

    sessions: sessionmaker[Session]
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    metadata: list[dict[str, Any] | None] = field(default_factory=list)  # of each call
    down: bool = False

    async def send(
        self, sender_id: str, text: str, channel: str, metadata: dict[str, Any] | None = None
    ) -> list[BotMessage]:
        self.calls.append((sender_id, text, channel))
        self.metadata.append(metadata)
        if self.down:
            raise RasaUnavailable("connection refused")
        if text == "/talk_to_human":
            with self.sessions.begin() as session:
                learner = get_or_create_learner(session, sender_id, channel)
                summary = {"topics": ["robotics"], "age_band": "10–12", "for": "child"}
                open_handoff(session, learner, summary | {"neighbourhood": "Eastside"})
            return [BotMessage("I've asked a navigator to join.", (), {"handoff_opened": True})]
        if "near me" in text:  # utter_ask_where: Rasa sends the custom part on its own
            return [
                BotMessage("Want the closest ones? Share your location."),
                BotMessage("", (), {"ask_location": True}),
            ]
        return [BotMessage(f"you said {text}", (Button("More", "/more_results"),))]

    async def close(self) -> None:
        """Nothing to release."""


@dataclass
class RecordingOutlet:
    """Stands in for Telegram: records sends and posts; posts get increasing message ids."""

    sent: list[tuple[str, list[BotMessage]]] = field(default_factory=list)
    posts: list[tuple[str, str, int]] = field(default_factory=list)

    async def send(self, address: str, messages: Sequence[BotMessage]) -> None:
        self.sent.append((address, list(messages)))

    async def post(self, chat_id: str, text: str) -> int:
        message_id = 1000 + len(self.posts)
        self.posts.append((chat_id, text, message_id))
        return message_id


@pytest.fixture
def rasa(sessions: sessionmaker[Session]) -> ScriptedRasa:
    return ScriptedRasa(sessions)


@pytest.fixture
def gateway(
    settings: GatewaySettings, sessions: sessionmaker[Session], rasa: ScriptedRasa
) -> Gateway:
    """A gateway on the throwaway database with the scripted assistant and a recording outlet."""
    made = Gateway(replace(settings, handoff_timeout_s=60), sessions, rasa)  # type: ignore[arg-type]
    made.telegram = RecordingOutlet()
    return made


def speaks(sessions: sessionmaker[Session], sender_id: str, language: str | None) -> None:
    """The learner's profile keeps `language` as their chat language (as action_set_language
    leaves it)."""
    with sessions.begin() as session:
        get_or_create_learner(session, sender_id).chat_language = language


def recorded(gateway: Gateway) -> RecordingOutlet:
    """The gateway's Telegram outlet, as the recording one the fixture set."""
    assert isinstance(gateway.telegram, RecordingOutlet)
    return gateway.telegram


@contextmanager
def serving(settings: GatewaySettings) -> Iterator[tuple[str, Gateway]]:
    """The gateway app on a free port, in a thread with its own event loop: its URL and core."""
    app = make_app(replace(settings, rasa_url=f"http://127.0.0.1:{free_port()}"))
    with serving_app(app) as url:
        yield url, app.ctx.gateway


Serve = Callable[..., tuple[str, Gateway]]
WEB_SESSION = "Kx8vP3qZ9mLr4TsW6yNb"  # a widget's session id (16-128 letters, digits, - or _)


@pytest.fixture
def served(settings: GatewaySettings, rasa: ScriptedRasa) -> Iterator[Serve]:
    """Start the gateway over real HTTP on the throwaway database, with some settings changed and
    the `rasa` fixture as its assistant (a module overrides that fixture to script another)."""
    with ExitStack() as stack:

        def start(**changes: object) -> tuple[str, Gateway]:
            url, gateway = stack.enter_context(serving(replace(settings, **changes)))  # type: ignore[arg-type]
            gateway.rasa = rasa  # type: ignore[assignment]
            return url, gateway

        yield start


def post_message(
    url: str, body: dict[str, object], session: str = WEB_SESSION
) -> requests.Response:
    """One message from the widget, its session in the header as the widget sends it."""
    headers = {"X-Wayfinder-Session": session}
    return requests.post(f"{url}/api/web/messages", json=body, headers=headers, timeout=10)


REDIS_URL = "redis://127.0.0.1:6379/13"  # the gateway tests' database on the machine's Redis
T = TypeVar("T")


@dataclass
class Backend:
    """Where two "gateways" of a test keep what they share: one process's memory (the same
    objects), or one Redis (each gateway its own connections), under a prefix of the test's own."""

    kind: str
    prefix: str
    clients: list[Redis] = field(default_factory=list)
    _memory: SharedState | None = None
    _board: LeaseBoard = field(default_factory=LeaseBoard)
    _boards: dict[str, LeaseBoard] = field(default_factory=dict)  # the named leases'

    @property
    def redis(self) -> bool:
        return self.kind == "redis"

    def client(self) -> Redis:
        """A Redis client of its own, as another gateway process has (closed by `run`)."""
        client = redis_client(REDIS_URL)
        self.clients.append(client)
        return client

    def gateway(self) -> SharedState:
        """One more gateway's shared state: its own Redis connections, or this process's
        memory (one board per lease, each gateway its own lease handles)."""
        if self.redis:
            return redis_state(self.client(), self.prefix)
        if self._memory is None:
            self._memory = memory_state()
        return replace(self._memory, lease=MemoryPollingLease(self._board), leases=self._lease)

    def _lease(self, name: str) -> Lease:
        """A gateway's handle on the lease `name`, on the board the test's gateways share."""
        return MemoryLease(self._boards.setdefault(name, LeaseBoard()))

    def run(self, scenario: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Run an async scenario, closing the Redis clients it made before the loop ends."""

        async def closing() -> T:
            try:
                return await scenario()
            finally:
                for client in self.clients:
                    await client.aclose()
                self.clients.clear()

        return asyncio.run(closing())


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """Each test twice: in memory and on the machine's Redis (db 13)."""
    yield from _backend(str(request.param))


@pytest.fixture
def on_redis() -> Iterator[Backend]:
    """For what only Redis can show (a gateway dying, keys expiring in Redis)."""
    yield from _backend("redis")


def _backend(kind: str) -> Iterator[Backend]:
    """A backend under a prefix of its own; with Redis, its keys are deleted after the test."""
    made = Backend(kind, f"wftest-{uuid.uuid4().hex[:12]}")
    yield made
    if made.redis:
        with SyncRedis.from_url(REDIS_URL) as client:
            for key in client.scan_iter(match=f"{made.prefix}:*", count=1000):
                client.delete(key)
