"""A conversation's lock is changed in one step, whichever servers change it at once
(bot/rasa_ext/lock_store.py): no ticket is lost, no lock deleted under a waiting ticket."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
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


def test_many_tickets_taken_at_once_by_two_servers_are_all_kept_in_order(
    servers: list[LockStore],
) -> None:
    """Forty threads on two servers take tickets on one conversation at once: forty different
    numbers, each in the lock, served in the order issued, and the lock gone after the last."""
    talk = conversation()
    with ThreadPoolExecutor(max_workers=40) as pool:
        tickets = list(pool.map(lambda n: servers[n % 2].issue_ticket(talk), range(40)))
    assert sorted(tickets) == list(range(40))
    lock = servers[0].get_lock(talk)
    assert lock is not None and [t.number for t in lock.tickets] == list(range(40))
    for number in range(40):
        lock = servers[number % 2].get_lock(talk)
        assert lock is not None and not lock.is_locked(number)  # its turn, after the ones before
        servers[number % 2].cleanup(talk, number)
    assert servers[1].get_lock(talk) is None


def test_finishing_never_deletes_a_lock_another_server_took_a_ticket_on(
    servers: list[LockStore],
) -> None:
    mine, theirs = servers
    talk = conversation()
    ticket = mine.issue_ticket(talk)
    taken = theirs.issue_ticket(talk)
    mine.finish_serving(talk, ticket)
    mine.cleanup(talk, ticket)
    lock = theirs.get_lock(talk)
    assert lock is not None and [t.number for t in lock.tickets] == [taken]
    assert not lock.is_locked(taken)  # theirs is served next
    theirs.update_lock(talk)
    theirs.cleanup(talk, taken)
    assert theirs.get_lock(talk) is None


def test_the_lock_is_kept_as_rasas_own_store_keeps_it(servers: list[LockStore]) -> None:
    """Rasa's RedisLockStore reads what ours writes and ours continues what Rasa's wrote, and
    expired tickets are dropped by every change, as TicketLock drops them."""
    ours = servers[0]
    rasas = make_lock_store({"WAYFINDER_LOCK_STORE_URL": REDIS_URL})
    talk = conversation()
    first = ours.issue_ticket(talk, lock_lifetime=60)
    read = rasas.get_lock(talk)
    assert read is not None and read.conversation_id == talk
    (ticket,) = read.tickets
    assert ticket.number == first == 0 and 55 < ticket.expires - time.time() <= 60
    read.issue_ticket(60)
    rasas.save_lock(read)  # Rasa's own write: tickets 0 and 1
    assert ours.issue_ticket(talk) == 2
    expired = rasas.get_lock(talk)
    assert expired is not None
    expired.tickets[0].expires = time.time() - 1  # ticket 0's holder died
    rasas.save_lock(expired)
    ours.update_lock(talk)
    kept = rasas.get_lock(talk)
    assert kept is not None and [t.number for t in kept.tickets] == [1, 2]
    ours.cleanup(talk, 1)
    ours.cleanup(talk, 2)
    assert rasas.get_lock(talk) is None
    ours.update_lock(talk)  # on no lock: nothing made
    ours.finish_serving(talk, 7)
    assert rasas.get_lock(talk) is None


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
