"""Redis as the gateways share it: one client per process (made at start-up from
WAYFINDER_REDIS_URL, never at import), keys under one prefix, and keys that live only while their
owner renews them (a lock holder, an update being handled, the Telegram poller), so one that dies
frees what it held within a few seconds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def redis_client(url: str) -> Redis:
    """A client for `url` (redis://, rediss:// or unix://); it connects on first use."""
    client: Redis = Redis.from_url(url, decode_responses=True, health_check_interval=30)
    return client


@contextlib.asynccontextmanager
async def renewing(redis: Redis, key: str, ttl_s: float) -> AsyncIterator[None]:
    """Keep `key` alive (its time to live reset every third of it) while the block runs: a process
    that dies stops renewing, and the key is gone `ttl_s` later."""

    async def renew() -> None:
        while True:
            await asyncio.sleep(ttl_s / 3)
            try:
                await redis.pexpire(key, int(ttl_s * 1000))
            except RedisError as error:  # the next round tries again; the key may lapse
                logger.warning("could not renew %s: %s", key, error)

    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
