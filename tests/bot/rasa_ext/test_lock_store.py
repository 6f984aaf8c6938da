"""A conversation's lock is changed in one step, whichever servers change it at once
(bot/rasa_ext/lock_store.py): no ticket is lost, no lock deleted under a waiting ticket."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LockStore, RedisLockStore

from bot.rasa_ext.lock_store import WayfinderLockStore, make_lock_store

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def servers(local_redis: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[LockStore]]:
    """Two Rasa servers' lock stores on one Redis."""
    monkeypatch.setenv("WAYFINDER_LOCK_STORE_URL", REDIS_URL)
    yield [WayfinderLockStore(), WayfinderLockStore()]


def conversation() -> str:
    return f"lock-test-{uuid.uuid4().hex}"


def meanwhile(
    monkeypatch: pytest.MonkeyPatch, method: str, other: Callable[[], object]
) -> list[object]:
    """The first time any server's TicketLock.<method> runs (between its read of the lock and
    its write), `other` runs: another server changing the same lock at that moment."""
    original: Any = getattr(TicketLock, method)
    done: list[object] = []
    started: list[bool] = []

    def racing(self: TicketLock, *args: Any) -> Any:
        if not started:
            started.append(True)
            done.append(other())
        return original(self, *args)

    monkeypatch.setattr(TicketLock, method, racing)
    return done


def test_two_servers_taking_tickets_at_once_both_keep_theirs(
    servers: list[LockStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    mine, theirs = servers
    talk = conversation()
    taken = meanwhile(monkeypatch, "issue_ticket", lambda: theirs.issue_ticket(talk))
    ticket = mine.issue_ticket(talk)
    lock = theirs.get_lock(talk)
    assert lock is not None and sorted(t.number for t in lock.tickets) == sorted([*taken, ticket])
    assert lock.is_locked(ticket)  # theirs came first: mine waits for it
    mine.cleanup(talk, ticket)
    theirs.cleanup(talk, int(str(taken[0])))
    assert mine.get_lock(talk) is None


def test_finishing_never_deletes_a_lock_another_server_just_took_a_ticket_on(
    servers: list[LockStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    mine, theirs = servers
    talk = conversation()
    ticket = mine.issue_ticket(talk)
    taken = meanwhile(monkeypatch, "is_someone_waiting", lambda: theirs.issue_ticket(talk))
    mine.cleanup(talk, ticket)
    lock = theirs.get_lock(talk)
    assert lock is not None and [t.number for t in lock.tickets] == taken
    assert not lock.is_locked(int(str(taken[0])))  # theirs is served next
    theirs.cleanup(talk, int(str(taken[0])))
    assert theirs.get_lock(talk) is None


def test_rasas_own_redis_store_loses_the_ticket(
    local_redis: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why the steps are ours: Rasa's store reads and writes the lock in separate commands."""
    mine, theirs = (make_lock_store({"WAYFINDER_LOCK_STORE_URL": REDIS_URL}) for _ in range(2))
    assert isinstance(mine, RedisLockStore)
    talk = conversation()
    taken = meanwhile(monkeypatch, "issue_ticket", lambda: theirs.issue_ticket(talk))
    ticket = mine.issue_ticket(talk)
    lock = theirs.get_lock(talk)
    assert lock is not None and [t.number for t in lock.tickets] == [ticket] == taken  # one lost
    mine.delete_lock(talk)


def test_in_memory_locks_behave_as_rasas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WAYFINDER_LOCK_STORE_URL", raising=False)
    store, talk = WayfinderLockStore(), conversation()
    first, second = store.issue_ticket(talk), store.issue_ticket(talk)
    lock = store.get_lock(talk)
    assert lock is not None and not lock.is_locked(first) and lock.is_locked(second)
    store.cleanup(talk, first)
    lock = store.get_lock(talk)
    assert lock is not None and not lock.is_locked(second)
    store.update_lock(talk)
    store.cleanup(talk, second)
    assert store.get_lock(talk) is None
