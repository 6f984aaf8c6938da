"""What the organisers' commands share: who is acting, and values cut to fit a terminal line."""

from __future__ import annotations

import argparse
import getpass

from knowledge.history import Actor

VALUE_WIDTH = 40  # before/after values longer than this are shortened in tables


def add_actor_option(parser: argparse.ArgumentParser) -> None:
    """`--as NAME`: who the change history and the provider will see as deciding."""
    parser.add_argument(
        "--as",
        dest="actor",
        metavar="NAME",
        help="your name, for the change history (default: your user name)",
    )


def organiser(args: argparse.Namespace) -> Actor:
    """The person at the terminal, acting as an organiser through the CLI."""
    return Actor(name=(args.actor or "").strip() or user_name(), source="cli")


def user_name() -> str:
    """The login name; 'cli' when the system cannot say."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def shorten(value: str | None, width: int = VALUE_WIDTH) -> str:
    """One line of at most `width` characters; empty shows as a dash."""
    text = " ".join((value or "").split())
    if not text:
        return "—"
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
