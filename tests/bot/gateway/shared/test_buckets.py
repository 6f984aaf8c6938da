"""Rate limits counted once for all gateways: a client spending on A and on B spends one
allowance; checking spends nothing; an emptied bucket refills evenly."""

from __future__ import annotations

import asyncio

import pytest

from bot.api.errors import ApiError
from tests.bot.gateway.conftest import Backend


def test_a_rate_is_counted_across_two_gateways(backend: Backend) -> None:
    async def scenario() -> tuple[list[int], int, int, int]:
        a = backend.gateway().buckets("web_address", 3)  # three at once, one back every 20 s
        b = backend.gateway().buckets("web_address", 3)
        if not backend.redis:
            b = a  # one process: one set of buckets
        spent = [await a.spend("203.0.113.5"), await b.spend("203.0.113.5")]
        spent.append(await a.spend("203.0.113.5"))
        looked = await b.wait("203.0.113.5")  # looking spends nothing …
        refused = await b.spend("203.0.113.5")  # … and the fourth is refused on either
        other = await a.spend("198.51.100.7")  # another client has its own
        with pytest.raises(ApiError) as error:
            await a.take("203.0.113.5")
        assert error.value.status == 429 and error.value.headers["Retry-After"] == "20"
        return spent, looked, refused, other

    assert backend.run(scenario) == ([0, 0, 0], 20, 20, 0)


def test_an_emptied_bucket_refills_evenly(backend: Backend) -> None:
    async def scenario() -> tuple[int, int]:
        buckets = backend.gateway().buckets("api_token", 600)  # ten a second
        spent = 0
        while await buckets.spend("wf_token") == 0:
            spent += 1
        await asyncio.sleep(0.35)  # three or four come back
        back = 0
        while await buckets.spend("wf_token") == 0:
            back += 1
        return spent, back

    spent, back = backend.run(scenario)
    assert 600 <= spent <= 610 and 2 <= back <= 5


def test_a_bucket_kept_in_redis_expires_once_it_would_be_full(on_redis: Backend) -> None:
    async def scenario() -> tuple[int, list[str]]:
        buckets = on_redis.gateway().buckets("api_token", 60)
        await buckets.spend("wf_secret_token")
        client = on_redis.client()
        keys = [key async for key in client.scan_iter(match=f"{on_redis.prefix}:rate:*")]
        return await client.pttl(keys[0]), keys

    ttl_ms, keys = on_redis.run(scenario)
    assert 1000 < ttl_ms <= 2100  # one spent of 60 a minute: full again in a second
    assert len(keys) == 1 and "wf_secret_token" not in keys[0]  # the token is digested
