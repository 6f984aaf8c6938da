"""Recording a search (or a goal asked in chat) or a use of the service without the learner:
one row, never an error.

Only what the search understood is kept, each field in a closed vocabulary (see
knowledge/models/demand.py for why such a row cannot identify anyone). The row is written when
the caller's transaction commits, in a statement of its own: a failure to record is logged and
swallowed, and the reply and the rest of the action's transaction go ahead as if nothing had
been recorded; a transaction rolled back records nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Connection, event, insert
from sqlalchemy.orm import Session

from knowledge.models import USAGE_KINDS, Base, SearchRecord, UsageEvent
from knowledge.search.geo import haversine_km
from knowledge.search.query import SearchQuery
from knowledge.search.result import SearchResult
from knowledge.taxonomy import Taxonomy

if TYPE_CHECKING:
    from knowledge.goals import Goal

logger = logging.getLogger(__name__)

# Age bands, never an exact age: (label, youngest, oldest).
BANDS: tuple[tuple[str, int, int], ...] = (
    ("0–5", 0, 5),
    ("6–8", 6, 8),
    ("9–12", 9, 12),
    ("13–15", 13, 15),
    ("16–18", 16, 18),
    ("19–24", 19, 24),
    ("25–54", 25, 54),
    ("55+", 55, 120),
)
# Price limits are kept as the bracket they fall in ("under 50"), not the amount said.
COST_BRACKETS = (10, 25, 50, 100, 250, 500, 1000)
FREE = "free"
# A shared pin counts for the neighbourhood whose centre is nearest, if one is this close.
PIN_TO_PLACE_KM = 10.0
UNKNOWN_CHANNEL = "other"
# The gateway's sender ids start with their channel (bot/gateway/records.PREFIXES): a session's
# first action runs before its first message is logged, so that is all it has to go on.
SENDER_PREFIXES = {"tg": "telegram", "web": "web"}
_CHANNEL_NAME = re.compile(r"[a-z][a-z0-9_]{0,19}")


class Conversation(Protocol):
    """What recording reads from a conversation (a rasa_sdk Tracker is one)."""

    sender_id: str

    def get_slot(self, key: str) -> Any:
        """A slot's value."""

    def get_latest_input_channel(self) -> str | None:
        """The channel of the newest message ("telegram", "web", "rest", …)."""


@dataclass(frozen=True)
class AskedFor:
    """A search as it is recorded: what it understood, in closed vocabularies only."""

    topic: str | None = None
    age_band: str | None = None
    neighbourhood: str | None = None
    cost: str | None = None
    days: str | None = None
    times: str | None = None
    format: str | None = None
    language: str | None = None
    career_goal: str | None = None


def age_band(age: int | None) -> str | None:
    """The band an age falls in ("6–8"), or None when no age was given."""
    if age is None:
        return None
    for label, youngest, oldest in BANDS:
        if youngest <= age <= oldest:
            return label
    return None


def band_ages(label: str) -> tuple[int, int] | None:
    """The youngest and oldest age of a band label, or None for an unknown label."""
    for name, youngest, oldest in BANDS:
        if name == label:
            return youngest, oldest
    return None


def cost_bracket(free_only: bool, max_cost: Decimal | float | None) -> str | None:
    """ "free", "under N" (the smallest bracket at or above the limit), or None (any price)."""
    if free_only:
        return FREE
    if max_cost is None:
        return None
    amount = Decimal(str(max_cost))
    if amount <= 0:
        return FREE
    for bracket in COST_BRACKETS:
        if amount <= bracket:
            return f"under {bracket}"
    return None  # a limit above every bracket is no real limit


def channel_kind(name: str | None) -> str:
    """The channel's name as the platform gives it ("telegram", "web", "rest"), else "other"."""
    value = (name or "").strip().lower()
    return value if _CHANNEL_NAME.fullmatch(value) else UNKNOWN_CHANNEL


def channel_of(conversation: Conversation) -> str:
    """The conversation's channel: its newest message's, else what its sender id says."""
    named = conversation.get_latest_input_channel()
    if not named:
        prefix = str(getattr(conversation, "sender_id", "") or "").partition("-")[0]
        named = SENDER_PREFIXES.get(prefix)
    return channel_kind(named)


def topic_asked(
    asked: SearchQuery, understood: dict[str, Any], taxonomy: Callable[[], Taxonomy]
) -> str | None:
    """The first topic the search understood (a city topic), else the first topic the learner
    asked for that is a city or starter topic (a starter topic the city lacks is the unmet
    demand most worth seeing); never free words. The taxonomy is read only in the second case."""
    for name in understood.get("topics") or ():
        return str(name)
    return topic_named(asked.topics, taxonomy)


def topic_named(names: Iterable[str], taxonomy: Callable[[], Taxonomy]) -> str | None:
    """The first of the names that is a city or starter topic, by that topic's own name."""
    for name in names:
        resolved = taxonomy().resolve(name)
        if resolved is None:
            continue
        kind, target, _corrected = resolved
        if kind == "topic":
            return taxonomy().topics[target]
        return taxonomy().sense(target).label
    return None


def place_asked(understood: dict[str, Any], taxonomy: Callable[[], Taxonomy]) -> str | None:
    """The neighbourhood searched (a known one), or the one nearest a shared pin; never the
    place as typed nor the pin itself."""
    named = understood.get("neighbourhood")
    if named:
        return str(named)
    near = understood.get("near")
    if not near:
        return None
    latitude, longitude = float(near[0]), float(near[1])
    best: tuple[float, str] | None = None
    for place in taxonomy().places.values():
        if place.latitude is None or place.longitude is None:
            continue
        distance = haversine_km(latitude, longitude, place.latitude, place.longitude)
        if distance <= PIN_TO_PLACE_KM and (best is None or distance < best[0]):
            best = (distance, place.name)
    return best[1] if best else None


def career_asked(goal: Any) -> str | None:
    """The starter career a `career_goal` slot names, by its English title, or None."""
    text = str(goal or "").strip()
    if not text:
        return None
    from knowledge.goals import career_index  # built once per process, only when a goal is set

    career = career_index().named(text)
    return career.name if career is not None else None


def asked_for(
    asked: SearchQuery,
    understood: dict[str, Any],
    taxonomy: Callable[[], Taxonomy],
    career_goal: Any = None,
) -> AskedFor:
    """What a search asked for, from the query the learner's words made (`asked`) and what the
    search understood of the query that ran (`understood`, SearchResult.understood); `taxonomy`
    gives the directory's taxonomy (called only when a topic or a pin must be looked up)."""
    days = understood.get("days") or asked.days
    times = understood.get("when") or asked.when
    return AskedFor(
        topic=topic_asked(asked, understood, taxonomy),
        age_band=age_band(understood.get("age", asked.age)),
        neighbourhood=place_asked(understood, taxonomy),
        cost=cost_bracket(
            bool(understood.get("free_only", asked.free_only)),
            understood.get("max_cost", asked.max_cost),
        ),
        days=",".join(days)[:30] or None,
        times=",".join(times)[:60] or None,
        format=understood.get("format", asked.format),
        language=understood.get("language", asked.language),
        career_goal=career_asked(career_goal),
    )


def goal_asked(goal: Goal | None, age: int | None, taxonomy: Callable[[], Taxonomy]) -> AskedFor:
    """What a goal asked for ("how do I become a nurse?"): its starter career, else the topic it
    is about (a city or starter topic), and the age band; never the words that named it."""
    band = age_band(age)
    if goal is None:
        return AskedFor(age_band=band)
    if goal.career is not None:
        return AskedFor(age_band=band, career_goal=goal.career.name)
    return AskedFor(topic=topic_named(goal.topics, taxonomy), age_band=band)


def results_of(result: SearchResult | None) -> int:
    """How many listings fitted the subject and filters (0 for a search that could not run);
    listings shown only because they fit the filters do not count."""
    if result is None:
        return 0
    if result.explanation is not None:
        return result.explanation.total
    return result.total


def record_search(
    session: Session,
    conversation: Conversation,
    asked: SearchQuery,
    result: SearchResult | None,
    taxonomy: Callable[[], Taxonomy],
    *,
    day: date,
) -> None:
    """Add one SearchRecord in the caller's transaction, on the city's `day` (the reports and
    the digest count days in the city, not in UTC); a failure is logged, never raised."""
    try:
        understood = result.understood if result else {}
        wanted = asked_for(asked, understood, taxonomy, conversation.get_slot("career_goal"))
    except Exception:  # a count is never worth a reply: log it and go on
        logger.exception("could not record a search for the demand report")
        return
    record_asked(session, conversation, wanted, results_of(result), day=day)


def record_goal(
    session: Session,
    conversation: Conversation,
    goal: Goal | None,
    age: int | None,
    results: int,
    taxonomy: Callable[[], Taxonomy],
    *,
    day: date,
) -> None:
    """Add one SearchRecord for a goal answered in chat ("how do I become a nurse?"): its career
    or topic, the age band, and how many listings the learner was offered (0: only close
    options), on the city's `day`; a failure is logged, never raised."""
    try:
        wanted = goal_asked(goal, age, taxonomy)
    except Exception:  # a count is never worth a reply: log it and go on
        logger.exception("could not record a search for the demand report")
        return
    record_asked(session, conversation, wanted, results, day=day)


def record_asked(
    session: Session, conversation: Conversation, wanted: AskedFor, results: int, *, day: date
) -> None:
    """Add one SearchRecord of what was asked (a search's or a goal's) and how many listings
    it found, on the city's `day`; a failure is logged, never raised."""
    try:
        record = {
            "day": day,
            "channel": channel_of(conversation),
            "chat_language": _code(conversation.get_slot("chat_language")),
            "results": results,
            **vars(wanted),
        }
        _insert(session, SearchRecord, record, "could not record a search for the demand report")
    except Exception:  # a count is never worth a reply: log it and go on
        logger.exception("could not record a search for the demand report")


def record_usage(
    session: Session | None,
    kind: str,
    channel: Conversation | str | None,
    *,
    day: date,
) -> None:
    """Add one UsageEvent (`kind` one of USAGE_KINDS) in the caller's transaction, on the city's
    `day`; `channel` is the conversation or the channel's name. A failure is logged, never
    raised."""
    try:
        if kind not in USAGE_KINDS:
            raise ValueError(f"unknown usage kind {kind!r}; use {', '.join(USAGE_KINDS)}")
        if session is None:
            raise ValueError("no session to record in")
        named = channel if channel is None or isinstance(channel, str) else channel_of(channel)
        row = {"day": day, "kind": kind, "channel": channel_kind(named)}
        _insert(session, UsageEvent, row, f"could not record a {kind} for the usage report")
    except Exception:  # a count is never worth a reply: log it and go on
        logger.exception("could not record a %s for the usage report", kind)


PENDING = "wayfinder_records"  # Session.info: the rows waiting for the transaction to commit


@dataclass(frozen=True)
class _Pending:
    """A row to write once the caller's transaction commits, and what to log if it fails."""

    model: type[Base]
    values: dict[str, Any]
    failure: str


def _insert(session: Session, model: type[Base], values: dict[str, Any], failure: str) -> None:
    """Write the row once the caller's transaction commits, in a statement of its own: a
    failure loses only the row (inside the transaction, a failed INSERT would abort it on
    PostgreSQL unless wrapped in a savepoint, two more round trips a row), and a transaction
    rolled back records nothing."""
    pending = session.info.get(PENDING)
    if pending is None:
        pending = session.info[PENDING] = []
        event.listen(session, "after_commit", _write_pending)
        event.listen(session, "after_rollback", _drop_pending)
    pending.append(_Pending(model, values, failure))


def _write_pending(session: Session) -> None:
    """After a commit: each waiting row, autocommitted; inside a savepoint when the session was
    bound to a connection whose transaction goes on (as tests bind it)."""
    rows: list[_Pending] = session.info.get(PENDING) or []
    if not rows:
        return
    waiting, rows[:] = list(rows), []
    bind = session.get_bind()
    if isinstance(bind, Connection):
        _write(bind, waiting, guarded=True)
        return
    with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        _write(connection, waiting, guarded=False)


def _write(connection: Connection, rows: list[_Pending], *, guarded: bool) -> None:
    """One INSERT a row; a failure is logged with its row's words and the others go ahead."""
    for row in rows:
        try:
            if guarded:
                with connection.begin_nested():
                    connection.execute(insert(row.model), [row.values])
            else:
                connection.execute(insert(row.model), [row.values])
        except Exception:  # a count is never worth a reply: log it and go on
            logger.exception(row.failure)


def _drop_pending(session: Session) -> None:
    """After a rollback: what the transaction would have recorded is dropped with it."""
    rows = session.info.get(PENDING)
    if rows:
        rows.clear()


def _code(value: Any) -> str | None:
    """A language code as the slot holds it (a locales/ folder's code), or None."""
    text = str(value or "").strip()
    return text[:35] if text and re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", text) else None
