"""API tests: a seeded throwaway directory and the real gateway app serving it on localhost.

The app runs in this process, in a thread with its own event loop, on a free port: requests go
over real HTTP. Each test gets a fresh copy of a SQLite directory seeded once per run; the
PostgreSQL tests get a schema of their own (WAYFINDER_TEST_POSTGRES_URL).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from sanic import Sanic
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.gateway.app import make_app
from bot.gateway.settings import GatewaySettings
from knowledge.community import issue_token, revoke_token
from knowledge.db import make_engine, make_sessionmaker
from knowledge.history import Actor
from knowledge.migrate import upgrade
from knowledge.models import Base, Location, Member, Provider
from knowledge.writes import get_or_create_topic, upsert_opportunity
from tests.serving import free_port, serving_app

os.environ.setdefault("PTB_TIMEDELTA", "true")  # as bot.gateway's main sets it
# Several apps start in this process: Sanic must not rewrite its classes' code for the first.
Sanic.test_mode = True
PG_SCHEMA = "wayfinder_api_test"


@dataclass
class Seeded:
    """Who can call the API (token values by person) and the listings they look after."""

    tokens: dict[str, str] = field(default_factory=dict)
    listings: dict[str, int] = field(default_factory=dict)
    providers: dict[str, int] = field(default_factory=dict)


def seed(sessions: sessionmaker[Session]) -> Seeded:
    """Eastside Library (verified: two members), Robot Club (not verified: one member), Harbour
    Arts (verified: one member), an organiser; a listing each; a revoked token."""
    actor = Actor("test", "seed")
    found = Seeded()
    with sessions.begin() as session:
        library = Provider(name="Eastside Library", kind="library", verified=True)
        club = Provider(name="Robot Club", kind="community_group", verified=False)
        arts = Provider(name="Harbour Arts", kind="nonprofit", verified=True)
        branch = Location(
            name="Eastside branch", location_type="physical", address="1 Main St", provider=library
        )
        session.add_all([library, club, arts, branch])
        session.flush()
        listings = {
            "story_time": (library, "Story Time", "reading", [branch]),
            "robots": (club, "Saturday Robotics", "robotics", []),
            "painting": (arts, "Painting Club", "art", []),
        }
        for key, (provider, title, topic, places) in listings.items():
            listing, _ = upsert_opportunity(
                session,
                {
                    "title": title,
                    "description": f"{title} for young people.",
                    "provider": provider,
                    "topics": [get_or_create_topic(session, topic, actor)],
                    "min_age": 6,
                    "max_age": 12,
                    "locations": places,
                    "status": "active",
                },
                actor,
            )
            session.flush()
            found.listings[key] = listing.id
        people = {
            "librarian": Member(role="provider", name="Lee", providers=[library]),
            "librarian2": Member(role="provider", name="Lou", providers=[library]),
            "volunteer": Member(role="provider", name="Val", providers=[club]),
            "artist": Member(role="provider", name="Ari", providers=[arts]),
            "organiser": Member(role="organiser", name="Olu"),
        }
        session.add_all(people.values())
        session.flush()
        for name, member in people.items():
            found.tokens[name] = issue_token(session, member, f"{name}'s system").value
        revoked = issue_token(session, people["librarian"], "old laptop")
        revoke_token(session, revoked.token.id)
        found.tokens["revoked"] = revoked.value
        found.providers = {"library": library.id, "club": club.id, "arts": arts.id}
    return found


@contextmanager
def serving(database_url: str, tmp: Path, rate_per_minute: int = 100_000) -> Iterator[str]:
    """The gateway app (make_app) listening on a free localhost port; yields its base URL."""
    env = {
        "WAYFINDER_DATABASE_URL": database_url,
        "WAYFINDER_PSEUDONYM_KEY": "p" * 40,
        "WAYFINDER_RASA_URL": f"http://127.0.0.1:{free_port()}",  # nobody listens there
        "WAYFINDER_API_RATE_PER_MINUTE": str(rate_per_minute),
    }
    app = make_app(GatewaySettings.from_env(env, key_file=tmp / "key"))
    with serving_app(app) as url:
        yield url


@dataclass
class Api:
    """A running API with its seeded directory, and a session factory on the same database."""

    url: str
    seeded: Seeded
    sessions: sessionmaker[Session]
    http: requests.Session = field(default_factory=requests.Session)

    def call(
        self,
        method: str,
        path: str,
        who: str | None = "librarian",
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """One request as `who` (a seeded person; None sends no token)."""
        sent = dict(headers or {})
        if who is not None:
            sent.setdefault("Authorization", f"Bearer {self.seeded.tokens[who]}")
        return self.http.request(
            method, f"{self.url}/api/v1{path}", json=json, headers=sent, timeout=30, **kwargs
        )

    def listing(self, key: str, who: str = "organiser") -> dict[str, Any]:
        """A seeded listing as the API shows it."""
        answer = self.call("GET", f"/opportunities/{self.seeded.listings[key]}", who)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Seeded]:
    """A migrated, seeded SQLite directory, made once and copied for each test."""
    path = tmp_path_factory.mktemp("api-template") / "directory.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    seeded = seed(make_sessionmaker(engine))
    engine.dispose()  # checkpoints the WAL into the file
    return path, seeded


@contextmanager
def sqlite_api(template: tuple[Path, Seeded], work: Path, rate_per_minute: int) -> Iterator[Api]:
    """A fresh copy of the seeded directory, served."""
    source, seeded = template
    work.mkdir(parents=True, exist_ok=True)
    database = work / "directory.db"
    shutil.copy(source, database)
    url = f"sqlite:///{database}"
    engine = make_engine(url)
    try:
        with serving(url, work, rate_per_minute) as base:
            running = Api(base, seeded, make_sessionmaker(engine))
            yield running
            running.http.close()
    finally:
        engine.dispose()


@pytest.fixture
def api(template_db: tuple[Path, Seeded], tmp_path: Path) -> Iterator[Api]:
    """The API on a fresh seeded directory (SQLite), rate limit out of the way."""
    with sqlite_api(template_db, tmp_path / "api", 100_000) as running:
        yield running


@pytest.fixture(scope="module")
def shared_api(
    template_db: tuple[Path, Seeded], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    """One API for a module whose tests change nothing (refusals, reads)."""
    with sqlite_api(template_db, tmp_path_factory.mktemp("shared-api"), 100_000) as running:
        yield running


def postgres_url() -> str:
    """WAYFINDER_TEST_POSTGRES_URL with its own schema first on the search path."""
    configured = os.environ.get("WAYFINDER_TEST_POSTGRES_URL", "").strip()
    if not configured:
        pytest.skip("WAYFINDER_TEST_POSTGRES_URL is not set")
    url = make_url(configured)
    return url.update_query_dict({"options": f"-csearch_path={PG_SCHEMA}"}).render_as_string(
        hide_password=False
    )


@pytest.fixture
def pg_api(tmp_path: Path) -> Iterator[Api]:
    """The API on a seeded PostgreSQL schema of its own (dropped afterwards)."""
    url = postgres_url()
    engine: Engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    Base.metadata.create_all(engine)
    sessions = make_sessionmaker(engine)
    seeded = seed(sessions)
    try:
        with serving(url, tmp_path) as base:
            running = Api(base, seeded, sessions)
            yield running
            running.http.close()
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def api_on_both(
    request: pytest.FixtureRequest, template_db: tuple[Path, Seeded], tmp_path: Path
) -> Iterator[Api]:
    """The API on SQLite, and on PostgreSQL when WAYFINDER_TEST_POSTGRES_URL is set."""
    if request.param == "postgresql":
        yield request.getfixturevalue("pg_api")
        return
    with sqlite_api(template_db, tmp_path / "api", 100_000) as running:
        yield running
