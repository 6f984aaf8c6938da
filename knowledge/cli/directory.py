"""`wayfinder directory …`: the directory's content. Each sub-command lives in its own module."""

from __future__ import annotations

from typing import Any

from knowledge.cli import search, seed, stale, transfer

SUBCOMMAND_MODULES: tuple[Any, ...] = (seed, transfer, search, stale)


def register(groups: Any) -> None:
    """Add the `directory` command group and every sub-command module's commands."""
    parser = groups.add_parser("directory", help="seed, import, export, search the directory")
    commands = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)
    for module in SUBCOMMAND_MODULES:
        module.register(commands)
