"""The queue gauges read the database at scrape time, cached for a few seconds, and are left out
when the database does not answer (bot/observability/queues.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.observability.queues import GAUGES, QueueGauges, read_depths
from knowledge.db import make_engine, make_sessionmaker
from knowledge.handoffs import close_handoff, open_handoff
from knowledge.learners import get_or_create_learner
from knowledge.migrate import upgrade
from knowledge.models import DeliveryReceipt, Opportunity, OutboxMessage, Reminder, utcnow
from knowledge.seed import seed_directory
from tests.knowledge.test_seed import write_seed
from tests.serving import free_port


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A migrated SQLite directory with the small test city and nothing waiting."""
    engine = make_engine(f"sqlite:///{tmp_path / 'queues.db'}")
    upgrade(engine)
    made = make_sessionmaker(engine)
    with made.begin() as session:
        seed_directory(session, write_seed(tmp_path / "seed"))
    yield made
    engine.dispose()


def fill(sessions: sessionmaker[Session]) -> None:
    """Two outbox messages, one unfinished and one finished delivery, reminders due 2 h ago,
    due later and sent, two open handoffs (one posted) and a closed one."""
    now = utcnow()
    with sessions.begin() as session:
        listing = session.scalars(select(Opportunity)).first()
        assert listing is not None
        learners = [get_or_create_learner(session, f"s{n}", "web") for n in range(3)]
        session.add_all([OutboxMessage(sender_id="s0", message={"text": t}) for t in "ab"])
        session.add(DeliveryReceipt(key="k1", sender_id="s0"))
        session.add(DeliveryReceipt(key="k2", sender_id="s0", delivered_at=now))
        for learner, kind, due, status in [
            (learners[0], "start", now - timedelta(hours=2), "pending"),
            (learners[1], "start", now + timedelta(days=3), "pending"),
            (learners[2], "start", now - timedelta(days=1), "sent"),
        ]:
            session.add(
                Reminder(learner=learner, opportunity=listing, kind=kind, due_at=due, status=status)
            )
        open_handoff(session, learners[0], {}).posted_at = now
        open_handoff(session, learners[1], {})
        closed = open_handoff(session, learners[2], {})
        session.flush()
        close_handoff(session, closed.id, "navigator")


def test_the_depths_count_only_what_is_still_waiting(sessions: sessionmaker[Session]) -> None:
    fill(sessions)
    with sessions.begin() as session:
        depths = read_depths(session)
    assert depths.outbox_messages == 2 and depths.deliveries_unfinished == 1
    assert depths.reminders_pending == 2 and depths.reminders_due == 1
    assert 7100 < depths.reminders_due_oldest_s < 7300
    assert depths.handoffs_open == 2 and depths.handoffs_unposted == 1


def test_an_empty_database_reads_zero(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        depths = read_depths(session)
    assert depths.reminders_due == 0 and depths.reminders_due_oldest_s == 0.0


def test_scrapes_within_the_cache_time_share_one_read(sessions: sessionmaker[Session]) -> None:
    now = [100.0]
    gauges = QueueGauges(sessions, cache_s=10, clock=lambda: now[0])
    registry = CollectorRegistry()
    registry.register(gauges)
    assert registry.get_sample_value("wayfinder_outbox_messages") == 0
    fill(sessions)
    now[0] += 5
    assert registry.get_sample_value("wayfinder_outbox_messages") == 0  # cached
    now[0] += 6
    assert registry.get_sample_value("wayfinder_outbox_messages") == 2
    assert registry.get_sample_value("wayfinder_handoffs_open") == 2
    assert registry.get_sample_value("wayfinder_reminders_due") == 1
    page = generate_latest(registry).decode()
    assert all(f"# TYPE {name} gauge" in page for name in GAUGES)


def test_without_a_database_the_gauges_are_left_out_and_the_error_told() -> None:
    engine = make_engine(f"postgresql+psycopg://root@127.0.0.1:{free_port()}/nowhere")
    errors: list[str] = []
    gauges = QueueGauges(make_sessionmaker(engine), on_error=lambda: errors.append("database"))
    assert list(gauges.collect()) == []
    assert errors == ["database"]
    assert {family.name for family in gauges.describe()} == set(GAUGES)  # names without a read
    engine.dispose()
