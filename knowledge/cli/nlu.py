"""`wayfinder nlu lookups`: regenerate the NLU lookup tables from the directory."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.nlu_lookups import LOOKUPS_DIR, stale_lookup_files, write_lookup_files
from knowledge.cli.context import Context, require_schema


def register(groups: Any) -> None:
    """Add the `nlu` command group."""
    parser = groups.add_parser("nlu", help="training data generated from the directory")
    commands = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)
    lookups = commands.add_parser(
        "lookups", help="write topic, neighbourhood and provider lookup tables for the NLU"
    )
    lookups.add_argument("--folder", type=Path, default=LOOKUPS_DIR, help="output folder")
    lookups.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the files are out of date"
    )
    lookups.set_defaults(handler=run_lookups)


def run_lookups(args: argparse.Namespace, context: Context) -> int:
    """Regenerate (or check) the lookup files."""
    require_schema(context)
    with context.sessions.begin() as session:
        if args.check:
            stale = stale_lookup_files(session, args.folder)
            if stale:
                print(f"Out of date in {args.folder}: {', '.join(stale)}. Run `make train`.")
                return 1
            print(f"Lookup tables in {args.folder} match the directory.")
            return 0
        changed = write_lookup_files(session, args.folder)
    if changed:
        print(f"Wrote {', '.join(changed)} to {args.folder}.")
    else:
        print(f"Lookup tables in {args.folder} were already up to date.")
    return 0
