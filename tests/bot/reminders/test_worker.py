"""The reminder worker against a fake Rasa HTTP server on localhost and a real directory."""

from __future__ import annotations

import logging
import os
import threading
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.reminders.worker import (
    GatewayDeliverer,
    LogDeliverer,
    Messages,
    RasaIntentTrigger,
    ReminderWorker,
    run_once,
)
from knowledge.city import City
from knowledge.db import make_engine, make_sessionmaker
from knowledge.learners import RETRY_AFTER
from knowledge.models import Base, UsageEvent
from knowledge.seed import seed_directory
from tests.bot.reminders.conftest import (
    LATER,
    NOW,
    FakeRasa,
    identity,
    nobody_listens,
    reminder,
    schedule,
)
from tests.knowledge.test_seed import write_seed


class Recorder:
    """A deliverer that keeps what it was given; it fails (raises) the first `failures` times."""

    def __init__(self, failures: int = 0) -> None:
        self.delivered: list[tuple[str, str | None, Messages]] = []
        self.keys: list[str] = []
        self.failures = failures

    def deliver(self, sender_id: str, channel: str | None, messages: Messages, key: str) -> None:
        self.keys.append(key)
        if self.failures:
            self.failures -= 1
            raise ConnectionError("the gateway is down")
        self.delivered.append((sender_id, channel, messages))


def worker(sessions: sessionmaker[Session], url: str, deliverer: Recorder) -> ReminderWorker:
    return ReminderWorker(sessions, RasaIntentTrigger(url, token="s3cret", timeout_s=5), deliverer)


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
        LogDeliverer().deliver(
            "tg-9", None, [{"text": "Sign-up closes Friday"}, {"image": "x"}], "reminder-1-k"
        )
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


def test_a_retry_delivers_the_kept_words_under_the_same_key_without_asking_rasa_again(
    database: str, rasa: tuple[FakeRasa, str]
) -> None:
    fake, url = rasa
    fake.reply = [{"text": "⏰ Reminder"}, {"text": "Sign-up closes Friday"}, {"text": "Good luck"}]
    engine = make_engine(database)
    reminder_id = schedule(engine, "tg-5")
    deliverer = Recorder(failures=1)
    first = worker(make_sessionmaker(engine), url, deliverer).run_once(now=lambda: LATER)
    assert (first.sent, first.failed) == (0, 1)
    engine.dispose()  # the worker restarts, and Rasa is down by now

    engine = make_engine(database)
    retry_at = reminder(engine, reminder_id).due_at
    again = worker(make_sessionmaker(engine), nobody_listens(), deliverer)
    assert again.run_once(now=partial(identity, retry_at)).sent == 1
    assert len(fake.calls) == 1  # Rasa worded it once
    first_key, retry_key = deliverer.keys
    assert first_key == retry_key and first_key.startswith(f"reminder-{reminder_id}-")
    assert deliverer.delivered == [("tg-5", "telegram", fake.reply)]
    row = reminder(engine, reminder_id)
    assert (row.status, row.messages) == ("sent", None)  # the words are not kept past delivery
    engine.dispose()


@pytest.mark.parametrize("down", ["rasa", "gateway"])
def test_an_outage_of_25_hours_is_ridden_out_and_the_reminder_delivered(
    down: str, database: str, rasa: tuple[FakeRasa, str]
) -> None:
    fake, url = rasa
    engine = make_engine(database)
    reminder_id = schedule(engine, "tg-6")
    sessions, nowhere = make_sessionmaker(engine), nobody_listens()
    failing = ReminderWorker(
        sessions,
        RasaIntentTrigger(nowhere if down == "rasa" else url, timeout_s=5),
        LogDeliverer() if down == "rasa" else GatewayDeliverer(nowhere, timeout_s=5),
    )
    moment, passes = LATER, 0
    while moment < LATER + timedelta(hours=25):
        assert failing.run_once(now=partial(identity, moment)).failed == 1
        row = reminder(engine, reminder_id)
        assert row.status == "pending", f"given up after {moment - LATER} and {passes + 1} tries"
        moment, passes = row.due_at, passes + 1
    assert passes < 40  # backing off, not hammering
    deliverer = Recorder()
    back = worker(sessions, url, deliverer).run_once(now=partial(identity, moment))
    assert (back.sent, back.failed) == (1, 0)
    assert deliverer.delivered == [("tg-6", "telegram", fake.reply)]
    engine.dispose()


def test_retries_cover_a_day_and_more() -> None:
    assert sum(RETRY_AFTER, timedelta()) >= timedelta(days=2)


CANARY = "canary-Zq7xV3-token"


@pytest.mark.parametrize("failure", ["unreachable", 401, 500])
def test_rasas_token_reaches_no_log_and_no_stored_error(
    failure: str | int,
    database: str,
    rasa: tuple[FakeRasa, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake, url = rasa
    if failure == "unreachable":
        url = nobody_listens()
    else:
        fake.status = int(failure)
    engine = make_engine(database)
    reminder_id = schedule(engine, "tg-7")
    client = RasaIntentTrigger(url, token=CANARY, timeout_s=5)
    with caplog.at_level(logging.DEBUG):  # urllib3 logs every URL it calls at DEBUG
        tally = ReminderWorker(make_sessionmaker(engine), client, Recorder()).run_once(
            now=lambda: LATER
        )
    assert tally.failed == 1
    assert caplog.records and CANARY not in caplog.text
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT * FROM reminder")).all()
    assert stored and CANARY not in repr(stored)
    row = reminder(engine, reminder_id)
    assert row.last_error and "Rasa" in row.last_error  # what went wrong is still told
    if failure != "unreachable":
        assert fake.calls[0]["query"]["token"] == [CANARY]  # it was sent, to Rasa only
        assert str(failure) in row.last_error
    engine.dispose()


def test_a_reminder_sent_is_counted_on_the_citys_date(
    database: str, rasa: tuple[FakeRasa, str]
) -> None:
    _fake, url = rasa
    engine = make_engine(database)
    schedule(engine, "tg-43")
    # LATER in UTC is already the next day at UTC+14: the usage report counts the city's days.
    zone = "Pacific/Kiritimati"
    city = ReminderWorker(
        make_sessionmaker(engine), RasaIntentTrigger(url, timeout_s=5), Recorder(), timezone=zone
    )
    assert city.run_once(now=lambda: LATER).sent == 1
    with Session(engine) as session:
        days = session.scalars(select(UsageEvent.day).where(UsageEvent.kind == "reminder_sent"))
        assert days.all() == [City(None, zone, "", "").today(LATER)]
    assert City(None, zone, "", "").today(LATER) != LATER.date()
    engine.dispose()
