"""Telegram updates handled once, and polled by one gateway.

An update is claimed before it is handled and marked done after: a second delivery (Telegram
retrying a webhook, a load balancer retrying a request, a new poller fetching what a dead one had
not confirmed) finds it done or in hand and is dropped. A claim lives while its gateway renews it,
so an update whose gateway died mid-way can be claimed again by the next delivery.

Only one gateway may call getUpdates (Telegram refuses a second caller): the one holding the
polling lease, which it renews every few seconds; when it stops renewing (it died), another takes
over. Webhook mode needs no lease: any gateway may receive an update."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from redis.asyncio import Redis

from bot.gateway.shared.connection import renewing
from bot.gateway.shared.leases import Lease, MemoryLease, RedisLease

CLAIM_S = 5.0  # an update whose gateway stops renewing its claim may be claimed again after this
DONE_S = 24 * 3600  # handled updates are remembered this long (Telegram keeps them for a day)
LEASE_S = 15.0  # longer than CLAIM_S: a new poller finds the dead one's claims lapsed
KEEP_SEEN = 100_000  # updates remembered in memory

DONE = "done"


class Claim(enum.Enum):
    """What a delivery of an update found."""

    NEW = "new"  # ours to handle
    DONE = "done"  # handled already: drop it
    BUSY = "busy"  # another delivery is handling it now: drop it (or ask for a retry later)


class SeenUpdates(ABC):
    """Which Telegram updates were handled or are being handled, by update_id."""

    @asynccontextmanager
    async def handling(self, update_id: int) -> AsyncIterator[Claim]:
        """Claim the update for the block when it is NEW (the block handles it), marking it done
        when the block ends; a block that fails gives the update up for a retry."""
        claim = await self._claim(update_id)
        if claim is not Claim.NEW:
            yield claim
            return
        try:
            async with self._kept_claimed(update_id):
                yield claim
        except BaseException:
            await self._give_up(update_id)
            raise
        await self._done(update_id)

    @abstractmethod
    async def _claim(self, update_id: int) -> Claim:
        """Claim the update if nobody handled or handles it."""

    @abstractmethod
    def _kept_claimed(self, update_id: int) -> AbstractAsyncContextManager[None]:
        """Keep our claim alive while the update is handled."""

    @abstractmethod
    async def _done(self, update_id: int) -> None:
        """Mark the update handled."""

    @abstractmethod
    async def _give_up(self, update_id: int) -> None:
        """Drop our claim: a later delivery may handle the update."""


class MemorySeenUpdates(SeenUpdates):
    """The newest KEEP_SEEN updates of this process."""

    def __init__(self, keep: int = KEEP_SEEN) -> None:
        self._seen: OrderedDict[int, str] = OrderedDict()
        self._keep = keep

    async def _claim(self, update_id: int) -> Claim:
        state = self._seen.get(update_id)
        if state is not None:
            return Claim.DONE if state == DONE else Claim.BUSY
        self._seen[update_id] = "busy"
        while len(self._seen) > self._keep:
            self._seen.popitem(last=False)
        return Claim.NEW

    @asynccontextmanager
    async def _kept_claimed(self, update_id: int) -> AsyncIterator[None]:
        yield  # a claim in memory lives as long as its process

    async def _done(self, update_id: int) -> None:
        self._seen[update_id] = DONE

    async def _give_up(self, update_id: int) -> None:
        self._seen.pop(update_id, None)


class RedisSeenUpdates(SeenUpdates):
    """Claims (renewed, CLAIM_S) and handled marks (DONE_S) in Redis, one key per update."""

    def __init__(self, redis: Redis, prefix: str, claim_s: float = CLAIM_S) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:update:"
        self._claim_s = claim_s

    async def _claim(self, update_id: int) -> Claim:
        key = self._key(update_id)
        if await self._redis.set(key, "busy", nx=True, px=int(self._claim_s * 1000)):
            return Claim.NEW
        return Claim.DONE if await self._redis.get(key) == DONE else Claim.BUSY

    def _kept_claimed(self, update_id: int) -> AbstractAsyncContextManager[None]:
        return renewing(self._redis, self._key(update_id), self._claim_s)

    async def _done(self, update_id: int) -> None:
        await self._redis.set(self._key(update_id), DONE, ex=DONE_S)

    async def _give_up(self, update_id: int) -> None:
        await self._redis.delete(self._key(update_id))

    def _key(self, update_id: int) -> str:
        return f"{self._prefix}{update_id}"


PollingLease = Lease  # the right to call getUpdates: one of the named leases (shared.leases)
MemoryPollingLease = MemoryLease


class RedisPollingLease(RedisLease):
    """The polling lease in Redis, under the key it has always had."""

    def __init__(self, redis: Redis, prefix: str, lease_s: float = LEASE_S) -> None:
        super().__init__(redis, prefix, "telegram:poller", lease_s)
