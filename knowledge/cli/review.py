"""`wayfinder review [approve|reject]`: organisers decide on changes from unverified providers."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from knowledge.cli.context import CliError, Context, require_schema
from knowledge.cli.organiser import add_actor_option, organiser, shorten
from knowledge.community import AccessError
from knowledge.editing.member_edits import ChangeRefused, StaleVersion, checked
from knowledge.editing.review import (
    Pending,
    approve_request,
    describe,
    pending_requests,
    permission_problems,
    reject_request,
)
from knowledge.editing.spreadsheet import preview_import
from knowledge.models import ChangeRequest
from knowledge.transfer.report import Problem

HOW_TO_DECIDE = (
    "Approve with `wayfinder review approve ID`, or reject with "
    '`wayfinder review reject ID --reason "…"` (the provider reads the reason).'
)


def register(groups: Any) -> None:
    """Add the `review` command group; on its own it lists what is waiting."""
    parser = groups.add_parser(
        "review",
        help="list changes waiting for an organiser; approve or reject them",
        description="Without a sub-command: every waiting change request, oldest first, with "
        "the before and after of each field.",
    )
    parser.add_argument("--limit", type=int, default=50, help="requests to show (default 50)")
    parser.set_defaults(handler=run_list)
    commands = parser.add_subparsers(dest="command", metavar="SUBCOMMAND")
    approve = commands.add_parser("approve", help="publish a waiting change (checked again)")
    approve.add_argument("id", type=int, help="the change request's number, e.g. 3")
    add_actor_option(approve)
    approve.set_defaults(handler=run_approve)
    reject = commands.add_parser("reject", help="turn a change down; the reason goes back")
    reject.add_argument("id", type=int, help="the change request's number, e.g. 3")
    reject.add_argument("--reason", help="why, in a few words (required; sent to the provider)")
    add_actor_option(reject)
    reject.set_defaults(handler=run_reject)


def run_list(args: argparse.Namespace, context: Context) -> int:
    """Print every waiting request with its diff, and whether it would still apply."""
    require_schema(context)
    with context.sessions() as session:
        waiting = pending_requests(session, limit=args.limit)
        if not waiting:
            print("No change requests are waiting.")
            return 0
        noun = "request is" if len(waiting) == 1 else "requests are"
        print(f"{len(waiting)} change {noun} waiting, oldest first:")
        for pending in waiting:
            print()
            print("\n".join(render_pending(session, pending, date.today())))
        print()
        print(HOW_TO_DECIDE)
    return 0


def render_pending(session: Session, pending: Pending, today: date) -> list[str]:
    """The summary, when and how it came, the before → after lines, and problems it has now."""
    request = pending.request
    lines = [
        pending.summary,
        f"   sent {request.created_at:%Y-%m-%d %H:%M} UTC via {request.source}",
    ]
    if request.kind == "import":
        problems = permission_problems(request)
        if request.member is not None:
            report = preview_import(
                session,
                str(request.changes.get("csv", "")),
                str(request.changes.get("name", "")),
                request.member,
            )
            problems = report.problems
            if not problems:
                lines.append(f"   {report.summary()}")
    else:
        width = max((len(change.label) for change in pending.changes), default=0)
        lines += [
            f"   {change.label + ':':<{width + 1}} "
            f"{shorten(change.before)} → {shorten(change.after)}"
            for change in pending.changes
        ] or ["   (nothing differs from the listing as it is now)"]
        problems = _problems_now(request, today)
    if problems:
        lines.append("   ! approving it now would be refused:")
        lines += [f"     - {problem}" for problem in problems]
    return lines


def _problems_now(request: ChangeRequest, today: date) -> list[Problem]:
    """What approval would refuse today (the listing, or the member's rights, may have changed
    since the request)."""
    problems = permission_problems(request)
    if problems:
        return problems
    try:
        checked(request.changes, request.opportunity, today)
    except ChangeRefused as refused:
        return refused.problems
    return []


def run_approve(args: argparse.Namespace, context: Context) -> int:
    """Publish one request; a change that no longer fits stays waiting, and the CLI says why."""
    require_schema(context)
    with context.sessions.begin() as session:
        try:
            outcome = approve_request(session, args.id, organiser(args), today=date.today())
        except ChangeRefused as refused:
            problems = "\n".join(f"  - {problem}" for problem in refused.problems)
            raise CliError(
                f"change request {args.id} cannot be published as it stands, so it is still "
                f"waiting:\n{problems}\nReject it with a reason so the provider can fix it: "
                f'`wayfinder review reject {args.id} --reason "…"`'
            ) from None
        except (AccessError, StaleVersion) as error:
            raise CliError(str(error)) from None
        request = _request(session, args.id)
        listing = outcome.opportunity
        if request.kind == "import":
            done = f"spreadsheet {request.changes.get('name', 'upload')!r} is imported"
        elif request.kind == "create" and listing is not None:
            done = f"new listing {listing.title!r} is published as id {listing.id}"
        elif listing is not None and outcome.changed:
            changed = ", ".join(outcome.changed)
            done = f"{listing.title!r} (id {listing.id}) now shows the new {changed}"
        else:
            done = "nothing differed from the listing as it is now, so nothing changed"
        print(f"Approved #{args.id}: {done}.")
        print(_who_hears(request, "the approval"))
    return 0


def run_reject(args: argparse.Namespace, context: Context) -> int:
    """Turn one request down with a reason for the provider."""
    if args.reason is None:
        raise CliError('say why with --reason "…": the provider reads the reason')
    require_schema(context)
    with context.sessions.begin() as session:
        try:
            request = reject_request(session, args.id, organiser(args), args.reason)
        except AccessError as error:
            raise CliError(str(error)) from None
        print(f"Rejected {describe(request).summary}.")
        print(_who_hears(request, "your reason"))
    return 0


def _request(session: Session, request_id: int) -> ChangeRequest:
    """A request known to exist (it was just decided)."""
    request = session.get(ChangeRequest, request_id)
    if request is None:
        raise CliError(f"change request {request_id} has gone")
    return request


def _who_hears(request: ChangeRequest, what: str) -> str:
    """Whether the member who asked is told on Telegram, or has to be told some other way."""
    member = request.member
    if member is None:
        return "The member who asked has left, so nobody is told."
    who = member.name or f"member {member.id}"
    if member.telegram_user_id:
        return f"{who} will get {what} on Telegram."
    return f"{who} is not on Telegram, so {what} is only kept with the request."
