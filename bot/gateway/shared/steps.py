"""Where each provider member is in a guided conversation (editing a field, a new listing, a
rejection reason), per Telegram user, forgotten after TIMEOUT_S: in memory (one gateway; a restart
forgets half-finished steps, nothing was saved yet), or in Redis under a key that expires with the
step, so a step begun on one gateway continues on any other and survives a restart."""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

TIMEOUT_S = 30 * 60  # a step left this long is forgotten: the next message goes to the assistant


@dataclass
class Step:
    """One guided step: what it waits for (`kind`, a StepKind) and what it has gathered so far
    (plain JSON values only: it is kept in Redis)."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """The step as Redis keeps it."""
        return json.dumps({"kind": self.kind, "data": self.data}, sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> Step:
        """A step as Redis kept it."""
        kept = json.loads(raw)
        return cls(str(kept["kind"]), dict(kept["data"]))


class Steps(ABC):
    """The open step of each member, by Telegram user id."""

    timeout_s: float

    @abstractmethod
    async def get(self, user_id: int) -> Step | None:
        """The user's open step, unless it timed out."""

    @abstractmethod
    async def set(self, user_id: int, step: Step) -> None:
        """Start (or move on to) a step; the time-out counts from now."""

    @abstractmethod
    async def take(self, user_id: int) -> Step | None:
        """The open step, closed at once (so a double tap cannot use it twice)."""

    @abstractmethod
    async def clear(self, user_id: int) -> None:
        """Leave whatever step the user was in."""


class MemorySteps(Steps):
    """Steps in this process."""

    def __init__(
        self, timeout_s: float = TIMEOUT_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._open: dict[int, tuple[float, str]] = {}  # kept as JSON, as Redis keeps them
        self.timeout_s = timeout_s
        self._clock = clock

    async def get(self, user_id: int) -> Step | None:
        found = self._open.get(user_id)
        if found is None:
            return None
        started, step = found
        if self._clock() - started > self.timeout_s:
            del self._open[user_id]
            return None
        return Step.from_json(step)

    async def set(self, user_id: int, step: Step) -> None:
        self._forget_old()
        self._open[user_id] = (self._clock(), step.to_json())

    async def take(self, user_id: int) -> Step | None:
        step = await self.get(user_id)
        self._open.pop(user_id, None)
        return step

    async def clear(self, user_id: int) -> None:
        self._open.pop(user_id, None)

    def _forget_old(self) -> None:
        """Drop timed-out steps now and then, so abandoned ones do not pile up."""
        if len(self._open) < 1000:
            return
        now = self._clock()
        self._open = {
            user: (started, step)
            for user, (started, step) in self._open.items()
            if now - started <= self.timeout_s
        }


class RedisSteps(Steps):
    """Steps in Redis, one key per member expiring `timeout_s` after the step was set."""

    def __init__(self, redis: Redis, prefix: str, timeout_s: float = TIMEOUT_S) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:step:"
        self.timeout_s = timeout_s

    async def get(self, user_id: int) -> Step | None:
        return _step(await self._redis.get(self._key(user_id)))

    async def set(self, user_id: int, step: Step) -> None:
        await self._redis.set(self._key(user_id), step.to_json(), px=int(self.timeout_s * 1000))

    async def take(self, user_id: int) -> Step | None:
        return _step(await self._redis.getdel(self._key(user_id)))

    async def clear(self, user_id: int) -> None:
        await self._redis.delete(self._key(user_id))

    def _key(self, user_id: int) -> str:
        return f"{self._prefix}{user_id}"


def _step(raw: str | None) -> Step | None:
    """A kept step, or None."""
    return None if raw is None else Step.from_json(raw)
