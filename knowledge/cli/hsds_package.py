"""`wayfinder directory export --format hsds --output DIR` and `import DIR`: the HSDS 3.0
Tabular Data Package (docs/hsds.md); knowledge.cli.transfer hands folders and the format here."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from knowledge.cli.context import CliError, Context, require_schema
from knowledge.cli.organiser import user_name
from knowledge.history import Actor
from knowledge.progress import progress_on
from knowledge.transfer.hsds import AddressDefaults, export_package, import_package
from knowledge.transfer.report import ImportReport


def export_folder(args: argparse.Namespace, context: Context) -> int:
    """Write the package into the --output folder (made if new)."""
    folder: Path | None = args.output
    if folder is None:
        raise CliError("--format hsds writes a folder of CSV files: give it with --output DIR")
    if folder.exists() and not folder.is_dir():
        raise CliError(f"{folder} is a file; --format hsds needs a folder (new or existing)")
    require_schema(context)
    try:
        with context.sessions() as session:
            count, incomplete = export_package(
                session, folder, AddressDefaults.of(context.settings)
            )
    except OSError as error:
        raise CliError(f"cannot write {folder}: {error.strerror}") from error
    noun = "service" if count == 1 else "services"
    print(f"Exported {count} {noun} as an HSDS 3.0 package to {folder}.", file=sys.stderr)
    if incomplete:
        print(
            f"{incomplete} place(s) went out without an address: HSDS needs its street, city, "
            "state (WAYFINDER_STATE_PROVINCE), postal code and country (docs/hsds.md).",
            file=sys.stderr,
        )
    return 0


def import_folder(args: argparse.Namespace, context: Context) -> ImportReport:
    """Import the package in the folder `args.file`, all or nothing."""
    require_schema(context)
    actor = Actor(name=args.actor or user_name(), source="import")
    with context.sessions.begin() as session, progress_on() as progress:
        return import_package(
            session,
            args.file,
            actor=actor,
            dry_run=args.dry_run,
            update_provider_kinds=args.update_provider_kinds,
            progress=progress,
        )
