"""`wayfinder directory seed`: load the demo city (or a city's own seed folder).

`make run` seeds with --if-empty, so a city that imported its own spreadsheet never gets the
fictional demo city's listings mixed in; WAYFINDER_SEED_DEMO=1 adds them all the same, and 0
never does.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from knowledge.cli.context import CliError, Context, require_schema
from knowledge.models import Opportunity
from knowledge.seed import DEMO_DIR, SeedError, seed_clashes, seed_directory, seed_listings

CLASHES_SHOWN = 3  # named in the refusal; the rest are counted


def register(commands: Any) -> None:
    """Add `seed`."""
    parser = commands.add_parser(
        "seed", help="load the demo city (fictional Alder Bay) or another seed folder; idempotent"
    )
    parser.add_argument(
        "--folder", type=Path, default=DEMO_DIR, help="folder of seed YAML files (default: demo)"
    )
    parser.add_argument(
        "--if-empty",
        action="store_true",
        help="what `make run` uses: load only into a directory without listings (or holding "
        "only this seed's); WAYFINDER_SEED_DEMO=1 loads anyway, 0 never",
    )
    parser.set_defaults(handler=run_seed)


def run_seed(args: argparse.Namespace, context: Context) -> int:
    """Seed in one transaction: a bad file or a name clash leaves the directory as it was."""
    require_schema(context)
    folder: Path = args.folder
    what = "the demo city" if folder.resolve() == DEMO_DIR else f"the seed folder {folder}"
    if args.if_empty and not _wanted(context, folder, what):
        return 0
    try:
        with context.sessions.begin() as session:
            clashes = seed_clashes(session, folder)
            if clashes:
                raise CliError(_clash_message(what, clashes))
            report = seed_directory(session, folder)
    except SeedError as error:
        raise CliError(f"nothing was loaded: {error}") from error
    except IntegrityError as error:  # a clash seed_clashes did not foresee: still one line
        reason = str(error.orig).splitlines()[0] if error.orig else "a duplicate record"
        raise CliError(
            f"nothing was loaded: {what} clashes with a record already in the directory "
            f"({reason}); seed into an empty database instead"
        ) from error
    print(f"Seeded from {folder}:")
    print(report.summary())
    return 0


def _wanted(context: Context, folder: Path, what: str) -> bool:
    """--if-empty: seed an empty directory, or one holding only this seed's listings (so the demo
    picks up its own changes); else only when WAYFINDER_SEED_DEMO=1. Says what it decided."""
    choice = context.settings.seed_demo
    if choice is False:
        print(f"WAYFINDER_SEED_DEMO=0: not loading {what}.")
        return False
    try:
        ours = seed_listings(folder)
    except SeedError as error:
        raise CliError(f"nothing was loaded: {error}") from error
    with context.sessions() as session:
        total = session.scalar(select(func.count(Opportunity.id))) or 0
        known = select(Opportunity.external_id).where(Opportunity.external_id.is_not(None))
        theirs = total - sum(1 for external_id in session.scalars(known) if external_id in ours)
    if total == 0:
        print(f"The directory is empty; loading {what}.")
        return True
    if theirs == 0:
        return True  # only the seed's own listings: reloading it changes only what it changed
    if choice:
        print(f"WAYFINDER_SEED_DEMO=1: adding {what} to the {_listings(total)} already there.")
        return True
    if theirs == total:
        print(
            f"The directory already holds {_listings(total)}; not adding {what} "
            "(set WAYFINDER_SEED_DEMO=1 to add it)."
        )
    else:
        print(
            f"The directory already holds {_listings(total)}, {theirs} of them not from {what}; "
            f"not reloading {what} (set WAYFINDER_SEED_DEMO=1 to reload it)."
        )
    return False


def _clash_message(what: str, clashes: list[str]) -> str:
    """One line naming the first clashes and counting the rest."""
    shown = ", ".join(clashes[:CLASHES_SHOWN])
    more = f" and {len(clashes) - CLASHES_SHOWN} more" if len(clashes) > CLASHES_SHOWN else ""
    return (
        f"nothing was loaded: {what} would add a second {shown}{more} (the directory already "
        "has one by that name or id); rename yours, or seed into an empty database"
    )


def _listings(count: int) -> str:
    """'1 listing', '80 listings'."""
    return f"{count} listing" if count == 1 else f"{count} listings"
