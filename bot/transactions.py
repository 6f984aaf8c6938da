"""What async code is given to reach the directory: a runner of short database steps, each in its
own transaction off the event loop. The gateway makes one (bot.gateway.core.Gateway.db) and hands
it to its API, outbox and handoff relay, so none of them needs the gateway or a sessionmaker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")


class DatabaseRunner(Protocol):
    """Runs `work(session)` in a worker thread, in its own transaction, and returns its result."""

    async def __call__(self, work: Callable[[Session], T], /) -> T:
        """One step; an exception rolls it back and is raised here."""
        ...
