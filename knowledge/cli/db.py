"""`wayfinder db …`: schema migrations."""

from __future__ import annotations

import argparse
from typing import Any

from knowledge.cli.context import Context
from knowledge.migrate import current_revision, head_revision, upgrade


def register(groups: Any) -> None:
    """Add the `db` command group."""
    parser = groups.add_parser("db", help="manage the database schema")
    commands = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)
    up = commands.add_parser(
        "upgrade", help="apply migrations up to the newest schema (keeps data)"
    )
    up.add_argument("--revision", default="head", help="target revision (default: head)")
    up.set_defaults(handler=run_upgrade)
    status = commands.add_parser("status", help="show the schema revision of the database")
    status.set_defaults(handler=run_status)


def run_upgrade(args: argparse.Namespace, context: Context) -> int:
    """Migrate and say where the schema now stands."""
    before = current_revision(context.engine)
    upgrade(context.engine, args.revision)
    after = current_revision(context.engine)
    if before == after:
        print(f"Schema already at {after}.")
    else:
        print(f"Schema upgraded from {before or 'empty'} to {after}.")
    return 0


def run_status(_args: argparse.Namespace, context: Context) -> int:
    """Print the current and newest revision."""
    current, head = current_revision(context.engine), head_revision()
    state = "up to date" if current == head else "needs `wayfinder db upgrade`"
    print(f"Database revision {current or 'none'}; code expects {head} ({state}).")
    return 0 if current == head else 1
