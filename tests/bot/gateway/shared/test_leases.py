"""Named leases: each held by one gateway at a time and independent of the others (the polling
lease among them); in memory one process always holds its own; with Redis away a holder goes on
holding and a waiter goes on waiting."""

from __future__ import annotations

import asyncio

from redis.exceptions import ConnectionError as RedisConnectionError

from bot.gateway.shared import memory_state
from bot.gateway.shared.leases import Holding, Lease, LeaseBoard, MemoryLease
from tests.bot.gateway.conftest import Backend


def test_each_named_lease_has_one_holder_of_its_own(backend: Backend) -> None:
    async def scenario() -> list[bool]:
        a, b = backend.gateway(), backend.gateway()
        return [
            await a.leases("housekeeping").hold(),
            await b.leases("housekeeping").hold(),  # A's
            await b.leases("reports").hold(),  # another name: free
            await a.leases("reports").hold(),  # B's
            await b.lease.hold(),  # the polling lease is apart from the named ones
            await a.lease.hold(),
        ]

    assert backend.run(scenario) == [True, False, True, False, True, False]


def test_a_gateway_alone_always_holds_its_leases() -> None:
    async def scenario() -> list[bool]:
        one, other = memory_state(), memory_state()  # two processes: nothing shared
        first, second = one.leases("housekeeping"), other.leases("housekeeping")
        held = [await first.hold(), await second.hold()]
        await first.let_go()
        return [*held, await first.hold(), await second.hold()]

    assert asyncio.run(scenario()) == [True] * 4


class Flaky(Lease):
    """A lease whose Redis goes away when told."""

    def __init__(self, held: bool) -> None:
        self.lease_s = 0.3
        self._held = held
        self.away = False

    async def hold(self) -> bool:
        if self.away:
            raise RedisConnectionError("Connection refused")
        return self._held

    async def let_go(self) -> None:
        if self.away:
            raise RedisConnectionError("Connection refused")


def test_with_redis_away_the_holder_goes_on_and_a_waiter_goes_on_waiting() -> None:
    async def scenario() -> list[bool]:
        holder, waiter = Flaky(held=True), Flaky(held=False)
        holding, waiting = Holding(holder, "housekeeping"), Holding(waiter, "housekeeping")
        found = [await holding.renew(), await waiting.renew()]
        holder.away = waiter.away = True
        found += [await holding.renew(), await waiting.renew()]
        await holding.stop()  # letting go fails quietly; the lease lapses on its own
        return [*found, holding.held]

    assert asyncio.run(scenario()) == [True, False, True, False, False]


def test_holding_renews_in_the_background_until_stopped() -> None:
    async def scenario() -> list[bool]:
        board = LeaseBoard()  # two gateways' handles on one lease
        mine, rival = MemoryLease(board, lease_s=0.3), MemoryLease(board, lease_s=0.3)
        holding = Holding(mine, "housekeeping")
        holding.start()
        found = []
        for _ in range(4):  # 1.2 s, four leases: renewed every 0.1 s
            await asyncio.sleep(0.3)
            found.append(await rival.hold())
        await holding.stop()
        found.append(await rival.hold())  # let go: the rival takes it at once
        return found

    assert asyncio.run(scenario()) == [False] * 4 + [True]
