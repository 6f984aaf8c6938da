"""Button payloads too long for Telegram's 64 bytes of callback data, kept under a short key
(a hash of the payload) until the button is tapped: in memory (the newest 10,000; a restart
forgets them), or in Redis for STASH_DAYS, where every gateway finds them and a button from before
a restart still works."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections import OrderedDict

from redis.asyncio import Redis

CALLBACK_LIMIT = 64  # bytes of callback_data, per Telegram's Bot API
STASHED = "#"  # callback data that names a stashed payload
STASH_DAYS = 30  # a button older than this says it is out of date


class PayloadStash(ABC):
    """Callback data for payloads, and payloads for callback data."""

    async def data_for(self, payload: str) -> str:
        """Callback data for a payload: itself when it fits, else a key to it."""
        if len(payload.encode()) <= CALLBACK_LIMIT:
            return payload
        key = STASHED + hashlib.sha256(payload.encode()).hexdigest()[:20]
        await self._keep(key, payload)
        return key

    async def payload_for(self, data: str) -> str | None:
        """The payload behind callback data; None when a stashed one is gone."""
        if not data.startswith(STASHED):
            return data
        return await self._find(data)

    @abstractmethod
    async def _keep(self, key: str, payload: str) -> None:
        """Keep a payload under its key."""

    @abstractmethod
    async def _find(self, key: str) -> str | None:
        """The payload kept under a key, if still kept."""


class MemoryPayloadStash(PayloadStash):
    """The newest `size` payloads, in this process."""

    def __init__(self, size: int = 10_000) -> None:
        self._items: OrderedDict[str, str] = OrderedDict()
        self._size = size

    async def _keep(self, key: str, payload: str) -> None:
        self._items[key] = payload
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    async def _find(self, key: str) -> str | None:
        return self._items.get(key)


class RedisPayloadStash(PayloadStash):
    """Payloads in Redis for `days` after they were last sent, for every gateway."""

    def __init__(self, redis: Redis, prefix: str, days: int = STASH_DAYS) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:stash:"
        self._ttl_s = days * 24 * 3600

    async def _keep(self, key: str, payload: str) -> None:
        await self._redis.set(self._prefix + key, payload, ex=self._ttl_s)

    async def _find(self, key: str) -> str | None:
        found = await self._redis.get(self._prefix + key)
        return None if found is None else str(found)
