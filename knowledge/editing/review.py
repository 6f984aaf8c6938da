"""The organisers' review queue: changes from unverified providers, approved or rejected.

Approval checks the change again against the listing as it is now, so two requests that touch
the same listing cannot silently undo each other, and checks again that its member may still make
it. A request is decided once: the decision is claimed with a conditional UPDATE (… WHERE
state = 'pending'), so two organisers approving at the same moment give one effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session, selectinload

from knowledge.community import AccessError, may_edit
from knowledge.editing.fields import FieldChange, diff, parse_fields
from knowledge.editing.member_edits import (
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
    """Publish a waiting change (checked again, permissions too); problems leave it waiting and
    say why, and a request someone decided meanwhile is refused (AccessError).

    The caller has checked that the reviewer is an organiser (reviewer_for, or the CLI's owner).
    """
    request = _pending(session, request_id)
    savepoint = session.begin_nested()  # a refusal leaves the request waiting, nothing written
    try:
        _claim(session, request, "approved", reviewer, None)
        outcome = _publish(session, request, reviewer, today)
    except BaseException:
        savepoint.rollback()
        session.expire(request)
        raise
    savepoint.commit()
    return outcome


def _publish(session: Session, request: ChangeRequest, reviewer: Actor, today: date) -> Outcome:
    """Write a claimed request's change, as its member may make it today."""
    author = request.member
    problems = permission_problems(request)
    if author is None or problems:
        raise ChangeRefused(problems)
    actor = Actor(
        name=f"{actor_for(author, request.source).name}, approved by {reviewer.name}",
        source=request.source,
    )
    if request.kind == "import":
        sent = request.created_at.date() if author.role == "provider" else None
        csv_text, name = str(request.changes["csv"]), str(request.changes["name"])
        report = apply_import(session, csv_text, name, actor, author=author, confirmed=sent)
        if report.problems:
            raise ChangeRefused(report.problems)
        return Outcome(None)
    if request.kind == "create":
        values = checked(request.changes, None, today)
        return Outcome(add_listing(session, request.provider, values, actor, today, author))
    opportunity = request.opportunity
    assert opportunity is not None  # permission_problems said so
    values = checked(request.changes, opportunity, today)
    changed = apply_values(session, opportunity, values, actor, today, author)
    return Outcome(opportunity, changed=changed)


def permission_problems(request: ChangeRequest) -> list[Problem]:
    """Why the request's member may no longer make its change (memberships and listings change
    while a request waits); a spreadsheet's rows are checked by apply_import."""
    author = request.member
    if author is None:
        return [Problem("the member who sent it has left, so nobody may make it; reject it")]
    who = actor_for(author, request.source).name
    if request.kind == "update":
        listing = request.opportunity
        if listing is None:
            return [Problem("the listing was deleted since; reject the request")]
        if not may_edit(author, listing):
            return [
                Problem(
                    f"{who} may no longer change {listing.provider.name}'s listings; "
                    "reject the request"
                )
            ]
    joined = author.role == "organiser" or request.provider in author.providers
    if request.kind == "create" and not joined:
        return [Problem(f"{who} is no longer a member of {request.provider.name}; reject it")]
    return []


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
    _claim(session, request, "rejected", reviewer, reason)
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


def _claim(
    session: Session, request: ChangeRequest, state: str, reviewer: Actor, reason: str | None
) -> None:
    """Decide a request only if it is still waiting, in one statement: of two organisers deciding
    at once, the second waits for the first's transaction and then finds it decided."""
    result = session.execute(
        update(ChangeRequest)
        .where(ChangeRequest.id == request.id, ChangeRequest.state == "pending")
        .values(state=state, decided_at=utcnow(), decided_by=reviewer.name, reason=reason)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    session.refresh(request)  # as decided: by this statement, or by whoever came first
    if result.rowcount != 1:
        raise AccessError(f"change request {request.id} was already {request.state}")
