"""`make bench`: generate (or reuse) directories, measure search, import and relevance, write docs.

.venv/bin/python -m benchmarks.run [--sizes 10k,100k,1m] [--skip-postgres] [--skip-import] …
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from benchmarks.cached_directories import (
    DATA_DIR,
    DEFAULT_WORKERS,
    Prepared,
    database_label,
    ensure_postgres_database,
    fresh_postgres_schema,
    parse_size,
    postgres_base_url,
    postgres_directory,
    size_label,
    sqlite_directory,
)
from benchmarks.csvfile import write_import_csv
from benchmarks.generate import DEFAULT_SEED, GENERATOR_VERSION
from benchmarks.import_timing import ImportRun, median_run, time_import
from benchmarks.listing import REFERENCE_DATE
from benchmarks.machine import describe_machine
from benchmarks.relevance import Relevance, measure_all
from benchmarks.report import Findings, Generation, render
from benchmarks.search_timing import REPEATS, load_queries, time_search
from knowledge.db import make_engine
from knowledge.migrate import upgrade
from knowledge.settings import PROJECT_ROOT

OUTPUT = PROJECT_ROOT / "docs" / "benchmarks.md"
SQLITE_MAX = 100_000
IMPORT_ROWS = 10_000
IMPORT_ATTEMPTS = 3


def build_parser() -> argparse.ArgumentParser:
    """The benchmark's options."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="Measure search and import speed and relevance; write docs/benchmarks.md.",
    )
    parser.add_argument(
        "--sizes",
        default="10k,100k,1m",
        type=_sizes,
        help="directory sizes to measure (default: 10k,100k,1m)",
    )
    parser.add_argument(
        "--sqlite-max",
        default=SQLITE_MAX,
        type=parse_size,
        help=f"largest size also measured on SQLite (default: {size_label(SQLITE_MAX)})",
    )
    parser.add_argument("--skip-postgres", action="store_true", help="measure SQLite only")
    parser.add_argument("--skip-import", action="store_true", help="skip the import timing")
    parser.add_argument("--skip-relevance", action="store_true", help="skip nDCG@5")
    parser.add_argument(
        "--repeats",
        type=int,
        default=REPEATS,
        help=f"timed runs per query after the warm-up (default: {REPEATS})",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        help="processes generating data (default: one per core)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generator seed")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="report file to write")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run everything asked for and write the report; 1 when PostgreSQL is wanted but down."""
    args = build_parser().parse_args(argv)
    command = "python -m benchmarks.run " + shlex.join(sys.argv[1:] if argv is None else argv)
    pg_url = None if args.skip_postgres else postgres_base_url()
    if pg_url is not None:
        ensure_postgres_database(pg_url)
    machine = describe_machine(pg_url)
    if pg_url is not None and machine.postgresql is None:
        print(
            f"error: cannot reach PostgreSQL at {database_label(pg_url)}; start it, set "
            "WAYFINDER_BENCH_POSTGRES_URL, or pass --skip-postgres.",
            file=sys.stderr,
        )
        return 1
    findings = Findings(machine, GENERATOR_VERSION, args.seed, REFERENCE_DATE, command.strip())
    queries = load_queries()
    targets: list[tuple[str, int, Callable[..., Prepared]]] = [
        ("sqlite", size, sqlite_directory) for size in args.sizes if size <= args.sqlite_max
    ]
    if pg_url is not None:
        targets += [("postgresql", size, postgres_directory) for size in args.sizes]
    for backend, size, prepare in targets:
        prepared = prepare(size, _say, seed=args.seed, workers=args.workers)
        findings.generation.append(Generation(backend, size, prepared.seconds))
        print(f"Timing {len(queries)} queries on {backend} {size_label(size)} …", flush=True)
        run = time_search(prepared.url, backend, size, queries, repeats=args.repeats)
        print(f"  p50 {run.p50:.1f} ms, p95 {run.p95:.1f} ms, mean {run.mean:.1f} ms", flush=True)
        findings.search.append(run)
    if not args.skip_import:
        findings.imports = _time_imports(pg_url, args.seed)
    if not args.skip_relevance:
        print("Scoring relevance on the demo city and tests/cities …", flush=True)
        try:
            findings.relevance = measure_all(DATA_DIR)
        except Exception as error:  # as for imports: report it, keep the other figures
            findings.relevance = [Relevance(None, note=f"the evaluation crashed: {error!r}")]
        for relevance in findings.relevance:
            shown = "-" if relevance.ndcg is None else f"{relevance.ndcg:.3f}"
            print(f"  {relevance.city}: nDCG@5 {shown}, {len(relevance.empty)} empty", flush=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render(findings), encoding="utf-8")
    print(f"Wrote {args.output}.")
    return 0


def _time_imports(pg_url: str | None, seed: int) -> list[ImportRun]:
    """Import the same generated spreadsheet into an empty SQLite file and PostgreSQL schema."""
    csv_path = DATA_DIR / f"import-{size_label(IMPORT_ROWS)}-g{GENERATOR_VERSION}-s{seed}.csv"
    if not csv_path.exists():
        print(f"Writing {csv_path.name} …", flush=True)
        write_import_csv(csv_path.with_suffix(".partial"), IMPORT_ROWS, seed=seed).rename(csv_path)
    runs = []
    targets: list[tuple[str, Callable[[], str]]] = [("sqlite", _empty_sqlite)]
    if pg_url is not None:
        targets.append(
            ("postgresql", lambda: fresh_postgres_schema("bench_import", base_url=pg_url))
        )
    for backend, empty_database in targets:
        print(
            f"Importing {IMPORT_ROWS:,} rows into an empty {backend} database "
            f"({IMPORT_ATTEMPTS} times) …",
            flush=True,
        )
        attempts = []
        for _ in range(IMPORT_ATTEMPTS):
            try:
                attempt = time_import(empty_database(), backend, csv_path, IMPORT_ROWS)
            except Exception as error:  # a crash in the measured code is a finding, not a stop
                attempt = ImportRun(
                    backend, IMPORT_ROWS, 0.0, 0, (f"the import crashed: {error!r}",)
                )
            outcome = "refused" if attempt.problems else f"{attempt.rows_per_s:,.0f} rows/s"
            print(f"  {attempt.seconds:.1f} s, {outcome}", flush=True)
            attempts.append(attempt)
            if attempt.problems:
                break
        runs.append(median_run(attempts))
    return runs


def _empty_sqlite() -> str:
    """A new, migrated SQLite file for one timed import."""
    target = DATA_DIR / "import-target.sqlite"
    for leftover in (target, *DATA_DIR.glob(f"{target.name}-*")):
        leftover.unlink(missing_ok=True)
    url = f"sqlite:///{target}"
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return url


def _say(line: str) -> None:
    """Progress goes to the terminal straight away."""
    print(line, flush=True)


def _sizes(value: str) -> list[int]:
    """'10k,100k,1m' → [10000, 100000, 1000000]."""
    try:
        return sorted({parse_size(part) for part in value.split(",") if part.strip()})
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SQLAlchemyError as error:
        print(f"error: a database step failed: {error}", file=sys.stderr)
        sys.exit(1)
