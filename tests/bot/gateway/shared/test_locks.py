"""Per-chat locks: one chat's messages in order, other chats alongside, no lock kept for a chat
that went quiet; with Redis, the order holds across gateways and a dead holder frees the chat."""

from __future__ import annotations

import asyncio
import time

from redis.asyncio import Redis

from bot.gateway.shared.locks import MemoryChatLocks, RedisChatLocks
from bot.gateway.shared.wakes import RedisWakes
from tests.bot.gateway.conftest import Backend


def test_locks_of_quiet_chats_are_dropped_however_many_chats_there_were() -> None:
    async def scenario() -> list[int]:
        locks = MemoryChatLocks()
        release = asyncio.Event()
        kept = []

        async def message(chat_id: int) -> None:
            async with locks.hold(f"chat:{chat_id}"):
                await release.wait()

        for batch in range(20):  # 20,000 chats, 1,000 of them busy at a time
            busy = [asyncio.create_task(message(batch * 1000 + n)) for n in range(1000)]
            await asyncio.sleep(0)
            kept.append(len(locks))
            release.set()
            await asyncio.gather(*busy)
            release.clear()
        kept.append(len(locks))
        return kept

    assert asyncio.run(scenario()) == [1000] * 20 + [0]


def test_a_chats_messages_wait_their_turn_while_other_chats_go_on() -> None:
    async def scenario() -> list[str]:
        locks = MemoryChatLocks()
        log: list[str] = []
        go = {name: asyncio.Event() for name in ("first", "second", "third", "other")}

        async def message(chat: str, name: str) -> None:
            async with locks.hold(chat):
                log.append(f"{name} starts")
                await go[name].wait()
                log.append(f"{name} ends")

        first = asyncio.create_task(message("chat:7", "first"))
        second = asyncio.create_task(message("chat:7", "second"))
        other = asyncio.create_task(message("chat:8", "other"))
        await asyncio.sleep(0.01)
        assert log == ["first starts", "other starts"]  # the other chat is not held up
        go["first"].set()
        await asyncio.sleep(0.01)
        # The lock has passed to the second message: a third arriving now queues behind it.
        third = asyncio.create_task(message("chat:7", "third"))
        await asyncio.sleep(0.01)
        go["second"].set()
        go["third"].set()
        go["other"].set()
        await asyncio.gather(first, second, third, other)
        assert len(locks) == 0
        return [line for line in log if "other" not in line]

    assert asyncio.run(scenario()) == [
        "first starts",
        "first ends",
        "second starts",
        "second ends",
        "third starts",
        "third ends",
    ]


def test_two_gateways_take_a_chats_messages_in_arrival_order_one_at_a_time(
    backend: Backend,
) -> None:
    async def scenario() -> tuple[list[int], int, float]:
        gateways = [backend.gateway().locks, backend.gateway().locks]
        order: list[int] = []
        holding = [0, 0]  # now, most at once

        async def message(number: int) -> None:
            async with gateways[number % 2].hold("chat:42"):  # alternately on A and B
                holding[0] += 1
                holding[1] = max(holding)
                order.append(number)
                await asyncio.sleep(0.02)  # the assistant thinks
                holding[0] -= 1

        started = time.perf_counter()
        tasks = []
        for number in range(8):
            tasks.append(asyncio.create_task(message(number)))
            await asyncio.sleep(0.005)  # each arrives after the one before
        await asyncio.gather(*tasks)
        return order, holding[1], time.perf_counter() - started

    order, most, took = backend.run(scenario)
    assert order == list(range(8)) and most == 1
    # Handed on when released (pub/sub), not at the next 0.5 s re-check: 8 turns of 20 ms.
    assert took < 1.0


def test_a_holder_that_died_frees_the_chat_once_its_liveness_lapses(on_redis: Backend) -> None:
    backend = on_redis

    async def scenario() -> float:
        dead, alive = backend.client(), backend.client()
        queue = f"{backend.prefix}:lock:chat:9"
        # What a gateway killed while holding the chat leaves: its entry, its liveness running out.
        await dead.zadd(queue, {"dead-token": 0})
        await dead.set(f"{queue}:live:dead-token", "1", px=600)
        locks = RedisChatLocks(
            alive, backend.prefix, RedisWakes(alive, backend.prefix), live_s=5, poll_s=0.1
        )
        started = time.perf_counter()
        async with locks.hold("chat:9"):
            waited = time.perf_counter() - started
        assert await alive.exists(queue) == 0  # nothing left behind
        return waited

    waited = backend.run(scenario)
    assert 0.4 < waited < 2.0  # not before the dead holder's liveness ran out, nor forever


def test_a_message_cancelled_while_waiting_leaves_nothing_behind(backend: Backend) -> None:
    async def scenario() -> tuple[int, int]:
        locks = backend.gateway().locks
        other = backend.gateway().locks
        release = asyncio.Event()

        async def message(on: object) -> None:
            assert isinstance(on, MemoryChatLocks | RedisChatLocks)
            async with on.hold("chat:7"):
                await release.wait()

        holding = asyncio.create_task(message(locks))
        await asyncio.sleep(0.05)
        waiting = asyncio.create_task(message(other))  # on the other gateway
        await asyncio.sleep(0.05)
        waiting.cancel()  # the update was dropped while it queued
        await asyncio.gather(waiting, return_exceptions=True)
        release.set()
        await holding
        left = 0
        if backend.redis:
            redis: Redis = backend.client()
            left = len(
                [key async for key in redis.scan_iter(match=f"{backend.prefix}:lock:chat:*")]
            )
        assert isinstance(locks, MemoryChatLocks | RedisChatLocks)
        return len(locks), left

    assert backend.run(scenario) == (0, 0)
