"""The tracker store: one URL, "forget me" erases the stored history, only the session is loaded."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    AllSlotsReset,
    BotUttered,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_ext.tracker_store import (
    COMPACT_AFTER_EVENTS,
    COMPACTED,
    KEEP_TURNS,
    WayfinderTrackerStore,
    events_of,
    last_forget,
    tracker_url,
)

POSTGRES_URL = os.environ.get("WAYFINDER_TEST_POSTGRES_URL", "").strip()
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]
DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, find_opportunity, forget_me, affirm]
slots:
  age:
    type: float
    influence_conversation: false
    mappings: [{type: custom}]
actions: [action_forget_me]
"""
)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WayfinderTrackerStore]:
    """A store on a fresh SQLite file, or on the test PostgreSQL database when it is set."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}" if request.param == "sqlite" else POSTGRES_URL
    made = WayfinderTrackerStore(domain=DOMAIN, host=url)
    yield made
    made.engine.dispose()
    made.statement_engine.dispose()


def sender() -> str:
    """A sender id no other test (or earlier run on the same database) uses."""
    return f"test-{uuid.uuid4().hex}"


def stored(store: WayfinderTrackerStore, sender_id: str) -> list[dict[str, object]]:
    """The events in the database for one sender, oldest first."""
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender_id}
        )
        return [json.loads(data) for (data,) in rows]


class Clock:
    """Strictly increasing timestamps, so session boundaries do not depend on the machine."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        self.now += 1
        return self.now


def turn(clock: Clock, text: str, intent: str, reply: str) -> list[Event]:
    """One user message and the bot's answer, as Rasa records them."""
    return [
        UserUttered(text, {"name": intent, "confidence": 1.0}, timestamp=clock()),
        ActionExecuted("utter_x", timestamp=clock()),
        BotUttered(reply, timestamp=clock()),
        ActionExecuted("action_listen", timestamp=clock()),
    ]


def session_start(clock: Clock) -> list[Event]:
    """What action_session_start leaves in the tracker."""
    return [
        ActionExecuted("action_session_start", timestamp=clock()),
        SessionStarted(timestamp=clock()),
        ActionExecuted("action_listen", timestamp=clock()),
    ]


async def extend(store: WayfinderTrackerStore, sender_id: str, events: list[Event]) -> None:
    """One request as Rasa serves it: read the tracker, add the turn's events, save once."""
    tracker = await store.retrieve(sender_id) or DialogueStateTracker(sender_id, DOMAIN.slots)
    for event in events:
        tracker.update(event)
    await store.save(tracker)


def test_the_url_comes_from_the_endpoint_else_the_environment_else_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert tracker_url(None, env={}) == "sqlite:///var/tracker.db"
    assert (tmp_path / "var").is_dir()  # SQLite cannot create the folder; Rasa would retry forever
    from_env = {"WAYFINDER_TRACKER_URL": "sqlite:////tmp/x/t.db"}
    assert tracker_url(None, env=from_env) == "sqlite:////tmp/x/t.db"
    assert tracker_url("sqlite:///other.db", env=from_env) == "sqlite:///other.db"
    assert tracker_url(" ", env={"WAYFINDER_TRACKER_URL": " "}) == "sqlite:///var/tracker.db"


def test_psycopg_urls_of_our_environment_use_rasas_psycopg2() -> None:
    env = {"WAYFINDER_TRACKER_URL": "postgresql+psycopg://u:p%40ss@db:5432/wayfinder"}
    assert tracker_url(None, env=env) == "postgresql+psycopg2://u:p%40ss@db:5432/wayfinder"
    assert tracker_url("postgres://u@db/w", env={}) == "postgresql://u@db/w"


def test_a_conversation_is_stored_and_read_back(store: WayfinderTrackerStore) -> None:
    clock, me = Clock(), sender()
    asyncio.run(extend(store, me, [*session_start(clock), *turn(clock, "hi", "greet", "Hello!")]))
    asyncio.run(extend(store, me, turn(clock, "coding", "find_opportunity", "Here you go")))
    tracker = asyncio.run(store.retrieve(me))
    assert tracker is not None
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)] == ["hi", "coding"]
    assert len(stored(store, me)) == 11
    assert len(tracker.events) == 10  # Rasa reads from the SessionStarted on, not the action before


def test_forget_me_erases_the_stored_history_and_it_never_comes_back(
    store: WayfinderTrackerStore,
) -> None:
    clock, me, other = Clock(), sender(), sender()
    first = [
        *session_start(clock),
        *turn(clock, "coding for my son, he is 11", "find_opportunity", "Here are some"),
    ]
    asyncio.run(extend(store, me, [*first, SlotSet("age", 11.0, timestamp=clock())]))
    asyncio.run(extend(store, other, turn(Clock(), "hello", "greet", "Hi!")))
    asyncio.run(extend(store, me, turn(clock, "forget me", "forget_me", "Are you sure?")))
    assert any(event.get("text") == "coding for my son, he is 11" for event in stored(store, me))

    # The confirmed request: the action runs, says so, resets the slots, restarts; Rasa saves once.
    tracker = asyncio.run(store.retrieve(me))
    assert tracker is not None
    after_forget: list[Event] = [
        BotUttered("Done. I've deleted everything.", timestamp=clock()),
        AllSlotsReset(timestamp=clock()),
        Restarted(timestamp=clock()),
        ActionExecuted("action_listen", timestamp=clock()),
    ]
    for event in [
        UserUttered("/affirm", {"name": "affirm", "confidence": 1.0}, timestamp=clock()),
        ActionExecuted("action_forget_me", timestamp=clock()),
        *after_forget,
    ]:
        tracker.update(event)
    asyncio.run(store.save(tracker))
    kept = stored(store, me)
    assert [event["event"] for event in kept] == ["bot", "reset_slots", "restart", "action"]
    assert "son" not in json.dumps(kept) and "forget me" not in json.dumps(kept)

    asyncio.run(store.save(tracker))  # saved again from memory: still only what came after
    assert stored(store, me) == kept

    asyncio.run(extend(store, me, turn(clock, "hi again", "greet", "Hello!")))
    now = stored(store, me)
    assert now[: len(kept)] == kept
    assert [event.get("text") for event in now if event["event"] == "user"] == ["hi again"]
    assert len(now) == len(kept) + 4
    back = asyncio.run(store.retrieve(me))
    assert back is not None and back.get_slot("age") is None
    assert len(stored(store, other)) == 4  # nobody else's conversation is touched


def test_only_the_latest_session_is_loaded(store: WayfinderTrackerStore) -> None:
    clock, me = Clock(), sender()
    for day in range(3):
        asyncio.run(
            extend(store, me, [*session_start(clock), *turn(clock, f"day {day}", "greet", "Hi")])
        )
    latest = asyncio.run(store.retrieve(me))
    everything = asyncio.run(store.retrieve_full_tracker(me))
    assert latest is not None and everything is not None
    assert [e.text for e in latest.events if isinstance(e, UserUttered)] == ["day 2"]
    assert len(everything.events) == len(stored(store, me)) == 21


def test_the_statement_built_once_reads_what_rasas_query_reads(
    store: WayfinderTrackerStore,
) -> None:
    """events_of against Rasa's own _event_query, for a sender with three sessions, one with
    none and one unknown, latest session and all."""
    clock, many, none = Clock(), sender(), sender()
    for day in range(3):
        asyncio.run(
            extend(store, many, [*session_start(clock), *turn(clock, f"day {day}", "greet", "Hi")])
        )
    asyncio.run(extend(store, none, turn(clock, "no session start", "greet", "Hi")))
    events = store.SQLEvent.__table__
    with store.session_scope() as session:
        for who in (many, none, sender()):
            for all_sessions in (False, True):
                rasas = store._event_query(session, who, all_sessions)
                expected = [data for (data,) in rasas.with_entities(store.SQLEvent.data)]
                ours = session.execute(events_of(events, not all_sessions), {"sender_id": who})
                assert [data for (data,) in ours] == expected
    assert events_of(events, True) is events_of(events, True)  # built once


def test_events_are_indexed_by_sender(store: WayfinderTrackerStore) -> None:
    indexes = sa.inspect(store.engine).get_indexes("events")
    assert any(index["column_names"] == ["sender_id"] for index in indexes)


def test_last_forget_finds_only_the_forget_action() -> None:
    events: list[Event] = [ActionExecuted("action_listen"), ActionExecuted("action_forget_me")]
    assert last_forget(events) == 1
    assert last_forget([ActionExecuted("action_listen"), UserUttered("action_forget_me")]) is None


def test_a_long_session_is_compacted_keeping_slots_the_form_and_the_last_turns(
    store: WayfinderTrackerStore,
) -> None:
    clock, me = Clock(), sender()
    asyncio.run(extend(store, me, session_start(clock)))
    asyncio.run(
        extend(
            store,
            me,
            [
                *turn(clock, "my son is 11", "find_opportunity", "What is he into?"),
                SlotSet("age", 11.0, timestamp=clock()),
                ActiveLoop("search_form", timestamp=clock()),
            ],
        )
    )
    lengths = []
    turns = COMPACT_AFTER_EVENTS  # every turn adds four events: compacted several times over
    for number in range(turns):
        asyncio.run(extend(store, me, turn(clock, f"message {number}", "greet", f"reply {number}")))
        tracker = asyncio.run(store.retrieve(me))
        assert tracker is not None
        lengths.append(len(tracker.events))

    assert max(lengths) <= COMPACT_AFTER_EVENTS + 4 + 1  # bounded, never the whole conversation
    assert min(lengths[COMPACT_AFTER_EVENTS // 2 :]) < COMPACT_AFTER_EVENTS // 2
    assert tracker.get_slot("age") == 11.0
    assert tracker.active_loop_name == "search_form"
    texts = [event.text for event in tracker.events if isinstance(event, UserUttered)]
    assert texts[-KEEP_TURNS:] == [f"message {n}" for n in range(turns - KEEP_TURNS, turns)]
    first = tracker.events[0]
    assert isinstance(first, SessionStarted) and first.metadata == {COMPACTED: True}

    everything = asyncio.run(store.retrieve_full_tracker(me))
    assert everything is not None
    said = {event.text for event in everything.events if isinstance(event, UserUttered)}
    assert said >= {"my son is 11", *(f"message {n}" for n in range(turns))}  # nothing lost


def test_a_short_session_is_stored_as_it_came(store: WayfinderTrackerStore) -> None:
    clock, me = Clock(), sender()
    asyncio.run(extend(store, me, session_start(clock)))
    for number in range(KEEP_TURNS + 2):
        asyncio.run(extend(store, me, turn(clock, f"message {number}", "greet", "hi")))
    assert not any(event.get("metadata", {}).get(COMPACTED) for event in stored(store, me))


def test_a_sqlite_store_writes_ahead_without_waiting_for_the_disk(tmp_path: Path) -> None:
    made = WayfinderTrackerStore(domain=DOMAIN, host=f"sqlite:///{tmp_path / 'tracker.db'}")
    try:
        with made.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    finally:
        made.engine.dispose()


def test_a_sqlite_store_keeps_its_connections_between_replies(tmp_path: Path) -> None:
    made = WayfinderTrackerStore(domain=DOMAIN, host=f"sqlite:///{tmp_path / 'tracker.db'}")
    opened: list[object] = []
    sa.event.listen(made.engine, "connect", lambda *_: opened.append(1))
    try:
        clock, me = Clock(), sender()
        for _ in range(3):
            asyncio.run(extend(made, me, turn(clock, "hi", "greet", "Hello!")))
        assert len(opened) == 1  # one connection, reused: no reconnect and checkpoint per save
        assert (tmp_path / "tracker.db-wal").exists()  # the log stays open between replies
        assert len(stored(made, me)) == 12
    finally:
        made.engine.dispose()


class Counter:
    """Counts the SQL statements a store sends, by their first word."""

    def __init__(self, store: WayfinderTrackerStore) -> None:
        self.seen: list[str] = []
        for engine in {store.engine, store.statement_engine}:  # autocommit's on PostgreSQL
            sa.event.listen(engine, "before_cursor_execute", self.note)

    def note(self, _conn: object, _cursor: object, statement: str, *_args: object) -> None:
        self.seen.append(" ".join(statement.split()[:3]).upper())

    def count(self, prefix: str) -> int:
        return sum(1 for statement in self.seen if statement.startswith(prefix))


def test_a_new_conversation_is_written_once_with_its_first_reply(
    store: WayfinderTrackerStore,
) -> None:
    clock, me = Clock(), sender()

    async def first_message() -> DialogueStateTracker:
        tracker = await store.get_or_create_tracker(me)  # Rasa's path for a new sender
        assert stored(store, me) == []  # nothing written for the lone action_listen
        for event in [*session_start(clock), *turn(clock, "hi", "greet", "Hello!")]:
            tracker.update(event)
        await store.save(tracker)
        return tracker

    tracker = asyncio.run(first_message())
    assert [event["event"] for event in stored(store, me)][:3] == [
        "action",
        "action",
        "session_started",
    ]
    assert len(stored(store, me)) == len(tracker.events) == 8


def test_the_message_processors_empty_new_tracker_costs_no_statement(
    store: WayfinderTrackerStore,
) -> None:
    clock, me = Clock(), sender()
    counter = Counter(store)

    async def first_message() -> DialogueStateTracker:
        # Rasa's MessageProcessor.get_tracker asks for a new tracker without the action_listen.
        tracker = await store.get_or_create_tracker(me, append_action_listen=False)
        assert list(tracker.events) == []
        assert [s.split()[0] for s in counter.seen] == ["SELECT"]  # only the look-up
        for event in [*session_start(clock), *turn(clock, "hi", "greet", "Hello!")]:
            tracker.update(event)
        await store.save(tracker)
        return tracker

    tracker = asyncio.run(first_message())
    assert counter.count("SELECT COUNT") == 0
    assert len(stored(store, me)) == len(tracker.events)


def test_saving_appends_without_counting_and_twice_in_one_reply_adds_no_duplicates(
    store: WayfinderTrackerStore,
) -> None:
    clock, me = Clock(), sender()
    asyncio.run(extend(store, me, [*session_start(clock), *turn(clock, "hi", "greet", "Hello!")]))
    counter = Counter(store)

    async def reply_saved_twice() -> None:
        tracker = await store.retrieve(me)
        assert tracker is not None
        tracker.update(UserUttered("coding", {"name": "find_opportunity"}, timestamp=clock()))
        await store.save(tracker)  # as Rasa does after a session starts mid-reply
        for event in turn(clock, "more", "affirm", "Sure")[1:]:
            tracker.update(event)
        await store.save(tracker)

    asyncio.run(reply_saved_twice())
    assert counter.count("SELECT COUNT") == 0
    assert counter.count("INSERT") == 2  # one statement per save, however many events
    texts = [event.get("text") for event in stored(store, me) if event["event"] == "user"]
    assert texts == ["hi", "coding"]
    assert len(stored(store, me)) == 7 + 1 + 3  # the first reply, the message, the answer


@pytest.mark.skipif(not POSTGRES_URL, reason="needs WAYFINDER_TEST_POSTGRES_URL")
def test_on_postgresql_reads_and_saves_are_single_statements_and_forgetting_a_transaction(
    tmp_path: Path,
) -> None:
    """Each statement with whether it ran in autocommit (no BEGIN and COMMIT round trips)."""
    made = WayfinderTrackerStore(domain=DOMAIN, host=POSTGRES_URL)
    ran: list[tuple[str, bool]] = []

    def note(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "events" in statement:
            ran.append((statement.split()[0], bool(connection.connection.connection.autocommit)))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", note)
    try:
        clock, me = Clock(), sender()
        asyncio.run(extend(made, me, [*session_start(clock), *turn(clock, "hi", "greet", "Hi")]))
        asyncio.run(extend(made, me, turn(clock, "hello", "greet", "Hello")))
        assert ran and all(autocommit for _, autocommit in ran)
        assert [kind for kind, _ in ran].count("INSERT") == 2  # one per save
        ran.clear()
        tracker = asyncio.run(made.retrieve(me))
        assert tracker is not None
        tracker.update(ActionExecuted("action_forget_me", timestamp=clock()))
        tracker.update(ActionExecuted("action_listen", timestamp=clock()))
        asyncio.run(made.save(tracker))
        assert ran[-2:] == [("DELETE", False), ("INSERT", False)]
        assert [event["event"] for event in stored(made, me)] == ["action"]
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", note)
        made.engine.dispose()
        made.statement_engine.dispose()
