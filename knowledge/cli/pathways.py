"""`wayfinder pathways import|export|show`: the city's own curated pathways as a spreadsheet, and
the path the assistant would give for a goal (curated, or built from the listings)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from knowledge.cli.context import CliError, Context, field_option, require_schema
from knowledge.cli.organiser import user_name
from knowledge.goals import resolve_goal
from knowledge.history import Actor
from knowledge.listing_fields import parse_age
from knowledge.pathway_builder import (
    build_pathway,
    close_options,
    curated_pathway,
    matching_programs,
)
from knowledge.pathways import StepView, plan_steps
from knowledge.taxonomy import load_taxonomy
from knowledge.transfer.pathways_csv import export_pathways, import_pathways

NAMES_SHOWN = 8


def register(groups: Any) -> None:
    """Add the `pathways` command group."""
    parser = groups.add_parser(
        "pathways", help="the city's curated pathways as a spreadsheet (CSV); a goal's path"
    )
    commands = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)
    exporter = commands.add_parser(
        "export", help="write pathway,step,listing,credential,min_age,career,note: a row per step"
    )
    exporter.add_argument("--output", type=Path, help="file to write (default: standard output)")
    exporter.set_defaults(handler=run_export)
    importer = commands.add_parser(
        "import",
        help="create or replace the pathways a CSV names, a row per step; all rows or none",
        description="Each pathway the file names gets exactly its rows as steps, in row order "
        "(see docs/pathways.md); pathways it does not name are left alone. Every problem is "
        "reported with its row and column; if there is any, nothing is written.",
    )
    importer.add_argument("file", type=Path, help="a .csv file")
    importer.add_argument(
        "--dry-run", action="store_true", help="check and count what would change; write nothing"
    )
    importer.add_argument("--actor", help="who is importing, for the change history")
    importer.set_defaults(handler=run_import)
    shower = commands.add_parser(
        "show",
        help="the path the assistant gives for a goal: the city's own, or one built from listings",
    )
    shower.add_argument("goal", help='a career or field in any words, e.g. "plumber"')
    shower.add_argument(
        "--age", type=field_option(parse_age), help="the learner's age, to mark what opens when"
    )
    shower.add_argument("--today", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")
    shower.set_defaults(handler=run_show)


def run_export(args: argparse.Namespace, context: Context) -> int:
    """Write the pathways sheet to a file or standard output."""
    require_schema(context)
    with context.sessions() as session:
        if args.output is None:
            export_pathways(session, sys.stdout)
            return 0
        try:
            with args.output.open("w", encoding="utf-8", newline="") as out:
                pathways, steps = export_pathways(session, out)
        except OSError as error:
            raise CliError(f"cannot write {args.output}: {error.strerror}") from error
    print(f"Exported {pathways} pathways ({steps} steps) to {args.output}.", file=sys.stderr)
    return 0


def run_import(args: argparse.Namespace, context: Context) -> int:
    """Import a pathways sheet; problems on stderr (exit 1), the summary on stdout."""
    path: Path = args.file
    if not path.is_file():
        raise CliError(f"{path} is not a file; give the path of a .csv file")
    require_schema(context)
    actor = Actor(name=args.actor or user_name(), source="import")
    try:
        with context.sessions.begin() as session:  # a refused file or a dry run wrote nothing
            report = import_pathways(session, path, actor=actor, dry_run=args.dry_run)
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror}") from error
    for problem in report.problems:
        print(problem, file=sys.stderr)
    if not report.ok:
        print(report.summary(), file=sys.stderr)
        return 1
    print(report.summary())
    for kind, names in report.new_records.items():
        shown = ", ".join(names[:NAMES_SHOWN])
        more = f" and {len(names) - NAMES_SHOWN} more" if len(names) > NAMES_SHOWN else ""
        print(f"  new {kind}{'s' if len(names) != 1 else ''}: {shown}{more}")
    return 0


def run_show(args: argparse.Namespace, context: Context) -> int:
    """Print the path for a goal the way the assistant would choose it."""
    require_schema(context)
    today = args.today or date.today()
    freshness = context.settings.freshness_days
    with context.sessions() as session:
        goal = resolve_goal(load_taxonomy(session), args.goal)
        pathway = curated_pathway(session, args.goal, goal)
        if pathway is not None:
            print(f"The city's own pathway: {pathway.name}")
            _print_steps(plan_steps(session, pathway, age=args.age, today=today))
            return 0
        if goal is not None:
            steps = build_pathway(
                session, goal, age=args.age, today=today, freshness_days=freshness
            ).steps
            if steps:
                print(f"Built from the listings: {goal.label}")
                _print_steps(steps)
                return 0
        said = goal.words if goal is not None else args.goal
        hits = matching_programs(
            session, goal, said, today=today, limit=5, freshness_days=freshness
        )
        if hits:
            print(f"No path can be built for {said!r}; programs that match:")
            for number, hit in enumerate(hits, 1):
                print(f" {number}. {hit.title} — {hit.provider}  [{hit.external_id or hit.id}]")
            return 0
        options = close_options(session, goal, said, today=today)
        print(f"Nothing matches {said!r}.")
        if options.careers:
            print(f"  close careers with listings: {', '.join(options.careers)}")
        if options.topics:
            print(f"  close topics with listings: {', '.join(options.topics)}")
    return 0


def _print_steps(steps: list[StepView]) -> None:
    """One line per step: number, state, title, listing, credential, ages, what comes first."""
    for number, step in enumerate(steps, 1):
        parts = [f" {number}. [{step.state}] {step.title}"]
        if step.opportunity is not None and step.opportunity.title != step.title:
            parts.append(f" — {step.opportunity.title}")
        if step.opportunity is not None:
            parts.append(f" ({step.opportunity.provider.name})")
        if step.credential is not None:
            parts.append(f" → {step.credential.name} ({step.credential.credential_type})")
        if step.from_age is not None:
            parts.append(f" ages {step.from_age}+")
        if step.after:
            parts.append(f" after {', '.join(map(str, step.after))}")
        print("".join(parts))
