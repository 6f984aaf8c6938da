"""The assistant benchmark's comparison: bots measured in turns, each on the same arrivals."""

from __future__ import annotations

import threading

from benchmarks.assistant import alternate
from benchmarks.load import Send


def recorder(name: str, log: list[tuple[str, str]], lock: threading.Lock) -> Send:
    """A stand-in bot that notes who was asked what, in order."""

    def send(_sender: str, message: str) -> bool:
        with lock:
            log.append((name, message))
        return True

    return send


def test_bots_take_turns_window_by_window_on_the_same_arrivals() -> None:
    log: list[tuple[str, str]] = []
    lock = threading.Lock()
    senders = [(recorder(name, log, lock), False) for name in ("demo", "big")]
    results = alternate(senders, rate=40.0, duration_s=0.5, rounds=2)
    assert len(results) == 2
    assert all(result.sent > 0 and result.errors == 0 for result in results)
    assert results[0].sent == results[1].sent  # same arrivals, pooled over both rounds
    turns = [name for index, (name, _) in enumerate(log) if index == 0 or log[index - 1][0] != name]
    assert turns == ["demo", "big", "demo", "big"]
    per_bot = {name: [message for bot, message in log if bot == name] for name in ("demo", "big")}
    assert sorted(per_bot["demo"]) == sorted(per_bot["big"])
