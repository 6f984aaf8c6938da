"""Telegram updates across gateways: each handled once however often it is delivered, one in
hand elsewhere dropped, one whose gateway died taken again and said to be (RETRY: it may have
reached the assistant); one poller holding the lease and another taking over when it stops
renewing."""

from __future__ import annotations

import asyncio

import pytest

from bot.gateway.shared.leases import LeaseBoard
from bot.gateway.shared.updates import (
    Claim,
    MemoryPollingLease,
    PollingLease,
    RedisPollingLease,
    RedisSeenUpdates,
)
from tests.bot.gateway.conftest import Backend


def test_an_update_delivered_to_two_gateways_is_handled_once(backend: Backend) -> None:
    async def scenario() -> list[Claim]:
        a, b = backend.gateway().updates, backend.gateway().updates
        found = []
        async with a.handling(1001) as first:
            found.append(first)
            async with b.handling(1001) as meanwhile:  # Telegram retried while A handles it
                found.append(meanwhile)
        async with b.handling(1001) as later:  # delivered again after A finished
            found.append(later)
        async with b.handling(1002) as other:
            found.append(other)
        return found

    assert backend.run(scenario) == [Claim.NEW, Claim.BUSY, Claim.DONE, Claim.NEW]


def test_an_update_whose_handling_failed_is_handled_again_as_a_retry(backend: Backend) -> None:
    async def scenario() -> list[Claim]:
        a, b = backend.gateway().updates, backend.gateway().updates
        found = []
        with pytest.raises(RuntimeError):
            async with a.handling(7) as first:
                found.append(first)
                raise RuntimeError("Rasa fell over")
        async with b.handling(7) as again:  # it may have reached Rasa before failing
            found.append(again)
        async with b.handling(7) as after:
            found.append(after)
        return found

    assert backend.run(scenario) == [Claim.NEW, Claim.RETRY, Claim.DONE]


def test_a_claim_lives_while_renewed_and_lapses_when_its_gateway_died(on_redis: Backend) -> None:
    async def scenario() -> list[Claim]:
        a = RedisSeenUpdates(on_redis.client(), on_redis.prefix, claim_s=0.3)
        b = RedisSeenUpdates(on_redis.client(), on_redis.prefix, claim_s=0.3)
        found = []
        async with a.handling(5):
            await asyncio.sleep(0.7)  # longer than the claim: renewed meanwhile
            async with b.handling(5) as busy:
                found.append(busy)
        # A gateway killed mid-update: its claim taken, never renewed nor marked done.
        found.append(await a._claim(6))
        async with b.handling(6) as still:
            found.append(still)
        await asyncio.sleep(0.5)
        async with b.handling(6) as lapsed:  # taken again, and told it may be half done
            found.append(lapsed)
        async with b.handling(6) as after:
            found.append(after)
        return found

    assert on_redis.run(scenario) == [
        Claim.BUSY,
        Claim.NEW,
        Claim.BUSY,
        Claim.RETRY,
        Claim.DONE,
    ]


def test_a_handled_update_leaves_one_key_and_a_retry_needs_its_marker(on_redis: Backend) -> None:
    async def scenario() -> tuple[list[str], Claim]:
        redis = on_redis.client()
        a = RedisSeenUpdates(redis, on_redis.prefix)
        async with a.handling(8):
            pass
        keys = sorted(await redis.keys(f"{on_redis.prefix}:update:*"))
        # A claim that lapsed before its marker was written (killed in between): nothing done yet.
        await redis.set(f"{on_redis.prefix}:update:9", "busy", px=50)
        await asyncio.sleep(0.1)
        async with a.handling(9) as fresh:
            return keys, fresh

    keys, fresh = on_redis.run(scenario)
    assert keys == [f"{on_redis.prefix}:update:8"]  # the handled mark only: the marker went
    assert fresh is Claim.NEW


def _leases(backend: Backend, lease_s: float) -> tuple[PollingLease, PollingLease]:
    """Two gateways' handles on the polling lease."""
    if backend.redis:
        return (
            RedisPollingLease(backend.client(), backend.prefix, lease_s),
            RedisPollingLease(backend.client(), backend.prefix, lease_s),
        )
    board = LeaseBoard()
    return MemoryPollingLease(board, lease_s), MemoryPollingLease(board, lease_s)


def test_one_poller_holds_the_lease_and_another_takes_over_when_it_stops_renewing(
    backend: Backend,
) -> None:
    async def scenario() -> list[tuple[bool, bool]]:
        a, b = _leases(backend, 0.5)
        rounds = []
        for _ in range(4):  # A renews every 0.2 s for 0.8 s: B never gets it
            rounds.append((await a.hold(), await b.hold()))
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.6)  # A died: no renewal for longer than the lease
        rounds.append((await b.hold(), await a.hold()))
        await b.let_go()  # B stops cleanly: A takes over at once
        rounds.append((await a.hold(), await b.hold()))
        return rounds

    assert backend.run(scenario) == [(True, False)] * 4 + [(True, False), (True, False)]
