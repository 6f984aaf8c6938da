"""Wake-ups by topic ("outbox:<sender>", "lock:<chat>"): a process waiting for something another
one does (a web message queued, a chat's lock freed) is told at once instead of reading the
database or Redis in a loop. In memory for one process; through Redis pub/sub for several, where
each gateway listens on one pattern subscription and wakes its own waiters.

A wake is a hint, never the data: waiters re-read what they wait for, and re-check now and then
(`recheck_s`) in case a wake was lost (Redis restarting, a subscription being re-made)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
RECONNECT_S = 1.0


@dataclass
class Wake:
    """What the waiters on one topic in this process wait on, and how many they are (the last
    one out removes it: only topics someone waits for are kept)."""

    event: asyncio.Event = field(default_factory=asyncio.Event)
    waiters: int = 0

    def clear(self) -> None:
        """Forget earlier wakes: call before re-reading what is waited for."""
        self.event.clear()

    async def wait(self, timeout_s: float) -> bool:
        """Until woken (True) or `timeout_s` passed (False)."""
        try:
            await asyncio.wait_for(self.event.wait(), timeout=max(0.0, timeout_s))
        except TimeoutError:
            return False
        return True


class Wakes(ABC):
    """Wake every waiter of a topic, in this process or (with Redis) any gateway."""

    recheck_s: float  # how often a waiter re-reads anyway, in case a wake went missing

    def __init__(self) -> None:
        self._topics: dict[str, Wake] = {}

    @contextlib.asynccontextmanager
    async def listen(self, topic: str) -> AsyncIterator[Wake]:
        """Be woken for `topic` while the block runs; read what you wait for after entering, so
        that nothing published between the read and the wait is missed."""
        await self._ready()
        wake = self._topics.get(topic)
        if wake is None:
            wake = self._topics[topic] = Wake()
        wake.waiters += 1
        try:
            yield wake
        finally:
            wake.waiters -= 1
            if wake.waiters == 0:
                del self._topics[topic]

    def __len__(self) -> int:
        """How many topics have waiters in this process."""
        return len(self._topics)

    def listening(self, topic: str) -> Wake | None:
        """The wake of a topic this process waits for, if any."""
        return self._topics.get(topic)

    def wake_here(self, topic: str) -> None:
        """Wake this process's waiters of `topic`."""
        wake = self._topics.get(topic)
        if wake is not None:
            wake.event.set()

    @abstractmethod
    async def publish(self, topic: str) -> None:
        """Wake the waiters of `topic` everywhere."""

    @abstractmethod
    async def _ready(self) -> None:
        """Before the first listener: whatever the implementation needs to hear wakes."""

    @abstractmethod
    async def close(self) -> None:
        """Stop listening."""


class MemoryWakes(Wakes):
    """For one gateway process: a publish wakes its own waiters."""

    recheck_s = 1.0  # without Redis, another gateway's messages show up within a second

    async def publish(self, topic: str) -> None:
        self.wake_here(topic)

    async def _ready(self) -> None:
        """Nothing to set up: publishing and waiting share this process."""

    async def close(self) -> None:
        """Nothing to close."""


class RedisWakes(Wakes):
    """Through Redis pub/sub: PUBLISH <prefix>:wake:<topic>; each process holds one PSUBSCRIBE
    <prefix>:wake:* connection (opened with the first listener) and wakes its own waiters."""

    recheck_s = 5.0  # the database is read again only as a safety net

    def __init__(self, redis: Redis, prefix: str) -> None:
        super().__init__()
        self._redis = redis
        self._channel = f"{prefix}:wake:"
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    def channel(self, topic: str) -> str:
        """The Redis channel of a topic (scripts publish on it too)."""
        return self._channel + topic

    async def publish(self, topic: str) -> None:
        await self._redis.publish(self.channel(topic), "1")

    async def _ready(self) -> None:
        """Start the listener once, and wait (a moment at most) for its subscription."""
        if self._listener is None or self._listener.done():
            self._subscribed.clear()
            self._listener = asyncio.create_task(self._listen())
        if not self._subscribed.is_set():  # Redis away: waiters fall back to rechecking
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._subscribed.wait(), timeout=RECONNECT_S)

    async def _listen(self) -> None:
        """Wake local waiters for every message; re-subscribe after a lost connection."""
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.psubscribe(self._channel + "*")
                while True:
                    message: dict[str, Any] | None = await pubsub.get_message(timeout=None)
                    if message is None:
                        continue
                    if message["type"] == "psubscribe":
                        self._subscribed.set()
                        for topic in list(self._topics):  # wakes may have gone by meanwhile
                            self.wake_here(topic)
                    elif message["type"] == "pmessage":
                        self.wake_here(str(message["channel"]).removeprefix(self._channel))
            except (RedisError, OSError) as error:
                self._subscribed.clear()
                logger.warning("lost the Redis subscription for wake-ups: %s", error)
                await asyncio.sleep(RECONNECT_S)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
