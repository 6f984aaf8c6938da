"""The `wayfinder` command: one sub-command module per concern, registered in COMMAND_MODULES."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from knowledge.cli import (
    community,
    db,
    directory,
    history,
    nlu,
    pathways,
    report,
    review,
    taxonomy,
)
from knowledge.cli.context import CliError, Context

COMMAND_MODULES = (db, directory, taxonomy, pathways, nlu, community, review, history, report)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser; also used by the test that keeps the README in step."""
    parser = argparse.ArgumentParser(
        prog="wayfinder",
        description="Wayfinder's directory of local learning opportunities.",
    )
    groups = parser.add_subparsers(dest="group", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register(groups)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code (0 ok, 1 refused input, 2 usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    context = Context.from_env(os.environ)
    try:
        code: int = args.handler(args, context)
    except CliError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`wayfinder directory search … | head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        context.close()
    return code
