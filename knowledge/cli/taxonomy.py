"""`wayfinder taxonomy export|import`: the city's topics, the starter topics they joined, and the
synonyms organisers add so learners' words find them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from knowledge.cli.context import CliError, Context, require_schema
from knowledge.cli.organiser import user_name
from knowledge.history import Actor
from knowledge.transfer.taxonomy_csv import export_taxonomy, import_taxonomy


def register(groups: Any) -> None:
    """Add the `taxonomy` command group."""
    parser = groups.add_parser(
        "taxonomy", help="the city's topics and their synonyms as a spreadsheet (CSV)"
    )
    commands = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)
    exporter = commands.add_parser(
        "export",
        help="write topic,synonyms,starter_topics,listings: one row per topic of the directory",
    )
    exporter.add_argument("--output", type=Path, help="file to write (default: standard output)")
    exporter.set_defaults(handler=run_export)
    importer = commands.add_parser(
        "import",
        help="set the synonyms of the topics a CSV names (topic,synonyms); all rows or none",
        description="Each row's synonyms (separated by ;) become that topic's own synonyms; "
        "topics the file does not name are left alone. Run `make train` afterwards so the "
        "assistant learns the new words.",
    )
    importer.add_argument("file", type=Path, help="a CSV with the columns topic and synonyms")
    importer.add_argument("--dry-run", action="store_true", help="say what would change only")
    importer.add_argument("--actor", help="who is importing, for the change history")
    importer.set_defaults(handler=run_import)


def run_export(args: argparse.Namespace, context: Context) -> int:
    """Write the topics sheet to a file or standard output."""
    require_schema(context)
    with context.sessions.begin() as session:
        if args.output is None:
            export_taxonomy(session, sys.stdout)
            return 0
        with args.output.open("w", encoding="utf-8", newline="") as out:
            rows = export_taxonomy(session, out)
    print(f"Wrote {rows} topics to {args.output}.", file=sys.stderr)
    return 0


def run_import(args: argparse.Namespace, context: Context) -> int:
    """Import a topics sheet; problems on stderr (exit 1), the summary on stdout."""
    path: Path = args.file
    if not path.is_file():
        raise CliError(f"{path} is not a file; give the path of a .csv file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise CliError(f"{path} is not UTF-8 text; save it as “CSV UTF-8”") from error
    require_schema(context)
    actor = Actor(name=args.actor or user_name(), source="import")
    with context.sessions.begin() as session:
        report = import_taxonomy(session, text, actor=actor, dry_run=args.dry_run)
    for problem in report.problems:
        print(problem, file=sys.stderr)
    if not report.ok:
        print(f"{len(report.problems)} problems in {path}; nothing was imported.", file=sys.stderr)
        return 1
    print(f"{path}: {report.summary()}")
    for name, added in report.added.items():
        print(f"  {name}: + {', '.join(added)}")
    for name, removed in report.removed.items():
        print(f"  {name}: − {', '.join(removed)}")
    if not args.dry_run and (report.added or report.removed):
        print("Run `make train` so the assistant learns the new words.")
    return 0
