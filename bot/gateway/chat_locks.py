"""One lock per chat (or per member), so that one chat's messages are handled one at a time and
in order while other chats go on; a lock is kept only while someone holds or waits for it, so
chats that went quiet cost no memory however many there were."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class _Held:
    """A chat's lock and how many of its messages hold or wait for it (the last one out drops
    it)."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class ChatLocks:
    """Per-chat locks, kept for busy chats only (for one event loop, as asyncio.Lock is)."""

    def __init__(self) -> None:
        self._held: dict[int, _Held] = {}

    def __len__(self) -> int:
        """How many chats have a lock now: those with a message being handled or waiting."""
        return len(self._held)

    @asynccontextmanager
    async def hold(self, chat_id: int) -> AsyncIterator[None]:
        """Wait for the chat's earlier messages (first come, first served), then hold its lock."""
        held = self._held.get(chat_id)
        if held is None:
            held = self._held[chat_id] = _Held()
        held.users += 1
        try:
            async with held.lock:
                yield
        finally:  # done, failed or cancelled while waiting: the last one out removes it
            held.users -= 1
            if held.users == 0:
                del self._held[chat_id]
