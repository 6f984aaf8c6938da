"""A provider member's spreadsheet upload: the directory import, limited to their providers.

Rows for a provider the member does not belong to, or that would take over another provider's
listing by its external id, are refused like any other bad cell: nothing is written. A queued
upload is checked again, member and all, when an organiser approves it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.community import AccessError
from knowledge.editing.member_edits import actor_for
from knowledge.history import Actor
from knowledge.models import ChangeRequest, Member, Opportunity, Provider
from knowledge.transfer.csv_import import parse_csv
from knowledge.transfer.existing_records import fold
from knowledge.transfer.loader import load_rows
from knowledge.transfer.report import ImportReport
from knowledge.transfer.rows import OpportunityRow
from knowledge.transfer.sources import read_text

EXPECTED = "the directory spreadsheet: a header row naming the columns, then a row per listing"


@dataclass
class Upload:
    """The import's report, and the change request when the upload waits for review."""

    report: ImportReport
    request: ChangeRequest | None = None

    @property
    def published(self) -> bool:
        """Whether the rows were written (a valid upload that needs no review)."""
        return self.report.ok and self.request is None and not self.report.dry_run


def import_for_member(
    session: Session,
    member: Member,
    data: bytes,
    *,
    name: str,
    source: str,
    dry_run: bool = False,
    force: bool = False,
    today: date | None = None,
) -> Upload:
    """Check every row; write them (verified providers), queue them (unverified), or report why
    not. Problems in any row mean nothing is written or queued.

    A provider member's upload confirms its listings as of `today` (their assured_date), as an
    edit in chat does. Only an organiser may `force` rows of an old export over newer changes.
    """
    if force and member.role != "organiser":
        raise AccessError(
            "only an organiser can overwrite listings changed since the export; export again "
            "and make your changes in the new file"
        )
    report = ImportReport(source=name, dry_run=dry_run)
    text = read_text(data, report, expected=EXPECTED)
    if text is None:
        return Upload(report)
    rows = parse_csv(text, report)
    if member.role == "provider":
        confirmed_on(rows, today or date.today())
    providers = _own_providers(session, member, rows, report)
    if report.problems:
        report.problems.sort(key=lambda problem: (problem.row or 0, problem.column or ""))
        return Upload(report)
    reviewed = member.role != "organiser" and not all(p.verified for p in providers)
    if reviewed:
        report.dry_run = True  # check against the directory now; write only once approved
    load_rows(session, rows, actor=actor_for(member, source), report=report, force=force)
    if not reviewed or report.problems or dry_run:
        return Upload(report)
    request = ChangeRequest(
        kind="import",
        member=member,
        provider=providers[0],
        changes={"csv": text, "name": name},
        source=source,
    )
    session.add(request)
    session.flush()
    return Upload(report, request)


def apply_import(
    session: Session,
    text: str,
    name: str,
    actor: Actor,
    *,
    author: Member,
    confirmed: date | None = None,
) -> ImportReport:
    """Write an approved upload, checked again as its `author` may send it today: the directory
    and their memberships may have changed meanwhile. `confirmed` is the day a provider member
    sent it."""
    report = ImportReport(source=name)
    rows = parse_csv(text, report)
    if confirmed is not None:
        confirmed_on(rows, confirmed)
    if not report.problems:
        _own_providers(session, author, rows, report)
    if not report.problems:
        load_rows(session, rows, actor=actor, report=report)
    report.problems.sort(key=lambda problem: (problem.row or 0, problem.column or ""))
    return report


def confirmed_on(rows: Sequence[OpportunityRow], day: date) -> None:
    """The provider vouches for every row it sends (unless the file gives its own dates)."""
    for row in rows:
        if row.extras.get("assured_date") is None:
            row.extras["assured_date"] = day


def preview_import(session: Session, text: str, name: str, author: Member) -> ImportReport:
    """What approving a waiting upload would do now: a dry run against today's directory, with
    the checks of what its `author` may change."""
    report = ImportReport(source=name, dry_run=True)
    rows = parse_csv(text, report)
    if not report.problems:
        _own_providers(session, author, rows, report)
    if not report.problems:
        load_rows(session, rows, actor=Actor("review preview", "cli"), report=report)
    report.problems.sort(key=lambda problem: (problem.row or 0, problem.column or ""))
    return report


def _own_providers(
    session: Session, member: Member, rows: Sequence[OpportunityRow], report: ImportReport
) -> list[Provider]:
    """The providers the rows name, each checked against the member's; problems go to the report."""
    known = {fold(provider.name): provider for provider in member.providers}
    if member.role == "organiser":
        names = {fold(row.provider) for row in rows if row.provider}
        query = select(Provider).where(Provider.name.in_({row.provider for row in rows}))
        found = {fold(provider.name): provider for provider in session.scalars(query)}
        return [found[key] for key in sorted(names) if key in found]
    mine = ", ".join(provider.name for provider in member.providers) or "none yet"
    named: dict[str, Provider] = {}
    for row in rows:
        if not row.provider:
            continue
        provider = known.get(fold(row.provider))
        if provider is None:
            report.add(
                f"{row.provider!r} is not one of your providers ({mine}); "
                "you can only add or change your own provider's listings",
                row.row,
                "provider",
            )
        else:
            named.setdefault(fold(provider.name), provider)
    _check_external_ids(session, rows, {provider.id for provider in named.values()}, report)
    return list(named.values())


def _check_external_ids(
    session: Session, rows: Sequence[OpportunityRow], mine: set[int], report: ImportReport
) -> None:
    """An external id that names another provider's listing would move it: refuse."""
    ids = {row.external_id for row in rows if row.external_id}
    if not ids:
        return
    query = select(Opportunity.external_id, Opportunity.provider_id).where(
        Opportunity.external_id.in_(ids)
    )
    owners = dict(session.execute(query).tuples().all())  # dict(Result) would fail: it has keys()
    for row in rows:
        owner = owners.get(row.external_id) if row.external_id else None
        if owner is not None and owner not in mine:
            report.add(
                f"{row.external_id!r} is another provider's listing; "
                "use a new external_id or leave it empty",
                row.row,
                "external_id",
            )
