"""A learner's requests to talk to a person: opened by the assistant (actions.people), posted,
relayed, timed out and closed by the gateway (bot.gateway.handoff). Every query the handoff needs
lives here; each takes the caller's session.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from knowledge.models import Handoff, HandoffPost, Learner, utcnow


def open_handoff(session: Session, learner: Learner, summary: dict[str, Any]) -> Handoff:
    """Record a request to talk to a person (the channel relays it to navigators)."""
    handoff = Handoff(learner=learner, summary=summary)
    session.add(handoff)
    session.flush()
    return handoff


def recent_handoffs(session: Session, learner: Learner, *, within: timedelta) -> list[Handoff]:
    """The learner's requests for a person opened in the last `within`, and any still open."""
    since = utcnow() - within
    query = select(Handoff).where(
        Handoff.learner_id == learner.id,
        or_(Handoff.created_at >= since, Handoff.status == "open"),
    )
    return list(session.scalars(query))


def open_handoff_of(session: Session, sender_id: str) -> Handoff | None:
    """The sender's open request for a person, if any."""
    query = (
        select(Handoff)
        .join(Handoff.learner)
        .where(Learner.sender_id == sender_id, Handoff.status == "open")
        .options(joinedload(Handoff.learner))
        .order_by(Handoff.id.desc())
    )
    return session.scalars(query).first()


def unposted_handoffs(session: Session) -> list[str]:
    """Sender ids with an open request not yet posted to the navigators (a missed post)."""
    query = (
        select(Learner.sender_id)
        .join(Handoff, Handoff.learner_id == Learner.id)
        .where(Handoff.status == "open", Handoff.posted_at.is_(None))
        .order_by(Handoff.id)
    )
    return list(dict.fromkeys(session.scalars(query)))


def record_post(session: Session, handoff: Handoff, chat_id: str, message_id: int) -> None:
    """A message in the navigators' group belongs to this handoff; replies to it are answers."""
    session.add(HandoffPost(handoff_id=handoff.id, chat_id=chat_id, message_id=message_id))
    live = session.get(Handoff, handoff.id)
    if live is not None:
        now = utcnow()
        live.posted_at = live.posted_at or now
        live.last_activity_at = now


def handoff_of_post(session: Session, chat_id: str, message_id: int) -> Handoff | None:
    """The handoff a navigators' group message belongs to."""
    query = (
        select(Handoff)
        .join(HandoffPost, HandoffPost.handoff_id == Handoff.id)
        .where(HandoffPost.chat_id == chat_id, HandoffPost.message_id == message_id)
        .options(joinedload(Handoff.learner))
    )
    return session.scalars(query).first()


def touch_handoff(session: Session, handoff_id: int) -> None:
    """Something was said on an open handoff: its time-out starts again."""
    live = session.get(Handoff, handoff_id)
    if live is not None:
        live.last_activity_at = utcnow()


def close_handoff(session: Session, handoff_id: int, by: str) -> Handoff | None:
    """Close an open handoff (navigator, timeout); None if it was already closed or is gone."""
    live = session.get(Handoff, handoff_id, options=[joinedload(Handoff.learner)])
    if live is None or live.status != "open":
        return None
    live.status, live.closed_by, live.closed_at = "closed", by, utcnow()
    return live


def idle_handoffs(session: Session, idle_for: timedelta, now: datetime | None = None) -> list[int]:
    """Ids of open, posted handoffs nobody has written on for `idle_for`."""
    cutoff = (now or utcnow()) - idle_for
    query = select(Handoff.id).where(
        Handoff.status == "open",
        Handoff.posted_at.is_not(None),
        Handoff.last_activity_at < cutoff,
    )
    return list(session.scalars(query))
