"""What learners ask for and how the service is used, recorded without the learner (issue #17).

A row here is not about a person: it has no learner id, no sender id, no chat address, nothing a
learner typed, and no time finer than the day. It keeps only what the search understood, in the
directory's own closed vocabularies (a city or starter topic name, an age band rather than an
age, a known neighbourhood rather than a pin or a typed place, a price bracket, day and time
codes, a format and language code, a starter career) plus the channel's kind and how many
listings were found. So no row can be traced back to a conversation, and "forget me" has nothing
to delete here: nothing here can be found from the learner.

Children under 13 speaking for themselves keep no profile, plan or reminder (actions/children.py),
because those are personal data that outlive the conversation. Their searches and views are still
counted: a row carries nothing that identifies them or links it to them (the same fields as
anyone's), so counting it collects no personal information, and leaving it out would hide the
demand of exactly the learners a city most needs to serve. Reports show no count under k
(knowledge/reports), so a small group (one child in one neighbourhood) never appears on its own.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from knowledge.models.base import Base

# What the service counts besides searches (which are SearchRecord rows of their own).
USAGE_KINDS = ("conversation", "details", "plan_saved", "reminder_sent", "handoff")


class SearchRecord(Base):
    """One search as understood, and how many listings it found; no one's search in particular."""

    __tablename__ = "search_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(index=True)
    channel: Mapped[str] = mapped_column(String(20))
    chat_language: Mapped[str | None] = mapped_column(String(35))
    topic: Mapped[str | None] = mapped_column(String(120))  # a city or starter topic's name
    age_band: Mapped[str | None] = mapped_column(String(10))  # knowledge.reports.recording.BANDS
    neighbourhood: Mapped[str | None] = mapped_column(String(120))  # a known neighbourhood only
    cost: Mapped[str | None] = mapped_column(String(20))  # "free" or "under N" (a bracket)
    days: Mapped[str | None] = mapped_column(String(30))  # "Sat,Sun"
    times: Mapped[str | None] = mapped_column(String(60))  # "after_school,evening"
    format: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str | None] = mapped_column(String(35))  # taught in (a search filter)
    career_goal: Mapped[str | None] = mapped_column(String(120))  # a starter career's title
    results: Mapped[int]  # listings about the subject that fit (0: "nothing fits")

    def __repr__(self) -> str:
        return f"SearchRecord({self.day}, {self.topic!r}, results={self.results})"


class UsageEvent(Base):
    """One thing done with the service (a USAGE_KINDS), on a day, on a kind of channel."""

    __tablename__ = "usage_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))

    def __repr__(self) -> str:
        return f"UsageEvent({self.day}, {self.kind!r}, {self.channel!r})"
