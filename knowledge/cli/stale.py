"""`wayfinder directory stale`: listings not confirmed lately, and whose providers are asked."""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from typing import Any

from knowledge.cli.context import Context, require_schema
from knowledge.cli.organiser import shorten
from knowledge.editing.stale_nudges import (
    NUDGE_AGAIN_DAYS,
    due_nudges,
    reachable_on_telegram,
    stale_listings,
)

TITLE_WIDTH = 40
PROVIDER_WIDTH = 30


def register(commands: Any) -> None:
    """Add `stale` to the directory group."""
    parser = commands.add_parser(
        "stale",
        help="active listings not confirmed for FRESHNESS_DAYS, oldest first",
        description="Listings whose provider has not confirmed them for FRESHNESS_DAYS (or "
        "ever): they rank lower in search, learners are warned, and provider members on "
        "Telegram are asked to confirm them.",
    )
    parser.add_argument(
        "--days", type=_days, metavar="N", help="not confirmed for N days (default FRESHNESS_DAYS)"
    )
    parser.add_argument("--today", type=date.fromisoformat, help="pretend today is YYYY-MM-DD")
    parser.set_defaults(handler=run_stale)


def run_stale(args: argparse.Namespace, context: Context) -> int:
    """Print the stale listings and how many of them a provider member can be asked about."""
    require_schema(context)
    today: date = args.today or date.today()
    days: int = args.days or context.settings.freshness_days
    with context.sessions() as session:
        stale = stale_listings(session, today=today, days=days)
        cutoff = today - timedelta(days=days)
        if not stale:
            print(f"Every active listing was confirmed in the last {days} days (since {cutoff}).")
            return 0
        noun = "listing" if len(stale) == 1 else "listings"
        print(
            f"{len(stale)} active {noun} not confirmed for {days} days "
            f"(before {cutoff}), oldest first:"
        )
        rows = [
            (
                str(listing.id),
                str(listing.assured_date or "never"),
                shorten(listing.title, TITLE_WIDTH),
                shorten(listing.provider.name, PROVIDER_WIDTH),
            )
            for listing in stale
        ]
        headings = ("id", "last confirmed", "listing", "provider")
        widths = [max(len(row[i]) for row in [headings, *rows]) for i in range(len(headings))]
        for row in [headings, *rows]:
            cells = [
                row[0].rjust(widths[0]),
                *(c.ljust(w) for c, w in zip(row[1:], widths[1:], strict=True)),
            ]
            print("  " + "  ".join(cells).rstrip())
        reachable = reachable_on_telegram(session, stale)
        due = {nudge.opportunity.id for nudge in due_nudges(session, today=today, days=days)}
    print(_telegram_summary(len(stale), len(reachable), len(due & reachable)))
    return 0


def _telegram_summary(stale: int, reachable: int, due: int) -> str:
    """How many of the stale listings a provider member on Telegram is (or was) asked about."""
    if reachable == 0:
        return (
            "None of them has a provider member on Telegram to ask; invite one with "
            '`wayfinder providers invite "PROVIDER"`.'
        )
    asked = reachable - due
    lines = [
        f"{reachable} of {stale} have a provider member on Telegram: {due} will be asked to "
        f"confirm, {asked} {'was' if asked == 1 else 'were'} asked in the last "
        f"{NUDGE_AGAIN_DAYS} days."
    ]
    if reachable < stale:
        lines.append(
            f"{stale - reachable} have nobody on Telegram to ask; invite their providers with "
            '`wayfinder providers invite "PROVIDER"`.'
        )
    return "\n".join(lines)


def _days(value: str) -> int:
    """A whole number of days, at least 1."""
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"days must be a whole number, at least 1, not {value!r}")
    return int(value)
