"""The reminder worker against a fake Rasa HTTP server on localhost and a real directory."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.reminders.worker import LogDeliverer, Messages, RasaClient, ReminderWorker, run_once
from knowledge.db import make_engine, make_sessionmaker
from knowledge.learners import RETRY_AFTER, get_or_create_learner, schedule_reminder
from knowledge.migrate import upgrade
from knowledge.models import Base, Opportunity
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
    with Session(engine, expire_on_commit=False) as session:
        found = session.get(Reminder, reminder_id)
        assert found is not None
        return found


class Recorder:
    """A deliverer that keeps what it was given."""

    def __init__(self) -> None:
        self.delivered: list[tuple[str, str | None, Messages]] = []

    def deliver(self, sender_id: str, channel: str | None, messages: Messages) -> None:
        self.delivered.append((sender_id, channel, messages))


def worker(sessions: sessionmaker[Session], url: str, deliverer: Recorder) -> ReminderWorker:
    return ReminderWorker(sessions, RasaClient(url, token="s3cret", timeout_s=5), deliverer)


def test_a_reminder_survives_a_restart_and_is_delivered(
    database: str, rasa: tuple[FakeRasa, str]
) -> None:
    fake, url = rasa
    first = make_engine(database)
    reminder_id = schedule(first, "tg-42")
    early = worker(make_sessionmaker(first), url, Recorder())
    assert early.run_once(now=lambda: NOW).sent == 0  # not due yet: Rasa is not called
    assert fake.calls == []
    first.dispose()  # every process stops

    engine = make_engine(database)  # …and starts again: a new engine, a new worker
    deliverer = Recorder()
    tally = worker(make_sessionmaker(engine), url, deliverer).run_once(now=lambda: LATER)
    assert (tally.sent, tally.failed) == (1, 0)
    (call,) = fake.calls
    assert call["path"] == "/conversations/tg-42/trigger_intent"
    assert call["body"] == {
        "name": "EXTERNAL_reminder",
        "entities": {"reminder_id": str(reminder_id)},
    }
    assert call["query"] == {"include_events": ["NONE"], "token": ["s3cret"]}
    assert deliverer.delivered == [("tg-42", "telegram", fake.reply)]
    assert (reminder(engine, reminder_id).status, reminder(engine, reminder_id).sent_at) == (
        "sent",
        LATER,
    )
    again = worker(make_sessionmaker(engine), url, Recorder()).run_once(now=lambda: LATER)
    assert (again.sent, again.failed) == (0, 0)  # sent once only
    engine.dispose()


def test_rasa_down_marks_failed_and_a_later_pass_delivers(
    database: str, rasa: tuple[FakeRasa, str]
) -> None:
    fake, url = rasa
    engine = make_engine(database)
    reminder_id = schedule(engine, "web-7", "web")
    sessions = make_sessionmaker(engine)
    down = worker(sessions, nobody_listens(), Recorder()).run_once(now=lambda: LATER)
    assert (down.sent, down.failed) == (0, 1)
    row = reminder(engine, reminder_id)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.due_at == LATER + RETRY_AFTER[0]
    assert row.last_error and "ConnectionError" in row.last_error

    too_soon = worker(sessions, url, Recorder()).run_once(now=lambda: LATER + timedelta(seconds=30))
    assert (too_soon.sent, too_soon.failed) == (0, 0)  # backing off
    deliverer = Recorder()
    back = worker(sessions, url, deliverer).run_once(now=lambda: LATER + RETRY_AFTER[0])
    assert (back.sent, back.failed) == (1, 0)
    assert reminder(engine, reminder_id).status == "sent"
    assert [sender for sender, _, _ in deliverer.delivered] == ["web-7"]
    assert len(fake.calls) == 1
    engine.dispose()


def test_a_silent_rasa_is_a_failure_not_a_delivery(
    database: str, rasa: tuple[FakeRasa, str]
) -> None:
    fake, url = rasa
    fake.reply = []  # what Rasa answers when the action server is down
    engine = make_engine(database)
    reminder_id = schedule(engine, "tg-1")
    deliverer = Recorder()
    tally = worker(make_sessionmaker(engine), url, deliverer).run_once(now=lambda: LATER)
    assert (tally.sent, tally.failed) == (0, 1)
    assert deliverer.delivered == []
    row = reminder(engine, reminder_id)
    assert row.status == "pending" and row.last_error and "NoReply" in row.last_error
    engine.dispose()


def test_retries_stop_after_the_last_back_off(database: str) -> None:
    engine = make_engine(database)
    reminder_id = schedule(engine, "tg-2")
    sessions, url = make_sessionmaker(engine), nobody_listens()
    hours = [LATER + timedelta(hours=n) for n in range(len(RETRY_AFTER) + 2)]
    for hour in hours[:-1]:
        assert worker(sessions, url, Recorder()).run_once(now=partial(identity, hour)).failed == 1
    assert reminder(engine, reminder_id).status == "failed"
    assert worker(sessions, url, Recorder()).run_once(now=partial(identity, hours[-1])).failed == 0
    engine.dispose()


def test_one_users_failure_does_not_stop_the_others(
    database: str, rasa: tuple[FakeRasa, str]
) -> None:
    fake, url = rasa
    fake.failing_senders = {"tg-bad"}
    engine = make_engine(database)
    bad, good = schedule(engine, "tg-bad"), schedule(engine, "tg-good")
    tally = worker(make_sessionmaker(engine), url, Recorder()).run_once(now=lambda: LATER)
    assert (tally.sent, tally.failed) == (1, 1)
    assert (reminder(engine, bad).status, reminder(engine, good).status) == ("pending", "sent")
    engine.dispose()


def test_the_function_form_used_by_the_e2e_tests(database: str, rasa: tuple[FakeRasa, str]) -> None:
    _, url = rasa
    engine = make_engine(database)
    schedule(engine, "tg-3")
    assert run_once(make_sessionmaker(engine), url, now=lambda: LATER) == (1, 0)
    engine.dispose()


def test_the_default_deliverer_records_the_words(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="bot.reminders.worker"):
        LogDeliverer().deliver("tg-9", None, [{"text": "Sign-up closes Friday"}, {"image": "x"}])
    assert "tg-9" in caplog.text and "Sign-up closes Friday" in caplog.text


def test_the_loop_stops_when_asked(database: str, rasa: tuple[FakeRasa, str]) -> None:
    _, url = rasa
    engine = make_engine(database)
    stop = threading.Event()
    loop = threading.Thread(
        target=worker(make_sessionmaker(engine), url, Recorder()).run_forever, args=(0.05, stop)
    )
    loop.start()
    stop.set()
    loop.join(timeout=5)
    assert not loop.is_alive()
    engine.dispose()


POSTGRES_URL = os.environ.get("WAYFINDER_TEST_POSTGRES_URL", "").strip()


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="WAYFINDER_TEST_POSTGRES_URL is not set")
def test_two_workers_on_postgresql_never_send_one_reminder_twice(
    tmp_path: Path, rasa: tuple[FakeRasa, str]
) -> None:
    fake, url = rasa
    fake.delay_s = 0.3  # Rasa takes a while: both workers are busy at the same time
    schema = f"reminder_test_{os.getpid()}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine = create_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        Base.metadata.create_all(engine)
        with Session(engine) as session, session.begin():
            seed_directory(session, write_seed(tmp_path / "seed"))
        ids = [schedule(engine, f"tg-{n}") for n in range(4)]
        sessions = make_sessionmaker(engine)
        tallies = []
        threads = [
            threading.Thread(
                target=lambda: tallies.append(
                    worker(sessions, url, Recorder()).run_once(now=lambda: LATER)
                )
            )
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sum(tally.sent for tally in tallies) == 4
        assert all(tally.sent for tally in tallies)  # the work was shared
        triggered = sorted(call["body"]["entities"]["reminder_id"] for call in fake.calls)
        assert triggered == sorted(str(i) for i in ids)  # each exactly once
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
