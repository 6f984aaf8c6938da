"""Capacity: search turns a second through one Rasa + one action server, and through two of each
behind HAProxy, with each process's CPU per message and what more cores would buy.

`python -m benchmarks.capacity [--rates 5,10,20,40] [--duration 30] [--rounds 3] [--quick]` starts
both topologies on the demo city (benchmarks.capacity_stack: PostgreSQL, Redis lock store,
HAProxy), offers each rate to each in turn, in several rounds (open loop, benchmarks.load, with
what the gateway adds to each message), reads every server process's CPU time from /proc around
each window, and writes docs/benchmarks-capacity.md. Needs `make train`, PostgreSQL, Redis and
haproxy.

One 30 s window's p95 moves by ±60 ms on a 2-core machine whose every process, the load
generator's too, speeds up and slows down together; so each rate is offered in rounds (each
round its own arrivals, the same for both topologies) and the report pools every round's replies
and CPU, showing each round's p95 beside the pooled one.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from benchmarks.capacity_stack import LOAD_APPLICATION, POSTGRES, Topology, run_topologies
from benchmarks.load import LoadResult, gateway_sender, run_load, summarise
from benchmarks.machine import Machine, describe_machine
from knowledge.settings import PROJECT_ROOT

MODEL = PROJECT_ROOT / "models" / "wayfinder.tar.gz"
OUTPUT = PROJECT_ROOT / "docs" / "benchmarks-capacity.md"
TOPOLOGIES = (("one", 1), ("two", 2))
TOPOLOGY_NAMES = {
    "one": "1 Rasa + 1 action server",
    "two": "2 Rasa + 2 action servers, HAProxy",
}
KINDS = ("rasa", "actions", "haproxy", "postgresql")  # the servers' processes
LOAD_KIND = "load generator"  # this process: the gateway's stand-in, not a server
SINGLE_PROCESS_KINDS = ("rasa", "actions")  # one Python event loop each: at most one core
CORES = (2, 3, 4)
CLAIM = "On 2 cores the second instance buys resilience, not speed"
MAX_QUIET_LOAD = 1.0
QUIET_WAIT_S = 180
SATURATED_P95_MS = 1000.0  # as benchmarks.load.find_max
SATURATED_ERRORS = 0.01
KEEPING_UP = 0.9  # achieved / what arrived per second of the window
TARGET_RATE, TARGET_P95_MS = 20.0, 300.0  # issue #16: one instance of each on this machine
BALANCER_RATE, BALANCER_RATIO = 5.0, 1.2
WARM_UP_RATE, WARM_UP_S = 2.0, 10.0
SEED = 7
ROUNDS = 3  # windows per topology and rate, pooled


@dataclass(frozen=True)
class ProcTimes:
    """One process's CPU time so far (user + system, in clock ticks) and its parent."""

    pid: int
    ppid: int
    ticks: int


def parse_stat(text: str) -> ProcTimes:
    """/proc/<pid>/stat: the command name may hold spaces and parentheses, so fields are counted
    after its last ')'; utime and stime are fields 14 and 15, the parent field 4."""
    pid, _, rest = text.partition(" (")
    fields = rest[rest.rindex(")") + 2 :].split()
    return ProcTimes(int(pid), int(fields[1]), int(fields[11]) + int(fields[12]))


def parse_machine_cpu(text: str) -> tuple[int, int]:
    """(busy, total) clock ticks of every core, from /proc/stat's first line (idle and iowait
    are not busy; guest time is already inside user time)."""
    line = next(line for line in text.splitlines() if line.startswith("cpu "))
    values = [int(value) for value in line.split()[1:9]]
    total = sum(values)
    return total - values[3] - values[4], total


def descendants(root: int, processes: Iterable[ProcTimes]) -> set[int]:
    """The root's pid and those of all its children, grandchildren, …"""
    children: dict[int, list[int]] = {}
    for process in processes:
        children.setdefault(process.ppid, []).append(process.pid)
    found, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


@dataclass(frozen=True)
class Snapshot:
    """CPU ticks of every accounted process by kind, and of the whole machine, at one moment."""

    ticks: Mapping[str, Mapping[int, int]]
    machine_busy: int
    machine_total: int


def cpu_used(before: Snapshot, after: Snapshot) -> dict[str, int]:
    """Ticks each kind used between the snapshots: a process born meanwhile counts from zero;
    one gone by the second snapshot is lost (servers do not exit; PostgreSQL backends rarely)."""
    return {
        kind: sum(ticks - before.ticks.get(kind, {}).get(pid, 0) for pid, ticks in pids.items())
        for kind, pids in after.ticks.items()
    }


def saturated(result: LoadResult, duration_s: float) -> bool:
    """Not keeping up: over 1 % errors, p95 above 1 s, or the replies finished so long after the
    window that the rate achieved fell under 90 % of the arrivals' (Poisson arrivals vary, so
    the comparison is with what arrived, not with the nominal rate)."""
    if result.sent == 0:
        return False
    if result.errors > SATURATED_ERRORS * result.sent:
        return True
    if result.p95_ms is None or result.p95_ms > SATURATED_P95_MS:
        return True
    return result.achieved_rate < KEEPING_UP * result.sent / duration_s


@dataclass(frozen=True)
class Window:
    """One topology at one offered rate: the load's result and the CPU it cost."""

    topology: str
    offered: float
    duration_s: float  # nominal: arrivals stop then, replies may come later
    result: LoadResult
    cpu_ms: Mapping[str, float]  # CPU time per process kind over the window
    others_share: float  # share of the machine's CPU used by processes not accounted here
    rounds: tuple[LoadResult, ...] = ()  # the windows pooled into this one, if several
    a_round_saturated: bool = False

    @property
    def handled(self) -> int:
        """Messages answered."""
        return self.result.sent - self.result.errors

    @property
    def saturated(self) -> bool:
        return self.a_round_saturated or saturated(self.result, self.duration_s)

    def per_message(self) -> dict[str, float]:
        """CPU ms per answered message, per process kind."""
        if not self.handled:
            return {}
        return {kind: ms / self.handled for kind, ms in self.cpu_ms.items()}


def pooled_window(windows: Sequence[Window]) -> Window:
    """Rounds of one topology at one rate as one window: every round's replies (the percentiles
    computed again over all of them) and CPU; saturated when any round was."""
    if len(windows) == 1:
        return windows[0]
    first = windows[0]
    samples = [sample for window in windows for sample in window.result.samples]
    result = summarise(samples, first.offered, sum(w.result.duration_s for w in windows))
    kinds = sorted({kind for window in windows for kind in window.cpu_ms})
    return Window(
        first.topology,
        first.offered,
        sum(window.duration_s for window in windows),
        result,
        {kind: sum(window.cpu_ms.get(kind, 0.0) for window in windows) for kind in kinds},
        sum(window.others_share for window in windows) / len(windows),
        rounds=tuple(window.result for window in windows),
        a_round_saturated=any(window.saturated for window in windows),
    )


def pooled_per_message(windows: Sequence[Window]) -> dict[str, float]:
    """CPU ms per message per kind over the windows that kept up (all, when none did)."""
    kept = [window for window in windows if not window.saturated] or list(windows)
    handled = sum(window.handled for window in kept)
    if not handled:
        return {}
    kinds = {kind for window in kept for kind in window.cpu_ms}
    return {kind: sum(w.cpu_ms.get(kind, 0.0) for w in kept) / handled for kind in kinds}


def servers_ms(per_message: Mapping[str, float]) -> float:
    """The servers' CPU per message (the load generator is not a server)."""
    return sum(ms for kind, ms in per_message.items() if kind in KINDS)


@dataclass(frozen=True)
class Ceiling:
    """Extrapolated messages a second on some cores: by the cores' CPU, by the single-process
    servers' one core each, and the lower of the two."""

    cpu_bound: float
    process_bound: float
    sustainable: float

    @property
    def by_processes(self) -> bool:
        """The instances, not the cores, set the limit."""
        return self.process_bound < self.cpu_bound


def extrapolate(per_message: Mapping[str, float], cores: int, instances: int) -> Ceiling:
    """Sustainable msg/s on `cores` if CPU-bound at the measured CPU per message: all cores
    shared by every server; each Rasa or action server at most one core (one event loop)."""
    total = servers_ms(per_message)
    cpu_bound = cores * 1000 / total if total > 0 else float("inf")
    process_bound = min(
        (instances * 1000 / per_message[kind] for kind in SINGLE_PROCESS_KINDS
         if per_message.get(kind, 0) > 0),
        default=float("inf"),
    )  # fmt: skip
    return Ceiling(cpu_bound, process_bound, min(cpu_bound, process_bound))


@dataclass
class Report:
    """Everything one run measured, and how it was run."""

    machine: Machine
    command: str
    quick: bool
    load_start: float
    load_end: float
    windows: list[Window] = field(default_factory=list)

    def of(self, topology: str) -> list[Window]:
        return [window for window in self.windows if window.topology == topology]


def _figure(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def _instances(topology: str) -> int:
    return dict(TOPOLOGIES)[topology]


def best_kept_up(windows: Sequence[Window]) -> float:
    """The highest offered rate kept up with (0 when none)."""
    return max((window.offered for window in windows if not window.saturated), default=0.0)


def _targets(report: Report) -> list[str]:
    one = {window.offered: window for window in report.of("one")}
    two = {window.offered: window for window in report.of("two")}
    rows = []
    if TARGET_RATE in one:
        window = one[TARGET_RATE]
        p95 = window.result.p95_ms
        met = p95 is not None and p95 <= TARGET_P95_MS and not window.saturated
        rows.append(
            f"| one instance of each sustains {TARGET_RATE:g} msg/s offered with p95 ≤ "
            f"{TARGET_P95_MS:g} ms | achieved {window.result.achieved_rate:g} msg/s, p95 "
            f"{_figure(p95)} ms | {'met' if met else '**not met**'} |"
        )
    if BALANCER_RATE in one and BALANCER_RATE in two:
        single, balanced = one[BALANCER_RATE].result.p95_ms, two[BALANCER_RATE].result.p95_ms
        if single and balanced:
            ratio = balanced / single
            rows.append(
                f"| p95 at {BALANCER_RATE:g} msg/s through the balancer ≤ {BALANCER_RATIO}× one "
                f"instance's | {balanced:g} / {single:g} ms = {ratio:.2f}× "
                f"| {'met' if ratio <= BALANCER_RATIO else '**not met**'} |"
            )
    return ["| target | measured | |", "|---|---|---|", *rows] if rows else []


def _load_rows(report: Report) -> list[str]:
    rows = []
    for window in report.windows:
        result = window.result
        rows.append(
            f"| {TOPOLOGY_NAMES[window.topology]} | {window.offered:g} "
            f"| {result.sent / window.duration_s:.2f} | {result.achieved_rate:g} "
            f"| {_figure(result.p50_ms)} | {_figure(result.p95_ms)} | {_figure(result.p99_ms)} "
            f"| {_each_round(window)} "
            f"| {result.errors}/{result.sent} | {window.others_share:.0%} "
            f"| {'**saturated**' if window.saturated else 'kept up'} |"
        )
    return rows


def _each_round(window: Window) -> str:
    """The p95 of each pooled round, in the order run."""
    if not window.rounds:
        return _figure(window.result.p95_ms)
    return " / ".join(_figure(result.p95_ms) for result in window.rounds)


def _cpu_rows(report: Report) -> list[str]:
    rows = []
    for window in report.windows:
        per = window.per_message()
        cells = [f"{per[kind]:.1f}" if kind in per else "–" for kind in (*KINDS, LOAD_KIND)]
        total = f"{servers_ms(per):.1f}" if per else "–"
        rows.append(
            f"| {TOPOLOGY_NAMES[window.topology]} | {window.offered:g} | {window.handled} "
            f"| {' | '.join(cells[:-1])} | **{total}** | {cells[-1]} |"
        )
    return rows


def _extrapolation_rows(report: Report) -> list[str]:
    rows = []
    for topology, instances in TOPOLOGIES:
        per = pooled_per_message(report.of(topology))
        if not per:
            continue
        cells = []
        for cores in CORES:
            ceiling = extrapolate(per, cores, instances)
            cells.append(f"{ceiling.sustainable:.0f}{' †' if ceiling.by_processes else ''}")
        rows.append(f"| {TOPOLOGY_NAMES[topology]} | {servers_ms(per):.1f} | {' | '.join(cells)} |")
    return rows


FASTER = 0.8  # two instances' p95 under this share of one's: the second bought speed


def verdict(report: Report) -> str:
    """The issue's sentence, with the figures that back or contradict it."""
    one, two = report.of("one"), report.of("two")
    if not one or not two:
        return f"{CLAIM}: not measured (a topology has no windows)."
    one_best, two_best = best_kept_up(one), best_kept_up(two)
    top = max(window.offered for window in one)
    per_one, per_two = pooled_per_message(one), pooled_per_message(two)
    ceiling_one, ceiling_two = extrapolate(per_one, 2, 1), extrapolate(per_two, 2, 2)
    extrapolated = (
        f"extrapolated from the CPU per message, 2 cores sustain about "
        f"{ceiling_one.sustainable:.0f} msg/s with one instance of each and "
        f"{ceiling_two.sustainable:.0f} with two"
    )
    top_one = next(w for w in one if w.offered == top).result.p95_ms
    top_two = next((w for w in two if w.offered == top), None)
    at_top = (
        f"at {top:g} msg/s offered, p95 was {_figure(top_one)} ms with one and "
        f"{_figure(top_two.result.p95_ms)} ms with two"
        if top_two is not None
        else ""
    )
    cores = report.machine.cores
    # Where both kept up, reply times tell what throughput cannot: near one core's worth of Rasa,
    # two event loops spread over two cores answer faster than one (speed, not only resilience).
    shared = [w.offered for w in one if not w.saturated and w.offered <= two_best]
    quicker = ""
    if shared:
        rate = max(shared)
        p95_one = next(w for w in one if w.offered == rate).result.p95_ms
        p95_two = next(w for w in two if w.offered == rate).result.p95_ms
        if p95_one and p95_two and p95_two < FASTER * p95_one:
            quicker = (
                f"; but at {rate:g} msg/s, the highest rate both kept up with, p95 was "
                f"{_figure(p95_two)} ms with two against {_figure(p95_one)} ms with one: each "
                f"Rasa and action server is one event loop on one core, so near that load two of "
                f"each, spread over both cores, answer faster"
            )
    if one_best == top and two_best >= top:
        measured = (
            f"neither topology saturated at the rates offered here (up to {top:g} msg/s), so the "
            f"measured throughput cannot tell them apart; {at_top}"
        )
        backed = ceiling_two.sustainable <= 1.1 * ceiling_one.sustainable
    else:
        measured = (
            f"one instance of each kept up with up to {one_best:g} msg/s offered, two of each "
            f"behind HAProxy with up to {two_best:g}; {at_top}"
        )
        backed = two_best <= one_best
    if cores != 2:
        measured += f" (measured on {cores} cores, not 2)"
    more = extrapolate(per_one, max(CORES), 1), extrapolate(per_two, max(CORES), 2)
    beyond = (
        f" With {max(CORES)} cores the second instance would buy speed too: "
        f"{more[0].sustainable:.0f} msg/s with one instance (each process at most one core) "
        f"against {more[1].sustainable:.0f} with two."
        if more[1].sustainable > 1.1 * more[0].sustainable
        else ""
    )
    if quicker:
        backed = False
        measured += quicker
    if backed:
        return (
            f"**{CLAIM}** — backed by the figures: {measured}; {extrapolated}. The second pair "
            f"shares the same cores and adds the balancer's hop; what it buys is a Rasa or "
            f"action server that can die without the city losing the assistant.{beyond}"
        )
    return f"**{CLAIM}** — the figures here contradict it: {measured}; {extrapolated}.{beyond}"


def render(report: Report) -> str:
    """docs/benchmarks-capacity.md."""
    machine = report.machine
    banners = []
    if report.quick:
        banners.append(
            "> **Smoke run (`--quick`)**: short windows at low rates, to show the benchmark works "
            "end to end. These are not figures to compare or to size a city with; rerun "
            "`python -m benchmarks.capacity` (or `make bench`) on a quiet machine."
        )
    if report.load_start > MAX_QUIET_LOAD:
        banners.append(
            f"> **Warning: the load average was {report.load_start:.2f} at the start (above "
            f"{MAX_QUIET_LOAD:g})**: other work shared the cores, so reply times are slower and "
            "the CPU per message noisier than on a quiet machine. The column *others' CPU* "
            "shows how much of the machine other processes took during each window."
        )
    postgres = f", PostgreSQL {machine.postgresql}" if machine.postgresql else ""
    lines = [
        "# Benchmarks: capacity",
        "",
        *(line for banner in banners for line in (banner, "")),
        f"Measured {machine.measured_at:%Y-%m-%d %H:%M} with `{report.command}` on {machine.cpu}, "
        f"{machine.cores} cores, {machine.ram_gb:.1f} GiB, {machine.os}, Python "
        f"{machine.python}{postgres}; load average (1 min) {report.load_start:.2f} at the start, "
        f"{report.load_end:.2f} at the end.",
        "",
        *_targets(report),
        "",
        "## Throughput and reply time",
        "",
        "Both topologies run at once on the demo city, each on its own PostgreSQL database "
        "(conversations and directory) and on one Redis lock store; only the number of instances "
        "and the balancer differ. Each rate is offered to one, then to the other, with the same "
        "open-loop Poisson arrivals (benchmarks.load: half new users' searches, half follow-ups; "
        f"each message carries what the gateway adds), in {_rounds(report)} each with "
        "arrivals of their own; each row pools its rounds' replies and CPU, and *p95 of each "
        "round* shows how much one window moves with the machine. Reply times are of search "
        "turns. "
        f"*Saturated*: over {SATURATED_ERRORS:.0%} errors, p95 above {SATURATED_P95_MS:g} ms, or "
        f"the replies ending so late that under {KEEPING_UP:.0%} of the arrival rate was "
        "achieved. *Arrived*: messages sent over the window's length (Poisson arrivals vary "
        "around the offered rate); *achieved*: over the time until the last reply. "
        "*Others' CPU*: the machine's busy time not spent by the processes accounted "
        "below.",
        "",
        "| topology | offered msg/s | arrived | achieved | p50 ms | p95 ms | p99 ms "
        "| p95 of each round | errors | others' CPU | |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *_load_rows(report),
        "",
        "## CPU per message",
        "",
        "User + system CPU time (from `/proc/<pid>/stat`, each server with its child processes) "
        "over each window, divided by the messages answered in it, in ms. *postgresql*: the "
        "backends serving the topology's database. Redis is shared with other work and not "
        "counted (one lock and release per message). The load generator (this process: it "
        "stands in for the gateway and reads each sender's chat language, its database backend "
        "not counted) is not a server and not in the total.",
        "",
        "| topology | offered msg/s | answered | rasa | actions | haproxy | postgresql | servers "
        "| load generator |",
        "|---|---|---|---|---|---|---|---|---|",
        *_cpu_rows(report),
        "",
        "## What more cores would buy (an extrapolation)",
        "",
        "Not measured: extrapolated from the CPU per message above (pooled over the windows "
        "that kept up), assuming the servers are CPU-bound and each message costs the same on "
        "more cores. Sustainable msg/s = the lower of *cores × 1000 / the servers' ms per "
        "message* and *instances × 1000 / the ms per message of the busiest Rasa or action "
        "server* (each is one Python event loop: at most one core; TensorFlow's own threads "
        "aside). † = the instances, not the cores, set the limit. The gateway needs its own "
        "share of the cores on top.",
        "",
        f"| topology | servers' ms per message | {' | '.join(f'{n} cores' for n in CORES)} |",
        f"|---|---|{'---|' * len(CORES)}",
        *_extrapolation_rows(report),
        "",
        "## Verdict",
        "",
        verdict(report),
        "",
    ]
    return "\n".join(lines)


def _rounds(report: Report) -> str:
    """How many rounds of how long each row pools (the same for every row of a run)."""
    if not report.windows:
        return "–"
    window = report.windows[0]
    count = max(len(window.rounds), 1)
    return f"{count} round{'s' if count != 1 else ''} of {window.duration_s / count:g} s"


# Measuring (needs the servers).


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read()
    except OSError:  # the process is gone
        return None


def _all_processes() -> list[ProcTimes]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (text := _read(f"/proc/{entry}/stat")) is not None:
            found.append(parse_stat(text))
    return found


def _backends(admin: psycopg.Connection[tuple[int]], database: str) -> list[int]:
    """PostgreSQL's backends serving the servers on `database` (not the load generator's)."""
    rows = admin.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s "
        "AND coalesce(application_name, '') <> %s",
        (database, LOAD_APPLICATION),
    ).fetchall()
    return [int(row[0]) for row in rows]


def snapshot(topology: Topology, admin: psycopg.Connection[tuple[int]]) -> Snapshot:
    """CPU ticks of the topology's servers (with their children), its PostgreSQL backends,
    this process, and the machine, now."""
    processes = _all_processes()
    by_pid = {process.pid: process for process in processes}
    ticks: dict[str, dict[int, int]] = {kind: {} for kind in (*KINDS, LOAD_KIND)}
    for kind, started in topology.processes.items():
        for root in started:
            for pid in descendants(root.pid, processes):
                if pid in by_pid:
                    ticks[kind][pid] = by_pid[pid].ticks
    for pid in _backends(admin, topology.database):
        if pid in by_pid:
            ticks["postgresql"][pid] = by_pid[pid].ticks
    ticks[LOAD_KIND][os.getpid()] = by_pid[os.getpid()].ticks
    if topology.instances == 1:
        del ticks["haproxy"]
    busy, total = parse_machine_cpu(_read("/proc/stat") or "")
    return Snapshot(ticks, busy, total)


def measure(
    topology: Topology,
    admin: psycopg.Connection[tuple[int]],
    rate: float,
    duration_s: float,
    *,
    seed: int = SEED,
) -> Window:
    """One window of open-loop load on the topology, with the CPU it cost."""
    send = gateway_sender(topology.url, topology.directory_url)
    before = snapshot(topology, admin)
    result = run_load(send, rate, duration_s, seed=seed)
    after = snapshot(topology, admin)
    hz = os.sysconf("SC_CLK_TCK")
    used = cpu_used(before, after)
    machine_busy = after.machine_busy - before.machine_busy
    machine_total = after.machine_total - before.machine_total
    others = max(machine_busy - sum(used.values()), 0) / machine_total if machine_total else 0.0
    cpu_ms = {kind: ticks * 1000 / hz for kind, ticks in used.items()}
    return Window(topology.name, rate, duration_s, result, cpu_ms, others)


def wait_for_quiet(patience_s: float) -> float:
    """The 1-minute load average, once it is under MAX_QUIET_LOAD or after `patience_s`."""
    deadline = time.monotonic() + patience_s
    load = os.getloadavg()[0]
    while load > MAX_QUIET_LOAD and time.monotonic() < deadline:
        print(f"Load average {load:.2f} > {MAX_QUIET_LOAD:g}: waiting for a quiet machine …")
        time.sleep(15)
        load = os.getloadavg()[0]
    if load > MAX_QUIET_LOAD:
        print(
            f"\n*** WARNING: load average {load:.2f} > {MAX_QUIET_LOAD:g} at the start: other "
            "work is running, the figures will be skewed (the report says so). ***\n",
            file=sys.stderr,
        )
    return load


def build_parser() -> argparse.ArgumentParser:
    """The benchmark's options."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.capacity", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--rates", help="offered msg/s, comma-separated (default: 5,10,20,40)")
    parser.add_argument("--duration", type=float, help="seconds per window (default: 30)")
    parser.add_argument(
        "--rounds", type=int, help=f"windows per topology and rate, pooled (default: {ROUNDS})"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: rates 5,10, one 5 s window each"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help="report file to write")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Measure both topologies and write the report."""
    args = build_parser().parse_args(argv)
    rates = [float(r) for r in (args.rates or ("5,10" if args.quick else "5,10,20,40")).split(",")]
    duration = args.duration or (5.0 if args.quick else 30.0)
    rounds = args.rounds or (1 if args.quick else ROUNDS)
    if rounds < 1:
        print("--rounds must be at least 1.", file=sys.stderr)
        return 2
    command = "python -m benchmarks.capacity " + shlex.join(sys.argv[1:] if argv is None else argv)
    if not MODEL.exists():
        print("No model: run `make train` first.", file=sys.stderr)
        return 1
    load_start = wait_for_quiet(0 if args.quick else QUIET_WAIT_S)
    machine = describe_machine(f"postgresql+psycopg://{POSTGRES}/postgres")
    report = Report(machine, command.strip(), args.quick, load_start, load_start)
    logs = Path(tempfile.mkdtemp(prefix="wayfinder-capacity-"))
    print(f"Starting both topologies (logs in {logs}) …", flush=True)
    with (
        run_topologies(TOPOLOGIES, MODEL, logs) as topologies,
        psycopg.connect(f"postgresql://{POSTGRES}/postgres", autocommit=True) as admin,
    ):
        for topology in topologies:  # caches, first model calls
            send = gateway_sender(topology.url, topology.directory_url)
            run_load(send, WARM_UP_RATE, min(duration, WARM_UP_S))
        for rate in rates:
            measured: dict[str, list[Window]] = {topology.name: [] for topology in topologies}
            for number in range(rounds):
                for topology in topologies:
                    window = measure(topology, admin, rate, duration, seed=SEED + number)
                    measured[topology.name].append(window)
                    result = window.result
                    print(
                        f"{TOPOLOGY_NAMES[topology.name]} at {rate:g} msg/s, round {number + 1}: "
                        f"achieved {result.achieved_rate:g}, p95 {_figure(result.p95_ms)} ms, "
                        f"errors {result.errors}/{result.sent}, servers' CPU "
                        f"{servers_ms(window.per_message()):.1f} ms/message",
                        flush=True,
                    )
            report.windows += [pooled_window(measured[topology.name]) for topology in topologies]
    report.load_end = os.getloadavg()[0]
    text = render(report)
    args.output.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
