"""`wayfinder report demand` and `wayfinder report usage`: what learners ask for that the
directory lacks, and how the service is used, with no count under k (docs/reports.md)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from knowledge.cli.context import CliError, Context, require_schema
from knowledge.reports.demand import DEFAULT_LIMIT, demand_report
from knowledge.reports.privacy import DEFAULT_K, MIN_K, ReportError
from knowledge.reports.render import FORMATS, render_demand, render_usage
from knowledge.reports.usage import usage_report


def register(groups: Any) -> None:
    """Add the `report` group: `demand` and `usage`."""
    parser = groups.add_parser(
        "report",
        help="unmet demand and use of the service, from anonymous records (no count under k)",
        description="Organisers' reports from searches and uses recorded without the learner. "
        f"No count of fewer than k (default {DEFAULT_K}) learners' searches or uses is shown.",
    )
    commands = parser.add_subparsers(dest="command", metavar="REPORT", required=True)
    demand = commands.add_parser(
        "demand",
        help="what learners ask for that nothing or little in the directory offers, ranked",
        description="Searches grouped by topic, age band and neighbourhood, most searches that "
        "found little first, with the listings that fit now and the nearest offers. Smaller "
        "groups are merged into wider ones, never shown.",
    )
    _common(demand)
    demand.add_argument(
        "--limit",
        type=_whole(0),
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"groups to show (default {DEFAULT_LIMIT}; 0: all)",
    )
    demand.set_defaults(handler=run_demand)
    usage = commands.add_parser(
        "usage",
        help="conversations, searches, details, plans, reminders and handoffs by week and "
        "channel; popular topics; 'nothing fits'; stale listings by provider",
        description="Use of the service by ISO week and channel, the most searched topics and "
        "neighbourhoods, the share of searches that found nothing, and the listings their "
        "providers have not confirmed for FRESHNESS_DAYS. HTML has the charts.",
    )
    _common(usage)
    usage.set_defaults(handler=run_usage)


def _common(parser: argparse.ArgumentParser) -> None:
    """The options both reports take."""
    parser.add_argument("--since", type=_day, metavar="YYYY-MM-DD", help="from this day on")
    parser.add_argument("--until", type=_day, metavar="YYYY-MM-DD", help="up to this day")
    parser.add_argument(
        "--format", choices=FORMATS, default="md", help="md (default), html (with charts) or csv"
    )
    parser.add_argument(
        "--k",
        type=_whole(MIN_K),
        default=DEFAULT_K,
        metavar="N",
        help=f"hide every count under N (default {DEFAULT_K}; at least {MIN_K})",
    )
    parser.add_argument("--output", type=Path, metavar="FILE", help="write here, not to stdout")
    parser.add_argument("--today", type=_day, metavar="YYYY-MM-DD", help="pretend today is …")


def run_demand(args: argparse.Namespace, context: Context) -> int:
    """Build and write the unmet-demand report."""
    require_schema(context)
    with context.sessions() as session:
        try:
            report = demand_report(
                session,
                since=args.since,
                until=args.until,
                k=args.k,
                limit=args.limit or None,
                today=args.today,
                freshness_days=context.settings.freshness_days,
            )
        except ReportError as error:
            raise CliError(str(error)) from error
    return _write(render_demand(report, args.format), args.output)


def run_usage(args: argparse.Namespace, context: Context) -> int:
    """Build and write the usage report."""
    require_schema(context)
    with context.sessions() as session:
        try:
            report = usage_report(
                session,
                since=args.since,
                until=args.until,
                k=args.k,
                today=args.today,
                freshness_days=context.settings.freshness_days,
            )
        except ReportError as error:
            raise CliError(str(error)) from error
    return _write(render_usage(report, args.format), args.output)


def _write(text: str, output: Path | None) -> int:
    """The report to the file (saying where, on standard error) or to standard output."""
    if output is None:
        sys.stdout.write(text)
        return 0
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise CliError(f"cannot write {output}: {error.strerror or error}") from error
    print(f"wrote {output}", file=sys.stderr)
    return 0


def _day(value: str) -> date:
    """A day as YYYY-MM-DD; anything else is a usage error (exit 2) that says so."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a date: {value!r}; write it as YYYY-MM-DD, e.g. 2026-11-30"
        ) from None


def _whole(least: int) -> Any:
    """An option's type: a whole number, at least `least`."""

    def parsed(value: str) -> int:
        if not value.strip().isdigit() or int(value) < least:
            raise argparse.ArgumentTypeError(
                f"must be a whole number, at least {least}, not {value!r}"
            )
        return int(value)

    return parsed
