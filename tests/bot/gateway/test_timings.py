"""The gateway's own time per message, told apart from the waits for Rasa and the Bot API."""

from __future__ import annotations

import asyncio

from bot.gateway.core import Gateway
from bot.gateway.timings import BOT_API_SECONDS, RASA_SECONDS


def test_the_gateway_times_its_own_share_of_each_message(gateway: Gateway) -> None:
    async def handle() -> None:
        await gateway.converse("telegram", "42", "hello")
        RASA_SECONDS.set(0.050)  # as if Rasa took 50 ms of the 70 ms below
        BOT_API_SECONDS.set(0.012)  # and sending the reply to Telegram 12 ms
        gateway.timings.record("telegram", 0.070)

    asyncio.run(handle())
    summary = gateway.timings.summary()["telegram"]
    assert summary["messages"] == 1
    assert 7.9 <= summary["overhead_p95_ms"] <= 8.1
    assert 11.9 <= summary["bot_api_p95_ms"] <= 12.1
