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
change is one Lua script that Redis runs whole (CHANGE_LOCK): no other command runs between its
read and its write, and a message takes three round trips to Redis (a ticket, a look at the
lock, the cleanup) where Rasa's store took five and a WATCH transaction per change eight, each
blocking Rasa's event loop. The lock is stored as Rasa's TicketLock writes it.
"""

from __future__ import annotations

import logging
import os
import time
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


# One change of a conversation's lock, run by Redis as one step. KEYS[1]: the lock's key; ARGV:
# the change (issue, update, finish, cleanup), the time now (s), the conversation id, and the
# ticket's lifetime (issue) or number (finish, cleanup). Every change first drops the expired
# tickets, as TicketLock does; the lock is kept as TicketLock.dumps() writes it (its tickets
# JSON within JSON) so that Rasa's own get_lock reads it. Returns the ticket issued, else -1.
CHANGE_LOCK = """
local change, now, conversation = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local stored = redis.call('GET', KEYS[1])
if not stored and change ~= 'issue' then return -1 end
local tickets = {}
if stored then
  local lock = cjson.decode(stored)
  for _, dumped in ipairs(lock['tickets'] or {}) do
    local ticket = cjson.decode(dumped)
    if ticket['expires'] >= now then tickets[#tickets + 1] = ticket end
  end
end
local issued = -1
if change == 'issue' then
  local last = -1
  if #tickets > 0 then last = tickets[#tickets]['number'] end
  issued = last + 1
  tickets[#tickets + 1] = {number = issued, expires = now + tonumber(ARGV[4])}
elseif change == 'finish' or change == 'cleanup' then
  for i, ticket in ipairs(tickets) do
    if ticket['number'] == tonumber(ARGV[4]) then
      table.remove(tickets, i)
      break
    end
  end
end
if change == 'cleanup' and #tickets == 0 then
  redis.call('DEL', KEYS[1])
  return issued
end
local dumped = {}
for i, ticket in ipairs(tickets) do dumped[i] = cjson.encode(ticket) end
redis.call('SET', KEYS[1], cjson.encode({conversation_id = conversation, tickets = dumped}))
return issued
"""


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
        self.script = (
            self.store.red.register_script(CHANGE_LOCK)
            if isinstance(self.store, RedisLockStore)
            else None
        )
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
            if self.script is not None:
                return self._run("issue", conversation_id, lock_lifetime)
            return self.change(conversation_id, issue)
        except Exception as error:  # as Rasa reports it: the message fails with a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        """Drop expired tickets, in one step."""

        def drop_expired(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        if self.script is not None:
            self._run("update", conversation_id)
        else:
            self.change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Remove a served ticket, in one step."""
        if self.script is not None:
            self._run("finish", conversation_id, ticket_number)
        else:
            self.change(conversation_id, lambda lock: (_without(lock, ticket_number), None))

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove a served ticket and the lock with it when nobody else waits, in one step."""

        def finish(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            lock = _without(lock, ticket_number)
            return (lock if lock is not None and lock.is_someone_waiting() else None), None

        if self.script is not None:
            self._run("cleanup", conversation_id, ticket_number)
        else:
            self.change(conversation_id, finish)

    def _run(self, operation: str, conversation_id: str, argument: float = 0) -> int:
        """CHANGE_LOCK on the conversation's lock in Redis (one round trip): the ticket issued,
        else -1."""
        assert self.script is not None and isinstance(self.store, RedisLockStore)
        key = self.store.key_prefix + conversation_id
        arguments = [operation, repr(time.time()), conversation_id, repr(argument)]
        return int(self.script(keys=[key], args=arguments))

    def change(self, conversation_id: str, change: Change[Result]) -> Result:
        """Read, change and write back a conversation's lock held in memory (one server, one
        event loop: nothing runs between the read and the write)."""
        store = self.store
        stored = store.get_lock(conversation_id)
        lock, result = change(stored)
        if lock is not None:
            store.save_lock(lock)
        elif stored is not None:
            store.delete_lock(conversation_id)
        return result


def _without(lock: TicketLock | None, ticket_number: int) -> TicketLock | None:
    """The lock with a ticket removed (None stays None)."""
    if lock is not None:
        lock.remove_ticket_for(ticket_number)
    return lock
