"""Importing a file of either kind: the community CSV or an Open Referral HSDS JSON document."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from knowledge.history import Actor
from knowledge.progress import NO_PROGRESS, Progress
from knowledge.transfer.csv_import import import_csv
from knowledge.transfer.hsds_import import import_hsds
from knowledge.transfer.report import ImportReport


def looks_like_json(path: Path, data: bytes) -> bool:
    """A .json name, or content that opens with { or [."""
    start = data.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]
    return path.suffix.lower() == ".json" or start in (b"{", b"[")


def import_file(
    session: Session,
    path: Path,
    *,
    actor: Actor,
    dry_run: bool = False,
    update_provider_kinds: bool = False,
    force: bool = False,
    progress: Progress = NO_PROGRESS,
) -> ImportReport:
    """Import a CSV or an HSDS JSON file, whichever it is (`force`: see import_csv)."""
    data = path.read_bytes()
    if looks_like_json(path, data):  # HSDS carries no versions: nothing to force
        return import_hsds(
            session,
            data,
            actor=actor,
            dry_run=dry_run,
            name=str(path),
            update_provider_kinds=update_provider_kinds,
            progress=progress,
        )
    return import_csv(
        session,
        data,
        actor=actor,
        dry_run=dry_run,
        name=str(path),
        update_provider_kinds=update_provider_kinds,
        force=force,
        progress=progress,
    )
