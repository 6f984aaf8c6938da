"""Search speed: typical queries timed on a generated directory, with the SQL behind slow ones."""

from __future__ import annotations

import cProfile
import math
import pstats
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from benchmarks.listing import REFERENCE_DATE
from knowledge.db import make_engine
from knowledge.search.engine import search
from knowledge.search.query import QueryError, SearchQuery
from knowledge.settings import PROJECT_ROOT

QUERIES = Path(__file__).resolve().parent / "queries.yml"
TARGET_P95_MS = 50.0
REPEATS = 5


@dataclass(frozen=True)
class BenchQuery:
    """A named query from queries.yml."""

    name: str
    query: SearchQuery


@dataclass(frozen=True)
class Statement:
    """One SQL statement a search ran, how long it took with its rows fetched, and its plan."""

    sql: str
    parameters: Any
    ms: float
    plan: str = ""


@dataclass
class QueryTiming:
    """Every timed run of one query on one database."""

    name: str
    samples_ms: list[float] = field(default_factory=list)
    total: int = 0
    total_is_exact: bool = True
    statements: int = 0
    sql_ms: float = 0.0
    slowest: Statement | None = None
    profile: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def median_ms(self) -> float:
        """The typical time of this query."""
        return statistics.median(self.samples_ms) if self.samples_ms else 0.0

    @property
    def max_ms(self) -> float:
        """The worst run."""
        return max(self.samples_ms, default=0.0)


@dataclass
class SearchRun:
    """All queries on one database: the figures the report shows."""

    backend: str
    size: int
    queries: list[QueryTiming]

    @property
    def samples(self) -> list[float]:
        """Every timed run of every query."""
        return [ms for timing in self.queries for ms in timing.samples_ms]

    @property
    def p50(self) -> float:
        """Median over all runs."""
        return percentile(self.samples, 50)

    @property
    def p95(self) -> float:
        """95th percentile over all runs."""
        return percentile(self.samples, 95)

    @property
    def mean(self) -> float:
        """Mean over all runs."""
        return statistics.fmean(self.samples) if self.samples else 0.0

    @property
    def slow(self) -> list[QueryTiming]:
        """Queries whose typical time is over the p95 target, slowest first."""
        over = [timing for timing in self.queries if timing.median_ms > TARGET_P95_MS]
        return sorted(over, key=lambda timing: -timing.median_ms)


def percentile(samples: list[float], pct: float) -> float:
    """The nearest-rank percentile (0 for no samples)."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def load_queries(path: Path = QUERIES) -> list[BenchQuery]:
    """The benchmark queries, checked by SearchQuery itself."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    queries = []
    for entry in entries:
        values = dict(entry)
        name = str(values.pop("name"))
        for key in ("days", "when", "topics"):
            if key in values:
                values[key] = tuple(values[key])
        if "near" in values:
            values["near"] = (float(values["near"][0]), float(values["near"][1]))
        queries.append(BenchQuery(name, SearchQuery(**values)))
    return queries


def time_search(
    url: str, backend: str, size: int, queries: list[BenchQuery], *, repeats: int = REPEATS
) -> SearchRun:
    """Warm up each query, time `repeats` rounds, then explain the slowest SQL of slow ones."""
    engine = make_engine(url)
    timings = [QueryTiming(bench.name) for bench in queries]
    try:
        for bench, timing in zip(queries, timings, strict=True):
            _run(engine, bench, timing, record=False)
        for _ in range(repeats):
            for bench, timing in zip(queries, timings, strict=True):
                if timing.error is None:
                    _run(engine, bench, timing, record=True)
        for bench, timing in zip(queries, timings, strict=True):
            if timing.error is None:
                _trace(engine, bench, timing, explain=timing.median_ms > TARGET_P95_MS)
    finally:
        engine.dispose()
    return SearchRun(backend, size, timings)


def _run(engine: Engine, bench: BenchQuery, timing: QueryTiming, *, record: bool) -> None:
    """One search in its own session, as a chat turn or CLI call would run it."""
    started = time.perf_counter()
    try:
        with Session(engine) as session:
            result = search(session, bench.query, today=REFERENCE_DATE)
    except QueryError as error:
        timing.error = str(error)
        return
    except Exception as error:  # a crash is reported with the figures, not instead of them
        timing.error = f"the search crashed: {error!r}"
        return
    elapsed = (time.perf_counter() - started) * 1000
    timing.total = result.total
    timing.total_is_exact = result.total_is_exact
    if record:
        timing.samples_ms.append(elapsed)


def _trace(engine: Engine, bench: BenchQuery, timing: QueryTiming, *, explain: bool) -> None:
    """Capture the search's SQL, replay each statement to time it with its rows fetched (SQLite
    does most of its work while rows are fetched), keep the slowest and, if asked, its plan."""
    with _statements(engine) as seen, Session(engine) as session:
        search(session, bench.query, today=REFERENCE_DATE)
    timed = [
        Statement(sql, parameters, _replay(engine, sql, parameters)) for sql, parameters in seen
    ]
    timing.statements = len(timed)
    timing.sql_ms = sum(statement.ms for statement in timed)
    if not timed:
        return
    slowest = max(timed, key=lambda statement: statement.ms)
    if explain:
        plan = _driver_rows(engine, _explain_prefix(engine) + slowest.sql, slowest.parameters)
        slowest = Statement(slowest.sql, slowest.parameters, slowest.ms, _format_plan(engine, plan))
        timing.profile = _profile(engine, bench)
    timing.slowest = slowest


def _profile(engine: Engine, bench: BenchQuery, top: int = 12) -> list[str]:
    """Where a search spends its time in our code: the heaviest knowledge.* functions."""
    profiler = cProfile.Profile()
    with Session(engine) as session:
        profiler.runcall(search, session, bench.query, today=REFERENCE_DATE)
    stats: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    ours = [
        (cumulative, calls, f"{Path(file).relative_to(PROJECT_ROOT)}:{line} {name}")
        for (file, line, name), (_, calls, _, cumulative, _) in stats.items()
        if file.startswith(str(PROJECT_ROOT / "knowledge"))
    ]
    ours.sort(reverse=True)
    return [f"{seconds * 1000:7.1f} ms  {where} (×{calls})" for seconds, calls, where in ours[:top]]


@contextmanager
def _statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """Collect every single (not executemany) statement run on the engine while the block runs."""
    seen: list[tuple[str, Any]] = []

    def before(_conn: Any, _cursor: Any, sql: str, params: Any, _ctx: Any, many: bool) -> None:
        if not many:
            seen.append((sql, params))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _replay(engine: Engine, sql: str, parameters: Any) -> float:
    """Milliseconds to run a statement and fetch all its rows."""
    started = time.perf_counter()
    _driver_rows(engine, sql, parameters)
    return (time.perf_counter() - started) * 1000


def _driver_rows(engine: Engine, sql: str, parameters: Any) -> list[Any]:
    """Run SQL straight on the driver (as SQLAlchemy sent it) and fetch every row."""
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        assert driver is not None
        cursor = driver.cursor()
        try:
            cursor.execute(sql, parameters)
            return list(cursor.fetchall())
        finally:
            cursor.close()


def _explain_prefix(engine: Engine) -> str:
    """EXPLAIN ANALYZE on PostgreSQL (real timings), QUERY PLAN on SQLite."""
    if engine.dialect.name == "postgresql":
        return "EXPLAIN (ANALYZE, BUFFERS) "
    return "EXPLAIN QUERY PLAN "


def _format_plan(engine: Engine, rows: list[Any]) -> str:
    """The plan as the database's own tools print it."""
    if engine.dialect.name == "postgresql":
        return "\n".join(str(row[0]) for row in rows)
    return "\n".join(f"{row[0]:>3} {row[1]:>3}  {row[-1]}" for row in rows)
