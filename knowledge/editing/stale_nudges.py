"""Keeping listings fresh: which ones their providers have not confirmed lately, and nudging.

A listing is stale when its provider has not confirmed it for FRESHNESS_DAYS; each of the
provider's members on Telegram is asked at most once per NUDGE_AGAIN_DAYS, and one answer
(still running / something changed / it ended) settles it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from knowledge.community import AccessError
from knowledge.editing.member_edits import Outcome, close_listing, confirm_listing
from knowledge.models import FreshnessNudge, Member, Opportunity, membership, utcnow

NUDGE_AGAIN_DAYS = 14
ANSWERS = ("running", "changed", "ended")


def stale_listings(session: Session, *, today: date, days: int) -> list[Opportunity]:
    """Active listings not confirmed in the last `days` days (or never), oldest first."""
    cutoff = today - timedelta(days=days)
    query = (
        select(Opportunity)
        .where(Opportunity.status == "active")
        .where(or_(Opportunity.assured_date.is_(None), Opportunity.assured_date < cutoff))
        .options(selectinload(Opportunity.provider))
        .order_by(Opportunity.assured_date.is_not(None), Opportunity.assured_date, Opportunity.id)
    )
    return list(session.scalars(query))


@dataclass(frozen=True)
class DueNudge:
    """One question to send: this member, about this listing."""

    member: Member
    opportunity: Opportunity


def due_nudges(session: Session, *, today: date, days: int) -> list[DueNudge]:
    """Stale listings × their providers' members on Telegram, unless asked recently."""
    stale = stale_listings(session, today=today, days=days)
    if not stale:
        return []
    since = utcnow() - timedelta(days=NUDGE_AGAIN_DAYS)
    recent = set(
        session.execute(
            select(FreshnessNudge.opportunity_id, FreshnessNudge.member_id).where(
                FreshnessNudge.sent_at >= since
            )
        ).tuples()
    )
    provider_ids = {listing.provider_id for listing in stale}
    members_of: dict[int, list[Member]] = {}
    query = (
        select(Member, membership.c.provider_id)
        .join(membership, membership.c.member_id == Member.id)
        .where(membership.c.provider_id.in_(provider_ids))
        .where(Member.telegram_user_id.is_not(None))
        .order_by(Member.id)
    )
    for member, provider_id in session.execute(query).tuples():
        members_of.setdefault(provider_id, []).append(member)
    return [
        DueNudge(member, listing)
        for listing in stale
        for member in members_of.get(listing.provider_id, [])
        if (listing.id, member.id) not in recent
    ]


def reachable_on_telegram(session: Session, listings: list[Opportunity]) -> set[int]:
    """Ids of the listings whose provider has a member on Telegram, who can be asked to confirm."""
    provider_ids = {listing.provider_id for listing in listings}
    if not provider_ids:
        return set()
    query = (
        select(membership.c.provider_id)
        .join(Member, Member.id == membership.c.member_id)
        .where(membership.c.provider_id.in_(provider_ids))
        .where(Member.telegram_user_id.is_not(None))
    )
    reachable = set(session.scalars(query))
    return {listing.id for listing in listings if listing.provider_id in reachable}


def record_nudge(session: Session, member: Member, opportunity: Opportunity) -> FreshnessNudge:
    """Note that the question was sent (its id goes in the buttons' payloads)."""
    nudge = FreshnessNudge(opportunity=opportunity, member=member)
    session.add(nudge)
    session.flush()
    return nudge


def answer_nudge(
    session: Session, nudge_id: int, member: Member, answer: str, *, today: date
) -> tuple[FreshnessNudge, Outcome | None]:
    """Settle a nudge: 'running' confirms, 'ended' closes, 'changed' leaves it to an edit."""
    if answer not in ANSWERS:
        raise AccessError(f"the answer must be one of: {', '.join(ANSWERS)}")
    nudge = session.get(FreshnessNudge, nudge_id)
    if nudge is None or nudge.member_id != member.id:
        raise AccessError("that question was not for you, or no longer exists")
    if nudge.answer is not None:
        raise AccessError(f"you already answered this one ({nudge.answer})")
    outcome = None
    if answer == "running":
        outcome = confirm_listing(session, member, nudge.opportunity, source="chat", today=today)
    elif answer == "ended":
        outcome = close_listing(session, member, nudge.opportunity, source="chat", today=today)
    nudge.answer = answer
    nudge.answered_at = utcnow()
    return nudge, outcome
