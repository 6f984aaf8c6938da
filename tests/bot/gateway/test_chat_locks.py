"""Per-chat locks: one chat's messages in order, other chats alongside, and no lock kept for a
chat that went quiet."""

from __future__ import annotations

import asyncio

from bot.gateway.chat_locks import ChatLocks


def test_locks_of_quiet_chats_are_dropped_however_many_chats_there_were() -> None:
    async def scenario() -> list[int]:
        locks = ChatLocks()
        release = asyncio.Event()
        kept = []

        async def message(chat_id: int) -> None:
            async with locks.hold(chat_id):
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
        locks = ChatLocks()
        log: list[str] = []
        go = {name: asyncio.Event() for name in ("first", "second", "third", "other")}

        async def message(chat_id: int, name: str) -> None:
            async with locks.hold(chat_id):
                log.append(f"{name} starts")
                await go[name].wait()
                log.append(f"{name} ends")

        first = asyncio.create_task(message(7, "first"))
        second = asyncio.create_task(message(7, "second"))
        other = asyncio.create_task(message(8, "other"))
        await asyncio.sleep(0.01)
        assert log == ["first starts", "other starts"]  # the other chat is not held up
        go["first"].set()
        await asyncio.sleep(0.01)
        # The lock has passed to the second message: a third arriving now queues behind it,
        # not on a fresh lock of its own.
        third = asyncio.create_task(message(7, "third"))
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


def test_a_message_cancelled_while_waiting_leaves_no_lock_behind() -> None:
    async def scenario() -> int:
        locks = ChatLocks()
        release = asyncio.Event()

        async def message() -> None:
            async with locks.hold(7):
                await release.wait()

        holding = asyncio.create_task(message())
        waiting = asyncio.create_task(message())
        await asyncio.sleep(0.01)
        waiting.cancel()  # the update was dropped while it queued
        await asyncio.gather(waiting, return_exceptions=True)
        release.set()
        await holding
        return len(locks)

    assert asyncio.run(scenario()) == 0
