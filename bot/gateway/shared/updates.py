"""Telegram updates handled once, and polled by one gateway.

An update is claimed before it is handled and marked done after: a second delivery (Telegram
retrying a webhook, a load balancer retrying a request, a new poller fetching what a dead one had
not confirmed) finds it done or in hand and is dropped. A claim lives while its gateway renews it,
so an update whose gateway died mid-way can be claimed again by the next delivery. That delivery
is told so (RETRY, not NEW): a marker of every update ever claimed outlives the claim, and an
update claimed before and never marked done may have reached the assistant already, which is
asked to check (bot.gateway.core: redelivered).

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
BUSY = "busy"
GIVEN_UP = "given up"  # in memory: claimed once, not handled (its handling failed)

# KEYS: the update's claim, its claimed-once marker. ARGV: claim ms, marker s.
# 'new', 'retry' (claimed now, and claimed before), 'done' or 'busy'.
_CLAIM = """
if redis.call('SET', KEYS[1], 'busy', 'NX', 'PX', ARGV[1]) then
  if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then return 'new' end
  return 'retry'
end
if redis.call('GET', KEYS[1]) == 'done' then return 'done' end
return 'busy'
"""


class Claim(enum.Enum):
    """What a delivery of an update found."""

    NEW = "new"  # ours to handle
    RETRY = "retry"  # ours to handle, though an earlier delivery's claim died: maybe half done
    DONE = "done"  # handled already: drop it
    BUSY = "busy"  # another delivery is handling it now: drop it (or ask for a retry later)

    @property
    def ours(self) -> bool:
        """Whether this delivery handles the update."""
        return self in (Claim.NEW, Claim.RETRY)


class SeenUpdates(ABC):
    """Which Telegram updates were handled or are being handled, by update_id."""

    @asynccontextmanager
    async def handling(self, update_id: int) -> AsyncIterator[Claim]:
        """Claim the update for the block when it is NEW or RETRY (the block handles it), marking
        it done when the block ends; a block that fails gives the update up for a retry."""
        claim = await self._claim(update_id)
        if not claim.ours:
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
        if state in (DONE, BUSY):
            return Claim.DONE if state == DONE else Claim.BUSY
        self._seen[update_id] = BUSY
        while len(self._seen) > self._keep:
            self._seen.popitem(last=False)
        return Claim.NEW if state is None else Claim.RETRY

    @asynccontextmanager
    async def _kept_claimed(self, update_id: int) -> AsyncIterator[None]:
        yield  # a claim in memory lives as long as its process

    async def _done(self, update_id: int) -> None:
        self._seen[update_id] = DONE

    async def _give_up(self, update_id: int) -> None:
        if update_id in self._seen:
            self._seen[update_id] = GIVEN_UP


class RedisSeenUpdates(SeenUpdates):
    """Claims (renewed, CLAIM_S), claimed-once markers and handled marks (DONE_S) in Redis, one
    key per update (two while it is in hand or was given up)."""

    def __init__(self, redis: Redis, prefix: str, claim_s: float = CLAIM_S) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:update:"
        self._claim_s = claim_s
        self._claim_script = redis.register_script(_CLAIM)

    async def _claim(self, update_id: int) -> Claim:
        keys = [self._key(update_id), self._marker(update_id)]
        found = await self._claim_script(keys=keys, args=[int(self._claim_s * 1000), DONE_S])
        return Claim(found)

    def _kept_claimed(self, update_id: int) -> AbstractAsyncContextManager[None]:
        return renewing(self._redis, self._key(update_id), self._claim_s)

    async def _done(self, update_id: int) -> None:
        async with self._redis.pipeline(transaction=False) as both:  # one round trip
            both.set(self._key(update_id), DONE, ex=DONE_S)
            both.delete(self._marker(update_id))  # the handled mark says more
            await both.execute()

    async def _give_up(self, update_id: int) -> None:
        await self._redis.delete(self._key(update_id))  # the marker stays: a retry is told

    def _key(self, update_id: int) -> str:
        return f"{self._prefix}{update_id}"

    def _marker(self, update_id: int) -> str:
        return f"{self._prefix}{update_id}:claimed"


PollingLease = Lease  # the right to call getUpdates: one of the named leases (shared.leases)
MemoryPollingLease = MemoryLease


class RedisPollingLease(RedisLease):
    """The polling lease in Redis, under the key it has always had."""

    def __init__(self, redis: Redis, prefix: str, lease_s: float = LEASE_S) -> None:
        super().__init__(redis, prefix, "telegram:poller", lease_s)
