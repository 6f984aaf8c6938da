"""Rasa's SQL tracker store, configured by one URL, that erases a conversation on "forget me".

Loaded by the Rasa server from bot/endpoints.yml (`type: bot.rasa_ext.tracker_store.…`). The URL
is the endpoint's `url` when given, else WAYFINDER_TRACKER_URL, else a SQLite file
var/tracker.db under the working directory. Rasa falls back to an in-memory store, with only a
warning, when it cannot import a custom store: the Rasa log line "Connected to
WayfinderTrackerStore" is how to tell it loaded.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.engine.url import make_url
from sqlalchemy.orm import Session

from bot import long_lived
from bot.rasa_ext import (
    action_connections,
    classifier_layout,
    event_types,
    graph_runner,
    reply_check_patch,
    rule_keys,
    settled_slots,
    tracker_copies,
)

logger = logging.getLogger(__name__)

FORGET_ACTION = "action_forget_me"
URL_VARIABLE = "WAYFINDER_TRACKER_URL"
DEFAULT_URL = "sqlite:///var/tracker.db"
# A long conversation is compacted once its session holds this many events: Rasa replays every
# event of the session several times per message, so without it replies slow down turn by turn.
COMPACT_AFTER_EVENTS = 200
KEEP_TURNS = 5  # the user turns copied into the compacted session: rules look back one or two
STAMP_STEP = 0.001  # seconds after the last event: the compacted copy is read, the original not
COMPACTED = "wayfinder_compacted"  # metadata of the SessionStarted that begins a compacted session
# Set on a tracker this store read or saved: how many of its events are stored. Saving then
# appends the rest without counting the stored rows (a query per save, as Rasa does it).
STORED = "_wayfinder_stored_events"
# Rasa's environment has SQLAlchemy 1.4 and psycopg2; our .venv URLs may name psycopg (3).
DRIVERS = {"postgres": "postgresql", "postgresql+psycopg": "postgresql+psycopg2"}


def tracker_url(configured: str | None = None, env: dict[str, str] | None = None) -> str:
    """The endpoint's url, else WAYFINDER_TRACKER_URL, else the SQLite default; normalised."""
    env = dict(os.environ) if env is None else env
    raw = (configured or "").strip() or env.get(URL_VARIABLE, "").strip() or DEFAULT_URL
    url = make_url(raw)
    url = url.set(drivername=DRIVERS.get(url.drivername, url.drivername))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)  # else Rasa retries forever
    return url.render_as_string(hide_password=False)


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL and synchronous=NORMAL: each reply's commit no longer waits for the disk (fsync),
    which made reply times jump under load; a crash can lose at most the last replies' events."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def pooled_sqlite_engine(url: sa.engine.URL) -> sa.engine.Engine:
    """A SQLite engine that keeps its connections, with the pragmas on each new one.

    Rasa's SQLAlchemy 1.4 gives a SQLite file a NullPool: every read and save of a conversation
    opened a connection, set WAL again and, closing the last one, checkpointed the log to disk,
    about 13 ms of each reply on our machines. SQLAlchemy 2 pools SQLite file connections the
    same way by default.
    """
    engine = sa.create_engine(
        url,
        poolclass=sa.pool.QueuePool,
        pool_size=5,
        max_overflow=10,
        connect_args={"check_same_thread": False},  # a pooled connection may change threads
    )
    sa.event.listen(engine, "connect", sqlite_pragmas)
    return engine


def last_forget(events: list[Event]) -> int | None:
    """Index of the last `action_forget_me` in the events, if the user asked to be forgotten."""
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if isinstance(event, ActionExecuted) and event.action_name == FORGET_ACTION:
            return index
    return None


def compacted(tracker: DialogueStateTracker, domain: Domain) -> list[Event]:
    """A new session that says what the current one means in few events, or [] if too short.

    It holds the slots and the active form as they were before the last KEEP_TURNS user turns,
    then those turns, re-stamped just after the session's latest event: Rasa reads from the
    latest SessionStarted by timestamp, so it starts there, and the next message follows it.
    The policies see the same recent turns and the same slots; only the replay of everything
    older is gone.
    """
    events = list(tracker.events)
    users = [index for index, event in enumerate(events) if isinstance(event, UserUttered)]
    if len(users) <= KEEP_TURNS:
        return []
    start = users[-KEEP_TURNS]
    before = DialogueStateTracker.from_events(tracker.sender_id, events[:start], domain.slots)
    stamp = max(event.timestamp for event in events) + STAMP_STEP
    block: list[Event] = [SessionStarted(timestamp=stamp, metadata={COMPACTED: True})]
    block += [
        SlotSet(slot.name, slot.value, timestamp=stamp)
        for slot in before.slots.values()
        if slot.value != slot.initial_value
    ]
    if before.active_loop_name:
        block.append(ActiveLoop(before.active_loop_name, timestamp=stamp))
    for event in events[start:]:
        copied = Event.from_parameters(event.as_dict())
        if copied is not None:
            copied.timestamp = stamp
            block.append(copied)
    return block


def event_row(sender_id: str, event: Event) -> dict[str, Any]:
    """The stored columns of one event, as Rasa's SQLTrackerStore.save fills them."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


def just_created(tracker: DialogueStateTracker) -> bool:
    """Whether the tracker holds only what Rasa's create_tracker puts in a new one: nothing (the
    message processor asks for none) or a lone action_listen."""
    events = tracker.events
    return len(events) == 0 or (
        len(events) == 1
        and isinstance(events[0], ActionExecuted)
        and (events[0].action_name == ACTION_LISTEN_NAME)
    )


@functools.lru_cache(maxsize=4)
def events_of(events: sa.Table, latest_session: bool) -> sa.sql.Select[Any]:
    """The `data` of a sender's events in order (bound parameter `sender_id`), of its latest
    session only (from its last session start, or all when it has none) when `latest_session`:
    Rasa's SQLTrackerStore._event_query as one Core statement, built once per table."""
    sender: sa.sql.elements.BindParameter[str] = sa.bindparam("sender_id")
    query = sa.select(events.c.data).where(events.c.sender_id == sender)
    if latest_session:
        start = (
            sa.select(sa.func.max(events.c.timestamp).label("session_start"))
            .where(events.c.sender_id == sender, events.c.type_name == SessionStarted.type_name)
            .subquery()
        )
        query = query.select_from(events.join(start, sa.true())).where(
            sa.or_(events.c.timestamp >= start.c.session_start, start.c.session_start.is_(None))
        )
    return query.order_by(events.c.id)


class WayfinderTrackerStore(SQLTrackerStore):
    """SQLTrackerStore from one URL; deletes a sender's stored events when they ask to be forgotten.

    Rasa appends "the tracker's events after as many as are stored since the last session start".
    A tracker that holds `action_forget_me` instead replaces everything stored for its sender by
    the events after that action, in the same transaction. Trackers read back afterwards no
    longer contain the action, so later saves append as usual and the old history never returns.

    A session longer than COMPACT_AFTER_EVENTS gets a compacted copy of its end appended (see
    `compacted`), so reply time stays flat however long a conversation runs. The full history
    keeps every event; the copied turns follow a SessionStarted marked `wayfinder_compacted`.

    On PostgreSQL, reading a conversation (one SELECT) and saving it (one INSERT of every new
    row) each run as a single statement in autocommit: psycopg2 would otherwise send BEGIN and
    ROLLBACK or COMMIT around it, two more round trips each blocking the Rasa server's event loop.
    Erasing for "forget me" (a DELETE and an INSERT) keeps its transaction.
    """

    engine: sa.engine.Engine  # set by SQLTrackerStore (untyped), replaced for SQLite
    sessionmaker: Any
    statement_engine: sa.engine.Engine  # single statements: autocommit on PostgreSQL, else `engine`

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        """`host` is the endpoint's `url` (Rasa passes it under that name); usually unset.

        The Rasa server builds its tracker store once, at start-up: the moment to install our
        fix for its per-reply schema check (bot.rasa_ext.reply_check_patch) and the skip of
        slot actions a message cannot change (bot.rasa_ext.settled_slots), kept-alive
        connections to the action server (bot.rasa_ext.action_connections), the intent
        classifier's weights laid out for prediction (bot.rasa_ext.classifier_layout), event
        classes found by name once (bot.rasa_ext.event_types), trackers copied without
        needless deep copies (bot.rasa_ext.tracker_copies), the model's graph run without
        dask's scheduler (bot.rasa_ext.graph_runner) and the rule policy's walk back through a
        conversation cut to its longest rule (bot.rasa_ext.rule_keys).
        """
        reply_check_patch.install()
        settled_slots.install()
        action_connections.install()
        classifier_layout.install()
        event_types.install()
        tracker_copies.install()
        graph_runner.install()
        rule_keys.install()
        url = tracker_url(host)
        logger.info("conversations are stored in %s", make_url(url).__repr__())
        super().__init__(domain=domain, host=url, event_broker=event_broker, **kwargs)
        made = self.engine  # Rasa's, built from the URL
        if made.dialect.name == "sqlite":
            made.dispose()
            self.engine = pooled_sqlite_engine(made.url)
            self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)
        self.statement_engine = self.engine
        if made.dialect.name == "postgresql" and not os.environ.get("POSTGRESQL_SCHEMA"):
            self.statement_engine = sa.create_engine(made.url, isolation_level="AUTOCOMMIT")

    @contextlib.contextmanager
    def statement_scope(self) -> Iterator[Session]:
        """A session for one statement: autocommit on PostgreSQL (see the class), else Rasa's."""
        if self.statement_engine is self.engine:
            with self.session_scope() as session:
                yield session
            return
        with Session(self.statement_engine) as session:
            yield session

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The latest session, noting how many of its events are stored already. The first
        message after start-up also settles the loaded model out of the garbage collector's way
        (bot.long_lived)."""
        long_lived.settle()
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            setattr(tracker, STORED, len(tracker.events))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the new events; a tracker just created (a lone action_listen) is stored with
        the events that follow it in the same reply, saving a write for each new conversation.

        The lock store lets one message per conversation through at a time, so the tracker a
        reply saves is the one it read: its count of stored events is exact, on any number of
        Rasa servers.
        """
        if getattr(tracker, STORED, None) is None and just_created(tracker):
            setattr(tracker, STORED, 0)
            return
        await self.stream_events(tracker)
        erasing = last_forget(list(tracker.events)) is not None
        with self.session_scope() if erasing else self.statement_scope() as session:
            rows = [
                event_row(tracker.sender_id, event)
                for event in self._additional_events(session, tracker)
            ]
            if rows:  # one INSERT for them all, as Rasa's rows without its ORM bookkeeping
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()
        setattr(tracker, STORED, len(tracker.events))

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        """Rasa's, reading only the events' data column, not whole ORM objects, with a statement
        built once (events_of) where Rasa builds its ORM query again for every message."""
        statement = events_of(self.SQLEvent.__table__, not fetch_events_from_all_sessions)
        with self.statement_scope() as session:
            rows = session.execute(statement, {"sender_id": sender_id})
            events = [json.loads(data) for (data,) in rows]
        if self.domain is None or not events:
            return None
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)

    def _additional_events(
        self, session: Session, tracker: DialogueStateTracker
    ) -> Iterator[Event]:
        """Events to insert; after "forget me", also delete what was stored (same transaction)."""
        events = list(tracker.events)
        forget = last_forget(events)
        if forget is None:
            known = getattr(tracker, STORED, None)
            if known is None:  # a tracker not read through this store: count what is stored
                appended = list(super()._additional_events(session, tracker))
            else:
                appended = events[known:]
            if appended and len(events) > COMPACT_AFTER_EVENTS and self.domain is not None:
                appended += compacted(tracker, self.domain)
            return iter(appended)
        deleted = (
            session.query(self.SQLEvent)
            .filter(self.SQLEvent.sender_id == tracker.sender_id)
            .delete(synchronize_session=False)
        )
        logger.info("erased %s stored events of a sender who asked to be forgotten", deleted)
        return itertools.islice(events, forget + 1, None)
