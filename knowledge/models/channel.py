"""How to reach a learner on the channel they use, and the gateway's relay state.

The gateway (bot/gateway) keeps these: the Rasa server and the actions only ever see the
pseudonymous sender id. A Telegram chat id or a web session id lives here and nowhere else, so
"forget me" can erase it with the rest (knowledge.learners.forget_learner).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from knowledge.models.base import Base, utcnow

CHANNELS = ("telegram", "web")


class ChannelAddress(Base):
    """Where a sender id's messages go: a Telegram chat or a web widget session."""

    __tablename__ = "channel_address"

    sender_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"ChannelAddress({self.sender_id!r}, {self.channel!r})"


class OutboxMessage(Base):
    """A message the bot sent on its own (reminder, navigator reply) for a web widget to fetch;
    one not fetched yet waits for the learner to open the chat (bot.gateway.records)."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_sender_id_id", "sender_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(128))
    message: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fetched_at: Mapped[datetime | None]  # first handed to a widget's poll; None: still waiting

    def __repr__(self) -> str:
        return f"OutboxMessage({self.id}, {self.sender_id!r})"


class HandoffPost(Base):
    """A message in the navigators' group that belongs to a handoff: replying to it answers."""

    __tablename__ = "handoff_post"

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoff.id", ondelete="CASCADE"))
    chat_id: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_handoff_post_chat_message", "chat_id", "message_id"),)


class DeliveryReceipt(Base):
    """One proactive message under an idempotency key: claimed while it is being sent, then
    delivered, so a retried delivery never sends it again (bot.gateway.records)."""

    __tablename__ = "delivery_receipt"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(128), index=True)
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"DeliveryReceipt({self.key!r}, delivered={self.delivered_at is not None})"
