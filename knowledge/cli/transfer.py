"""`wayfinder directory import|export`: the community spreadsheet, HSDS 3.0, Open Badges 3.0,
CTDL."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from knowledge.cli import hsds_package
from knowledge.cli.context import CliError, Context, field_option, require_schema
from knowledge.cli.organiser import user_name
from knowledge.history import Actor
from knowledge.listing_fields import parse_translation_language
from knowledge.progress import progress_on
from knowledge.transfer import export_badges, export_csv, export_hsds, import_file
from knowledge.transfer.badges import credentials_without_issuer
from knowledge.transfer.ctdl import export_ctdl

FORMATS = ("csv", "hsds", "hsds-json", "badges", "ctdl")
NAMES_SHOWN = 8  # new providers, topics, … listed after an import, so typos stand out


def register(commands: Any) -> None:
    """Add `import` and `export` to the directory group."""
    importer = commands.add_parser(
        "import",
        help="add or update listings from a CSV (or HSDS JSON) file; all rows or none",
        description="Import the community spreadsheet (see docs/csv-import.md) or an HSDS 3.0 "
        "JSON file. Every problem is reported with its row and column; if there is any, "
        "nothing is written.",
    )
    importer.add_argument(
        "file", type=Path, help="a .csv file, an HSDS 3.0 package folder or a .json HSDS document"
    )
    importer.add_argument(
        "--dry-run", action="store_true", help="check and count what would change; write nothing"
    )
    importer.add_argument(
        "--actor", help="who is importing, for the change history (default: your user name)"
    )
    importer.add_argument(
        "--update-provider-kinds",
        action="store_true",
        help="let the provider_kind column change the kind of providers the directory already "
        "has (without it, a different kind is refused)",
    )
    importer.add_argument(
        "--force",
        action="store_true",
        help="import rows of an export even where their listing changed after the export, "
        "overwriting those newer changes (without it, such rows are refused)",
    )
    importer.set_defaults(handler=run_import)
    exporter = commands.add_parser(
        "export",
        help="write the directory as CSV, HSDS 3.0 JSON, Open Badges 3.0 achievements or CTDL "
        "JSON-LD",
    )
    exporter.add_argument(
        "--format",
        choices=FORMATS,
        default="csv",
        help="default: csv; hsds: an HSDS 3.0 Tabular Data Package in the --output folder",
    )
    exporter.add_argument("--output", type=Path, help="file to write (default: standard output)")
    exporter.add_argument(
        "--language",
        type=field_option(parse_translation_language),
        metavar="CODE",
        help="hsds-json only: services' names and descriptions in this language where a listing "
        "has a translation (the original stays under x-translations)",
    )
    exporter.set_defaults(handler=run_export)


def run_import(args: argparse.Namespace, context: Context) -> int:
    """Import one file; problems go to stderr (exit 1), the summary to stdout (exit 0)."""
    path: Path = args.file
    if not path.is_file() and not path.is_dir():
        raise CliError(f"{path} is not a file; give the path of a .csv or .json file or a folder")
    require_schema(context)
    actor = Actor(name=args.actor or user_name(), source="import")
    try:
        if path.is_dir():
            report = hsds_package.import_folder(args, context)
        else:
            with context.sessions.begin() as session, progress_on() as progress:
                report = import_file(
                    session,
                    path,
                    actor=actor,
                    dry_run=args.dry_run,
                    update_provider_kinds=args.update_provider_kinds,
                    force=args.force,
                    progress=progress,
                )
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror}") from error
    for problem in report.problems:
        print(problem, file=sys.stderr)
    if not report.ok:
        print(report.summary(), file=sys.stderr)
        return 1
    print(report.summary())
    for what, records in (("new", report.new_records), ("changed", report.changed_records)):
        for kind, names in records.items():
            shown = ", ".join(names[:NAMES_SHOWN])
            more = f" and {len(names) - NAMES_SHOWN} more" if len(names) > NAMES_SHOWN else ""
            print(f"  {what} {kind}{'s' if len(names) != 1 else ''}: {shown}{more}")
    return 0


def run_export(args: argparse.Namespace, context: Context) -> int:
    """Write the chosen format to a file or standard output."""
    if args.language is not None and args.format != "hsds-json":
        raise CliError(
            "--language applies to --format hsds-json only (the CSV and the HSDS package carry "
            "every language)"
        )
    if args.format == "hsds":
        return hsds_package.export_folder(args, context)
    require_schema(context)
    if args.output is None:
        _export(args.format, context, sys.stdout, args.language)
        return 0
    try:
        with args.output.open("w", encoding="utf-8", newline="") as out:
            count = _export(args.format, context, out, args.language)
    except OSError as error:
        raise CliError(f"cannot write {args.output}: {error.strerror}") from error
    print(f"Exported {count} {_noun(args.format, count)} to {args.output}.", file=sys.stderr)
    return 0


def _export(form: str, context: Context, out: TextIO, language: str | None = None) -> int:
    """Write one export; returns how many listings (or achievements) it holds."""
    with context.sessions() as session, progress_on() as progress:
        if form == "csv":
            return export_csv(session, out, progress)
        document: Any
        if form == "hsds-json":
            document = export_hsds(session, progress, language=language)
        elif form == "ctdl":
            document = export_ctdl(session)
        else:
            document = export_badges(session)
            _warn_unissued(credentials_without_issuer(session))
    json.dump(document, out, indent=2, ensure_ascii=False)
    out.write("\n")
    if form == "hsds-json":
        return len(document["services"])
    return len(document["@graph"]) if form == "ctdl" else len(document)


def _warn_unissued(names: list[str]) -> None:
    """Say which credentials the badges export left out: OB 3.0 needs an issuer."""
    if names:
        shown = ", ".join(names[:NAMES_SHOWN])
        more = f" and {len(names) - NAMES_SHOWN} more" if len(names) > NAMES_SHOWN else ""
        print(
            f"Left out {len(names)} credential{'s' if len(names) != 1 else ''} with no issuer "
            f"and no listing awarding it (Open Badges 3.0 needs an issuer): {shown}{more}",
            file=sys.stderr,
        )


def _noun(form: str, count: int) -> str:
    """What the export counts."""
    noun = {"badges": "achievement", "ctdl": "CTDL resource"}.get(form, "listing")
    return noun if count == 1 else f"{noun}s"
