"""Named leases: the right to do something that only one gateway at a time may do (call Telegram's
getUpdates, run the housekeeping), held for `lease_s` per renewal.

In memory a lease is held by whoever renews it on its board: each process has its own board, so
its one gateway always holds it. In Redis it is one key holding its holder's token (SET NX PX, in
a script), expiring `lease_s` after the holder's last renewal: when the holder dies, another
gateway takes it over within `lease_s`; when it stops cleanly it lets go, and another takes over
at its next round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

LEASE_S = 15.0  # a dead holder's lease passes to another gateway within this (renewed every 5 s)

# KEYS: the lease. ARGV: our token, lease ms. 1: ours (taken or renewed), 0: someone else's.
_HOLD = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
# KEYS: the lease. ARGV: our token. Deletes the lease only if it is ours.
_LET_GO = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Lease(ABC):
    """One named right, held by one gateway at a time for `lease_s` per renewal."""

    lease_s: float

    @abstractmethod
    async def hold(self) -> bool:
        """Take the lease if it is free, renew it if it is ours; whether we hold it now."""

    @abstractmethod
    async def let_go(self) -> None:
        """Give the lease up (when stopping), so another gateway takes over at once."""


LeasesFor = Callable[[str], Lease]  # a lease by name, as the shared state hands them out


@dataclass
class LeaseBoard:
    """Who holds a lease kept in memory, until when (shared by the holders of one process)."""

    holder: str | None = None
    until: float = 0.0


class MemoryLease(Lease):
    """A lease among the holders sharing one board (in one process: `make run`, tests); a lease
    on a board of its own is always held."""

    def __init__(
        self,
        board: LeaseBoard | None = None,
        lease_s: float = LEASE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lease_s = lease_s
        self._board = board or LeaseBoard()
        self._clock = clock
        self._me = uuid.uuid4().hex

    async def hold(self) -> bool:
        board, now = self._board, self._clock()
        if board.holder in (None, self._me) or board.until <= now:
            board.holder, board.until = self._me, now + self.lease_s
            return True
        return False

    async def let_go(self) -> None:
        if self._board.holder == self._me:
            self._board.holder = None


class RedisLease(Lease):
    """The lease `name` as the Redis key `prefix:name` holding its holder's token, expiring
    `lease_s` after the last renewal."""

    def __init__(self, redis: Redis, prefix: str, name: str, lease_s: float = LEASE_S) -> None:
        self.key = f"{prefix}:{name}"
        self.lease_s = lease_s
        self._me = uuid.uuid4().hex
        self._hold_script = redis.register_script(_HOLD)
        self._let_go_script = redis.register_script(_LET_GO)

    async def hold(self) -> bool:
        held = await self._hold_script(keys=[self.key], args=[self._me, int(self.lease_s * 1000)])
        return bool(held)

    async def let_go(self) -> None:
        await self._let_go_script(keys=[self.key], args=[self._me])


def memory_leases(name: str) -> Lease:
    """A lease of this process alone: always held (one gateway, `make run`)."""
    return MemoryLease()


def redis_leases(redis: Redis, prefix: str) -> LeasesFor:
    """Leases on one Redis, each named `lease:<name>` under `prefix`."""

    def lease(name: str) -> Lease:
        return RedisLease(redis, prefix, f"lease:{name}")

    return lease


class Holding:
    """A lease this gateway contends for in the background, renewed every third of its length,
    so that between its holder's rounds of work nobody else takes it.

    `renew()` is the check before each round: it takes or renews the lease at that moment (two
    gateways asking at once: one of them gets it). With Redis away nobody can take the lease, so
    the holder goes on and the others go on waiting (what it last knew)."""

    def __init__(self, lease: Lease, what: str) -> None:
        self.lease = lease
        self.what = what
        self.held = False
        self._task: asyncio.Task[None] | None = None

    async def renew(self) -> bool:
        """Take or renew the lease now; whether this gateway holds it."""
        try:
            held = await self.lease.hold()
        except (RedisError, OSError) as error:
            logger.warning("could not reach Redis for the %s lease: %s", self.what, error)
            return self.held
        if held != self.held:
            logger.info("%s: %s", self.what, "this gateway runs it" if held else "another runs it")
        self.held = held
        return held

    def start(self) -> None:
        """Keep contending for the lease in the background."""
        self._task = asyncio.create_task(self._keep())

    async def stop(self) -> None:
        """Stop renewing and let go, so another gateway takes over at its next round."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(RedisError, OSError):
            await self.lease.let_go()
        self.held = False

    async def _keep(self) -> None:
        """Renew every third of the lease, for as long as the gateway runs."""
        while True:
            await self.renew()
            await asyncio.sleep(self.lease.lease_s / 3)
