"""The assistant under load, compared with a plain `rasa init` bot on the same machine.

`python -m benchmarks.assistant` starts our action server and Rasa server on localhost (the demo
city and a generated 100k directory), drives them with benchmarks.load at several offered rates,
holds one 300-turn conversation, reads both servers' memory, does the same for a plain
`rasa init` bot, and writes docs/benchmarks-assistant.md. At the rate the ratio target is set
for, both bots run side by side and are measured in alternating windows. Needs `make train`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from benchmarks.cached_directories import DATA_DIR, sqlite_directory
from benchmarks.load import (
    LoadResult,
    Send,
    gateway_sender,
    long_conversation,
    rest_sender,
    run_load,
    summarise,
)
from benchmarks.machine import describe_machine
from benchmarks.stack import free_port, run_assistant
from bot.launch import RASA, train_command
from knowledge.settings import PROJECT_ROOT

MODEL = PROJECT_ROOT / "models" / "wayfinder.tar.gz"
SEEDED = PROJECT_ROOT / "var" / "wayfinder.db"  # `make seed`: the demo city, copied for each run
PLAIN_BOT = DATA_DIR / "plain-bot"
OUTPUT = PROJECT_ROOT / "docs" / "benchmarks-assistant.md"
TARGET_P95_MS = 300.0
TARGET_RATIO = 1.0  # issue #16: a search turn no slower than the plain bot's at 5 msg/s
COMPARED_RATE = 5.0  # msg/s at which the targets are set
SEED = 7


def _port() -> int:
    return free_port()


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process in MB, from /proc."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def _wait(url: str, process: subprocess.Popen[bytes], timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited while starting")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise RuntimeError(f"{url} did not come up in {timeout_s} s")


@dataclass
class Servers:
    """The running processes of one bot."""

    rasa_url: str
    processes: dict[str, subprocess.Popen[bytes]]

    def memory(self) -> dict[str, tuple[float, float]]:
        """RSS per process."""
        return {name: rss_mb(p.pid) for name, p in self.processes.items()}


@contextmanager
def our_bot(database_url: str, work: Path) -> Iterator[Servers]:
    """Action server + Rasa server on free ports, as `make run` starts them (benchmarks.stack)."""
    logs = Path(tempfile.mkdtemp(prefix="bot-", dir=work))
    with run_assistant(MODEL, database_url, logs) as assistant:
        yield Servers(assistant.rasa_url, assistant.processes)


@contextmanager
def plain_bot(work: Path) -> Iterator[Servers]:
    """A `rasa init` bot (trained once into benchmarks/data/plain-bot) on a free port."""
    if not list((PLAIN_BOT / "models").glob("*.tar.gz")):
        PLAIN_BOT.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [str(RASA), "init", "--no-prompt", "--init-dir", "."],
            cwd=PLAIN_BOT,
            check=True,
            capture_output=True,
        )
    port = _port()
    log = (work / "plain-bot.log").open("wb")
    rasa = subprocess.Popen(
        [str(RASA), "run", "-i", "127.0.0.1", "-p", str(port)],
        cwd=PLAIN_BOT,
        stdout=log,
        stderr=log,
    )
    try:
        _wait(f"http://127.0.0.1:{port}/", rasa)
        yield Servers(f"http://127.0.0.1:{port}", {"rasa": rasa})
    finally:
        rasa.terminate()
        rasa.wait(timeout=30)
        log.close()


def measure_training(work: Path) -> tuple[float, float]:
    """(seconds, peak RSS MB) of a full `rasa train` of our bot from scratch (no cache)."""
    started = time.perf_counter()
    subprocess.run(
        [*train_command(work / "trained"), "--force"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "HOME": str(work)},  # a fresh ~/.rasa cache: nothing is reused
        check=True,
        capture_output=True,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def alternate(
    senders: Sequence[tuple[Send, bool]], rate: float, duration_s: float, rounds: int
) -> list[LoadResult]:
    """Each (sender, is_plain) at `rate` in turns, window by window; every sender's window has
    the same arrivals; the samples of all windows pooled per sender."""
    windows: list[list[LoadResult]] = [[] for _ in senders]
    for window in range(rounds):
        for kept, (send, plain) in zip(windows, senders, strict=True):
            kept.append(run_load(send, rate, duration_s, plain=plain, seed=SEED + window))
    return [pooled(kept, rate) for kept in windows]


def pooled(results: Sequence[LoadResult], rate: float) -> LoadResult:
    """One result from several windows at the same rate."""
    samples = [sample for result in results for sample in result.samples]
    return summarise(samples, rate, sum(result.duration_s for result in results))


def _row(label: str, rate: float, result: LoadResult) -> str:
    return (
        f"| {label} | {rate:g} | {result.achieved_rate:g} | {result.p50_ms} | {result.p95_ms} "
        f"| {result.p99_ms} | {result.errors}/{result.sent} |"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="1,5,20", help="offered msg/s, comma-separated")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per rate")
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating windows per bot at the compared rate"
    )
    parser.add_argument("--skip-100k", action="store_true")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    rates = [float(r) for r in args.rates.split(",")]
    if not MODEL.exists():
        print("No model: run `make train` first.", file=sys.stderr)
        return 1
    if not SEEDED.exists():
        print(f"No demo directory at {SEEDED}: run `make seed` first.", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="wayfinder-bench-"))
    train_s, train_rss = measure_training(work)
    demo = work / "demo.db"
    shutil.copy(SEEDED, demo)
    rows: list[str] = []
    ours: dict[float, LoadResult] = {}
    plain: dict[float, LoadResult] = {}
    notes: list[str] = []
    big = None if args.skip_100k else sqlite_directory(100_000, print).url
    big_result: LoadResult | None = None
    with contextlib.ExitStack() as stack:
        servers = stack.enter_context(our_bot(f"sqlite:///{demo}", work))
        plain_servers = stack.enter_context(plain_bot(work))
        big_servers = stack.enter_context(our_bot(big, work)) if big else None
        # Our bot gets what the gateway sends with each message; the plain bot has no gateway.
        send = gateway_sender(servers.rasa_url, f"sqlite:///{demo}")
        plain_send = rest_sender(plain_servers.rasa_url)
        big_send = gateway_sender(big_servers.rasa_url, big) if big_servers and big else None
        run_load(send, 2.0, 5.0)  # warm-up: caches, first model calls
        run_load(plain_send, 2.0, 5.0, plain=True)
        if big_send is not None:
            run_load(big_send, 2.0, 5.0)
        # The ratio's rate first, before any overload, in alternating windows so that the
        # machine's drift (it shares its host) falls on all bots alike.
        if COMPARED_RATE in rates:
            senders = [(send, False), (plain_send, True)]
            senders += [(big_send, False)] if big_send is not None else []
            compared = alternate(senders, COMPARED_RATE, args.duration, args.rounds)
            ours[COMPARED_RATE], plain[COMPARED_RATE] = compared[0], compared[1]
            big_result = compared[2] if big_send is not None else None
        elif big_send is not None:
            big_result = run_load(big_send, COMPARED_RATE, args.duration)
        for rate in rates:
            if rate not in ours:
                ours[rate] = run_load(send, rate, args.duration)
        long = long_conversation(send)
        memory = servers.memory()
        for rate in rates:
            if rate not in plain:
                plain[rate] = run_load(plain_send, rate, args.duration, plain=True)
        plain_memory = plain_servers.memory()
    rows += [_row("Wayfinder, demo city", rate, ours[rate]) for rate in rates]
    notes.append(
        f"Training (`rasa train` from scratch, NLU and dialogue): {train_s:.0f} s, "
        f"peak RSS {train_rss:.0f} MB."
    )
    notes.append(
        f"300-turn conversation: median reply {long['first_median_ms']} ms over turns "
        f"1–50, {long['last_median_ms']} ms over turns 251–300 (ratio {long['ratio']})."
    )
    notes.append(
        "Memory (RSS now / peak, MB): "
        + ", ".join(f"{name} {now:.0f} / {peak:.0f}" for name, (now, peak) in memory.items())
    )
    if big_result is not None:
        rows.append(_row("Wayfinder, 100k directory", COMPARED_RATE, big_result))
    rows += [_row("plain `rasa init` bot", rate, plain[rate]) for rate in rates]
    notes.append(
        "Plain bot memory (RSS now / peak, MB): "
        + ", ".join(f"{name} {now:.0f} / {peak:.0f}" for name, (now, peak) in plain_memory.items())
    )
    if COMPARED_RATE in rates:
        notes.append(
            f"At {COMPARED_RATE:g} msg/s both bots ran at once (each idle while the other was "
            f"measured) in {args.rounds} alternating windows of {args.duration:g} s each; every "
            "window of one bot had the same arrivals as the same window of the other"
            + ("" if args.skip_100k else " (the 100k directory's bot took its turn in each round)")
            + "."
        )
    verdicts = []
    if 5.0 in ours and 5.0 in plain and ours[5.0].p95_ms and plain[5.0].p95_ms:
        ratio = ours[5.0].p95_ms / plain[5.0].p95_ms
        met_p95 = "met" if ours[5.0].p95_ms <= TARGET_P95_MS else "**not met**"
        met_ratio = "met" if ratio <= TARGET_RATIO else "**not met**"
        verdicts = [
            f"| p95 ≤ {TARGET_P95_MS:.0f} ms at 5 msg/s | {ours[5.0].p95_ms} ms | {met_p95} |",
            f"| p95 ≤ {TARGET_RATIO}× the plain bot's at 5 msg/s | {ratio:.3f}× | {met_ratio} |",
        ]
    machine = describe_machine(None)
    report = [
        "# Benchmarks: the assistant",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} with `python -m benchmarks.assistant "
        f"--rates {args.rates} --duration {args.duration:g} --rounds {args.rounds}"
        f"{' --skip-100k' if args.skip_100k else ''}` on {machine.cpu}, {machine.cores} "
        f"cores, {machine.ram_gb:.1f} GiB; load average {os.getloadavg()[0]:.1f} at the end.",
        "",
        "| target | measured | |",
        "|---|---|---|",
        *verdicts,
        "",
        "Reply time of search turns (NLU + policies + actions + database) over the REST channel, "
        "open-loop Poisson arrivals; half the messages are new users' searches, half refinements "
        "or details by returning users (only search turns are timed). The plain bot answers "
        '"hello", "I am sad", … with its default model.',
        "",
        "| bot | offered msg/s | achieved | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        *(f"- {note}" for note in notes),
        "",
    ]
    args.output.write_text("\n".join(report))
    print("\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
