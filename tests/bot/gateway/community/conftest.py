"""Provider members in the Telegram bot, offline: one real Application kept running across a
test's updates (so guided steps, which live in memory, carry on), its Bot API calls answered by
the fake Bot API server; a small directory in the gateway's throwaway database."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy.orm import Session, sessionmaker
from telegram import Update

from bot.gateway.core import Gateway
from bot.gateway.telegram_bot import build_application
from knowledge.community import create_invite
from knowledge.db import make_engine, make_sessionmaker
from knowledge.history import Actor
from knowledge.migrate import upgrade
from knowledge.models import Location, Member, Provider
from knowledge.writes import get_or_create_topic, upsert_opportunity
from tests.fakes.telegram_api import FakeBotApi, JSONDict

T = TypeVar("T")
LIBRARIAN = 101  # Eastside Library (verified): changes go live
VOLUNTEER = 202  # Robot Club (not verified): changes wait for review
ORGANISER = 303
LEARNER = 4242  # no member account


@pytest.fixture(scope="session")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database, migrated once per run (a migration takes about a second)."""
    path = tmp_path_factory.mktemp("migrated") / "gateway.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def sessions(tmp_path: Path, migrated: Path) -> Iterator[sessionmaker[Session]]:
    """As the gateway tests' fixture, on a copy of the migrated database."""
    shutil.copyfile(migrated, tmp_path / "gateway.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'gateway.db'}")
    yield make_sessionmaker(engine)
    engine.dispose()


@dataclass(frozen=True)
class Directory:
    """Ids of what the tests use (the rows themselves belong to a closed session)."""

    library: int
    club: int
    story_time: int
    robots: int


@pytest.fixture
def directory(sessions: sessionmaker[Session]) -> Directory:
    """Eastside Library (verified) and Robot Club (not), a listing each, their members and an
    organiser, each member known by their Telegram user id."""
    actor = Actor("test", "seed")
    with sessions.begin() as session:
        library = Provider(name="Eastside Library", kind="library", verified=True)
        club = Provider(name="Robot Club", kind="community_group", verified=False)
        branch = Location(
            name="Eastside branch", location_type="physical", address="1 Main St", provider=library
        )
        session.add_all([library, club, branch])
        session.flush()
        story_time, _ = upsert_opportunity(
            session,
            {
                "title": "Story Time",
                "description": "Stories for little ones.",
                "provider": library,
                "topics": [get_or_create_topic(session, "reading", actor)],
                "min_age": 3,
                "max_age": 6,
                "locations": [branch],
                "status": "active",
                "assured_date": date.today(),
            },
            actor,
        )
        robots, _ = upsert_opportunity(
            session,
            {
                "title": "Saturday Robotics",
                "description": "Build robots.",
                "provider": club,
                "topics": [get_or_create_topic(session, "robotics", actor)],
                "min_age": 9,
                "max_age": 14,
                "status": "active",
                "assured_date": date.today(),
            },
            actor,
        )
        session.add_all(
            [
                Member(role="provider", name="Lee", telegram_user_id=str(LIBRARIAN),
                       providers=[library]),
                Member(role="provider", name="Val", telegram_user_id=str(VOLUNTEER),
                       providers=[club]),
                Member(role="organiser", name="Olu", telegram_user_id=str(ORGANISER)),
            ]
        )  # fmt: skip
        session.flush()
        return Directory(library.id, club.id, story_time.id, robots.id)


def invite_code(sessions: sessionmaker[Session], provider_id: int | None) -> str:
    """A fresh invite: to the provider, or as an organiser when None."""
    with sessions.begin() as session:
        provider = session.get(Provider, provider_id) if provider_id is not None else None
        role = "provider" if provider is not None else "organiser"
        return create_invite(session, role=role, created_by="test", provider=provider).code


class Bot:
    """The Application, started once; each update is processed to the end before the next."""

    def __init__(self, gateway: Gateway, fake: FakeBotApi) -> None:
        self.fake = fake
        self.gateway = gateway
        self.loop = asyncio.new_event_loop()
        self.application = build_application(gateway, updater=False)
        self.failures: list[object] = []
        self.application.add_error_handler(self._failed)
        self.run(self.application.initialize())

    async def _failed(self, _update: object, context: Any) -> None:
        """A handler raised: the test fails at the end, whatever the user was shown."""
        self.failures.append(context.error)

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Await something on the bot's event loop (e.g. a housekeeping job)."""
        return self.loop.run_until_complete(work)

    def feed(self, *updates: JSONDict) -> None:
        """Updates, in order, as polling would hand them over."""
        for raw in updates:
            self.run(self.application.process_update(Update.de_json(raw, self.application.bot)))

    def text(self, chat: int, text: str) -> None:
        """The user types (a /command too)."""
        self.feed(self.fake.push_text(chat, text))

    def tap(self, chat: int, label: str) -> None:
        """The user taps a button of the bot's latest message with buttons."""
        self.feed(self.fake.press_button(chat, label))

    def said(self, chat: int) -> list[str]:
        """The bot's messages in the chat, as the user reads them."""
        return [str(message.get("text", "")) for message in self.fake.bot_messages(chat)]

    def last(self, chat: int) -> str:
        """The bot's latest message in the chat."""
        return self.said(chat)[-1]

    def close(self) -> None:
        """Shut the Application and the loop down."""
        self.run(self.application.shutdown())
        self.run(self.loop.shutdown_default_executor())
        self.loop.close()


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        yield server


@pytest.fixture
def bot(gateway: Gateway, fake: FakeBotApi, directory: Directory) -> Iterator[Bot]:
    """The bot on the fake Bot API, the directory seeded."""
    root = fake.base_url.removesuffix("/bot")
    gateway.settings = replace(
        gateway.settings, telegram_token="123456:TEST", telegram_api_url=root
    )
    running = Bot(gateway, fake)
    yield running
    running.close()
    assert running.failures == []  # no handler raised
    # Nothing Telegram would have refused (but forged taps name messages without a keyboard).
    assert [error for error in fake.errors() if error.method != "editMessageReplyMarkup"] == []
