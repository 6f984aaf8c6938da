"""What the run is judged by, read from where the stack keeps it: Rasa's tracker store (each
message handled once, in order), the reminders table, the web outbox and the fake Bot API (each
reminder delivered once)."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from knowledge.db import make_engine
from knowledge.learners import get_or_create_learner
from knowledge.models import Opportunity, OutboxMessage, Reminder, utcnow
from tests.e2e_scale.users import REMINDER_MARK, Learner

# bot.gateway.telegram_updates: each update a new poller found left by a dead one, and what became
# of it (new, retry: handled again; done: it had been finished; busy: in hand elsewhere).
REPLAYED = re.compile(r"update (\d+) replayed after takeover: (\w+)")
# bot/rasa_ext/channels.py: a message sent again that Rasa had handled, answered from its tracker.
RECOVERED = re.compile(r"message (tg|web)-(\S+) was handled before")
COMPACTED = "wayfinder_compacted"  # bot/rasa_ext/tracker_store.py: a compacted copy's marker
EXTERNAL = "EXTERNAL"  # the reminder worker's intent (EXTERNAL_reminder) in the tracker


@dataclass
class Handled:
    """How the tracker store's record of one learner compares with what they meant to say."""

    lost: list[str] = field(default_factory=list)  # meant, never handled
    twice: list[str] = field(default_factory=list)  # handled more often than meant
    out_of_order: int = 0  # handled, but not where the learner put it
    duplicate_ids: int = 0  # one message_id stored twice (a save repeated)


def handled_messages(tracker_url: str) -> dict[str, list[tuple[str, str]]]:
    """Each conversation's user messages as Rasa handled them: (text, message_id) in order.

    Left out: the copies a compacted session repeats (stamped like its SessionStarted) and the
    reminder worker's EXTERNAL intents.
    """
    engine = create_engine(tracker_url.replace("postgresql://", "postgresql+psycopg://", 1))
    query = text(
        "SELECT sender_id, type_name, timestamp, data FROM events "
        "WHERE type_name IN ('user', 'session_started') ORDER BY id"
    )
    compacted: dict[str, set[float]] = defaultdict(set)
    rows: list[tuple[str, str, float, dict[str, Any]]] = []
    with engine.connect() as connection:
        for sender, kind, stamp, data in connection.execute(query):
            event = json.loads(data)
            if kind == "session_started":
                if (event.get("metadata") or {}).get(COMPACTED):
                    compacted[sender].add(float(stamp))
                continue
            rows.append((sender, kind, float(stamp), event))
    engine.dispose()
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for sender, _kind, stamp, event in rows:
        if stamp in compacted[sender]:
            continue
        said = str(event.get("text") or "")
        intent = str((event.get("parse_data") or {}).get("intent", {}).get("name") or "")
        if said.startswith(EXTERNAL) or intent.startswith(EXTERNAL):
            continue
        found[sender].append((said, str(event.get("message_id") or "")))
    return found


def replays(logs: Path) -> dict[int, str]:
    """The updates gateways replayed after taking the polling over (every gateway log), and how
    each went."""
    found: dict[int, str] = {}
    for log in sorted(logs.glob("gateway-*.log")):
        for update_id, outcome in REPLAYED.findall(log.read_text(errors="replace")):
            found[int(update_id)] = outcome
    return found


def recovered(logs: Path) -> dict[str, int]:
    """Messages sent again that a Rasa server had handled already, answered with their replies
    instead of being handled twice, by channel (every Rasa log)."""
    counted: Counter[str] = Counter({"telegram": 0, "web": 0})
    for log in sorted(logs.glob("rasa-*.log")):
        for channel, _ in RECOVERED.findall(log.read_text(errors="replace")):
            counted["telegram" if channel == "tg" else "web"] += 1
    return dict(counted)


def compare(meant: list[str], handled: list[tuple[str, str]]) -> Handled:
    """Lost, doubled and reordered messages of one learner (their meant texts against the
    tracker's, aligned as sequences)."""
    result = Handled()
    ids = [message_id for _, message_id in handled if message_id]
    result.duplicate_ids = len(ids) - len(set(ids))
    said = [text_ for text_, _ in handled]
    matcher = SequenceMatcher(a=meant, b=said, autojunk=False)
    for operation, a0, a1, b0, b1 in matcher.get_opcodes():
        if operation == "equal":
            continue
        missing, extra = meant[a0:a1], said[b0:b1]
        if operation == "replace":
            moved = set(missing) & set(extra)
            result.out_of_order += len(moved)
            missing = [m for m in missing if m not in moved]
            extra = [e for e in extra if e not in moved]
        result.lost += missing
        result.twice += extra
    # A text missing in one place and extra in another moved rather than was lost or doubled.
    for item in list(result.lost):
        if item in result.twice:
            result.lost.remove(item)
            result.twice.remove(item)
            result.out_of_order += 1
    return result


def add_reminders(database_url: str, learners: list[Learner]) -> list[int]:
    """A reminder due now for each learner (about a listing with a start date); their ids."""
    engine = make_engine(database_url)
    ids: list[int] = []
    with Session(engine) as session, session.begin():
        listing = session.scalars(
            select(Opportunity).where(Opportunity.start_date.is_not(None)).limit(1)
        ).one()
        for learner in learners:
            person = get_or_create_learner(session, learner.sender_id, learner.channel)
            reminder = Reminder(
                learner=person,
                opportunity=listing,
                kind="start",
                due_at=utcnow() - timedelta(seconds=1),
            )
            session.add(reminder)
            session.flush()
            ids.append(reminder.id)
    engine.dispose()
    return ids


def reminder_states(database_url: str, ids: list[int]) -> dict[int, tuple[str, int]]:
    """Each reminder's status and attempts."""
    engine = make_engine(database_url)
    with Session(engine) as session:
        rows = session.execute(
            select(Reminder.id, Reminder.status, Reminder.attempts).where(Reminder.id.in_(ids))
        ).all()
    engine.dispose()
    return {row[0]: (row[1], row[2]) for row in rows}


def web_reminders(database_url: str, sender_ids: list[str]) -> dict[str, int]:
    """Reminders queued in the web outbox, per sender."""
    engine = make_engine(database_url)
    counted: dict[str, int] = dict.fromkeys(sender_ids, 0)
    with Session(engine) as session:
        query = select(OutboxMessage).where(OutboxMessage.sender_id.in_(sender_ids))
        for item in session.scalars(query):
            if str(item.message.get("text", "")).startswith(REMINDER_MARK):
                counted[item.sender_id] += 1
    engine.dispose()
    return counted


def stamp() -> str:
    return datetime.now().isoformat(timespec="seconds")
