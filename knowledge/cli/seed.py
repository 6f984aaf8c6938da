"""`wayfinder directory seed`: load the demo city (or a city's own seed folder)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from knowledge.cli.context import CliError, Context, require_schema
from knowledge.seed import DEMO_DIR, SeedError, seed_directory


def register(commands: Any) -> None:
    """Add `seed`."""
    parser = commands.add_parser(
        "seed", help="load the demo city (fictional Alder Bay) or another seed folder; idempotent"
    )
    parser.add_argument(
        "--folder", type=Path, default=DEMO_DIR, help="folder of seed YAML files (default: demo)"
    )
    parser.set_defaults(handler=run_seed)


def run_seed(args: argparse.Namespace, context: Context) -> int:
    """Seed in one transaction: a bad file leaves the directory as it was."""
    require_schema(context)
    try:
        with context.sessions.begin() as session:
            report = seed_directory(session, args.folder)
    except SeedError as error:
        raise CliError(f"nothing was loaded: {error}") from error
    print(f"Seeded from {args.folder}:")
    print(report.summary())
    return 0
