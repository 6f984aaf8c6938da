"""Reminder worker tests: a fake Rasa HTTP server on localhost and a real, migrated directory."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.reminders.worker import Messages
from knowledge.db import make_engine
from knowledge.learners import get_or_create_learner, schedule_reminder
from knowledge.migrate import upgrade
from knowledge.models import Opportunity
from knowledge.models.learner import Reminder
from knowledge.seed import seed_directory
from tests.knowledge.test_seed import write_seed

NOW = datetime(2026, 11, 23, 12, 0)
LATER = NOW + timedelta(days=60)  # after the demo listing's reminder is due (start 2027-01-09)


@dataclass
class FakeRasa:
    """Answers trigger_intent like `rasa run --enable-api`; records what it was asked."""

    reply: Messages = field(default_factory=lambda: [{"recipient_id": "x", "text": "Reminder!"}])
    status: int = 200
    failing_senders: set[str] = field(default_factory=set)
    delay_s: float = 0.0
    calls: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def rasa() -> Iterator[tuple[FakeRasa, str]]:
    """A fake Rasa server on a free localhost port, stopped after the test."""
    fake = FakeRasa()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            sender = parts.path.split("/")[2]
            fake.calls.append({"path": parts.path, "query": parse_qs(parts.query), "body": body})
            time.sleep(fake.delay_s)
            status = 500 if sender in fake.failing_senders else fake.status
            payload = json.dumps({"tracker": {}, "messages": fake.reply}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def identity(moment: datetime) -> datetime:
    """A clock stopped at `moment` (with functools.partial)."""
    return moment


def nobody_listens() -> str:
    """A localhost URL where no server runs: Rasa is down."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def database(tmp_path: Path) -> str:
    """A migrated directory database (SQLite file) with the small test city."""
    url = f"sqlite:///{tmp_path / 'directory.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        seed_directory(session, write_seed(tmp_path / "seed"))
    engine.dispose()
    return url


def schedule(engine: Engine, sender_id: str, channel: str = "telegram") -> int:
    """What action_set_reminder does: a reminder row for the listing's start date."""
    with Session(engine) as session, session.begin():
        learner = get_or_create_learner(session, sender_id, channel)
        listing = session.scalars(select(Opportunity).where(Opportunity.external_id == "t-001"))
        planned = schedule_reminder(session, learner, listing.one(), now=NOW)
        assert planned.reminder is not None
        return planned.reminder.id


def reminder(engine: Engine, reminder_id: int) -> Reminder:
    """The reminder row as it stands in the database."""
    with Session(engine, expire_on_commit=False) as session:
        found = session.get(Reminder, reminder_id)
        assert found is not None
        return found
