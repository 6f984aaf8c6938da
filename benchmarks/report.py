"""docs/benchmarks.md: a list of sections, each a function of the findings returning markdown.

To add a measurement (e.g. the bot's reply times), give Findings a field for it, write a section
function, and add it to SECTIONS.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from benchmarks.cached_directories import size_label
from benchmarks.import_timing import TARGET_ROWS_PER_S, ImportRun
from benchmarks.machine import Machine
from benchmarks.relevance import TARGET_NDCG, Relevance
from benchmarks.search_timing import TARGET_P95_MS, SearchRun

# Where the search speed target applies: the largest directory each backend is meant for.
TARGET_SIZES = {"sqlite": 100_000, "postgresql": 1_000_000}
BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
SQL_SHOWN = 1_500
PARAMETERS_SHOWN = 400


@dataclass(frozen=True)
class Generation:
    """How one benchmark database came to be: generated now (with the time taken) or reused."""

    backend: str
    size: int
    seconds: float | None  # None when a cached database was reused


@dataclass
class Findings:
    """Everything measured in one run of the benchmarks."""

    machine: Machine
    generator_version: int
    seed: int
    reference_date: date
    command: str
    generation: list[Generation] = field(default_factory=list)
    search: list[SearchRun] = field(default_factory=list)
    imports: list[ImportRun] = field(default_factory=list)
    relevance: list[Relevance] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


Section = Callable[[Findings], str]


def render(findings: Findings, sections: Sequence[Section] | None = None) -> str:
    """The whole document: a title, then every non-empty section in order."""
    parts = [section(findings) for section in (SECTIONS if sections is None else sections)]
    body = "\n\n".join(part.strip() for part in parts if part.strip())
    return f"# Benchmarks\n\n{body}\n"


def summary_section(findings: Findings) -> str:
    """The targets at a glance."""
    lines = [
        f"Measured {findings.machine.measured_at:%Y-%m-%d %H:%M} with `{findings.command}`.",
        "",
        "| target | measured | |",
        "|---|---|---|",
    ]
    for run in findings.search:
        if TARGET_SIZES.get(run.backend) == run.size:
            lines.append(
                f"| search p95 ≤ {TARGET_P95_MS:.0f} ms, {_db(run.backend, run.size)} "
                f"| {run.p95:.1f} ms | {_verdict(run.p95 <= TARGET_P95_MS)} |"
            )
    for imported in findings.imports:
        lines.append(
            f"| import ≥ {TARGET_ROWS_PER_S:,.0f} rows/s, {BACKEND_NAMES[imported.backend]} "
            f"| {_import_figure(imported)} | "
            f"{_verdict(not imported.problems and imported.rows_per_s >= TARGET_ROWS_PER_S)} |"
        )
    for relevance in findings.relevance:
        if relevance.ndcg is None:
            continue
        lines.append(
            f"| relevance nDCG@5 ≥ {TARGET_NDCG}, {relevance.city} | {relevance.ndcg:.3f} "
            f"| {_verdict(relevance.ndcg >= TARGET_NDCG)} |"
        )
        lines.append(
            f"| no judged query empty, {relevance.city} | {len(relevance.empty)} empty "
            f"| {_verdict(not relevance.empty)} |"
        )
    lines.extend(f"\n> {note}" for note in findings.notes)
    return "\n".join(lines)


def machine_section(findings: Findings) -> str:
    """The hardware and software the figures come from."""
    machine = findings.machine
    return "\n".join(
        [
            "## Machine",
            "",
            f"- CPU: {machine.cpu}, {machine.cores} cores",
            f"- RAM: {machine.ram_gb:.1f} GiB",
            f"- OS: {machine.os}",
            f"- Python {machine.python}, SQLite {machine.sqlite}, "
            f"PostgreSQL {machine.postgresql or 'not used'}",
            f"- Date: {machine.measured_at:%Y-%m-%d %H:%M}; load average {machine.load:.1f} when "
            "the run started (other work on the machine slows every figure)",
        ]
    )


def search_section(findings: Findings) -> str:
    """Search latency per database, per query, and what makes slow queries slow."""
    if not findings.search:
        return ""
    runs = findings.search
    lines = [
        "## Search speed",
        "",
        f"{len(runs[0].queries)} typical queries (`benchmarks/queries.yml`), each run once to warm "
        f"up and then {len(runs[0].queries[0].samples_ms) if runs[0].queries else 0} times, "
        "round-robin, through `knowledge.search.engine.search` in a fresh session (as a chat turn "
        "would), with the generated city's reference date as today. Times include interpreting "
        "the text, SQL and ranking.",
        "",
        "| database | p50 | p95 | mean | target p95 ≤ 50 ms |",
        "|---|---|---|---|---|",
    ]
    for run in runs:
        target = (
            _verdict(run.p95 <= TARGET_P95_MS) if TARGET_SIZES.get(run.backend) == run.size else "—"
        )
        lines.append(
            f"| {_db(run.backend, run.size)} | {run.p50:.1f} ms | {run.p95:.1f} ms "
            f"| {run.mean:.1f} ms | {target} |"
        )
    largest = runs[-1]
    lines += [
        "",
        "Median time per query (ms); on the last database, how many listings matched and how long "
        "the search's SQL statements take when replayed alone (the rest is Python):",
        "",
    ]
    header = " | ".join(_db(run.backend, run.size) for run in runs)
    lines += [f"| query | {header} | matches | SQL ms |", "|---" * (len(runs) + 3) + "|"]
    for index, timing in enumerate(runs[0].queries):
        cells = " | ".join(_median_cell(run, index) for run in runs)
        last = largest.queries[index]
        matches = f"{last.total}" if last.total_is_exact else f"{last.total}+"
        lines.append(f"| {timing.name} | {cells} | {matches} | {last.sql_ms:.1f} |")
    errors = {t.name: t.error for run in runs for t in run.queries if t.error}
    for name, error in errors.items():
        lines.append(f"\n> `{name}` could not run: {error}")
    lines.append(_slow_queries(runs))
    return "\n".join(lines)


def _slow_queries(runs: list[SearchRun]) -> str:
    """For each query over the target: SQL count and time, the slowest statement, plan, profile."""
    slow = [(run, timing) for run in runs for timing in run.slow]
    if not slow:
        return f"\nNo query's median is over {TARGET_P95_MS:.0f} ms on any database."
    lines = [
        "",
        f"### Queries over {TARGET_P95_MS:.0f} ms",
        "",
        "For each: how many SQL statements the search ran and how long they take, the slowest "
        "statement with its plan, and where the time goes in our code (cumulative, one run).",
    ]
    for run, timing in slow:
        lines += [
            "",
            f"#### {timing.name} — {_db(run.backend, run.size)}: median {timing.median_ms:.1f} ms",
            "",
            f"{timing.statements} SQL statements taking {timing.sql_ms:.1f} ms with their rows "
            "fetched (replayed one by one on the driver); the rest is Python.",
        ]
        if timing.slowest is not None:
            lines += [
                "",
                f"Slowest statement ({timing.slowest.ms:.1f} ms):",
                "",
                "```sql",
                _shorten(timing.slowest.sql.strip(), SQL_SHOWN),
                "```",
                "",
                f"Parameters: `{_shorten(repr(timing.slowest.parameters), PARAMETERS_SHOWN)}`",
            ]
            if timing.slowest.plan:
                lines += ["", "Plan:", "", "```", timing.slowest.plan, "```"]
        if timing.profile:
            lines += ["", "Profile:", "", "```", *timing.profile, "```"]
    return "\n".join(lines)


def import_section(findings: Findings) -> str:
    """Rows per second importing a generated spreadsheet into an empty directory."""
    if not findings.imports:
        return ""
    lines = [
        "## Import speed",
        "",
        f"A generated {findings.imports[0].rows:,}-row spreadsheet in the import format "
        "(`benchmarks/csvfile.py`) imported with `knowledge.transfer.csv_import.import_csv` into "
        "an empty, migrated database, in one transaction, commit included (and the spaCy "
        "pipeline's start). Each import runs several times into a new empty database; the "
        "figure is the median attempt.",
        "",
        f"| database | rows | seconds (median) | attempts (s) | rows/s "
        f"| target ≥ {TARGET_ROWS_PER_S:,.0f} rows/s |",
        "|---|---|---|---|---|---|",
    ]
    for run in findings.imports:
        verdict = _verdict(not run.problems and run.rows_per_s >= TARGET_ROWS_PER_S)
        attempts = ", ".join(f"{seconds:.2f}" for seconds in run.attempts) or "—"
        lines.append(
            f"| {BACKEND_NAMES[run.backend]} | {run.rows:,} | {run.seconds:.2f} | {attempts} "
            f"| {_import_figure(run)} | {verdict} |"
        )
    for run in findings.imports:
        if run.problems:
            lines.append(f"\n> The {BACKEND_NAMES[run.backend]} import was refused:")
            lines += [f"> - {problem}" for problem in run.problems]
    return "\n".join(lines)


def relevance_section(findings: Findings) -> str:
    """nDCG@5 over the judged queries of each city: the demo and those written apart."""
    if not findings.relevance:
        return ""
    lines = ["## Relevance"]
    for relevance in findings.relevance:
        lines += ["", f"### {relevance.city}", ""]
        if relevance.ndcg is None:
            lines.append(f"Not measured: {relevance.note}")
            continue
        lines.append(
            f"nDCG@5 over {relevance.queries} judged queries (`{relevance.source}`, graded "
            f"0–3): **{relevance.ndcg:.3f}** (target ≥ {TARGET_NDCG}: "
            f"{_verdict(relevance.ndcg >= TARGET_NDCG).lower()}); queries that found nothing "
            f"although a listing fits: {len(relevance.empty)}."
        )
        lines += [f"- empty: {label}" for label in relevance.empty]
        if relevance.lowest:
            lines += ["", "Lowest-scoring queries:", "", "| query | nDCG@5 |", "|---|---|"]
            lines += [f"| {query} | {score:.3f} |" for query, score in relevance.lowest]
    return "\n".join(lines)


def generation_section(findings: Findings) -> str:
    """How the benchmark directories were made, and how long that took."""
    lines = [
        "## Generated directories",
        "",
        f"`benchmarks/generate.py`, generator version {findings.generator_version}, seed "
        f"{findings.seed}, reference date {findings.reference_date}: the demo city's topics "
        "(with synonyms) and neighbourhoods plus generated ones (45 over about 40 × 30 km, "
        "sites clustered around their centres), one provider per 25 listings, topic frequencies "
        "skewed as in a real city (sports, art, coding, music common; astronomy rare), kids/teens/"
        "adults age ranges, about 40% free, 92% active, weekly terms, summer camps, drop-ins, "
        "workshops and certificate courses, several languages and credentials. Rows are "
        "bulk-inserted (COPY on PostgreSQL, executemany on SQLite) with the derived search "
        "columns computed by `knowledge.search.index`.",
    ]
    if findings.generation:
        lines += ["", "| database | generated in |", "|---|---|"]
        for item in findings.generation:
            took = "reused from cache" if item.seconds is None else f"{item.seconds:.0f} s"
            lines.append(f"| {_db(item.backend, item.size)} | {took} |")
    return "\n".join(lines)


def reproduce_section(findings: Findings) -> str:
    """One line to get the same figures."""
    return "\n".join(
        [
            "## How to reproduce",
            "",
            f"`make bench` (runs `{findings.command}`); PostgreSQL from "
            "`WAYFINDER_BENCH_POSTGRES_URL` (default "
            "`postgresql+psycopg://postgres@127.0.0.1:5432/wayfinder_bench`), one schema per size. "
            f"Generated databases are cached in `benchmarks/data/` (SQLite) and the `bench_<size>` "
            "schemas (PostgreSQL), keyed by size and generator version "
            f"{findings.generator_version}, so re-runs only measure.",
        ]
    )


SECTIONS: list[Section] = [
    summary_section,
    machine_section,
    search_section,
    import_section,
    relevance_section,
    generation_section,
    reproduce_section,
]


def _shorten(text: str, limit: int) -> str:
    """Long SQL (IN lists) and parameter dumps cut to a readable length."""
    return text if len(text) <= limit else text[:limit].rstrip() + " …"


def _db(backend: str, size: int) -> str:
    """e.g. 'SQLite 100k'."""
    return f"{BACKEND_NAMES[backend]} {size_label(size)}"


def _verdict(met: bool) -> str:
    """Met or not met, visibly."""
    return "met" if met else "**not met**"


def _median_cell(run: SearchRun, index: int) -> str:
    """A query's median on one run, bold when over the target."""
    timing = run.queries[index]
    if timing.error:
        return "error"
    text = f"{timing.median_ms:.1f}"
    return f"**{text}**" if timing.median_ms > TARGET_P95_MS else text


def _import_figure(run: ImportRun) -> str:
    """Rows per second, or why there is no figure."""
    return "refused" if run.problems else f"{run.rows_per_s:,.0f}"
