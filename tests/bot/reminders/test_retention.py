"""Retention: the worker erases what is kept about learners untouched for WAYFINDER_RETENTION_DAYS
(directory and Rasa's stored conversation), exactly what "forget me" erases, and nothing else."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import (
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Session

from bot.reminders.retention import Conversations, Retention, tracker_engine
from bot.reminders.settings import WorkerSettings
from bot.reminders.worker import RasaIntentTrigger, ReminderWorker
from knowledge.db import make_engine, make_sessionmaker
from knowledge.handoffs import open_handoff
from knowledge.learners import (
    add_to_plan,
    forget_learner,
    get_or_create_learner,
    mark_sent,
    remember_profile,
    schedule_reminder,
)
from knowledge.models import (
    Base,
    ChannelAddress,
    DeliveryReceipt,
    HandoffPost,
    Opportunity,
    OutboxMessage,
)
from knowledge.models.learner import Dependant, Handoff, Learner, PlanItem, Reminder
from knowledge.seed import seed_directory
from tests.bot.reminders.conftest import NOW, nobody_listens
from tests.knowledge.test_seed import write_seed

ROOT = Path(__file__).resolve().parents[3]
POSTGRES_URL = os.environ.get("WAYFINDER_TEST_POSTGRES_URL", "").strip()
DAYS = 365
# Rasa 3.6's tracker store table as `rasa run` creates it (rasa/core/tracker_store.py, SQLEvent).
RASA_EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
# What forget_learner erases, by table, counted per sender.
KEPT = {
    "learner": lambda sender: select(func.count()).where(Learner.sender_id == sender),
    "dependant": lambda sender: _of_learner(Dependant, sender),
    "plan_item": lambda sender: _of_learner(PlanItem, sender),
    "reminder": lambda sender: _of_learner(Reminder, sender),
    "handoff": lambda sender: _of_learner(Handoff, sender),
    "handoff_post": lambda sender: (
        select(func.count())
        .select_from(HandoffPost)
        .join(Handoff, HandoffPost.handoff_id == Handoff.id)
        .join(Learner, Handoff.learner_id == Learner.id)
        .where(Learner.sender_id == sender)
    ),
    "channel_address": lambda sender: select(func.count()).where(
        ChannelAddress.sender_id == sender
    ),
    "outbox_message": lambda sender: select(func.count()).where(OutboxMessage.sender_id == sender),
    "delivery_receipt": lambda sender: select(func.count()).where(
        DeliveryReceipt.sender_id == sender
    ),
}


def _of_learner(model: type[Dependant | PlanItem | Reminder | Handoff], sender: str) -> object:
    return (
        select(func.count())
        .select_from(model)
        .join(Learner, model.learner_id == Learner.id)
        .where(Learner.sender_id == sender)
    )


@dataclass
class Stores:
    """The directory and Rasa's tracker store, as the worker sees them."""

    directory: Engine
    tracker: Engine
    tracker_url: str = ""
    opportunity_id: int = 0
    logs: list[str] = field(default_factory=list)

    def retention(self, batch: int = 100) -> Retention:
        return Retention(
            make_sessionmaker(self.directory), Conversations(self.tracker), DAYS, batch=batch
        )


@pytest.fixture(params=["sqlite", "postgresql"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    """A seeded directory and a tracker store with Rasa's table: two SQLite files, or (as in
    docker-compose) one PostgreSQL database holding both."""
    if request.param == "sqlite":
        directory = make_engine(f"sqlite:///{tmp_path / 'directory.db'}")
        tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
        tracker = tracker_engine(tracker_url)
        cleanup = None
    else:
        if not POSTGRES_URL:
            pytest.skip("WAYFINDER_TEST_POSTGRES_URL is not set")
        schema = f"retention_test_{os.getpid()}"
        admin = create_engine(POSTGRES_URL)
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        options = {"options": f"-csearch_path={schema}"}
        directory = create_engine(POSTGRES_URL, connect_args=options)
        tracker = create_engine(POSTGRES_URL, connect_args=options)

        def cleanup() -> None:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()

    Base.metadata.create_all(directory)
    RASA_EVENTS.metadata.create_all(tracker)
    with Session(directory) as session, session.begin():
        seed_directory(session, write_seed(tmp_path / "seed"))
        opportunity = session.scalars(
            select(Opportunity).where(Opportunity.external_id == "t-001")
        ).one()
        opportunity_id = opportunity.id
    try:
        yield Stores(directory, tracker, opportunity_id=opportunity_id)
    finally:
        directory.dispose()
        tracker.dispose()
        if cleanup is not None:
            cleanup()


def talk(tracker: Engine, sender: str, moment: datetime) -> None:
    """A turn of the conversation as Rasa stores it: the user's message and the bot's answer."""
    stamp = moment.replace(tzinfo=UTC).timestamp()
    with tracker.begin() as connection:
        connection.execute(
            insert(RASA_EVENTS),
            [
                {"sender_id": sender, "type_name": "user", "timestamp": stamp,
                 "intent_name": "search", "data": '{"text": "coding for my daughter"}'},
                {"sender_id": sender, "type_name": "bot", "timestamp": stamp + 1,
                 "intent_name": None, "data": '{"text": "Saturday Code Club"}'},
            ],
        )  # fmt: skip


def keep_everything(stores: Stores, sender: str, days_ago: int) -> None:
    """A learner who used it all, last `days_ago` days before NOW: a profile with a daughter, a
    plan, a reminder sent, a request for a person relayed to navigators, an address, a message
    waiting in the outbox, a delivery receipt and the conversation."""
    seen = NOW - timedelta(days=days_ago)
    with Session(stores.directory) as session, session.begin():
        learner = get_or_create_learner(session, sender, "telegram")
        remember_profile(session, learner, relation="daughter", age=9, interests=["coding"])
        opportunity = session.get(Opportunity, stores.opportunity_id)
        assert opportunity is not None
        add_to_plan(session, learner, opportunity, "daughter")
        planned = schedule_reminder(session, learner, opportunity, now=NOW)
        assert planned.reminder is not None
        mark_sent(planned.reminder, now=seen)
        handoff = open_handoff(session, learner, {"topics": ["coding"]})
        session.add(HandoffPost(handoff_id=handoff.id, chat_id="-100123", message_id=7))
        session.add(
            ChannelAddress(sender_id=sender, channel="telegram", address="4242", last_seen_at=seen)
        )
        session.add(OutboxMessage(sender_id=sender, message={"text": "A navigator replied"}))
        session.add(DeliveryReceipt(key=f"reminder-{sender}/0", sender_id=sender))
        learner.last_seen_at = seen
    talk(stores.tracker, sender, seen)


def kept(stores: Stores, sender: str) -> dict[str, int]:
    """How many rows each store keeps about a sender."""
    with Session(stores.directory) as session:
        counts = {table: int(session.scalar(query(sender)) or 0) for table, query in KEPT.items()}
    with stores.tracker.connect() as connection:
        counts["events"] = int(
            connection.scalar(
                select(func.count()).where(RASA_EVENTS.c.sender_id == sender)
            ) or 0
        )  # fmt: skip
    return counts


def sweep(retention: Retention, now: datetime = NOW) -> int:
    """Run a whole sweep, step by step as the worker's passes do; how many steps it took."""
    steps = 1
    while retention.step(now):
        steps += 1
    return steps


def test_a_learner_silent_for_366_days_is_erased_with_everything_forget_me_erases(
    stores: Stores, caplog: pytest.LogCaptureFixture
) -> None:
    for sender, days_ago in (("tg-366", 366), ("tg-364", 364), ("tg-forgets", 10)):
        keep_everything(stores, sender, days_ago)
    keep_everything(stores, "tg-owed", 400)  # silent for longer, but owed a reminder: kept
    with Session(stores.directory) as session, session.begin():
        learner = session.scalars(select(Learner).where(Learner.sender_id == "tg-owed")).one()
        opportunity = session.get(Opportunity, stores.opportunity_id)
        assert opportunity is not None
        schedule_reminder(session, learner, opportunity, now=NOW)  # again: due in January
    before = {sender: kept(stores, sender) for sender in ("tg-366", "tg-364", "tg-owed")}
    assert all(all(before[sender].values()) for sender in before)  # every table holds some

    with caplog.at_level(logging.INFO, logger="bot.reminders.retention"):
        sweep(stores.retention())

    with Session(stores.directory) as session, session.begin():  # "forget me", for comparison
        assert forget_learner(session, "tg-forgets")
    forgotten = kept(stores, "tg-forgets")  # its conversation is Rasa's to erase (bot/rasa_ext)
    assert forgotten == {**dict.fromkeys(KEPT, 0), "events": 2}
    assert kept(stores, "tg-366") == {**forgotten, "events": 0}  # retention erases it too
    assert kept(stores, "tg-364") == before["tg-364"]
    assert kept(stores, "tg-owed") == before["tg-owed"]
    (line,) = [r.getMessage() for r in caplog.records if r.name == "bot.reminders.retention"]
    assert line == "retention: erased 1 learners and 1 conversations untouched for 365 days"


def test_a_conversation_still_going_keeps_a_learner_whose_profile_is_old(
    stores: Stores,
) -> None:
    """Learners on Rasa's REST channel have no address: their conversation tells they are here."""
    keep_everything(stores, "rest-talking", 400)
    talk(stores.tracker, "rest-talking", NOW - timedelta(days=3))
    before = kept(stores, "rest-talking")
    sweep(stores.retention())
    assert kept(stores, "rest-talking") == before


def test_conversations_of_people_who_saved_nothing_go_after_the_same_time(stores: Stores) -> None:
    talk(stores.tracker, "web-old-chat", NOW - timedelta(days=366))
    talk(stores.tracker, "web-recent-chat", NOW - timedelta(days=364))
    keep_everything(stores, "tg-owed", 400)  # an old conversation, but a reminder is owed
    with Session(stores.directory) as session, session.begin():
        learner = session.scalars(select(Learner).where(Learner.sender_id == "tg-owed")).one()
        opportunity = session.get(Opportunity, stores.opportunity_id)
        assert opportunity is not None
        schedule_reminder(session, learner, opportunity, now=NOW)  # again: due in January
    sweep(stores.retention())
    assert kept(stores, "web-old-chat")["events"] == 0
    assert kept(stores, "web-recent-chat")["events"] == 2
    assert kept(stores, "tg-owed")["events"] == 2


def test_the_sweep_runs_once_a_day_one_batch_per_pass(stores: Stores) -> None:
    for n in range(5):
        keep_everything(stores, f"tg-old-{n}", 366)
    for n in range(3):
        talk(stores.tracker, f"web-old-{n}", NOW - timedelta(days=400))
    retention = stores.retention(batch=2)
    # 5 learners in pages of 2 (the third short), then 3 conversations in pages of 2.
    assert sweep(retention) == 5
    assert all(kept(stores, f"tg-old-{n}")["learner"] == 0 for n in range(5))
    assert all(kept(stores, f"web-old-{n}")["events"] == 0 for n in range(3))
    keep_everything(stores, "tg-later", 366)
    assert retention.step(NOW + timedelta(hours=23)) is False  # the day's sweep is done
    assert kept(stores, "tg-later")["learner"] == 1
    sweep(retention, NOW + timedelta(days=1))  # the next day's
    assert kept(stores, "tg-later")["learner"] == 0


def test_a_tracker_store_it_cannot_reach_stops_the_sweep_and_erases_nothing(
    stores: Stores, caplog: pytest.LogCaptureFixture
) -> None:
    keep_everything(stores, "tg-366", 366)
    before = kept(stores, "tg-366")
    down = f"postgresql://wayfinder:pw-Zq7x@{nobody_listens().removeprefix('http://')}/w"
    broken = tracker_engine(WorkerSettings.from_env({"WAYFINDER_TRACKER_URL": down}).tracker_url)
    retention = Retention(make_sessionmaker(stores.directory), Conversations(broken), DAYS)
    with caplog.at_level(logging.INFO, logger="bot.reminders.retention"):
        assert retention.step(NOW) is False
    assert kept(stores, "tg-366") == before  # not erased: its conversation could not be checked
    assert retention.next_sweep_at == NOW + timedelta(hours=1)
    assert "tg-366" not in caplog.text and "pw-Zq7x" not in caplog.text
    assert "OperationalError" in caplog.text
    broken.dispose()
    retention.conversations = Conversations(stores.tracker)  # the store is back
    assert retention.step(NOW + timedelta(minutes=30)) is False  # not yet
    sweep(retention, NOW + timedelta(hours=1))
    assert kept(stores, "tg-366")["learner"] == 0


def test_a_tracker_store_rasa_has_not_made_yet_is_left_alone(
    stores: Stores, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    keep_everything(stores, "tg-366", 366)
    missing = tmp_path / "not-yet" / "tracker.db"
    retention = Retention(
        make_sessionmaker(stores.directory),
        Conversations(tracker_engine(f"sqlite:///{missing}")),
        DAYS,
    )
    with caplog.at_level(logging.INFO, logger="bot.reminders.retention"):
        sweep(retention)
    assert kept(stores, "tg-366")["learner"] == 0  # no conversation to check: the directory's go
    assert not missing.parent.exists()
    assert "only the directory's data is erased" in caplog.text


@dataclass
class OnePass(Retention):
    """Retention at NOW that ends the worker's loop after its first step."""

    stop: threading.Event = field(default_factory=threading.Event)

    def step(self, now: datetime | None = None) -> bool:
        self.stop.set()
        return super().step(NOW)


def test_the_worker_loop_runs_the_sweep(stores: Stores) -> None:
    keep_everything(stores, "tg-366", 366)
    sessions = make_sessionmaker(stores.directory)
    retention = OnePass(sessions, Conversations(stores.tracker), DAYS)
    worker = ReminderWorker(sessions, RasaIntentTrigger(nobody_listens()), retention=retention)
    worker.run_forever(0, retention.stop)  # one pass: reminders (none due), then retention
    assert kept(stores, "tg-366")["learner"] == 0


def test_the_retention_setting_is_validated() -> None:
    assert WorkerSettings.from_env({}).retention_days == 365
    assert WorkerSettings.from_env({"WAYFINDER_RETENTION_DAYS": " 30 "}).retention_days == 30
    for bad in ("0", "-5", "1.5", "a year", "36501"):
        with pytest.raises(ValueError, match="WAYFINDER_RETENTION_DAYS"):
            WorkerSettings.from_env({"WAYFINDER_RETENTION_DAYS": bad})


def test_the_tracker_url_is_the_rasa_servers_with_our_postgresql_driver() -> None:
    default = WorkerSettings.from_env({}).tracker_url
    assert default == f"sqlite:///{ROOT / 'var' / 'tracker.db'}"  # as `make run` gives Rasa
    for given in ("postgresql://u:pw@db:5432/w", "postgres://u:pw@db:5432/w",
                  "postgresql+psycopg2://u:pw@db:5432/w"):  # fmt: skip
        settings = WorkerSettings.from_env({"WAYFINDER_TRACKER_URL": given})
        assert settings.tracker_url == "postgresql+psycopg://u:pw@db:5432/w"
    with pytest.raises(ValueError, match="WAYFINDER_TRACKER_URL") as refused:
        WorkerSettings.from_env({"WAYFINDER_TRACKER_URL": "secret-password@db"})
    assert "secret-password" not in str(refused.value)


def test_the_worker_refuses_to_start_with_a_bad_retention_setting(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "WAYFINDER_DATABASE_URL": f"sqlite:///{tmp_path / 'directory.db'}",
        "WAYFINDER_TRACKER_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
        "WAYFINDER_RASA_URL": nobody_listens(),
        "WAYFINDER_RETENTION_DAYS": "0",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot.reminders"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: WAYFINDER_RETENTION_DAYS must be a whole number of days from 1 to 36500, not 0"
    )


def test_a_conversation_that_came_back_to_life_is_not_erased(stores: Stores) -> None:
    """The delete re-checks: a message since the cut-off keeps the conversation."""
    for sender in ("web-gone", "web-back"):
        talk(stores.tracker, sender, NOW - timedelta(days=400))
    talk(stores.tracker, "web-back", NOW - timedelta(minutes=1))
    conversations = Conversations(stores.tracker)
    erased = conversations.erase(["web-gone", "web-back"], before=NOW - timedelta(days=DAYS))
    assert erased == 1
    assert (kept(stores, "web-gone")["events"], kept(stores, "web-back")["events"]) == (0, 4)
