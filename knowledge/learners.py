"""A learner's profile, plan and reminders, and erasing them all; every function takes the caller's
session. (Their requests for a person are knowledge.handoffs', the credentials they hold
knowledge.credentials_held's.)"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Literal

from sqlalchemy import delete, or_, select, union
from sqlalchemy.orm import Session, joinedload, selectinload

from knowledge.models import (
    ChannelAddress,
    DeliveryReceipt,
    Opportunity,
    OutboxMessage,
    utcnow,
)
from knowledge.models.learner import Dependant, Learner, PlanItem, Reminder
from knowledge.settings import DEFAULT_REMINDER_TIME

SELF = "self"  # the relation of the learner themselves ("for me", "I'm 35": nlu_data/synonyms.yml)
REMIND_DAYS_BEFORE = 3
REMIND_AT = DEFAULT_REMINDER_TIME  # unless WAYFINDER_REMINDER_TIME says otherwise
# Back-off between delivery attempts: quick at first, then hourly for two days, so an outage of
# Rasa, the gateway or Telegram lasting a day (a weekend night, a provider incident) loses nothing.
RETRY_AFTER = (
    *(timedelta(minutes=minutes) for minutes in (1, 5, 15, 30)),
    *(timedelta(hours=1),) * 48,
)

ReminderRefusal = Literal["no_date", "past", "exists"]


def find_learner(session: Session, sender_id: str) -> Learner | None:
    """The learner behind a sender id, if they have talked to us before and not been forgotten;
    their few dependants joined in the same query (one round trip on every action call)."""
    statement = (
        select(Learner)
        .where(Learner.sender_id == sender_id)
        .options(joinedload(Learner.dependants))
    )
    return session.execute(statement).unique().scalar_one_or_none()


def get_or_create_learner(session: Session, sender_id: str, channel: str | None = None) -> Learner:
    """The learner for this sender id, created on first use; `channel` records where they talk."""
    learner = find_learner(session, sender_id)
    if learner is None:
        return new_learner(session, sender_id, channel)
    return seen(learner, channel)


def new_learner(
    session: Session, sender_id: str, channel: str | None = None, *, flush: bool = True
) -> Learner:
    """A learner for a sender id just looked up and not found, stored at once (with its id); or,
    with `flush=False`, when the transaction is flushed, with what else the caller sets on it
    meanwhile (one INSERT, where a flush now would make it an INSERT and an UPDATE)."""
    learner = seen(Learner(sender_id=sender_id, interests=[]), channel)
    session.add(learner)
    if flush:
        session.flush()
    return learner


def seen(learner: Learner, channel: str | None = None) -> Learner:
    """The learner, noted as talking to us now (on `channel`), for one already looked up; written
    with whatever else the transaction changes on them (one UPDATE, not one now and one later)."""
    if channel:
        learner.channel = channel
    learner.last_seen_at = utcnow()
    return learner


def remember_chat_language(session: Session, learner: Learner, code: str, *, chosen: bool) -> None:
    """Keep the language we chat in, so a new conversation or channel starts in it."""
    learner.chat_language = code
    learner.chat_language_chosen = chosen


def remember_profile(
    session: Session,
    learner: Learner,
    *,
    relation: str | None = None,
    age: int | None = None,
    interests: list[str] | None = None,
    neighbourhood: str | None = None,
    language: str | None = None,
) -> None:
    """Keep what the learner told us for next time; a relation other than self is a dependant."""
    if neighbourhood:
        learner.neighbourhood = neighbourhood
    if language:
        learner.language = language
    if relation and relation != SELF:
        dependant = family_member(learner, relation)
        if age is not None:
            dependant.age = age
        if interests:
            dependant.interests = _merged(dependant.interests, interests)
    else:
        if age is not None:
            learner.age = age
        if interests:
            learner.interests = _merged(learner.interests, interests)
    session.flush()


def stored_age(learner: Learner, relation: str) -> int | None:
    """The age kept for the learner themselves (SELF) or for their daughter, son, …"""
    if relation == SELF:
        return learner.age
    dependant = dependant_of(learner, relation)
    return dependant.age if dependant is not None else None


def dependant_of(learner: Learner, relation: str) -> Dependant | None:
    """The learner's daughter, son, … (one per relation), if they have told us of them."""
    return next((d for d in learner.dependants if d.relation == relation), None)


def family_member(learner: Learner, relation: str) -> Dependant:
    """The learner's daughter, son, …, added to their family when new (flushed by the caller)."""
    dependant = dependant_of(learner, relation)
    if dependant is None:
        dependant = Dependant(relation=relation, interests=[])
        learner.dependants.append(dependant)
    return dependant


def _merged(old: list[str], new: list[str]) -> list[str]:
    """Old interests then new ones, without repeats."""
    return list(dict.fromkeys([*old, *new]))


def add_to_plan(
    session: Session, learner: Learner, opportunity: Opportunity, for_relation: str | None = None
) -> tuple[PlanItem, bool]:
    """Save an opportunity; returns the item and whether it was new."""
    existing = session.scalar(
        select(PlanItem)
        .where(PlanItem.learner_id == learner.id)
        .where(PlanItem.opportunity_id == opportunity.id)
    )
    if existing is not None:
        return existing, False
    item = PlanItem(learner=learner, opportunity=opportunity, for_relation=for_relation)
    session.add(item)
    session.flush()
    return item, True


def plan_of(session: Session, learner: Learner) -> list[PlanItem]:
    """Saved items, oldest first, with their opportunities loaded."""
    return list(
        session.scalars(
            select(PlanItem)
            .where(PlanItem.learner_id == learner.id)
            .options(selectinload(PlanItem.opportunity))
            .order_by(PlanItem.id)
        )
    )


def remove_from_plan(session: Session, learner: Learner, opportunity_id: int) -> bool:
    """Remove one saved item and its reminders; False when it was not in the plan."""
    item = session.scalar(
        select(PlanItem)
        .where(PlanItem.learner_id == learner.id)
        .where(PlanItem.opportunity_id == opportunity_id)
    )
    if item is None:
        return False
    session.delete(item)
    session.execute(
        delete(Reminder)
        .where(Reminder.learner_id == learner.id)
        .where(Reminder.opportunity_id == opportunity_id)
        .where(Reminder.status == "pending")
    )
    session.flush()
    return True


@dataclass(frozen=True)
class ReminderPlan:
    """What a reminder request comes to: a scheduled reminder, or why not."""

    reminder: Reminder | None
    refusal: ReminderRefusal | None
    event_date: date | None


def schedule_reminder(
    session: Session,
    learner: Learner,
    opportunity: Opportunity,
    *,
    now: datetime | None = None,
    zone: tzinfo = UTC,
    at: time = REMIND_AT,
) -> ReminderPlan:
    """Remind a few days before the application deadline, else before the start date, at the
    time of day `at` in the city's time `zone` (due times are stored in UTC, like `now`), so a
    reminder arrives at the same local hour in summer and winter.

    When that moment has passed but the date itself has not, remind in a minute; when the date
    has passed (in the city) or the listing has no date, refuse with a reason the assistant can
    explain.
    """
    now = now or utcnow()
    today = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(zone).date()
    kind, event = (
        ("deadline", opportunity.application_deadline)
        if opportunity.application_deadline
        else ("start", opportunity.start_date)
    )
    if event is None:
        return ReminderPlan(None, "no_date", None)
    if event < today:
        return ReminderPlan(None, "past", event)
    existing = session.scalar(
        select(Reminder)
        .where(Reminder.learner_id == learner.id)
        .where(Reminder.opportunity_id == opportunity.id)
        .where(Reminder.kind == kind)
    )
    if existing is not None and existing.status == "pending":
        return ReminderPlan(existing, "exists", event)
    local = datetime.combine(event - timedelta(days=REMIND_DAYS_BEFORE), at, tzinfo=zone)
    due = local.astimezone(UTC).replace(tzinfo=None)
    due = max(due, now + timedelta(minutes=1))
    if existing is not None:  # sent or failed before: a new occurrence, with new words and key
        existing.due_at, existing.status, existing.attempts = due, "pending", 0
        existing.messages = existing.delivery_key = None
        reminder = existing
    else:
        reminder = Reminder(learner=learner, opportunity=opportunity, kind=kind, due_at=due)
        session.add(reminder)
    session.flush()
    return ReminderPlan(reminder, None, event)


def due_reminders(
    session: Session, *, now: datetime | None = None, limit: int = 50
) -> list[Reminder]:
    """Pending reminders whose time has come, oldest first (locked on PostgreSQL)."""
    now = now or utcnow()
    query = (
        select(Reminder)
        .where(Reminder.status == "pending")
        .where(Reminder.due_at <= now)
        .order_by(Reminder.due_at)
        .limit(limit)
        .options(selectinload(Reminder.learner), selectinload(Reminder.opportunity))
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def reminder_to_deliver(session: Session, reminder_id: int) -> Reminder | None:
    """A pending reminder whose words are kept, locked on PostgreSQL; None when another worker
    holds it or it was sent, given up or forgotten meanwhile."""
    query = (
        select(Reminder)
        .where(Reminder.id == reminder_id)
        .where(Reminder.status == "pending")
        .where(Reminder.delivery_key.is_not(None))
        .options(selectinload(Reminder.learner))
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return session.scalar(query)


def keep_words(reminder: Reminder, messages: list[dict[str, Any]]) -> None:
    """Keep what Rasa said for the reminder, under a new idempotency key: every retry delivers
    these words under this key (the gateway sends each message once), Rasa is not asked again."""
    reminder.messages = messages
    reminder.delivery_key = f"reminder-{reminder.id}-{secrets.token_hex(8)}"


def mark_sent(reminder: Reminder, *, now: datetime | None = None) -> None:
    """The reminder reached the conversation; its words are not kept past that."""
    reminder.status, reminder.sent_at = "sent", now or utcnow()
    reminder.messages = None


def mark_failed(reminder: Reminder, error: str, *, now: datetime | None = None) -> None:
    """Try again later with back-off; give up after the last retry (two days of them)."""
    now = now or utcnow()
    reminder.attempts += 1
    reminder.last_error = error[:1000]
    if reminder.attempts > len(RETRY_AFTER):
        reminder.status, reminder.messages = "failed", None
    else:
        reminder.due_at = now + RETRY_AFTER[reminder.attempts - 1]


def forget_learner(session: Session, sender_id: str) -> bool:
    """Erase a learner's profile, family, credentials held, plan, reminders, handoffs and channel
    address (the chat id or web session) with any undelivered messages and delivery receipts;
    False if nothing was kept."""
    erased = 0
    for table in (ChannelAddress, OutboxMessage, DeliveryReceipt):
        result = session.execute(delete(table).where(table.sender_id == sender_id))
        erased += result.rowcount or 0  # type: ignore[attr-defined]
    learner = find_learner(session, sender_id)
    if learner is not None:
        session.delete(learner)
        erased += 1
    session.flush()
    return erased > 0


def untouched_senders(
    session: Session, *, before: datetime, after: str = "", limit: int = 100
) -> list[str]:
    """Sender ids after `after`, in order, that nothing has touched since `before` (no message
    on their channel address, no change to their profile, plan or reminders, no reminder sent)
    and that are owed no reminder: what retention erases, as "forget me" would."""
    known = union(select(Learner.sender_id), select(ChannelAddress.sender_id)).subquery()
    sender = known.c.sender_id
    owed_or_recent = or_(Reminder.status == "pending", Reminder.sent_at >= before)
    touched_learner = select(Learner.id).where(
        Learner.sender_id == sender,
        or_(Learner.last_seen_at >= before, Learner.reminders.any(owed_or_recent)),
    )
    seen_address = select(ChannelAddress.sender_id).where(
        ChannelAddress.sender_id == sender, ChannelAddress.last_seen_at >= before
    )
    query = (
        select(sender)
        .where(sender > after, ~touched_learner.exists(), ~seen_address.exists())
        .order_by(sender)
        .limit(limit)
    )
    return list(session.scalars(query))


def known_senders(session: Session, sender_ids: list[str]) -> set[str]:
    """Which of these sender ids the directory still keeps a learner or channel address for."""
    if not sender_ids:
        return set()
    learners = select(Learner.sender_id).where(Learner.sender_id.in_(sender_ids))
    addresses = select(ChannelAddress.sender_id).where(ChannelAddress.sender_id.in_(sender_ids))
    return set(session.scalars(union(learners, addresses)))
