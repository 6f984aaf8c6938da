"""The channels benchmark's report: lost or duplicated messages and the overhead target."""

from __future__ import annotations

from benchmarks.channels import UserResult, percentile, render


def test_percentiles_by_nearest_rank() -> None:
    assert percentile([3.0, 1.0, 2.0, 4.0], 0.5) == 3.0
    assert percentile(list(map(float, range(1, 101))), 0.95) == 96.0
    assert percentile([], 0.95) == 0.0


def test_the_report_meets_the_target_only_with_nothing_lost_and_little_overhead() -> None:
    good = [UserResult("telegram", 3, 3, [0.1, 0.2, 0.3]), UserResult("web", 3, 3, [0.1] * 3)]
    stats = {
        "telegram": {"overhead_p50_ms": 4.0, "overhead_p95_ms": 9.0, "overhead_max_ms": 30.0},
        "web": {"overhead_p50_ms": 2.0, "overhead_p95_ms": 25.0, "overhead_max_ms": 40.0},
    }
    report = render(good, stats, 1, 12.0)
    assert "- telegram: no lost or duplicated message" in report
    assert "ms: met" in report.split("- telegram")[1].splitlines()[0]
    assert "**not met**" in report.split("- web")[1].splitlines()[0]  # 25 ms > 20 ms

    lost = [UserResult("telegram", 3, 2, [0.1, 0.2], ["chat 1: no reply to 'hi'"])]
    report = render(lost, {"telegram": stats["telegram"]}, 1, 12.0)
    assert "| telegram | 3 | 2 | 1 |" in report
    assert "> chat 1: no reply to 'hi'" in report
    assert "**not met**" in report.split("- telegram")[1].splitlines()[0]
