"""The API's reads and writes, through the editing rules (knowledge.editing) only.

Each function takes a `session`; the caller (bot.api.routes, through Gateway.db) owns the
transaction, so a refusal raised here rolls back everything the request did.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from bot.api import API_PREFIX
from bot.api.errors import ApiError, FieldProblem, from_problems, invalid
from bot.api.fields import JSON_NAMES, cells_from_json, checked_text, listing_json, request_json
from bot.api.inputs import MAX_ID, ImportOptions, Page, encode_cursor, row_id
from bot.api.translations import check_allowed, read_translations, write_translations
from knowledge.community import AccessError, find_provider_named, may_edit
from knowledge.editing.member_edits import (
    ChangeRefused,
    Outcome,
    StaleVersion,
    actor_for,
    checked,
    close_listing,
    create_listing,
    edit_listing,
)
from knowledge.editing.spreadsheet import import_for_member
from knowledge.models import ChangeRequest, Member, Opportunity, Provider
from knowledge.transfer.badges import find_achievement
from knowledge.transfer.report import ImportReport

SOURCE = "api"


@dataclass
class Answer:
    """What to send back: status, JSON body, headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@contextmanager
def domain_errors() -> Iterator[None]:
    """The editing rules' refusals as API errors: 403 for access, 422 for bad fields."""
    try:
        yield
    except AccessError as error:
        raise ApiError(403, str(error)) from None
    except ChangeRefused as error:
        raise invalid(from_problems(error.problems, JSON_NAMES)) from None


def member_of(session: Session, member_id: int) -> Member:
    """The caller, with their providers (a member removed since the token check is refused)."""
    member = session.get(Member, member_id, options=[selectinload(Member.providers)])
    if member is None:
        raise ApiError(401, "this token's member no longer exists; ask an organiser")
    return member


def listing_for(session: Session, member: Member, listing_id: int) -> Opportunity:
    """A listing the caller may edit: 404 when there is none, 403 when it is another's."""
    listing = session.get(
        Opportunity,
        row_id(listing_id, "listing"),
        options=[selectinload(Opportunity.provider), selectinload(Opportunity.topics)],
    )
    if listing is None:
        raise ApiError(404, f"there is no listing {listing_id}")
    if not may_edit(member, listing):
        raise ApiError(
            403,
            f"listing {listing_id} belongs to {listing.provider.name}; your token is for "
            f"{_providers(member)}, so you can only read and change their listings",
        )
    return listing


def _providers(member: Member) -> str:
    """The member's providers, for messages."""
    return ", ".join(provider.name for provider in member.providers) or "no provider yet"


def listing_answer(listing: Opportunity, status: int = 200) -> Answer:
    """A listing with its version as ETag (and its address when new)."""
    headers = {"ETag": f'"{listing.version}"'}
    if status == 201:
        headers["Location"] = f"{API_PREFIX}/opportunities/{listing.id}"
    return Answer(status, listing_json(listing), headers)


def pending_answer(request: ChangeRequest) -> Answer:
    """202: the change waits for an organiser, who approves or rejects it."""
    body = {
        "message": "Your provider is not verified yet, so an organiser reviews this change "
        "before learners see it; follow it at the request's url.",
        "request": request_json(request),
    }
    return Answer(202, body, {"Location": f"{API_PREFIX}/requests/{request.id}"})


def outcome_answer(outcome: Outcome, created: bool = False) -> Answer:
    """Published (the listing) or waiting for review (the request)."""
    if outcome.request is not None:
        return pending_answer(outcome.request)
    assert outcome.opportunity is not None
    return listing_answer(outcome.opportunity, 201 if created else 200)


def list_page(session: Session, member_id: int, page: Page) -> Answer:
    """The caller's listings (an organiser's: all) in (modified_at, id) order, a page at a time."""
    member = member_of(session, member_id)
    query = select(Opportunity).options(
        selectinload(Opportunity.provider), selectinload(Opportunity.topics)
    )
    if member.role != "organiser":
        query = query.where(Opportunity.provider_id.in_([p.id for p in member.providers]))
    if page.modified_after is not None:
        query = query.where(Opportunity.modified_at > page.modified_after)
    if page.after is not None:
        moment, last_id = page.after
        query = query.where(
            or_(
                Opportunity.modified_at > moment,
                and_(Opportunity.modified_at == moment, Opportunity.id > last_id),
            )
        )
    query = query.order_by(Opportunity.modified_at, Opportunity.id).limit(page.limit + 1)
    found = list(session.scalars(query))
    shown = found[: page.limit]
    more = len(found) > page.limit
    last = shown[-1] if shown else None
    cursor = encode_cursor(last.modified_at, last.id) if more and last is not None else None
    body = {"opportunities": [listing_json(item) for item in shown], "next": cursor}
    return Answer(200, body)


def read_listing(session: Session, member_id: int, listing_id: int) -> Answer:
    """One of the caller's listings."""
    return listing_answer(listing_for(session, member_of(session, member_id), listing_id))


def create(session: Session, member_id: int, body: dict[str, Any], today: date) -> Answer:
    """A new listing for one of the caller's providers: 201, or 202 when it waits for review."""
    member = member_of(session, member_id)
    provider = provider_for(session, member, body.pop("provider", None))
    translations, problems = read_translations(body)
    cells = cells_for(body, None, today, problems)
    check_allowed(member, provider, None, translations)
    with domain_errors():
        outcome = create_listing(session, member, provider, cells, source=SOURCE, today=today)
    if outcome.opportunity is not None:  # published (a reviewed one has no listing yet)
        write_translations(session, outcome.opportunity, translations, actor_for(member, SOURCE))
    return outcome_answer(outcome, created=True)


def cells_for(
    body: dict[str, Any],
    listing: Opportunity | None,
    today: date,
    found: list[FieldProblem] | None = None,
) -> dict[str, str]:
    """The body as cells; when some values cannot even be cells (or `found` holds problems of
    other parts of the body), the others are checked too, so every problem is reported at once."""
    current = None if listing is None else listing_json(listing)
    cells, problems = cells_from_json(body, current=current)
    problems = [*(found or []), *problems]
    if problems:
        try:
            checked(cells, listing, today)
        except ChangeRefused as error:
            problems += from_problems(error.problems, JSON_NAMES)
        raise invalid(problems)
    return cells


def provider_for(session: Session, member: Member, given: Any) -> Provider:
    """The provider a new listing is for: by id or name (or {"id"}/{"name"}), one of the caller's.

    A member of a single provider may leave it out.
    """
    if isinstance(given, dict) and len(given) == 1 and ("id" in given or "name" in given):
        given = given.get("id", given.get("name"))
    if given is None and member.role != "organiser" and len(member.providers) == 1:
        return member.providers[0]
    provider: Provider | None
    if isinstance(given, int) and not isinstance(given, bool):
        provider = session.get(Provider, given) if 1 <= given <= MAX_ID else None
        if provider is None:
            raise _provider_problem(f"there is no provider {given}")
    elif isinstance(given, str) and given.strip():
        try:
            provider = find_provider_named(session, checked_text(given))
        except (AccessError, ValueError) as error:
            raise _provider_problem(str(error)) from None
    else:
        raise _provider_problem(
            "name the provider the listing is for, by id or name, e.g. "
            f'"provider": {{"id": 3}} (yours: {_providers(member)})'
        )
    if member.role != "organiser" and provider not in member.providers:
        raise ApiError(
            403,
            f"you are not a member of {provider.name}; your token is for {_providers(member)}",
        )
    return provider


def _provider_problem(message: str) -> ApiError:
    """422 at the provider field."""
    return invalid([FieldProblem("provider", message)])


def update(
    session: Session,
    member_id: int,
    listing_id: int,
    body: dict[str, Any],
    version: int,
    today: date,
) -> Answer:
    """Change some fields of a listing the caller read at `version` (stale: StaleVersion)."""
    member = member_of(session, member_id)
    listing = listing_for(session, member, listing_id)
    if version != listing.version:
        raise StaleVersion(listing.id, version, listing.version)
    translations, problems = read_translations(body)
    cells = cells_for(body, listing, today, problems)
    publish = check_allowed(member, listing.provider, listing, translations)
    with domain_errors():
        outcome = edit_listing(
            session, member, listing, cells, source=SOURCE, today=today, expected_version=version
        )
    if publish:
        write_translations(session, listing, translations, actor_for(member, SOURCE))
    return outcome_answer(outcome)


def close(
    session: Session, member_id: int, listing_id: int, version: int | None, today: date
) -> Answer:
    """Mark a listing inactive (it ended); with a version, only if nobody changed it since."""
    member = member_of(session, member_id)
    listing = listing_for(session, member, listing_id)
    with domain_errors():
        outcome = close_listing(
            session, member, listing, source=SOURCE, today=today, expected_version=version
        )
    return outcome_answer(outcome)


def stale(session: Session, member_id: int, listing_id: int, expected: int | None) -> Answer:
    """409 with the listing as it is now, to merge the change into and send again."""
    listing = listing_for(session, member_of(session, member_id), listing_id)
    current = listing.version
    message = (
        f"listing {listing_id} has changed since you read version {expected}; it is now at "
        f"version {current}. Nothing was changed: apply your change to the current listing "
        f'(in "current") and send it again with version {current}'
    )
    problem = FieldProblem("version", f"is {current} now, not {expected}")
    body: dict[str, Any] = {"error": message, "problems": [problem.as_json()]}
    body |= {"version": current, "current": listing_json(listing)}
    return Answer(409, body, {"ETag": f'"{current}"'})


def upload(session: Session, member_id: int, data: bytes, options: ImportOptions) -> Answer:
    """A spreadsheet for the caller's providers, all or nothing: the import report (403 for a
    member other than an organiser forcing it over newer changes)."""
    member = member_of(session, member_id)
    with domain_errors():
        result = import_for_member(
            session,
            member,
            data,
            name=options.name,
            source=SOURCE,
            dry_run=options.dry_run,
            force=options.force,
        )
    report = report_json(result.report)
    if result.report.problems:
        problems = [
            FieldProblem(problem.column, problem.message, problem.row)
            for problem in result.report.problems
        ]
        raise ApiError(422, result.report.summary(), problems, extra={"report": report})
    if result.request is not None:
        answer = pending_answer(result.request)
        answer.body["report"] = report
        return answer
    return Answer(200, {"report": report})


def report_json(report: ImportReport) -> dict[str, Any]:
    """An import's counts and summary line."""
    return {
        "summary": report.summary(),
        "dry_run": report.dry_run,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "new_records": report.new_records,
    }


def request_state(session: Session, member_id: int, request_id: int) -> Answer:
    """A change request of the caller's providers (organisers: any): its state and reason."""
    member = member_of(session, member_id)
    request = session.get(
        ChangeRequest,
        row_id(request_id, "change request"),
        options=[selectinload(ChangeRequest.provider)],
    )
    if request is None:
        raise ApiError(404, f"there is no change request {request_id}")
    if member.role != "organiser" and request.provider not in member.providers:
        raise ApiError(
            403, f"change request {request_id} is {request.provider.name}'s, not yours to read"
        )
    return Answer(200, request_json(request))


def achievement(session: Session, achievement_id: str) -> Answer:
    """A credential as an Open Badges 3.0 Achievement, by the UUID of its urn:uuid: id."""
    missing = ApiError(
        404,
        f"there is no achievement {achievement_id!r}; use the UUID of an Achievement id "
        "(urn:uuid:…) from the Open Badges export",
    )
    try:
        wanted = uuid.UUID(achievement_id)
    except ValueError:
        raise missing from None
    found = find_achievement(session, wanted)
    if found is None:
        raise missing
    return Answer(200, found)
