"""Telegram updates the polling gateway fetched, kept until handled, so that the gateway taking the
polling over handles what a dead one had fetched and not finished.

getUpdates confirms a batch when the next call asks for what follows it, and python-telegram-bot
makes that call as soon as the batch is queued, long before its updates are answered: Telegram
never sends them again. So each fetched update is written down (its JSON) before it is queued, and
crossed out once handled; the next poller replays what is left (bot.gateway.telegram_updates).
In memory (one gateway) nobody takes over, so nothing is kept.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable
from typing import cast

from redis.asyncio import Redis

KEEP_S = 24 * 3600  # Telegram itself keeps an update this long


class UpdateJournal(ABC):
    """Fetched, not yet handled Telegram updates (their JSON), by update_id."""

    @abstractmethod
    async def keep(self, update_id: int, update_json: str) -> None:
        """Write a fetched update down (before getUpdates can confirm it)."""

    @abstractmethod
    async def drop(self, update_id: int) -> None:
        """Cross a handled update out (when this gateway wrote it down or replays it)."""

    @abstractmethod
    async def pending(self) -> list[tuple[int, str]]:
        """The updates written down and not crossed out, oldest first; this gateway crosses them
        out once it handles them."""


class MemoryUpdateJournal(UpdateJournal):
    """One gateway polls and nobody takes over: nothing to keep."""

    async def keep(self, update_id: int, update_json: str) -> None:
        """Nothing kept."""

    async def drop(self, update_id: int) -> None:
        """Nothing kept."""

    async def pending(self) -> list[tuple[int, str]]:
        return []


class RedisUpdateJournal(UpdateJournal):
    """One Redis hash of update_id → the update's JSON, shared by every gateway."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self.key = f"{prefix}:telegram:journal"
        self._ours: set[int] = set()  # crossed out here: a webhook's updates cost no call

    async def keep(self, update_id: int, update_json: str) -> None:
        self._ours.add(update_id)
        async with self._redis.pipeline(transaction=False) as both:  # one round trip
            both.hset(self.key, str(update_id), update_json)
            both.expire(self.key, KEEP_S)
            await both.execute()

    async def drop(self, update_id: int) -> None:
        if update_id in self._ours:
            await cast(Awaitable[int], self._redis.hdel(self.key, str(update_id)))
            self._ours.discard(update_id)

    async def pending(self) -> list[tuple[int, str]]:
        found = await cast(Awaitable[dict[str, str]], self._redis.hgetall(self.key))
        kept = sorted((int(update_id), data) for update_id, data in found.items())
        self._ours.update(update_id for update_id, _ in kept)
        return kept
