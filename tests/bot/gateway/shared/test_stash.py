"""Long button payloads: kept under a key that fits Telegram's callback data; with Redis, a
button sent by one gateway works on another after the first stopped."""

from __future__ import annotations

import asyncio

from bot.gateway.shared.stash import CALLBACK_LIMIT, MemoryPayloadStash, RedisPayloadStash
from tests.bot.gateway.conftest import Backend

LONG = '/share_location{"latitude": 41.499320, "longitude": -81.694361, "x": "padding"}'


def test_a_payload_stashed_by_one_gateway_is_found_by_another_after_the_first_closed(
    backend: Backend,
) -> None:
    async def scenario() -> tuple[str, str | None, str | None, str | None]:
        first = backend.gateway()
        key = await first.stash.data_for(LONG)
        await first.close()  # the first gateway stopped (or restarted)
        second = backend.gateway()
        short = '/opportunity_details{"ordinal": "2"}'
        assert await first.stash.data_for(short) == short  # short ones travel as they are
        return (
            key,
            await second.stash.payload_for(key),
            await second.stash.payload_for("#0123456789abcdef0123"),
            await second.stash.payload_for(short),
        )

    key, found, unknown, short = backend.run(scenario)
    assert key != LONG and key.startswith("#") and len(key.encode()) <= CALLBACK_LIMIT
    assert found == LONG and unknown is None and short is not None


def test_memory_keeps_the_newest_payloads_only() -> None:
    async def scenario() -> str | None:
        stash = MemoryPayloadStash(size=2)
        key = await stash.data_for(LONG)
        await stash.data_for(LONG + "1")
        await stash.data_for(LONG + "2")  # the oldest is dropped
        return await stash.payload_for(key)

    assert asyncio.run(scenario()) is None


def test_redis_keeps_a_payload_for_its_days_then_lets_it_go(on_redis: Backend) -> None:
    async def scenario() -> tuple[int, int]:
        client = on_redis.client()
        stash = RedisPayloadStash(client, on_redis.prefix, days=2)
        key = await stash.data_for(LONG)
        return await client.ttl(f"{on_redis.prefix}:stash:{key}"), 2 * 24 * 3600

    ttl, days = on_redis.run(scenario)
    assert days - 5 < ttl <= days
