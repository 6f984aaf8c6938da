"""Where each provider member is in a guided conversation (editing a field, a new listing, a
rejection reason): kept in memory, per Telegram user.

Limitation: the state lives in this gateway process only. A restart forgets half-finished steps
(the member starts again with /mylistings; nothing was saved yet, so nothing is lost), and with
several gateways behind one bot a member's messages must reach the same process (one polling
gateway, as `make run` starts) for a step to continue.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Message
from telegram.ext import filters

TIMEOUT_S = 30 * 60  # a step left this long is forgotten: the next message goes to the assistant


@dataclass
class Step:
    """One guided step: what it waits for (`kind`, a StepKind) and what it has gathered so far."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)


class Steps:
    """The open step of each member, by Telegram user id, forgotten after TIMEOUT_S."""

    def __init__(
        self, timeout_s: float = TIMEOUT_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._open: dict[int, tuple[float, Step]] = {}
        self._timeout_s = timeout_s
        self._clock = clock

    def get(self, user_id: int) -> Step | None:
        """The user's open step, unless it timed out."""
        found = self._open.get(user_id)
        if found is None:
            return None
        started, step = found
        if self._clock() - started > self._timeout_s:
            del self._open[user_id]
            return None
        return step

    def set(self, user_id: int, step: Step) -> None:
        """Start (or move on to) a step; the time-out counts from now."""
        self._forget_old()
        self._open[user_id] = (self._clock(), step)

    def take(self, user_id: int) -> Step | None:
        """The open step, closed at once (so a double tap cannot use it twice)."""
        step = self.get(user_id)
        self._open.pop(user_id, None)
        return step

    def clear(self, user_id: int) -> None:
        """Leave whatever step the user was in."""
        self._open.pop(user_id, None)

    def _forget_old(self) -> None:
        """Drop timed-out steps now and then, so abandoned ones do not pile up."""
        if len(self._open) < 1000:
            return
        now = self._clock()
        self._open = {
            user: (started, step)
            for user, (started, step) in self._open.items()
            if now - started <= self._timeout_s
        }


class InStep(filters.MessageFilter):
    """Messages from a user in the middle of a guided step (checked in memory, no database)."""

    def __init__(self, steps: Steps) -> None:
        super().__init__(name="InStep")
        self.steps = steps

    def filter(self, message: Message) -> bool:
        """Whether the sender has an open step."""
        user = message.from_user
        return user is not None and self.steps.get(user.id) is not None
