"""The organisers' review queue: changes from unverified providers, approved or rejected.

Approval checks the change again against the listing as it is now, so two requests that touch
the same listing cannot silently undo each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from knowledge.community import AccessError
from knowledge.editing.fields import FieldChange, diff, parse_fields
from knowledge.editing.listings import (
    ChangeRefused,
    Outcome,
    actor_for,
    add_listing,
    apply_values,
    checked,
)
from knowledge.editing.spreadsheet import apply_import
from knowledge.history import Actor
from knowledge.models import ChangeRequest, Member, utcnow
from knowledge.transfer.report import Problem

MAX_REASON = 1000


@dataclass(frozen=True)
class Pending:
    """A request as an organiser sees it: who, which listing, and the before/after of each field."""

    request: ChangeRequest
    changes: list[FieldChange]
    summary: str


def pending_requests(session: Session, *, limit: int = 50) -> list[Pending]:
    """The oldest waiting requests first, each with its diff against the listing today."""
    query = (
        select(ChangeRequest)
        .where(ChangeRequest.state == "pending")
        .options(
            selectinload(ChangeRequest.member),
            selectinload(ChangeRequest.provider),
            selectinload(ChangeRequest.opportunity),
        )
        .order_by(ChangeRequest.created_at, ChangeRequest.id)
        .limit(limit)
    )
    return [describe(request) for request in session.scalars(query)]


def describe(request: ChangeRequest) -> Pending:
    """The diff and a one-line summary of one request."""
    who = request.member.name if request.member and request.member.name else "a member"
    if request.kind == "import":
        rows = max(str(request.changes.get("csv", "")).strip().count("\n"), 0)
        summary = (
            f"#{request.id} spreadsheet {request.changes.get('name', 'upload')!r} "
            f"({rows} rows) from {who} of {request.provider.name}"
        )
        return Pending(request, [], summary)
    values, _ = parse_fields(request.changes)
    changes = diff(request.opportunity, values)
    if request.kind == "create":
        title = request.changes.get("title", "?")
        summary = f"#{request.id} new listing {title!r} from {who} of {request.provider.name}"
    else:
        title = request.opportunity.title if request.opportunity else "(deleted listing)"
        summary = f"#{request.id} change to {title!r} from {who} of {request.provider.name}"
    return Pending(request, changes, summary)


def reviewer_for(member: Member) -> Actor:
    """An organiser member as a reviewer; anyone else is refused."""
    if member.role != "organiser":
        raise AccessError("only organisers review changes")
    return actor_for(member, "chat")


def _pending(session: Session, request_id: int) -> ChangeRequest:
    """The request, if it is still waiting."""
    request = session.get(ChangeRequest, request_id)
    if request is None:
        raise AccessError(f"there is no change request {request_id}")
    if request.state != "pending":
        raise AccessError(f"change request {request_id} was already {request.state}")
    return request


def approve_request(session: Session, request_id: int, reviewer: Actor, *, today: date) -> Outcome:
    """Publish a waiting change (checked again); problems leave it waiting and say why.

    The caller has checked that the reviewer is an organiser (reviewer_for, or the CLI's owner).
    """
    request = _pending(session, request_id)
    author = request.member
    actor = Actor(
        name=f"{actor_for(author, request.source).name if author else 'a former member'}, "
        f"approved by {reviewer.name}",
        source=request.source,
    )
    outcome: Outcome
    if request.kind == "import":
        sent = request.created_at.date() if author and author.role == "provider" else None
        csv_text, name = str(request.changes["csv"]), str(request.changes["name"])
        report = apply_import(session, csv_text, name, actor, confirmed=sent)
        if report.problems:
            raise ChangeRefused(report.problems)
        outcome = Outcome(None)
    elif request.kind == "create":
        values = checked(request.changes, None, today)
        outcome = Outcome(add_listing(session, request.provider, values, actor, today, author))
    else:
        opportunity = request.opportunity
        if opportunity is None:
            raise ChangeRefused([Problem("the listing was deleted since; reject the request")])
        values = checked(request.changes, opportunity, today)
        changed = apply_values(session, opportunity, values, actor, today, author)
        outcome = Outcome(opportunity, changed=changed)
    _decide(request, "approved", reviewer, None)
    return outcome


def reject_request(
    session: Session, request_id: int, reviewer: Actor, reason: str
) -> ChangeRequest:
    """Turn a change down; the reason goes back to the member who made it."""
    request = _pending(session, request_id)
    reason = reason.strip()
    if not reason:
        raise AccessError("say why, in a few words: the provider reads the reason")
    if len(reason) > MAX_REASON:
        raise AccessError(f"keep the reason under {MAX_REASON} characters")
    _decide(request, "rejected", reviewer, reason)
    return request


def decisions_to_tell(session: Session, *, limit: int = 100) -> list[ChangeRequest]:
    """Decided requests whose member on Telegram has not been told yet (the gateway tells them
    and calls mark_told), whichever path decided them: chat, CLI or API."""
    query = (
        select(ChangeRequest)
        .join(Member, Member.id == ChangeRequest.member_id)
        .where(ChangeRequest.state != "pending")
        .where(ChangeRequest.told_at.is_(None))
        .where(Member.telegram_user_id.is_not(None))
        .options(selectinload(ChangeRequest.member), selectinload(ChangeRequest.opportunity))
        .order_by(ChangeRequest.decided_at, ChangeRequest.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def mark_told(request: ChangeRequest) -> None:
    """The member has heard the decision."""
    request.told_at = utcnow()


def _decide(request: ChangeRequest, state: str, reviewer: Actor, reason: str | None) -> None:
    """Close a request."""
    request.state = state
    request.decided_at = utcnow()
    request.decided_by = reviewer.name
    request.reason = reason
