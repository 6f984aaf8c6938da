"""The gateway's records: channel addresses, the web outbox, delivery receipts and the learner's
chat language (the handoff's are knowledge.handoffs').

Query functions take a `session`; the caller (bot.gateway.core, .outbox) owns the transaction.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from knowledge.chat_language import ChatLanguage
from knowledge.models import (
    ChannelAddress,
    DeliveryReceipt,
    Learner,
    OutboxMessage,
    utcnow,
)

PREFIXES = {"telegram": "tg", "web": "web"}
# A web message is kept a week after a widget's poll first took it (a reply lost on the way is
# taken again); one no poll took (a reminder for a learner who has not opened the chat since)
# waits up to 60 days for them to come back, then goes, as an abandoned chat's would. (Retention,
# WAYFINDER_RETENTION_DAYS, erases it sooner with the rest when that is shorter.)
OUTBOX_KEEP = timedelta(days=7)
OUTBOX_WAIT = timedelta(days=60)
SEEN_EVERY = timedelta(hours=1)
# A claim older than this belongs to a gateway that died while sending (one Telegram message,
# retries and rate-limit waits included, takes well under it): the message may be sent again.
CLAIM_EXPIRES = timedelta(minutes=10)
# Receipts must outlive the reminder worker's retries (knowledge.learners.RETRY_AFTER, two days).
RECEIPT_KEEP = timedelta(days=7)
Claim = Literal["send", "delivered", "busy"]


def pseudonym(key: bytes, channel: str, address: str) -> str:
    """The sender id Rasa and the directory see: a keyed hash, never the chat or session id."""
    digest = hmac.new(key, f"{channel}:{address}".encode(), hashlib.sha256).hexdigest()
    return f"{PREFIXES[channel]}-{digest[:32]}"


def kept_address(key: bytes, channel: str, address: str) -> str:
    """What is stored of an address: a Telegram chat id as is (messages go to it), a web session
    id as a keyed hash, since whoever holds the id can read and write that conversation (the web
    outbox is found by sender id, so nothing needs the id itself)."""
    if channel != "web":
        return address
    digest = hmac.new(key, f"web-session:{address}".encode(), hashlib.sha256).hexdigest()
    return f"hmac-sha256:{digest}"


def address_is_current(
    session: Session, sender_id: str, channel: str, address: str, now: datetime | None = None
) -> bool:
    """Whether the kept address needs no write: known, not moved, seen within the hour."""
    found = session.get(ChannelAddress, sender_id)
    return found is not None and not _needs_write(found, channel, address, now or utcnow())


def remember_address(
    session: Session, sender_id: str, channel: str, address: str, now: datetime | None = None
) -> None:
    """Keep where this sender can be reached (for reminders and navigator replies).

    The row is written when it is new or moved, and its last-seen time at most hourly, so
    chatting does not queue every message behind the database's writers.
    """
    moment = now or utcnow()
    found = session.get(ChannelAddress, sender_id)
    if found is None:
        session.add(ChannelAddress(sender_id=sender_id, channel=channel, address=address))
    elif _needs_write(found, channel, address, moment):
        found.channel, found.address, found.last_seen_at = channel, address, moment


def _needs_write(found: ChannelAddress, channel: str, address: str, moment: datetime) -> bool:
    """Moved to another chat or session, or last seen over an hour ago."""
    return (found.channel, found.address) != (channel, address) or (
        moment - found.last_seen_at > SEEN_EVERY
    )


def address_of(session: Session, sender_id: str) -> ChannelAddress | None:
    """Where a sender's messages go, if they have written to us (and not asked to be forgotten)."""
    return session.get(ChannelAddress, sender_id)


def chat_language_of(session: Session, sender_id: str) -> str | None:
    """The language the learner chats in, as their profile keeps it (None: not known yet)."""
    query = select(Learner.chat_language).where(Learner.sender_id == sender_id)
    return session.scalars(query).first()


def kept_chat_language(session: Session, sender_id: str) -> ChatLanguage | None:
    """The learner's chat language and whether they chose it, as their profile keeps them."""
    query = select(Learner.chat_language, Learner.chat_language_chosen).where(
        Learner.sender_id == sender_id
    )
    row = session.execute(query).first()
    if row is None or row.chat_language is None:
        return None
    return ChatLanguage(row.chat_language, chosen=bool(row.chat_language_chosen))


def queue_outbox(session: Session, sender_id: str, message: dict[str, Any]) -> int:
    """Keep a message for a web widget to fetch; returns its id (the widget's cursor)."""
    item = OutboxMessage(sender_id=sender_id, message=message)
    session.add(item)
    session.flush()
    return item.id


def outbox_after(
    session: Session, sender_id: str, after: int, limit: int = 50
) -> list[OutboxMessage]:
    """A sender's queued messages newer than `after`, oldest first."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.sender_id == sender_id, OutboxMessage.id > after)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def fetch_outbox(
    session: Session, sender_id: str, after: int, now: datetime | None = None
) -> list[OutboxMessage]:
    """What a widget's poll takes: the sender's queued messages newer than `after`, those taken
    for the first time marked fetched `now` (from then on they are kept a week, not waiting)."""
    found = outbox_after(session, sender_id, after)
    fresh = [item.id for item in found if item.fetched_at is None]
    if fresh:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(fresh), OutboxMessage.fetched_at.is_(None))
            .values(fetched_at=now or utcnow())
            .execution_options(synchronize_session=False)
        )
    return found


def purge_outbox(session: Session, now: datetime | None = None) -> int:
    """Drop web messages a widget took over a week ago, and those none took for OUTBOX_WAIT
    (a learner who never came back)."""
    moment = now or utcnow()
    result = session.execute(
        delete(OutboxMessage).where(
            or_(
                OutboxMessage.fetched_at < moment - OUTBOX_KEEP,
                OutboxMessage.created_at < moment - OUTBOX_WAIT,
            )
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def claim_delivery(
    session: Session, key: str, sender_id: str, now: datetime | None = None
) -> Claim:
    """Whether to send the message under `key`: "delivered" before, "busy" while another request
    is sending it, else "send" (claimed now; a concurrent first claim fails on the primary key).
    """
    moment = now or utcnow()
    found = session.get(DeliveryReceipt, key)
    if found is None:
        session.add(DeliveryReceipt(key=key, sender_id=sender_id, claimed_at=moment))
        session.flush()  # IntegrityError when another request claimed it first
        return "send"
    if found.delivered_at is not None:
        return "delivered"
    if moment - found.claimed_at < CLAIM_EXPIRES:
        return "busy"
    taken = session.execute(  # abandoned: take it over, unless another request just did
        update(DeliveryReceipt)
        .where(DeliveryReceipt.key == key, DeliveryReceipt.claimed_at == found.claimed_at)
        .values(claimed_at=moment)
        .execution_options(synchronize_session=False)
    )
    return "send" if taken.rowcount == 1 else "busy"  # type: ignore[attr-defined]


def mark_delivered(session: Session, key: str, now: datetime | None = None) -> None:
    """The message under `key` went out: it is never sent again."""
    session.execute(
        update(DeliveryReceipt)
        .where(DeliveryReceipt.key == key)
        .values(delivered_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )


def release_delivery(session: Session, key: str, claimed_at: datetime) -> None:
    """Sending under `key` failed: drop our claim (not one taken over since) so that a retry
    sends the message at once."""
    session.execute(
        delete(DeliveryReceipt).where(
            DeliveryReceipt.key == key,
            DeliveryReceipt.claimed_at == claimed_at,
            DeliveryReceipt.delivered_at.is_(None),
        )
    )


def purge_receipts(session: Session, now: datetime | None = None) -> int:
    """Drop delivery receipts older than a week, long after the worker stopped retrying."""
    cutoff = (now or utcnow()) - RECEIPT_KEEP
    result = session.execute(delete(DeliveryReceipt).where(DeliveryReceipt.claimed_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
