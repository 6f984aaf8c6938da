"""One lock per chat (or per member), so that one chat's messages are handled one at a time and
in order while other chats go on, in this gateway (memory) or across every gateway (Redis).

In memory a lock is kept only while someone holds or waits for it, so chats that went quiet cost
nothing however many there were. With Redis each chat has a queue (a sorted set of tickets, first
come first served); every entry is backed by a liveness key its process renews, so a gateway that
dies while holding or waiting is dropped from the queue a few seconds later instead of blocking
the chat forever. A process lines its own messages up in memory first, so only one of them at a
time waits in Redis."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.gateway.shared.connection import renewing
from bot.gateway.shared.wakes import RedisWakes, Wake

logger = logging.getLogger(__name__)

LIVE_S = 10.0  # a holder or waiter that stops renewing is dropped after this long
QUEUE_IDLE_S = 3600  # a chat's queue left with only dead entries is deleted after this long

# KEYS: queue, ticket counter, our liveness key. ARGV: token, liveness ms, queue idle ms.
_JOIN = """
local ticket = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], ticket, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('SET', KEYS[3], '1', 'PX', ARGV[2])
return ticket
"""
# Our turn? 1 yes, 0 not yet, -1 we were dropped (we stalled past our liveness). Renews our
# liveness and drops dead entries ahead of us. KEYS: queue. ARGV: token, liveness ms, key prefix.
_TURN = """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return -1 end
redis.call('SET', ARGV[3] .. ARGV[1], '1', 'PX', ARGV[2])
while true do
  local head = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
  if head == ARGV[1] then return 1 end
  if redis.call('EXISTS', ARGV[3] .. head) == 1 then return 0 end
  redis.call('ZREM', KEYS[1], head)
end
"""
# KEYS: queue, our liveness key. ARGV: token, the channel that wakes the chat's waiters.
_LEAVE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
if redis.call('ZCARD', KEYS[1]) > 0 then redis.call('PUBLISH', ARGV[2], '1') end
return 1
"""


class ChatLocks(ABC):
    """Per-key locks ("chat:42", "member:7"): one holder at a time, waiters first come first
    served."""

    @abstractmethod
    def hold(self, key: str) -> AbstractAsyncContextManager[None]:
        """Wait for the key's earlier holders, then hold it for the block."""


@dataclass
class _Held:
    """A key's lock and how many hold or wait for it (the last one out drops it)."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class MemoryChatLocks(ChatLocks):
    """Locks for one process's event loop, kept for busy keys only."""

    def __init__(self) -> None:
        self._held: dict[str, _Held] = {}

    def __len__(self) -> int:
        """How many keys have a lock now: those held or waited for."""
        return len(self._held)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        held = self._held.get(key)
        if held is None:
            held = self._held[key] = _Held()
        held.users += 1
        try:
            async with held.lock:  # asyncio.Lock wakes its waiters first come, first served
                yield
        finally:  # done, failed or cancelled while waiting: the last one out removes it
            held.users -= 1
            if held.users == 0:
                del self._held[key]


class RedisChatLocks(ChatLocks):
    """Locks shared by every gateway on one Redis: a queue per key, woken by pub/sub when the
    holder leaves, re-checked every `poll_s` (to notice a holder that died)."""

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        wakes: RedisWakes,
        live_s: float = LIVE_S,
        poll_s: float = 0.5,
    ) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:lock:"
        self._wakes = wakes
        self._live_ms = int(live_s * 1000)
        self._live_s = live_s
        self._poll_s = poll_s
        self._here = MemoryChatLocks()
        self._join = redis.register_script(_JOIN)
        self._turn = redis.register_script(_TURN)
        self._leave = redis.register_script(_LEAVE)

    def __len__(self) -> int:
        """How many keys this process holds or waits for."""
        return len(self._here)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        queue, token = self._prefix + key, uuid.uuid4().hex
        live_prefix = queue + ":live:"
        topic = "lock:" + key
        async with self._here.hold(key), self._wakes.listen(topic) as wake:
            try:
                if await self._queue_up(queue, live_prefix, token, wake):
                    async with renewing(self._redis, live_prefix + token, self._live_s):
                        yield
                else:
                    yield
            finally:  # if this fails too, our liveness lapses: the chat waits LIVE_S at most
                with contextlib.suppress(RedisError, OSError):
                    await self._leave(
                        keys=[queue, live_prefix + token],
                        args=[token, self._wakes.channel(topic)],
                    )

    async def _queue_up(self, queue: str, live_prefix: str, token: str, wake: Wake) -> bool:
        """Wait for our turn in the key's queue (True); with Redis away, go on with this
        process's order only (False): a chat answered matters more than a chat kept in order."""
        try:
            await self._enter(queue, live_prefix, token)
            while True:
                wake.clear()
                turn = await self._turn(keys=[queue], args=[token, self._live_ms, live_prefix])
                if turn == 1:
                    return True
                if turn == -1:  # dropped as dead (a long stall): queue again at the end
                    await self._enter(queue, live_prefix, token)
                    continue
                await wake.wait(self._poll_s)
        except (RedisError, OSError) as error:
            logger.warning(
                "Redis unavailable: %s is kept in order in this gateway only: %s", queue, error
            )
            return False

    async def _enter(self, queue: str, live_prefix: str, token: str) -> None:
        """Take a ticket at the end of the key's queue."""
        await self._join(
            keys=[queue, self._prefix + "ticket", live_prefix + token],
            args=[token, self._live_ms, QUEUE_IDLE_S * 1000],
        )
