"""docs/benchmarks.md: targets marked met or not, slow queries explained, sections extensible."""

from __future__ import annotations

from datetime import date, datetime

from benchmarks.import_timing import ImportRun, median_run
from benchmarks.machine import Machine
from benchmarks.relevance import Relevance
from benchmarks.report import Findings, import_section, render
from benchmarks.search_timing import QueryTiming, SearchRun, Statement, percentile


def findings(*, p95_ms: float, rows_per_s: float, ndcg: float) -> Findings:
    """A run with one query timed at `p95_ms` on SQLite 100k, one import and a relevance score."""
    machine = Machine(
        cpu="Test CPU",
        cores=2,
        ram_gb=8.0,
        os="Test OS",
        python="3.10.13",
        sqlite="3.40.1",
        postgresql=None,
        measured_at=datetime(2026, 11, 23, 12, 0),
        load=0.2,
    )
    timing = QueryTiming(
        "free coding club",
        samples_ms=[p95_ms] * 5,
        total=12,
        statements=2,
        sql_ms=3.0,
        slowest=Statement("SELECT 1", (), 2.0, plan="SCAN opportunity"),
        profile=["   9.0 ms  knowledge/search/engine.py:29 search (×1)"],
    )
    run = SearchRun("sqlite", 100_000, [timing])
    imported = ImportRun("sqlite", 10_000, 10_000 / rows_per_s, 10_000, ())
    result = Findings(machine, 1, 7, date(2026, 11, 23), "python -m benchmarks.run")
    result.search.append(run)
    result.imports.append(imported)
    result.relevance = [Relevance(ndcg, 45, [("'robotics'", 0.5)])]
    return result


def test_report_marks_every_target_met_when_figures_are_good() -> None:
    text = render(findings(p95_ms=20.0, rows_per_s=3_000, ndcg=0.9))
    assert "not met" not in text
    assert "| search p95 ≤ 50 ms, SQLite 100k | 20.0 ms | met |" in text
    assert "No query's median is over 50 ms" in text


def test_report_marks_missed_targets_and_explains_slow_queries() -> None:
    text = render(findings(p95_ms=80.0, rows_per_s=1_000, ndcg=0.7))
    assert text.count("**not met**") >= 3
    assert "#### free coding club — SQLite 100k: median 80.0 ms" in text
    assert "SCAN opportunity" in text
    assert "knowledge/search/engine.py:29 search" in text


def test_report_is_a_list_of_sections_others_can_extend() -> None:
    def replies(_findings: Findings) -> str:
        return "## Bot reply time\n\np95 0.4 s"

    text = render(findings(p95_ms=20.0, rows_per_s=3_000, ndcg=0.9), [replies])
    assert text == "# Benchmarks\n\n## Bot reply time\n\np95 0.4 s\n"


def test_percentile_uses_nearest_rank() -> None:
    samples = [float(value) for value in range(1, 21)]
    assert percentile(samples, 50) == 10.0
    assert percentile(samples, 95) == 19.0
    assert percentile([], 95) == 0.0


def test_repeated_imports_report_the_median_attempt_and_keep_every_attempt() -> None:
    runs = [ImportRun("sqlite", 10_000, seconds, 10_000, ()) for seconds in (6.0, 4.0, 5.0)]
    figure = median_run(runs)
    assert figure.seconds == 5.0
    assert figure.attempts == (6.0, 4.0, 5.0)
    assert "| 5.00 | 6.00, 4.00, 5.00 | 2,000 |" in import_section(_with_imports([figure]))


def test_a_refused_attempt_is_the_figure_whatever_the_others_took() -> None:
    refused = ImportRun("sqlite", 10_000, 0.0, 0, ("row 2: title is required but empty",))
    figure = median_run([ImportRun("sqlite", 10_000, 4.0, 10_000, ()), refused])
    assert figure is refused
    assert "refused" in import_section(_with_imports([figure]))


def _with_imports(runs: list[ImportRun]) -> Findings:
    """Findings holding only import figures."""
    result = findings(p95_ms=10.0, rows_per_s=3_000.0, ndcg=0.9)
    result.imports = runs
    return result
