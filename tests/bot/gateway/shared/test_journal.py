"""The journal of polled Telegram updates: what a poller wrote down and did not cross out is what
the next poller finds, oldest first; in memory nothing is kept (nobody takes over)."""

from __future__ import annotations

import json

from bot.gateway.shared.journal import MemoryUpdateJournal, RedisUpdateJournal
from tests.bot.gateway.conftest import Backend


def test_the_next_poller_finds_what_was_fetched_and_not_handled_oldest_first(
    on_redis: Backend,
) -> None:
    async def scenario() -> tuple[list[int], list[tuple[int, str]], list[int]]:
        a = RedisUpdateJournal(on_redis.client(), on_redis.prefix)
        b = RedisUpdateJournal(on_redis.client(), on_redis.prefix)
        for update_id in (12, 9, 10):
            await a.keep(update_id, json.dumps({"update_id": update_id}))
        await a.drop(10)  # handled by A
        await b.drop(12)  # B never wrote it down nor read it: not B's to cross out
        left = await b.pending()
        await b.drop(12)  # B replayed it
        return [update_id for update_id, _ in left], left, [i for i, _ in await a.pending()]

    ids, left, after = on_redis.run(scenario)
    assert ids == [9, 12]
    assert json.loads(left[0][1]) == {"update_id": 9}
    assert after == [9]


def test_in_memory_nothing_is_kept() -> None:
    async def scenario() -> list[tuple[int, str]]:
        journal = MemoryUpdateJournal()
        await journal.keep(1, "{}")
        return await journal.pending()

    assert Backend("memory", "unused").run(scenario) == []
