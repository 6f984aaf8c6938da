"""Retention: what is kept about a learner untouched for WAYFINDER_RETENTION_DAYS is erased.

"Touched" means a message from them (their channel address's last-seen time, hourly, for every
message through the gateway; their conversation's latest event in Rasa's tracker store, for every
message on any channel), a change to their profile, plan or reminders (the learner's last-seen
time), or a reminder sent to them. A learner still owed a reminder is kept. Erasing runs
`knowledge.learners.forget_learner`, the function "forget me" runs, and deletes the stored
conversation, which "forget me" leaves to the tracker store (bot/rasa_ext): this process cannot
run Rasa's code, so it deletes the rows of Rasa's `events` table itself. Conversations of people
the directory never kept anything about (they chatted and saved nothing) go the same way.

The worker sweeps once a day, one batch per pass (so reminders never wait long), each batch in
its own transactions; only counts are logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from sqlalchemy import (
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    distinct,
    func,
    inspect,
    select,
)
from sqlalchemy.orm import Session, sessionmaker

from knowledge.learners import forget_learner, known_senders, untouched_senders
from knowledge.models import utcnow

logger = logging.getLogger(__name__)
SWEEP_EVERY = timedelta(days=1)
RETRY_FAILED_SWEEP = timedelta(hours=1)
BATCH = 100
# The columns we use of Rasa 3.6's SQLTrackerStore table (rasa/core/tracker_store.py, SQLEvent):
# one row per event, `timestamp` in seconds since the epoch, indexed by sender.
EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("timestamp", Float),
)
Phase = Literal["learners", "conversations"]


def tracker_engine(url: str) -> Engine:
    """An engine on the tracker store without the directory's SQLite tuning (its page cache
    would stay in the worker all day for one sweep)."""
    if url.startswith("sqlite"):
        return create_engine(url)
    return create_engine(url, pool_pre_ping=True)


def _epoch(moment: datetime) -> float:
    """A naive UTC datetime (how the directory stores time) as Rasa's event timestamp."""
    return moment.replace(tzinfo=UTC).timestamp()


@dataclass(frozen=True)
class Conversations:
    """Rasa's stored conversations, read and erased by sender id; none while Rasa has not made
    its table yet."""

    engine: Engine

    def stored(self) -> bool:
        """Whether the tracker store has its events table (a SQLite file that does not exist is
        not created by asking)."""
        url = self.engine.url
        file = url.database if url.get_backend_name() == "sqlite" else None
        if file and file != ":memory:" and not Path(file).exists():
            return False
        return inspect(self.engine).has_table(EVENTS.name)

    def active(self, sender_ids: list[str], *, since: datetime) -> set[str]:
        """The senders among these whose conversation has an event from `since` on."""
        if not sender_ids or not self.stored():
            return set()
        query = select(distinct(EVENTS.c.sender_id)).where(
            EVENTS.c.sender_id.in_(sender_ids), EVENTS.c.timestamp >= _epoch(since)
        )
        with self.engine.connect() as connection:
            return set(connection.scalars(query))

    def untouched(self, *, before: datetime, after: str, limit: int) -> list[str]:
        """Senders after `after`, in order, whose latest event is older than `before`."""
        if not self.stored():
            return []
        latest = func.coalesce(func.max(EVENTS.c.timestamp), 0.0)
        query = (
            select(EVENTS.c.sender_id)
            .where(EVENTS.c.sender_id > after)
            .group_by(EVENTS.c.sender_id)
            .having(latest < _epoch(before))
            .order_by(EVENTS.c.sender_id)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            return list(connection.scalars(query))

    def erase(self, sender_ids: list[str], *, before: datetime) -> int:
        """Delete these senders' conversations, except one that got an event from `before` on
        meanwhile (the delete itself checks); how many conversations there were to erase."""
        if not sender_ids or not self.stored():
            return 0
        recent = select(EVENTS.c.sender_id).where(
            EVENTS.c.sender_id.in_(sender_ids), EVENTS.c.timestamp >= _epoch(before)
        )
        untouched = (EVENTS.c.sender_id.in_(sender_ids), EVENTS.c.sender_id.not_in(recent))
        with self.engine.begin() as connection:
            found = connection.scalar(
                select(func.count(distinct(EVENTS.c.sender_id))).where(*untouched)
            )
            connection.execute(delete(EVENTS).where(*untouched))
        return int(found or 0)


@dataclass(frozen=True)
class Sweep:
    """How far one day's sweep has come: the phase, the last sender id done, what it erased."""

    cutoff: datetime
    phase: Phase = "learners"
    after: str = ""
    learners: int = 0
    conversations: int = 0
    done: bool = False


@dataclass
class Retention:
    """Erases what is kept about senders untouched for `days` days, as "forget me" would."""

    sessions: sessionmaker[Session]
    conversations: Conversations
    days: int
    batch: int = BATCH
    every: timedelta = SWEEP_EVERY
    sweep: Sweep | None = field(default=None, init=False)
    next_sweep_at: datetime | None = field(default=None, init=False)  # None: at the first step

    def step(self, now: datetime | None = None) -> bool:
        """One batch of the day's sweep, starting one when it is due; True while it goes on.

        A failure (a database down) is logged by its kind only and ends the sweep, which starts
        again an hour later: nothing is erased that could not be checked.
        """
        moment = now or utcnow()
        if self.sweep is None:
            if self.next_sweep_at is not None and moment < self.next_sweep_at:
                return False
            self.next_sweep_at = moment + self.every
            sweep = Sweep(cutoff=moment - timedelta(days=self.days))
        else:
            sweep = self.sweep
        try:
            if sweep.phase == "learners" and not sweep.after and not self.conversations.stored():
                logger.warning(
                    "retention: the tracker store (WAYFINDER_TRACKER_URL) has no conversations "
                    "table yet; only the directory's data is erased"
                )
            sweep = self._batch(sweep)
        except Exception as error:  # the reminder loop goes on; only the kind of error is told
            logger.warning(
                "retention: sweep stopped (%s); next try in %s",
                type(error).__name__,
                RETRY_FAILED_SWEEP,
            )
            self.sweep, self.next_sweep_at = None, moment + RETRY_FAILED_SWEEP
            return False
        self.sweep = None if sweep.done else sweep
        if sweep.done:
            logger.info(
                "retention: erased %s learners and %s conversations untouched for %s days",
                sweep.learners,
                sweep.conversations,
                self.days,
            )
        return not sweep.done

    def _batch(self, sweep: Sweep) -> Sweep:
        """Erase up to `batch` untouched senders of the sweep's phase; the sweep moved on."""
        if sweep.phase == "learners":
            return self._learners(sweep)
        return self._conversations(sweep)

    def _learners(self, sweep: Sweep) -> Sweep:
        """Forget the next untouched senders the directory keeps, with their conversations
        unless one has an event since the cut-off (a learner on a channel without addresses)."""
        with self.sessions.begin() as session:
            senders = untouched_senders(
                session, before=sweep.cutoff, after=sweep.after, limit=self.batch
            )
            talking = self.conversations.active(senders, since=sweep.cutoff)
            erased = [sender for sender in senders if sender not in talking]
            for sender in erased:
                forget_learner(session, sender)
        conversations = self.conversations.erase(erased, before=sweep.cutoff)
        more = len(senders) == self.batch
        return replace(
            sweep,
            phase="learners" if more else "conversations",
            after=senders[-1] if more else "",
            learners=sweep.learners + len(erased),
            conversations=sweep.conversations + conversations,
        )

    def _conversations(self, sweep: Sweep) -> Sweep:
        """Erase the next untouched conversations of senders the directory keeps nothing about
        (the others were kept by `_learners`: touched, or owed a reminder)."""
        senders = self.conversations.untouched(
            before=sweep.cutoff, after=sweep.after, limit=self.batch
        )
        with self.sessions.begin() as session:
            kept = known_senders(session, senders)
        erased = self.conversations.erase(
            [sender for sender in senders if sender not in kept], before=sweep.cutoff
        )
        return replace(
            sweep,
            after=senders[-1] if senders else sweep.after,
            conversations=sweep.conversations + erased,
            done=len(senders) < self.batch,
        )
