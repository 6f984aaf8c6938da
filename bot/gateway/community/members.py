"""Who a Telegram user is to the community features: a member (organiser or provider member,
found by their Telegram user id) or a learner, who gets none of the provider commands."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from knowledge.models import Member


class NotMember(Exception):
    """The Telegram user has not joined with an invite: a learner as far as the bot knows."""


def member_for(session: Session, user_id: int) -> Member | None:
    """The member with this Telegram user id, with their providers, or None for a learner."""
    query = (
        select(Member)
        .where(Member.telegram_user_id == str(user_id))
        .options(selectinload(Member.providers))
    )
    return session.scalar(query)


def require_member(session: Session, user_id: int) -> Member:
    """The member, or NotMember (the handler answers with how to join)."""
    member = member_for(session, user_id)
    if member is None:
        raise NotMember(user_id)
    return member
