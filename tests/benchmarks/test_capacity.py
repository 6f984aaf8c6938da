"""The capacity benchmark's arithmetic and report: CPU from /proc text, the extrapolation, the
verdict. No servers: windows are built by hand."""

from __future__ import annotations

from datetime import datetime

import pytest

from benchmarks.capacity import (
    CLAIM,
    LOAD_KIND,
    Report,
    Snapshot,
    Window,
    cpu_used,
    descendants,
    extrapolate,
    parse_machine_cpu,
    parse_stat,
    pooled_per_message,
    pooled_window,
    render,
    saturated,
)
from benchmarks.load import LoadResult, Sample, summarise
from benchmarks.machine import Machine

# A real /proc/<pid>/stat line, its command name holding a space and a parenthesis.
STAT = (
    "4242 (rasa (main) x) S 4200 4242 4200 0 -1 4194560 81234 0 12 0 "
    "1500 230 7 3 20 0 31 0 123456 1234567890 150000 18446744073709551615 1 1 0 0 0 0 0 "
    "16781312 17642 0 0 0 17 1 0 0 0 0 0"
)
PROC_STAT = "cpu  1000 50 300 8000 100 0 20 0 0 0\ncpu0 500 25 150 4000 50 0 10 0 0 0\nintr 12345\n"


def result(
    sent: int, errors: int = 0, achieved: float = 5.0, p95: float | None = 90.0
) -> LoadResult:
    return LoadResult(5.0, 10.0, sent, errors, achieved, 50.0, p95, 120.0)


def window(topology: str, offered: float, cpu_ms: dict[str, float], **kw: float) -> Window:
    sent = int(offered * 10)
    load = result(sent, achieved=kw.get("achieved", offered), p95=kw.get("p95", 90.0))
    return Window(topology, offered, 10.0, load, cpu_ms, kw.get("others", 0.1))


def machine(cores: int = 2) -> Machine:
    return Machine(
        "Test CPU", cores, 8.0, "Debian", "3.12", "3.40", "15.2", datetime(2026, 12, 6, 9, 0), 0.3
    )


def test_stat_fields_are_counted_after_the_command_name_however_odd() -> None:
    parsed = parse_stat(STAT)
    assert (parsed.pid, parsed.ppid, parsed.ticks) == (4242, 4200, 1500 + 230)


def test_machine_cpu_counts_idle_and_iowait_as_not_busy() -> None:
    busy, total = parse_machine_cpu(PROC_STAT)
    assert total == 1000 + 50 + 300 + 8000 + 100 + 20
    assert busy == total - 8000 - 100


def test_a_servers_children_are_found_through_every_generation() -> None:
    stats = [parse_stat(STAT.replace("4242 (", f"{pid} (").replace(" 4200 ", f" {ppid} ", 1))
             for pid, ppid in ((10, 1), (11, 10), (12, 11), (13, 1))]  # fmt: skip
    assert descendants(10, stats) == {10, 11, 12}


def test_cpu_used_counts_a_process_born_in_the_window_from_zero() -> None:
    before = Snapshot({"rasa": {1: 100}, "postgresql": {7: 40}}, 0, 0)
    after = Snapshot({"rasa": {1: 160}, "postgresql": {7: 50, 8: 5}}, 0, 0)
    assert cpu_used(before, after) == {"rasa": 60, "postgresql": 15}


def test_cpu_per_message_divides_by_the_answered_messages_only() -> None:
    answered = Window("one", 5.0, 10.0, result(sent=50, errors=10), {"rasa": 800.0}, 0.0)
    assert answered.handled == 40
    assert answered.per_message() == {"rasa": 20.0}


def test_saturation_is_errors_a_slow_p95_or_replies_falling_behind() -> None:
    assert not saturated(result(sent=50, achieved=4.8), 10.0)
    assert saturated(result(sent=50, errors=1), 10.0)
    assert saturated(result(sent=50, p95=1500.0), 10.0)
    assert saturated(result(sent=50, achieved=3.0), 10.0)  # replies drained long after
    assert saturated(result(sent=50, p95=None), 10.0)  # no search turn answered


def test_pooled_cpu_leaves_out_saturated_windows() -> None:
    kept = window("one", 5.0, {"rasa": 1000.0})  # 50 messages: 20 ms each
    behind = window("one", 40.0, {"rasa": 100.0}, achieved=20.0)
    assert behind.saturated
    assert pooled_per_message([kept, behind]) == {"rasa": 20.0}
    assert pooled_per_message([behind]) == {"rasa": 100.0 / 400}


def test_extrapolation_shares_the_cores_and_caps_each_process_at_one() -> None:
    per_message = {"rasa": 40.0, "actions": 20.0, "postgresql": 10.0, LOAD_KIND: 30.0}
    on_two = extrapolate(per_message, cores=2, instances=1)
    assert on_two.cpu_bound == pytest.approx(2000 / 70)  # the load generator is not a server
    assert on_two.process_bound == pytest.approx(1000 / 40)  # one Rasa: one core at most
    assert on_two.sustainable == pytest.approx(25.0)
    assert on_two.by_processes
    on_four = extrapolate(per_message, cores=4, instances=2)
    assert on_four.sustainable == pytest.approx(min(4000 / 70, 2000 / 40))


def report(windows: list[Window], *, load_start: float = 0.4, quick: bool = False) -> Report:
    return Report(machine(), "python -m benchmarks.capacity", quick, load_start, 0.6, windows)


def same_speed() -> list[Window]:
    """Both topologies keep up at 5 and 10 msg/s and fall behind at 20; the second costs more."""
    one = {"rasa": 30.0, "actions": 10.0, "postgresql": 5.0}
    two = {"rasa": 31.0, "actions": 11.0, "postgresql": 5.0, "haproxy": 1.0}
    windows = []
    for rate in (5.0, 10.0, 20.0):
        late = {"achieved": rate / 2, "p95": 2500.0} if rate == 20.0 else {}
        windows.append(window("one", rate, {k: v * rate * 10 for k, v in one.items()}, **late))
        windows.append(window("two", rate, {k: v * rate * 10 for k, v in two.items()}, **late))
    return windows


def test_report_backs_the_claim_when_two_instances_saturate_where_one_does() -> None:
    text = render(report(same_speed()))
    assert f"**{CLAIM}** — backed by the figures" in text
    assert "kept up with up to 10 msg/s offered, two of each behind HAProxy with up to 10" in text
    assert (
        "| 1 Rasa + 1 action server | 20 | 20.00 | 10 | 50 | 2500 | 120 | 2500 | 0/200 | 10% "
        "| **saturated** |" in text
    )
    assert (
        "| 2 Rasa + 2 action servers, HAProxy | 5 | 50 | 31.0 | 11.0 | 1.0 | 5.0 | **48.0** |"
        in text
    )
    assert "Smoke run" not in text and "Warning" not in text


def test_report_contradicts_the_claim_when_two_instances_go_further() -> None:
    windows = [w for w in same_speed() if not (w.topology == "two" and w.offered == 20.0)]
    windows.append(window("two", 20.0, {"rasa": 6000.0, "actions": 2000.0}, p95=200.0))
    text = render(report(windows))
    assert "the figures here contradict it" in text
    assert "two of each behind HAProxy with up to 20" in text


def test_report_marks_a_quick_run_and_warns_of_a_busy_machine() -> None:
    text = render(report(same_speed(), load_start=2.5, quick=True))
    assert "**Smoke run (`--quick`)**" in text
    assert "**Warning: the load average was 2.50 at the start (above 1)**" in text
    assert "load average (1 min) 2.50 at the start, 0.60 at the end" in text
    assert "on Test CPU, 2 cores, 8.0 GiB" in text


def test_report_shows_the_extrapolation_as_such_with_the_process_limit_marked() -> None:
    text = render(report(same_speed()))
    assert "## What more cores would buy (an extrapolation)" in text
    # one instance: 45 ms per message → 44 msg/s on 2 cores, but one Rasa at 30 ms caps it at 33
    assert "| 1 Rasa + 1 action server | 45.0 | 33 † | 33 † | 33 † |" in text
    assert "| 2 Rasa + 2 action servers, HAProxy | 48.0 | 42 | 62 | 65 † |" in text


def test_report_says_when_the_rates_offered_never_saturated_either_topology() -> None:
    windows = [w for w in same_speed() if w.offered < 20.0]
    text = render(report(windows))
    assert "neither topology saturated at the rates offered here (up to 10 msg/s)" in text
    # then the extrapolation decides: one Rasa at 30 ms per message fills its one core first
    assert "2 cores sustain about 33 msg/s with one instance of each and 42 with two" in text
    assert "the figures here contradict it" in text


def test_report_contradicts_the_claim_when_two_instances_answer_faster_near_saturation() -> None:
    windows = same_speed()
    for each in windows:  # at 10 msg/s one instance's single Rasa loop queues, two do not
        if each.offered == 10.0:
            each.result.p95_ms = 800.0 if each.topology == "one" else 400.0
    text = render(report(windows))
    assert "the figures here contradict it" in text
    assert "at 10 msg/s, the highest rate both kept up with, p95 was 400 ms with two" in text


def _round(seconds: list[float], cpu_ms: float, others: float = 0.1) -> Window:
    """A 10 s window at 2 msg/s whose search turns took these times."""
    load = summarise([Sample(value, True, True) for value in seconds], 2.0, 10.0)
    return Window("one", 2.0, 10.0, load, {"rasa": cpu_ms}, others)


def test_rounds_pool_their_replies_and_cpu_and_show_each_rounds_p95() -> None:
    quick = [0.05] * 19 + [0.06]
    slow = [0.05] * 17 + [0.4] * 3
    rounds = [_round(quick, 400.0, 0.1), _round(slow, 600.0, 0.3), _round(quick, 500.0, 0.2)]
    pooled = pooled_window(rounds)
    assert pooled.result.sent == 60 and pooled.duration_s == 30.0
    assert (
        pooled.result.p95_ms
        == summarise(
            [Sample(value, True, True) for value in quick + slow + quick], 2.0, 30.0
        ).p95_ms
    )
    assert pooled.result.p95_ms not in {r.result.p95_ms for r in rounds}  # not one round's
    assert pooled.cpu_ms == {"rasa": 1500.0} and pooled.per_message() == {"rasa": 25.0}
    assert pooled.others_share == pytest.approx(0.2)
    assert not pooled.saturated
    text = render(Report(machine(), "python -m benchmarks.capacity", False, 0.2, 0.2, [pooled]))
    assert "in 3 rounds of 10 s each" in text
    assert "| 50.5 / 400 / 50.5 |" in text
    assert pooled_window(rounds[:1]) is rounds[0]


def test_a_pooled_window_is_saturated_when_any_round_was() -> None:
    fine = _round([0.05] * 20, 400.0)
    behind = _round([0.05] * 10 + [2.0] * 10, 400.0)  # p95 above a second
    assert behind.saturated and not fine.saturated
    assert pooled_window([fine, fine, behind]).saturated
