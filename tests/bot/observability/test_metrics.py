"""Each process's metrics, and the Bot API wrapper that counts Telegram's 429s and failures
(bot/observability/metrics.py)."""

from __future__ import annotations

import asyncio

import pytest
from telegram.error import TimedOut

from bot.observability.metrics import (
    ACTION_SERVER,
    GATEWAY,
    GATEWAY_ERRORS,
    WORKER,
    counted_bot_api,
    exposition,
    metric_names,
)
from bot.observability.queues import QueueGauges


def value(name: str, labels: dict[str, str] | None = None) -> float:
    return GATEWAY.get_sample_value(name, labels or {}) or 0.0


async def answer(status: int) -> tuple[int, bytes]:
    return status, b"{}"


async def no_answer() -> tuple[int, bytes]:
    raise TimedOut()


def test_429s_and_failed_bot_api_calls_are_counted_apart() -> None:
    errors = {"kind": "telegram_api"}
    before = (value("wayfinder_telegram_429_total"), value("wayfinder_errors_total", errors))
    assert asyncio.run(counted_bot_api(answer(200))) == (200, b"{}")
    assert asyncio.run(counted_bot_api(answer(429)))[0] == 429
    assert asyncio.run(counted_bot_api(answer(403)))[0] == 403  # the learner blocked the bot
    with pytest.raises(TimedOut):
        asyncio.run(counted_bot_api(no_answer()))
    after = (value("wayfinder_telegram_429_total"), value("wayfinder_errors_total", errors))
    assert after == (before[0] + 1, before[1] + 2)


def test_each_process_exposes_its_own_metrics_and_the_process_figures() -> None:
    GATEWAY_ERRORS.labels("database")  # a labelled series appears once used
    page = exposition(GATEWAY).decode()
    assert "# TYPE wayfinder_messages_total counter" in page
    assert 'wayfinder_errors_total{kind="database"}' in page
    assert "process_resident_memory_bytes" in page and "python_gc_objects_collected_total" in page
    assert "wayfinder_action_seconds" not in page and "wayfinder_reminders_processed" not in page


def test_the_names_prometheus_sees_include_the_suffixes() -> None:
    names = metric_names([GATEWAY, ACTION_SERVER, WORKER, QueueGauges(None)])  # type: ignore[arg-type]
    assert {
        "wayfinder_messages_total",
        "wayfinder_reply_seconds_bucket",
        "wayfinder_action_seconds_count",
        "wayfinder_worker_last_pass_timestamp_seconds",
        "wayfinder_handoffs_open",
    } <= names
    assert "wayfinder_messages" in names and "wayfinder_handoffs_open_total" not in names
