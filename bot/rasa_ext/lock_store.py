"""The lock store, chosen by the environment: in memory for one Rasa server, Redis for several.

Rasa handles one message per conversation at a time by taking a lock. One server keeps its locks
in memory; several servers sharing a tracker store must share their locks too, or two messages
of one conversation can be handled at once and overwrite each other's events. Set
WAYFINDER_LOCK_STORE_URL (e.g. redis://127.0.0.1:6379/1) on every server to share them in Redis.

Rasa's Redis store reads a conversation's lock, changes it and writes it back as separate
commands: two servers taking a ticket at once each write the lock with only their own ticket, and
a server finishing can delete the lock just after another took a ticket on it. The capacity
benchmark (messages of one conversation sent to two servers at once) showed both: a message
failing with "Could not acquire lock" and two session starts of one learner at once. Here each
change is one Redis transaction that starts over when another server wrote the lock meanwhile.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from rasa.core.lock import TicketLock
from rasa.core.lock_store import (
    LOCK_LIFETIME,
    InMemoryLockStore,
    LockError,
    LockStore,
    RedisLockStore,
)
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)
URL_VARIABLE = "WAYFINDER_LOCK_STORE_URL"
Result = TypeVar("Result")
# A change of a conversation's lock: from the lock stored (None: none), the lock to store (None:
# delete it) and what the caller gets back.
Change = Callable[[TicketLock | None], tuple[TicketLock | None, Result]]


def redis_arguments(url: str) -> dict[str, Any]:
    """RedisLockStore's keyword arguments from redis://[user:password@]host[:port][/db]."""
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss"} or not parts.hostname:
        raise ValueError(f"{URL_VARIABLE} must look like redis://host:6379/1, not {url!r}")
    path = parts.path.strip("/")
    return {
        "host": parts.hostname,
        "port": parts.port or 6379,
        "db": int(path) if path else 1,
        "username": parts.username or None,
        "password": parts.password,
        "use_ssl": parts.scheme == "rediss",
    }


def make_lock_store(env: dict[str, str] | None = None) -> LockStore:
    """Redis when WAYFINDER_LOCK_STORE_URL is set, else Rasa's in-memory default."""
    env = dict(os.environ) if env is None else env
    url = env.get(URL_VARIABLE, "").strip()
    if not url:
        return InMemoryLockStore()
    arguments = redis_arguments(url)
    logger.info(
        "conversation locks are shared in Redis at %s:%s", arguments["host"], arguments["port"]
    )
    store = RedisLockStore(**arguments)
    store.red.ping()  # fail at start, not on the first message
    return store


class WayfinderLockStore(LockStore):
    """Delegates to the store `make_lock_store` picks (Rasa builds custom stores by class path)."""

    def __init__(self, endpoint_config: EndpointConfig | None = None) -> None:
        self.store = make_lock_store()
        super().__init__()

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """The conversation's lock, if any."""
        return self.store.get_lock(conversation_id)

    def delete_lock(self, conversation_id: str) -> None:
        """Drop the conversation's lock."""
        self.store.delete_lock(conversation_id)

    def save_lock(self, lock: TicketLock) -> None:
        """Store the lock."""
        self.store.save_lock(lock)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """A new ticket on the conversation's lock (made if missing), in one step."""

        def issue(lock: TicketLock | None) -> tuple[TicketLock | None, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self.change(conversation_id, issue)
        except Exception as error:  # as Rasa reports it: the message fails with a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        """Drop expired tickets, in one step."""

        def drop_expired(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self.change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Remove a served ticket, in one step."""
        self.change(conversation_id, lambda lock: (_without(lock, ticket_number), None))

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove a served ticket and the lock with it when nobody else waits, in one step."""

        def finish(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            lock = _without(lock, ticket_number)
            return (lock if lock is not None and lock.is_someone_waiting() else None), None

        self.change(conversation_id, finish)

    def change(self, conversation_id: str, change: Change[Result]) -> Result:
        """Read, change and write back a conversation's lock as one step. In Redis, a
        transaction watching the lock's key, run again if another server wrote it meanwhile; in
        memory (one server, one event loop), as it is."""
        store = self.store
        if not isinstance(store, RedisLockStore):
            stored = store.get_lock(conversation_id)
            lock, result = change(stored)
            if lock is not None:
                store.save_lock(lock)
            elif stored is not None:
                store.delete_lock(conversation_id)
            return result
        key = store.key_prefix + conversation_id

        def attempt(pipe: Any) -> Result:
            stored = pipe.get(key)
            lock, result = change(TicketLock.from_dict(json.loads(stored)) if stored else None)
            pipe.multi()
            if lock is not None:
                pipe.set(key, lock.dumps())
            elif stored:
                pipe.delete(key)
            return result

        changed: Result = store.red.transaction(attempt, key, value_from_callable=True)
        return changed


def _without(lock: TicketLock | None, ticket_number: int) -> TicketLock | None:
    """The lock with a ticket removed (None stays None)."""
    if lock is not None:
        lock.remove_ticket_for(ticket_number)
    return lock
