"""A limit that makes a runaway computation (a regular expression gone quadratic) fail, not hang."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import pytest


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail the test when the block is still running after `seconds` (the main thread's SIGALRM;
    `re` checks for signals while it backtracks)."""

    def expire(_signum: int, _frame: FrameType | None) -> None:
        pytest.fail(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
