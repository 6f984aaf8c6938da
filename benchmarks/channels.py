"""The channels under load: 50 Telegram users (through the fake Bot API) and 50 web widget users
at once, against the whole stack (action server, Rasa server, gateway) on this machine.

`python -m benchmarks.channels` (run by `make bench`, after `make train`) checks that no message
is lost or handled twice and reports reply times per channel and the gateway's own share of each
message (its total handling time minus the waits for Rasa and the Bot API; target p95 ≤ 20 ms),
from the gateway's /internal/stats. Writes docs/benchmarks-channels.md.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from benchmarks.assistant import MODEL, _port, _wait, our_bot
from benchmarks.load import FOLLOW_UPS, SEARCHES
from benchmarks.machine import describe_machine
from bot.launch import gateway_command
from knowledge.settings import PROJECT_ROOT
from tests.fakes.telegram_api import ApiCall, FakeBotApi

OUTPUT = PROJECT_ROOT / "docs" / "benchmarks-channels.md"
TARGET_OVERHEAD_P95_MS = 20.0
REPLY_TIMEOUT_S = 60.0
TOKEN = "123456789:BENCHMARK"
STATS_TOKEN = uuid.uuid4().hex  # the gateway's /internal token for this run
# Seconds a user reads and types between messages. 100 users at once then offer about 9 msg/s,
# under what the stack sustains on 2 cores (about 20 msg/s, docs/benchmarks-assistant.md) and
# within Telegram's 30 messages/s for a bot (AIORateLimiter holds the gateway to it).
THINK_S = (5.0, 15.0)


@dataclass
class UserResult:
    """What one simulated user saw."""

    channel: str
    sent: int = 0
    answered: int = 0
    seconds: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@contextmanager
def gateway_stack(work: Path) -> Iterator[tuple[str, FakeBotApi]]:
    """Action server + Rasa server (benchmarks.assistant.our_bot) + gateway + fake Bot API."""
    demo = PROJECT_ROOT / "var" / "wayfinder.db"
    with FakeBotApi() as fake, our_bot(f"sqlite:///{demo}", work) as servers:
        port = _port()
        env = {
            **os.environ,
            "WAYFINDER_DATABASE_URL": f"sqlite:///{demo}",
            "WAYFINDER_RASA_URL": servers.rasa_url,
            "WAYFINDER_GATEWAY_PORT": str(port),
            "WAYFINDER_PSEUDONYM_KEY": uuid.uuid4().hex * 2,
            "WAYFINDER_WEB_RATE_PER_MINUTE": "1000000",  # every web user comes from 127.0.0.1
            "WAYFINDER_GATEWAY_TOKEN": STATS_TOKEN,  # /internal/stats requires it
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": fake.base_url.removesuffix("/bot"),
            "TELEGRAM_WEBHOOK_URL": "",
            "NAVIGATOR_CHAT_ID": "",
        }
        with (work / "gateway.log").open("wb") as log:
            gateway = subprocess.Popen(
                gateway_command(),
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait(f"http://127.0.0.1:{port}/health", gateway, 60)
            yield f"http://127.0.0.1:{port}", fake
        finally:
            gateway.terminate()
            gateway.wait(timeout=30)


def conversation(rng: random.Random) -> list[str]:
    """A search, then two follow-ups, as a real user might type them."""
    return [rng.choice(SEARCHES), *rng.sample(FOLLOW_UPS, 2)]


class ChatWatch:
    """Per chat: how many typing actions and bot messages the gateway has sent, with a wake-up,
    fed by the fake Bot API's listener (no polling under its lock)."""

    def __init__(self, fake: FakeBotApi) -> None:
        self._changed = threading.Condition()
        self.typing: dict[int, int] = {}
        self.messages: dict[int, int] = {}
        fake.listeners.append(self._heard)

    def _heard(self, call: ApiCall) -> None:
        counts = {"sendChatAction": self.typing, "sendMessage": self.messages}.get(call.method)
        if counts is None:
            return
        chat = int(call.params["chat_id"])
        with self._changed:
            counts[chat] = counts.get(chat, 0) + 1
            self._changed.notify_all()

    def wait_for_message(self, chat: int, more_than: int, timeout_s: float) -> bool:
        """Wait until the chat has more than `more_than` bot messages."""
        with self._changed:
            return self._changed.wait_for(
                lambda: self.messages.get(chat, 0) > more_than, timeout=timeout_s
            )


def telegram_user(
    fake: FakeBotApi,
    watch: ChatWatch,
    chat: int,
    messages: Sequence[str],
    think: Callable[[], float],
) -> UserResult:
    """Send each message, wait for its reply (a new typing action and a new bot message)."""
    result = UserResult("telegram")
    for text in messages:
        handled_before = watch.typing.get(chat, 0)
        replies_before = watch.messages.get(chat, 0)
        started = time.perf_counter()
        fake.push_text(chat, text)
        result.sent += 1
        if watch.wait_for_message(chat, replies_before, REPLY_TIMEOUT_S):
            result.answered += 1
            result.seconds.append(time.perf_counter() - started)
        else:
            result.problems.append(f"chat {chat}: no reply to {text!r}")
        time.sleep(think())
        handled = watch.typing.get(chat, 0) - handled_before
        if handled != 1:
            result.problems.append(f"chat {chat}: {text!r} was handled {handled} times")
    return result


def web_user(url: str, messages: Sequence[str], think: Callable[[], float]) -> UserResult:
    """POST each message to the widget API and time the answer."""
    result = UserResult("web")
    session = uuid.uuid4().hex
    for text in messages:
        started = time.perf_counter()
        result.sent += 1
        try:
            response = requests.post(
                f"{url}/api/web/messages",
                json={"session": session, "text": text},
                timeout=REPLY_TIMEOUT_S,
            )
            replies = response.json().get("messages") if response.ok else None
        except requests.RequestException as error:
            result.problems.append(f"web {session[:8]}: {error}")
            continue
        if not replies:
            status = response.status_code
            result.problems.append(f"web {session[:8]}: no reply to {text!r} ({status})")
            continue
        result.answered += 1
        result.seconds.append(time.perf_counter() - started)
        time.sleep(think())
    return result


def run(url: str, fake: FakeBotApi, users: int, seed: int) -> list[UserResult]:
    """`users` Telegram and `users` web users at once, each holding a three-message conversation."""
    rng = random.Random(seed)
    results: list[UserResult] = []
    lock = threading.Lock()
    watch = ChatWatch(fake)

    def user(channel: str, number: int, messages: list[str], pauses: random.Random) -> None:
        time.sleep(number * 0.1)  # users arrive over a few seconds

        def think() -> float:
            return pauses.uniform(THINK_S[0], THINK_S[1])

        outcome = (
            telegram_user(fake, watch, 900_000 + number, messages, think)
            if channel == "telegram"
            else web_user(url, messages, think)
        )
        with lock:
            results.append(outcome)

    threads = [
        threading.Thread(
            target=user, args=(channel, number, conversation(rng), random.Random(rng.random()))
        )
        for number in range(users)
        for channel in ("telegram", "web")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def percentile(values: Sequence[float], share: float) -> float:
    """The value below which `share` of them fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else 0.0


def render(
    results: Sequence[UserResult], stats: dict[str, dict[str, float]], users: int, seconds: float
) -> str:
    """docs/benchmarks-channels.md."""
    machine = describe_machine(None)
    lines = [
        "# Benchmarks: the channels",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} with `python -m benchmarks.channels --users "
        f"{users}` on {machine.cpu}, {machine.cores} cores, {machine.ram_gb:.1f} GiB; "
        f"load average {os.getloadavg()[0]:.1f} at the end; {seconds:.0f} s in all.",
        "",
        f"{users} Telegram users (through the fake Bot API server of the tests, so Telegram's own "
        f"network time is not in it) and {users} web widget users at once, each sending a search "
        f"and two follow-ups with {THINK_S[0]:g}–{THINK_S[1]:g} s of thought between, against the "
        "whole stack on the demo city. Reply time is from sending to the first reply arriving; "
        "the gateway's overhead is its own handling time of each message minus the time it "
        "waited for Rasa and, on Telegram, for the Bot API to take the reply (here the fake "
        "server, which shares the load generator's process and so answers slower than it would "
        "alone; its wait is shown apart). From the gateway's /internal/stats.",
        "",
        "| channel | messages sent | answered | lost or handled twice | reply p50 ms "
        "| reply p95 ms | gateway overhead p50 ms | p95 ms | max ms | Bot API wait p50 ms "
        "| p95 ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    for channel in ("telegram", "web"):
        mine = [r for r in results if r.channel == channel]
        sent = sum(r.sent for r in mine)
        answered = sum(r.answered for r in mine)
        problems = sum(len(r.problems) for r in mine)
        times = [t * 1000 for r in mine for t in r.seconds]
        own = stats.get(channel, {})
        p95 = float(own.get("overhead_p95_ms", 0.0))
        lines.append(
            f"| {channel} | {sent} | {answered} | {problems} | {percentile(times, 0.5):.0f} "
            f"| {percentile(times, 0.95):.0f} | {own.get('overhead_p50_ms', '—')} | {p95} "
            f"| {own.get('overhead_max_ms', '—')} | {own.get('bot_api_p50_ms', '—')} "
            f"| {own.get('bot_api_p95_ms', '—')} |"
        )
        met = problems == 0 and answered == sent and p95 <= TARGET_OVERHEAD_P95_MS
        verdicts.append(
            f"- {channel}: no lost or duplicated message and gateway overhead p95 ≤ "
            f"{TARGET_OVERHEAD_P95_MS:.0f} ms: {'met' if met else '**not met**'}"
        )
    shown = [p for r in results for p in r.problems][:10]
    return "\n".join(
        [*lines, "", *verdicts, *([""] + [f"> {p}" for p in shown] if shown else []), ""]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the load and write the report."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=50, help="users per channel (default 50)")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    if not MODEL.exists():
        print("No model: run `make train` first.", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="wayfinder-channels-"))
    started = time.perf_counter()
    with gateway_stack(work) as (url, fake):
        web_user(url, ["hello"], lambda: 0.0)  # warm-up: first model calls, connections
        results = run(url, fake, args.users, args.seed)
        bearer = {"Authorization": f"Bearer {STATS_TOKEN}"}
        stats = requests.get(f"{url}/internal/stats", headers=bearer, timeout=10).json()
    report = render(results, stats, args.users, time.perf_counter() - started)
    args.output.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
