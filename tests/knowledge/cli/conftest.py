"""A throwaway migrated directory per test for the organisers' commands, and a way to run them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from knowledge.cli import main
from knowledge.db import make_engine
from knowledge.history import Actor
from knowledge.migrate import upgrade
from knowledge.models import Location, Member, Opportunity, Provider
from knowledge.writes import get_or_create_topic, upsert_opportunity

TODAY = date.today()  # what the commands use when deciding and reverting
SEED = Actor("seed", "seed")


@dataclass
class City:
    """Eastside Library (verified; Lee on Telegram) and Robot Club (unverified; Val on Telegram),
    one listing each, and an organiser; `session()` opens the same file to arrange or check."""

    engine: Engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose changes are committed when the block ends without error."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    def listing(self, session: Session, title: str) -> Opportunity:
        """The one listing with this title."""
        return session.scalars(select(Opportunity).where(Opportunity.title == title)).one()

    def member(self, session: Session, name: str) -> Member:
        """The member with this name."""
        return session.scalars(select(Member).where(Member.name == name)).one()

    def add_listing(
        self, session: Session, title: str, provider: str, topic: str = "reading", **fields: Any
    ) -> Opportunity:
        """One more active listing, for a test that needs it."""
        owner = session.scalars(select(Provider).where(Provider.name == provider)).one()
        values = {
            "title": title,
            "description": "A weekly session.",
            "provider": owner,
            "topics": [get_or_create_topic(session, topic, SEED)],
            "status": "active",
            **fields,
        }
        listing, _ = upsert_opportunity(session, values, SEED)
        session.flush()
        return listing


@pytest.fixture
def city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[City]:
    """A migrated SQLite file the CLI reads (WAYFINDER_DATABASE_URL) with a little data."""
    url = f"sqlite:///{tmp_path / 'organisers.db'}"
    monkeypatch.setenv("WAYFINDER_DATABASE_URL", url)
    monkeypatch.delenv("FRESHNESS_DAYS", raising=False)
    engine = make_engine(url)
    upgrade(engine)
    made = City(engine)
    with made.session() as session:
        library = Provider(name="Eastside Library", kind="library", verified=True)
        club = Provider(name="Robot Club", kind="community_group", verified=False)
        branch = Location(name="Eastside branch", location_type="physical", provider=library)
        session.add_all([library, club, branch])
        session.flush()
        made.add_listing(
            session,
            "Story Time",
            "Eastside Library",
            external_id="ev-1",
            min_age=3,
            max_age=6,
            locations=[branch],
            assured_date=TODAY - timedelta(days=10),
        )
        made.add_listing(
            session, "Saturday Robotics", "Robot Club", "robotics", min_age=9, max_age=14
        )
        session.add_all(
            [
                Member(role="provider", name="Lee", telegram_user_id="101", providers=[library]),
                Member(role="provider", name="Val", telegram_user_id="202", providers=[club]),
                Member(role="organiser", name="Olu", telegram_user_id="303"),
            ]
        )
    yield made
    engine.dispose()


Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run `wayfinder ARGS…`; returns (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
