"""Use of the service: conversations, searches, details viewed, plans saved, reminders sent and
handoffs by ISO week and channel; popular topics and neighbourhoods; the share of searches that
found nothing; and the listings their providers have not confirmed lately, by provider.

Every count of learners' actions is 0 or at least k (knowledge/reports/privacy.py); counts of
listings are not about learners and are shown as they are.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session

from knowledge.editing.stale_nudges import stale_listings
from knowledge.models import USAGE_KINDS, Opportunity, SearchRecord, UsageEvent
from knowledge.reports.privacy import DEFAULT_K, Window, check_k, shown
from knowledge.settings import DEFAULT_FRESHNESS_DAYS

# The columns of the weekly table, in the order a person follows them.
KINDS = ("conversation", "search", *(kind for kind in USAGE_KINDS if kind != "conversation"))
KIND_LABELS = {
    "conversation": "conversations",
    "search": "searches",
    "details": "details viewed",
    "plan_saved": "plans saved",
    "reminder_sent": "reminders sent",
    "handoff": "handoffs",
}
POPULAR_SHOWN = 10


def iso_week(day: date) -> str:
    """ "2026-W49": the ISO year and week a day falls in."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class UsageRow:
    """One ISO week on one channel: a count per KINDS (None: fewer than k, hidden)."""

    week: str
    channel: str
    counts: dict[str, int | None]


@dataclass(frozen=True)
class NothingFits:
    """Searches that found nothing in a week (or "all" of the window) and their share of that
    week's searches; both None when hidden."""

    week: str
    nothing: int | None
    share: float | None


@dataclass(frozen=True)
class StaleProvider:
    """A provider's active listings not confirmed for the freshness window."""

    provider: str
    stale: int
    active: int
    oldest: date | None  # the oldest confirmation among them; None: one was never confirmed


@dataclass(frozen=True)
class UsageReport:
    """Everything the usage report shows, already safe to show."""

    window: Window
    k: int
    rows: tuple[UsageRow, ...]
    topics: tuple[tuple[str, int], ...]
    neighbourhoods: tuple[tuple[str, int], ...]
    nothing_fits: tuple[NothingFits, ...]
    overall: NothingFits
    stale: tuple[StaleProvider, ...]
    freshness_days: int
    today: date

    @property
    def weeks(self) -> tuple[str, ...]:
        """The weeks with any use, in order."""
        return tuple(dict.fromkeys(row.week for row in self.rows))

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels with any use, sorted."""
        return tuple(sorted({row.channel for row in self.rows}))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (hidden counts are None)."""
        return {
            "since": self.window.since.isoformat() if self.window.since else None,
            "until": self.window.until.isoformat() if self.window.until else None,
            "k": self.k,
            "rows": [vars(row) for row in self.rows],
            "topics": [list(pair) for pair in self.topics],
            "neighbourhoods": [list(pair) for pair in self.neighbourhoods],
            "nothing_fits": [vars(item) for item in self.nothing_fits],
            "overall": vars(self.overall),
            "stale": [
                {**vars(item), "oldest": item.oldest.isoformat() if item.oldest else None}
                for item in self.stale
            ],
            "freshness_days": self.freshness_days,
        }


def usage_report(
    session: Session,
    *,
    since: date | None = None,
    until: date | None = None,
    k: int = DEFAULT_K,
    today: date | None = None,
    freshness_days: int = DEFAULT_FRESHNESS_DAYS,
) -> UsageReport:
    """Use from `since` to `until` (days, both included) with no count under `k`, and the listings
    not confirmed for `freshness_days` as of `today`. Raises ReportError for a bad window or k."""
    check_k(k)
    window = Window(since, until)
    today = today or date.today()
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    searched: Counter[str] = Counter()
    nothing: Counter[str] = Counter()
    empty: ColumnElement[int] = func.sum(case((SearchRecord.results == 0, 1), else_=0))
    searches = select(SearchRecord.day, SearchRecord.channel, func.count(), empty).group_by(
        SearchRecord.day, SearchRecord.channel
    )
    for day, channel, count, none in session.execute(_within(searches, SearchRecord, window)):
        week = iso_week(day)
        counts[(week, channel)]["search"] += count
        searched[week] += count
        nothing[week] += none or 0
    events = select(UsageEvent.day, UsageEvent.channel, UsageEvent.kind, func.count()).group_by(
        UsageEvent.day, UsageEvent.channel, UsageEvent.kind
    )
    for day, channel, kind, count in session.execute(_within(events, UsageEvent, window)):
        counts[(iso_week(day), channel)][kind] += count
    rows = tuple(
        UsageRow(week, channel, {kind: shown(tally[kind], k) for kind in KINDS})
        for (week, channel), tally in sorted(counts.items())
    )
    weekly = tuple(
        _nothing_fits(week, nothing[week], searched[week], k) for week in sorted(searched)
    )
    overall = _nothing_fits("all", sum(nothing.values()), sum(searched.values()), k)
    return UsageReport(
        window=window,
        k=k,
        rows=rows,
        topics=_popular(session, SearchRecord.topic, window, k),
        neighbourhoods=_popular(session, SearchRecord.neighbourhood, window, k),
        nothing_fits=weekly,
        overall=overall,
        stale=stale_by_provider(session, today=today, days=freshness_days),
        freshness_days=freshness_days,
        today=today,
    )


def _within(
    query: Select[Any], table: type[SearchRecord] | type[UsageEvent], window: Window
) -> Select[Any]:
    """The query limited to the window's days."""
    if window.since is not None:
        query = query.where(table.day >= window.since)
    if window.until is not None:
        query = query.where(table.day <= window.until)
    return query


def _nothing_fits(week: str, nothing: int, searches: int, k: int) -> NothingFits:
    """The week's count of searches that found nothing, and its share, when both may be shown."""
    count = shown(nothing, k)
    if count is None or searches < k:
        return NothingFits(week, None, None)
    return NothingFits(week, count, count / searches if searches else None)


def _popular(session: Session, column: Any, window: Window, k: int) -> tuple[tuple[str, int], ...]:
    """The most searched values of a column, each searched at least k times."""
    query = (
        select(column, func.count())
        .where(column.is_not(None))
        .group_by(column)
        .having(func.count() >= k)
        .order_by(func.count().desc(), column)
        .limit(POPULAR_SHOWN)
    )
    return tuple(
        (str(name), int(count))
        for name, count in session.execute(_within(query, SearchRecord, window))
    )


def stale_by_provider(session: Session, *, today: date, days: int) -> tuple[StaleProvider, ...]:
    """Providers with active listings not confirmed for `days` days, most stale listings first."""
    stale = stale_listings(session, today=today, days=days)
    if not stale:
        return ()
    by_provider: dict[int, list[Opportunity]] = defaultdict(list)
    for listing in stale:
        by_provider[listing.provider_id].append(listing)
    active: dict[int, int] = {
        provider_id: count
        for provider_id, count in session.execute(
            select(Opportunity.provider_id, func.count())
            .where(Opportunity.status == "active", Opportunity.provider_id.in_(by_provider))
            .group_by(Opportunity.provider_id)
        ).tuples()
    }
    found = [
        StaleProvider(
            provider=listings[0].provider.name,
            stale=len(listings),
            active=active.get(provider_id, len(listings)),
            oldest=None
            if any(item.assured_date is None for item in listings)
            else min(item.assured_date for item in listings if item.assured_date is not None),
        )
        for provider_id, listings in by_provider.items()
    ]
    return tuple(sorted(found, key=lambda item: (-item.stale, item.provider)))
