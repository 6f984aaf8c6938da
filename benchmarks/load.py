"""Load on the assistant over REST: simulated users with think time, reply times per search turn.

`python -m benchmarks.load --url http://127.0.0.1:5005 --rate 5 --duration 60` offers `rate`
messages per second (open loop: arrivals do not wait for replies, as real users don't) from users
who each send a search, wait (think time), then refine or ask for details. Reported: p50/p95/p99 of
the search turns, errors, the rate achieved. `--scenario long` holds one 300-turn conversation and
compares the median reply time of its first and last 50 turns (it must stay flat).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import requests
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from bot.gateway.core import with_settled_slots
from bot.gateway.records import kept_chat_language

SEARCHES = (
    "free coding club for my 12 year old near Riverside",
    "art classes for a 9 year old on saturdays",
    "swim lessons for my 6 year old in Eastside",
    "english classes for adults in the evening",
    "robotics for a 14 year old",
    "something free for my daughter, she is 10",
    "nursing courses for adults online",
    "chess club for a 7th grader",
    "music lessons under $100 for my son, he's 11",
    "summer camp for an 8 year old",
)
FOLLOW_UPS = ("only free ones", "what about online?", "tell me about the second one", "show more")
PLAIN_BOT_MESSAGES = ("hello", "I am sad", "yes", "great", "bye")


@dataclass
class Sample:
    """One reply: how long it took, whether it was a search turn, whether it failed."""

    seconds: float
    search: bool
    ok: bool


@dataclass
class LoadResult:
    """What a run measured."""

    offered_rate: float
    duration_s: float
    sent: int
    errors: int
    achieved_rate: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    samples: list[Sample] = field(default_factory=list, repr=False)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0–100) by linear interpolation; None without values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def arrivals(rate: float, duration_s: float, rng: random.Random) -> list[float]:
    """Poisson arrival times (seconds from start) for an open-loop offered load."""
    times: list[float] = []
    now = 0.0
    while True:
        now += rng.expovariate(rate)
        if now >= duration_s:
            return times
        times.append(now)


def summarise(samples: list[Sample], offered: float, duration_s: float) -> LoadResult:
    """Percentiles of the search turns that succeeded, plus errors and the achieved rate."""
    search_ms = [s.seconds * 1000 for s in samples if s.search and s.ok]
    errors = sum(1 for s in samples if not s.ok)

    def rounded(q: float) -> float | None:
        value = percentile(search_ms, q)
        return None if value is None else round(value, 1)

    return LoadResult(
        offered_rate=offered,
        duration_s=duration_s,
        sent=len(samples),
        errors=errors,
        achieved_rate=round(len(samples) / duration_s, 2) if duration_s else 0.0,
        p50_ms=rounded(50),
        p95_ms=rounded(95),
        p99_ms=rounded(99),
        samples=samples,
    )


Send = Callable[[str, str], bool]


def rest_sender(url: str, timeout: float = 30.0) -> Send:
    """A function that sends one message over REST and says whether a reply came back."""
    session = threading.local()

    def send(sender: str, message: str) -> bool:
        if not hasattr(session, "http"):
            session.http = requests.Session()
        response = session.http.post(
            f"{url.rstrip('/')}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            timeout=timeout,
        )
        return response.ok and isinstance(response.json(), list)

    return send


def gateway_sender(url: str, database_url: str, timeout: float = 30.0) -> Send:
    """rest_sender with the metadata our gateway adds to each message (bot.gateway.core): the
    profile's chat language is read the way the gateway reads it, and a message that cannot change
    it says so, as every learner's message through the gateway does."""
    sessions = sessionmaker(create_engine(database_url))
    session = threading.local()

    def send(sender: str, message: str) -> bool:
        if not hasattr(session, "http"):
            session.http = requests.Session()
        with sessions() as db:
            kept = kept_chat_language(db, sender)
        body: dict[str, object] = {"sender": sender, "message": message}
        metadata = with_settled_slots(None, kept, message)
        if metadata is not None:
            body["metadata"] = metadata
        response = session.http.post(
            f"{url.rstrip('/')}/webhooks/rest/webhook", json=body, timeout=timeout
        )
        return response.ok and isinstance(response.json(), list)

    return send


def run_load(
    send: Send,
    rate: float,
    duration_s: float,
    *,
    plain: bool = False,
    seed: int = 7,
    workers: int = 64,
) -> LoadResult:
    """Offer `rate` msg/s for `duration_s`; each arrival is a new user's search or a follow-up."""
    rng = random.Random(seed)
    schedule = arrivals(rate, duration_s, rng)
    users: list[str] = []
    samples: list[Sample] = []
    lock = threading.Lock()

    def one(sender: str, message: str, search: bool) -> None:
        started = time.perf_counter()
        try:
            ok = send(sender, message)
        except (requests.RequestException, ValueError):
            ok = False
        with lock:
            samples.append(Sample(time.perf_counter() - started, search, ok))

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for at in schedule:
            delay = start + at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            if plain:
                pool.submit(one, f"load-{rng.randrange(50)}", rng.choice(PLAIN_BOT_MESSAGES), True)
            elif users and rng.random() < 0.5:  # a returning user refines after thinking
                pool.submit(one, rng.choice(users), rng.choice(FOLLOW_UPS), False)
            else:
                users.append(f"load-{uuid.uuid4().hex[:10]}")
                pool.submit(one, users[-1], rng.choice(SEARCHES), True)
    return summarise(samples, rate, time.perf_counter() - start)


def long_conversation(send: Send, turns: int = 300) -> dict[str, float]:
    """One user, many turns: median reply time of the first and last 50 must stay close."""
    sender = f"long-{uuid.uuid4().hex[:10]}"
    times: list[float] = []
    for turn in range(turns):
        message = SEARCHES[turn % len(SEARCHES)] if turn % 2 == 0 else FOLLOW_UPS[turn % 4]
        started = time.perf_counter()
        send(sender, message)
        times.append((time.perf_counter() - started) * 1000)
    window = min(50, turns // 2)
    first, last = statistics.median(times[:window]), statistics.median(times[-window:])
    return {"turns": turns, "first_median_ms": round(first, 1), "last_median_ms": round(last, 1),
            "ratio": round(last / first, 2)}  # fmt: skip


def find_max(send: Send, *, start: float = 2.0, step: float = 2.0, duration_s: float = 30.0,
             plain: bool = False) -> tuple[float, list[LoadResult]]:  # fmt: skip
    """Raise the offered rate until p95 exceeds 1 s or more than 1 % fail; the last good rate."""
    results: list[LoadResult] = []
    rate, best = start, 0.0
    while rate <= 200:
        result = run_load(send, rate, duration_s, plain=plain)
        results.append(result)
        failing = result.errors > 0.01 * max(result.sent, 1)
        if failing or result.p95_ms is None or result.p95_ms > 1000:
            break
        best, rate = rate, rate + step
    return best, results


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--rate", type=float, default=5.0, help="offered messages per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument("--scenario", choices=("search", "long", "plain"), default="search")
    parser.add_argument("--find-max", action="store_true")
    parser.add_argument("--json", type=Path, help="write the result here")
    args = parser.parse_args(argv)
    send = rest_sender(args.url)
    output: object
    if args.scenario == "long":
        output = long_conversation(send)
    elif args.find_max:
        best, results = find_max(send, plain=args.scenario == "plain")
        steps = [{k: v for k, v in asdict(r).items() if k != "samples"} for r in results]
        output = {"max_sustained_rate": best, "steps": steps}
    else:
        result = run_load(send, args.rate, args.duration, plain=args.scenario == "plain")
        output = {k: v for k, v in asdict(result).items() if k != "samples"}
    text = json.dumps(output, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
