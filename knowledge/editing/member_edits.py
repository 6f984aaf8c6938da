"""Creating, changing, closing and confirming listings as a member: permission, checks, review.

Verified providers' members and organisers publish at once; other members' changes become
change requests for the organisers (knowledge.editing.review). The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from knowledge.community import AccessError, may_edit, publishes_directly
from knowledge.editing.fields import BY_ATTRIBUTE, FIELDS, check_together, parse_fields, value_of
from knowledge.editing.place_fields import (
    main_place,
    new_listing_place,
    place_problems,
    split,
    write_place_notes,
)
from knowledge.history import Actor
from knowledge.models import ChangeRequest, Member, Opportunity, Provider
from knowledge.transfer.report import Problem
from knowledge.writes import get_or_create_topic, upsert_opportunity


class ChangeRefused(ValueError):
    """The change has problems; each says which field and what to write instead."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


class StaleVersion(Exception):
    """Someone else changed the listing since this member read it; nothing was written."""

    def __init__(self, opportunity_id: int, expected: int | None, current: int | None) -> None:
        super().__init__(
            f"listing {opportunity_id} has changed since you read it (you had version "
            f"{expected}, it is now at {current}); read it again and redo your change"
        )
        self.opportunity_id = opportunity_id
        self.expected = expected
        self.current = current


@dataclass
class Outcome:
    """What happened to a change: published at once, or waiting for review."""

    opportunity: Opportunity | None
    request: ChangeRequest | None = None
    changed: list[str] = field(default_factory=list)  # fields that changed, when published

    @property
    def published(self) -> bool:
        """Whether learners see the change now."""
        return self.request is None


def actor_for(member: Member, source: str) -> Actor:
    """How a member appears in the change history."""
    who = member.name or ("organiser" if member.role == "organiser" else "provider member")
    return Actor(name=f"{who} (member {member.id})", source=source)


def require_editor(member: Member, opportunity: Opportunity) -> None:
    """Refuse members of other providers."""
    if not may_edit(member, opportunity):
        raise AccessError(
            f"listing {opportunity.id} belongs to {opportunity.provider.name}; you can only "
            "change your own provider's listings"
        )


def require_member_of(member: Member, provider: Provider) -> None:
    """Refuse adding listings to a provider the member does not belong to."""
    if member.role != "organiser" and provider not in member.providers:
        raise AccessError(f"you are not a member of {provider.name}")


def edit_listing(
    session: Session,
    member: Member,
    opportunity: Opportunity,
    cells: Mapping[str, str],
    *,
    source: str,
    today: date,
    expected_version: int | None = None,
) -> Outcome:
    """Change some fields of a listing (cells by field name, as in the spreadsheet)."""
    require_editor(member, opportunity)
    if expected_version is not None and expected_version != opportunity.version:
        raise StaleVersion(opportunity.id, expected_version, opportunity.version)
    values = checked(cells, opportunity, today)
    if not publishes_directly(member, opportunity.provider):
        request = ChangeRequest(
            kind="update",
            member=member,
            provider=opportunity.provider,
            opportunity=opportunity,
            base_version=opportunity.version,
            changes=dict(cells),
            source=source,
        )
        session.add(request)
        session.flush()
        return Outcome(opportunity, request)
    changed = apply_values(session, opportunity, values, actor_for(member, source), today, member)
    return Outcome(opportunity, changed=changed)


def create_listing(
    session: Session,
    member: Member,
    provider: Provider,
    cells: Mapping[str, str],
    *,
    source: str,
    today: date,
) -> Outcome:
    """A new listing for one of the member's providers; the required fields must be given."""
    require_member_of(member, provider)
    missing = [
        Problem("is required for a new listing", None, name, field_label="field")
        for name, spec in FIELDS.items()
        if spec.required and not (cells.get(name) or "").strip()
    ]
    if missing:
        raise ChangeRefused(missing)
    values = checked(cells, None, today)
    refused = place_problems(new_listing_place(provider, values), values, _field_name)
    if refused:
        raise ChangeRefused(refused)
    if not publishes_directly(member, provider):
        request = ChangeRequest(
            kind="create", member=member, provider=provider, changes=dict(cells), source=source
        )
        session.add(request)
        session.flush()
        return Outcome(None, request)
    opportunity = add_listing(session, provider, values, actor_for(member, source), today, member)
    return Outcome(opportunity, changed=sorted(values))


def checked(cells: Mapping[str, str], current: Opportunity | None, today: date) -> dict[str, Any]:
    """Parsed values, or ChangeRefused with every problem."""
    values, problems = parse_fields(cells)
    problems += check_together(current, values, today)
    if problems:
        raise ChangeRefused(problems)
    return values


def apply_values(
    session: Session,
    opportunity: Opportunity,
    values: Mapping[str, Any],
    actor: Actor,
    today: date,
    member: Member | None,
) -> list[str]:
    """Write parsed values with history; a provider's own change also confirms the listing."""
    before = {name: _current(opportunity, name) for name in values}
    own, notes = split(values)
    write_place_notes(session, main_place(opportunity), notes, actor)
    resolved = _resolved(session, own, actor)
    if member is not None and member.role == "provider":
        resolved["assured_date"] = today
    listing_id, read = opportunity.id, opportunity.version  # unreadable once a flush failed
    try:  # upsert may autoflush too (loading the listing's places): a race shows up there
        upsert_opportunity(session, resolved, actor, existing=opportunity)
        session.flush()
    except StaleDataError as error:
        raise StaleVersion(listing_id, read, None) from error
    return [name for name in values if _current(opportunity, name) != before[name]]


def add_listing(
    session: Session,
    provider: Provider,
    values: Mapping[str, Any],
    actor: Actor,
    today: date,
    member: Member | None,
) -> Opportunity:
    """Insert a new, active listing at the provider's main place (when it meets in person)."""
    own, notes = split(values)
    place = new_listing_place(provider, values)
    refused = place_problems(place, notes, _field_name)
    if refused:
        raise ChangeRefused(refused)
    resolved = _resolved(session, own, actor)
    resolved["provider"] = provider
    if place is not None:
        resolved["locations"] = [place]
    write_place_notes(session, place, notes, actor)
    resolved.setdefault("status", "active")
    if member is not None and member.role == "provider":
        resolved["assured_date"] = today
    opportunity, _ = upsert_opportunity(session, resolved, actor)
    session.flush()
    return opportunity


def _resolved(session: Session, values: Mapping[str, Any], actor: Actor) -> dict[str, Any]:
    """Topic names become the taxonomy's topics (created when new)."""
    resolved = dict(values)
    if "topics" in resolved:
        topics = []
        for name in resolved["topics"]:
            topic = get_or_create_topic(session, name, actor)
            if topic not in topics:
                topics.append(topic)
        resolved["topics"] = topics
    return resolved


def _field_name(attribute: str) -> str:
    """The field name people use for a listing attribute ("place_transport" → "transport")."""
    return BY_ATTRIBUTE[attribute].name


def _current(opportunity: Opportunity, attribute: str) -> Any:
    """A comparable copy of a field's value."""
    value = value_of(opportunity, attribute)
    if attribute == "topics":
        return sorted(topic.name for topic in value)
    return list(value) if isinstance(value, list) else value


def close_listing(
    session: Session,
    member: Member,
    opportunity: Opportunity,
    *,
    source: str,
    today: date,
    expected_version: int | None = None,
) -> Outcome:
    """Mark a listing inactive (it ended); learners stop seeing it."""
    return edit_listing(
        session,
        member,
        opportunity,
        {"status": "inactive"},
        source=source,
        today=today,
        expected_version=expected_version,
    )


def confirm_listing(
    session: Session, member: Member, opportunity: Opportunity, *, source: str, today: date
) -> Outcome:
    """'Still running as listed': sets the date the provider last confirmed it, nothing else.

    A confirmation changes no content, so it is published even for unverified providers.
    """
    require_editor(member, opportunity)
    upsert_opportunity(
        session, {"assured_date": today}, actor_for(member, source), existing=opportunity
    )
    session.flush()
    return Outcome(opportunity, changed=["assured_date"])
