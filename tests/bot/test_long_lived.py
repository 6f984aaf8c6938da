"""A server settles what it loaded out of the garbage collector's way once (bot/long_lived.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bot import long_lived


@pytest.fixture
def fresh_process() -> Iterator[None]:
    """As if the server had just started: nothing settled, nothing frozen; undone after."""
    gc.unfreeze()
    long_lived._settled.clear()
    yield
    gc.unfreeze()
    long_lived._settled.clear()


@pytest.mark.usefixtures("fresh_process")
def test_what_is_alive_is_frozen_once_and_later_garbage_is_still_collected() -> None:
    loaded = [{"table": list(range(10))} for _ in range(1000)]  # a model's objects
    assert gc.get_freeze_count() == 0
    assert long_lived.settle() is True
    frozen = gc.get_freeze_count()
    assert frozen >= len(loaded)
    assert long_lived.settle() is False  # a second call freezes nothing more
    assert gc.get_freeze_count() == frozen

    class Turn:
        """A conversation's cyclic garbage, made after settling."""

    cycle = Turn()
    cycle.me = cycle  # type: ignore[attr-defined]
    del cycle
    assert gc.collect() >= 1  # still found and freed
