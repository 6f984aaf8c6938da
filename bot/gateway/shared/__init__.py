"""What gateways share so that any of them can take any request: per-chat order (locks), rate
limits (buckets), long button payloads (stash), providers' guided steps, which Telegram updates
were handled and who polls Telegram (updates), the polled updates not yet handled (journal),
wake-ups for the widget's long polls (wakes), and which gateway runs what only one may run at a
time (leases: the housekeeping).

Each kind has one interface and two implementations: in this process's memory (no Redis set, as
`make run` starts one gateway) and in Redis (WAYFINDER_REDIS_URL set, for several gateways behind
a load balancer). `shared_state(settings)` picks them, at start-up, never at import.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from redis.asyncio import Redis

from bot.api.auth import Buckets, BucketsFor, memory_buckets
from bot.gateway.shared.buckets import RedisBuckets
from bot.gateway.shared.connection import redis_client
from bot.gateway.shared.journal import MemoryUpdateJournal, RedisUpdateJournal, UpdateJournal
from bot.gateway.shared.leases import LeasesFor, memory_leases, redis_leases
from bot.gateway.shared.locks import ChatLocks, MemoryChatLocks, RedisChatLocks
from bot.gateway.shared.stash import MemoryPayloadStash, PayloadStash, RedisPayloadStash
from bot.gateway.shared.steps import MemorySteps, RedisSteps, Steps
from bot.gateway.shared.updates import (
    MemoryPollingLease,
    MemorySeenUpdates,
    PollingLease,
    RedisPollingLease,
    RedisSeenUpdates,
    SeenUpdates,
)
from bot.gateway.shared.wakes import MemoryWakes, RedisWakes, Wakes

__all__ = ["SharedState", "memory_state", "redis_state", "shared_state"]


@dataclass
class SharedState:
    """One gateway's handles on the shared state (all in memory, or all on one Redis)."""

    locks: ChatLocks
    stash: PayloadStash
    steps: Steps
    updates: SeenUpdates
    lease: PollingLease
    leases: LeasesFor  # by name: one gateway at a time holds each (PollingLease is one of them)
    wakes: Wakes
    buckets: BucketsFor
    journal: UpdateJournal = field(default_factory=MemoryUpdateJournal)
    redis: Redis | None = field(default=None, repr=False)

    async def close(self) -> None:
        """Stop listening for wake-ups and close the Redis connections."""
        await self.wakes.close()
        if self.redis is not None:
            await self.redis.aclose()


def memory_state() -> SharedState:
    """Everything in this process: right for one gateway."""
    return SharedState(
        locks=MemoryChatLocks(),
        stash=MemoryPayloadStash(),
        steps=MemorySteps(),
        updates=MemorySeenUpdates(),
        lease=MemoryPollingLease(),
        leases=memory_leases,
        wakes=MemoryWakes(),
        buckets=memory_buckets,
    )


def redis_state(redis: Redis, prefix: str) -> SharedState:
    """Everything on one Redis, under `prefix`: right for any number of gateways."""
    wakes = RedisWakes(redis, prefix)

    def buckets(name: str, per_minute: int) -> Buckets:
        return RedisBuckets(redis, prefix, name, per_minute)

    return SharedState(
        locks=RedisChatLocks(redis, prefix, wakes),
        stash=RedisPayloadStash(redis, prefix),
        steps=RedisSteps(redis, prefix),
        updates=RedisSeenUpdates(redis, prefix),
        lease=RedisPollingLease(redis, prefix),
        leases=redis_leases(redis, prefix),
        wakes=wakes,
        buckets=buckets,
        journal=RedisUpdateJournal(redis, prefix),
        redis=redis,
    )


def shared_state(redis_url: str | None, prefix: str) -> SharedState:
    """Redis when WAYFINDER_REDIS_URL is set, else memory."""
    if redis_url is None:
        return memory_state()
    return redis_state(redis_client(redis_url), prefix)
