"""Providers' guided steps: begun on one gateway, continued on another, forgotten after their
time-out; only plain JSON values are kept."""

from __future__ import annotations

import asyncio

import pytest

from bot.gateway.shared.steps import MemorySteps, RedisSteps, Step, Steps
from tests.bot.gateway.conftest import Backend


def _steps(backend: Backend, timeout_s: float) -> Steps:
    """A gateway's steps with a short time-out."""
    if backend.redis:
        return RedisSteps(backend.client(), backend.prefix, timeout_s)
    return MemorySteps(timeout_s)


def test_a_step_begun_on_one_gateway_continues_on_another_and_expires(backend: Backend) -> None:
    async def scenario() -> list[Step | None]:
        first = _steps(backend, 0.4)
        second = first if not backend.redis else _steps(backend, 0.4)
        step = Step("new", {"provider": 3, "cells": {"title": "Robots"}, "at": 1})
        await first.set(101, step)
        seen = [await second.get(101)]
        await second.set(101, Step("confirm", {"what": "new", "version": 2}))
        seen.append(await first.take(101))  # taken once: a double tap finds nothing
        seen.append(await second.take(101))
        await first.set(202, step)
        await asyncio.sleep(0.6)  # past the time-out
        seen.append(await second.get(202))
        return seen

    assert backend.run(scenario) == [
        Step("new", {"provider": 3, "cells": {"title": "Robots"}, "at": 1}),
        Step("confirm", {"what": "new", "version": 2}),
        None,
        None,
    ]


def test_a_step_is_cleared_for_every_gateway(backend: Backend) -> None:
    async def scenario() -> Step | None:
        first = _steps(backend, 60)
        second = first if not backend.redis else _steps(backend, 60)
        await first.set(7, Step("value", {"listing": 1, "field": "title"}))
        await second.clear(7)
        return await first.get(7)

    assert backend.run(scenario) is None


def test_a_step_holding_something_json_cannot_carry_is_refused(backend: Backend) -> None:
    async def scenario() -> None:
        with pytest.raises(TypeError):
            await _steps(backend, 60).set(7, Step("value", {"when": object()}))

    backend.run(scenario)


def test_the_time_out_counts_from_the_last_step_in_memory() -> None:
    now = [0.0]
    steps = MemorySteps(timeout_s=60, clock=lambda: now[0])

    async def scenario() -> tuple[Step | None, Step | None]:
        await steps.set(1, Step("value"))
        now[0] = 59
        kept = await steps.get(1)
        now[0] = 121
        return kept, await steps.take(1)

    assert asyncio.run(scenario()) == (Step("value"), None)
