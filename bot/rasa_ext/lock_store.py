"""The lock store, chosen by the environment: in memory for one Rasa server, Redis for several.

Rasa handles one message per conversation at a time by taking a lock. One server keeps its locks
in memory; several servers sharing a tracker store must share their locks too, or two messages
of one conversation can be handled at once and overwrite each other's events. Set
WAYFINDER_LOCK_STORE_URL (e.g. redis://127.0.0.1:6379/1) on every server to share them in Redis.
"""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import urlsplit

from rasa.core.lock import TicketLock
from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)
URL_VARIABLE = "WAYFINDER_LOCK_STORE_URL"


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
