"""Unmet demand: what learners ask for that nothing or little in the directory offers.

Searches are grouped by topic, age band and neighbourhood (a goal asked in chat with no topic, "how
do I become a nurse?", by its starter career instead), and a group is shown when at least k of its
searches found little (fewer than FEW listings). Smaller groups are merged upwards, never
shown: first across neighbourhoods ("robotics · ages 6–8 · other places"), then across ages, then
into "other requests". Each group shown says how many listings fit it now and the nearest offers
(the same topic elsewhere, for other ages, or related topics), from the directory's own search;
a career's, the listings a path to it offers now and the close careers and topics that have some.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session

from knowledge.goals import resolve_goal
from knowledge.models import SearchRecord
from knowledge.pathway_builder import close_options, listings_offered
from knowledge.reports.privacy import DEFAULT_K, Window, check_k, shown
from knowledge.reports.recording import band_ages
from knowledge.search.engine import search
from knowledge.search.explain import FEW
from knowledge.search.query import QueryError, SearchQuery
from knowledge.search.result import SearchResult
from knowledge.search.search_plan import UnknownPlace
from knowledge.settings import DEFAULT_FRESHNESS_DAYS
from knowledge.taxonomy import load_taxonomy

LITTLE = FEW  # a search that found fewer listings than this found "little"
DEFAULT_LIMIT = 20  # groups shown, most unmet first
OFFERS_SHOWN = 3  # nearest offers named per group
OFTEN_SHOWN = 3  # extra wishes named per group ("free", "Sat", …)
ALL = "*"  # a dimension merged away
# Extra wishes read from each search, besides topic, age band and neighbourhood.
EXTRAS = ("cost", "days", "times", "format", "language", "career_goal", "chat_language")
EXTRA_LABELS = {
    "cost": "{}",
    "days": "on {}",
    "times": "{}",
    "format": "{}",
    "language": "taught in {}",
    "career_goal": "aiming to be a {}",
    "chat_language": "chatting in {}",
}
CAREER_ONLY = "{} (career)"  # a group of goals asked with no topic: "nurse (career)"
CLOSE = "close careers and topics"  # what a career's nearest offers are
Key = tuple[str | None, str | None, str | None, str | None]  # topic, career, age band, place


@dataclass(frozen=True)
class Offer:
    """A listing that comes close to what was asked for."""

    title: str
    provider: str
    neighbourhood: str | None


@dataclass(frozen=True)
class NearestOffers:
    """What giving something up would find: `relaxed` says what ("other places", "other ages",
    "related topics"); `count` how many listings; `offers` the best few; `topics` to try."""

    relaxed: str
    count: int
    offers: tuple[Offer, ...] = ()
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemandRow:
    """A group of searches at least k of which found little.

    A dimension holding ALL was merged: the row covers the values of it not shown above.
    `nothing` is None when fewer than k (but some) searches found nothing; `often` lists extra
    wishes at least k of its little-finding searches had; `programs` is how many listings fit the
    group now (None: not looked up, or no topic to look up). `career` is the starter career of
    goals asked with no topic (None when the row is a topic's, ALL in "other requests").
    """

    topic: str | None
    age_band: str | None
    neighbourhood: str | None
    searches: int
    unmet: int
    nothing: int | None
    often: tuple[tuple[str, int], ...] = ()
    programs: int | None = None
    nearest: NearestOffers | None = None
    career: str | None = None

    @property
    def merged(self) -> bool:
        """Whether this row gathers groups too small to show on their own."""
        return ALL in (self.topic, self.age_band, self.neighbourhood)

    @property
    def label(self) -> str:
        """ "robotics · ages 6–8 · Northgate", "nurse (career) · any age · anywhere"; merged
        parts read "other places", …"""
        if self.topic == ALL:
            return "other requests (each too few to show)"
        career = CAREER_ONLY.format(self.career) if self.career else None
        topic = self.topic or career or "no recognised topic"
        ages = {ALL: "other ages", None: "any age"}.get(self.age_band, f"ages {self.age_band}")
        place = {ALL: "other places", None: "anywhere"}.get(self.neighbourhood, self.neighbourhood)
        return f"{topic} · {ages} · {place}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (hidden counts are None)."""
        nearest = self.nearest
        return {
            "label": self.label,
            "topic": self.topic,
            "career": self.career,
            "age_band": self.age_band,
            "neighbourhood": self.neighbourhood,
            "searches": self.searches,
            "unmet": self.unmet,
            "nothing": self.nothing,
            "often": [list(pair) for pair in self.often],
            "programs": self.programs,
            "nearest": None
            if nearest is None
            else {
                "relaxed": nearest.relaxed,
                "count": nearest.count,
                "offers": [vars(offer) for offer in nearest.offers],
                "topics": list(nearest.topics),
            },
        }


@dataclass(frozen=True)
class DemandReport:
    """The groups of searches that found little, most unmet first; `more` groups were left out by
    the limit. Totals are of the whole window (None when fewer than k)."""

    window: Window
    k: int
    searches: int | None
    unmet: int | None
    rows: tuple[DemandRow, ...]
    more: int = 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "since": self.window.since.isoformat() if self.window.since else None,
            "until": self.window.until.isoformat() if self.window.until else None,
            "k": self.k,
            "searches": self.searches,
            "unmet": self.unmet,
            "rows": [row.to_dict() for row in self.rows],
            "more": self.more,
        }


@dataclass
class _Cell:
    """Searches of one group while grouping: counts, and the extras of those that found little."""

    searches: int = 0
    unmet: int = 0
    nothing: int = 0
    extras: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, other: _Cell) -> None:
        """Merge another group's searches into this one."""
        self.searches += other.searches
        self.unmet += other.unmet
        self.nothing += other.nothing
        self.extras.update(other.extras)


# From the finest grouping to the coarsest: which dimensions each level keeps (the subject,
# a topic or a career, is merged away only into "other requests").
LEVELS: tuple[Callable[[Key], Key], ...] = (
    lambda key: key,
    lambda key: (key[0], key[1], key[2], ALL),
    lambda key: (key[0], key[1], ALL, ALL),
    lambda _key: (ALL, ALL, ALL, ALL),
)


def demand_report(
    session: Session,
    *,
    since: date | None = None,
    until: date | None = None,
    k: int = DEFAULT_K,
    limit: int | None = DEFAULT_LIMIT,
    today: date | None = None,
    freshness_days: int = DEFAULT_FRESHNESS_DAYS,
) -> DemandReport:
    """Searches from `since` to `until` (days, both included) grouped into unmet demand with no
    group under `k`; the first `limit` rows (None: all) get the listings that fit now and the
    nearest offers, searched as of `today`. Raises ReportError for a bad window or k."""
    check_k(k)
    window = Window(since, until)
    if limit is not None and limit < 0:
        raise ValueError(f"limit cannot be negative, not {limit}")
    cells = _without_main_language(_cells(session, window))
    searches = sum(cell.searches for cell in cells.values())
    unmet = sum(cell.unmet for cell in cells.values())
    rows = sorted(_rows(cells, k), key=_rank)
    kept = rows if limit is None else rows[:limit]

    @cache
    def look(topic: str, age: int | None, place: str | None) -> SearchResult | None:
        """One directory search per distinct group: many rows share a topic's wider searches."""
        return _search(session, topic, age, place, today, freshness_days)

    @cache
    def look_career(career: str, age: int | None) -> tuple[int, tuple[str, ...]]:
        """One look per career and age: the listings a path offers and, if few, close goals."""
        return _career_offers(session, career, age, today, freshness_days)

    looked_up = tuple(
        _career_with_offers(row, look_career) if row.career else _with_offers(row, look)
        for row in kept
    )
    return DemandReport(
        window, k, shown(searches, k), shown(unmet, k), looked_up, len(rows) - len(kept)
    )


def _cells(session: Session, window: Window) -> dict[Key, _Cell]:
    """One GROUP BY over the window: every distinct search, counted, into fine groups."""
    little: ColumnElement[int] = func.sum(case((SearchRecord.results < LITTLE, 1), else_=0))
    nothing: ColumnElement[int] = func.sum(case((SearchRecord.results == 0, 1), else_=0))
    dimensions = (
        SearchRecord.topic,
        SearchRecord.age_band,
        SearchRecord.neighbourhood,
        *(getattr(SearchRecord, name) for name in EXTRAS),
    )
    query: Select[Any] = select(*dimensions, func.count(), little, nothing).group_by(*dimensions)
    query = _within(query, window)
    cells: dict[Key, _Cell] = {}
    for row in session.execute(query):
        topic, band, place, *extras, count, unmet, none = row
        career = None if topic else dict(zip(EXTRAS, extras, strict=True))["career_goal"]
        cell = cells.setdefault((topic, career, band, place), _Cell())
        cell.searches += count
        cell.unmet += unmet or 0
        cell.nothing += none or 0
        if unmet:
            for name, value in zip(EXTRAS, extras, strict=True):
                if name == "career_goal" and career is not None:
                    continue  # the row's subject, not an extra wish
                for part in _parts(name, value):
                    cell.extras[(name, part)] += unmet
    return cells


def _within(query: Select[Any], window: Window) -> Select[Any]:
    """The query limited to the window's days."""
    if window.since is not None:
        query = query.where(SearchRecord.day >= window.since)
    if window.until is not None:
        query = query.where(SearchRecord.day <= window.until)
    return query


def _parts(name: str, value: str | None) -> Iterable[str]:
    """Each wish in a stored value ("Sat,Sun" is two days)."""
    if not value:
        return ()
    if name in ("days", "times"):
        return [part for part in value.split(",") if part]
    return (value,)


def _rows(cells: dict[Key, _Cell], k: int) -> list[DemandRow]:
    """Groups with at least k little-finding searches, finest first; the rest merged upwards
    level by level, so what is shown at a coarser level is only what was not shown below."""
    rows: list[DemandRow] = []
    pending = cells
    for level in LEVELS:
        merged: dict[Key, _Cell] = {}
        for key, cell in pending.items():
            merged.setdefault(level(key), _Cell()).add(cell)
        pending = {}
        for key, cell in merged.items():
            if cell.unmet >= k:
                rows.append(_row(key, cell, k))
            else:
                pending[key] = cell
    return rows


def _row(key: Key, cell: _Cell, k: int) -> DemandRow:
    """A shown group: its counts (each at least k, or hidden) and its most common extra wishes."""
    often = [
        (EXTRA_LABELS[name].format(value.replace("_", " ")), count)
        for (name, value), count in cell.extras.most_common()
        if count >= k
    ][:OFTEN_SHOWN]
    return DemandRow(
        topic=key[0],
        age_band=key[2],
        neighbourhood=key[3],
        searches=cell.searches,
        unmet=cell.unmet,
        nothing=shown(cell.nothing, k),
        often=tuple(often),
        career=key[1],
    )


def _rank(row: DemandRow) -> tuple[int, int, int, int, str]:
    """Most searches that found little first, merged groups after the exact ones they tie with,
    "other requests" last."""
    last = row.topic == ALL
    return (int(last), -row.unmet, -(row.nothing or 0), int(row.merged), row.label)


def _without_main_language(cells: dict[Key, _Cell]) -> dict[Key, _Cell]:
    """The cells without the most common chat language among their wishes: that most people
    chat in the city's main language says nothing about a group."""
    languages: Counter[str] = Counter()
    for cell in cells.values():
        for (name, value), count in cell.extras.items():
            if name == "chat_language":
                languages[value] += count
    if languages:
        main = ("chat_language", languages.most_common(1)[0][0])
        for cell in cells.values():
            cell.extras.pop(main, None)
    return cells


Look = Callable[[str, int | None, str | None], SearchResult | None]


def _with_offers(row: DemandRow, look: Look) -> DemandRow:
    """The row with how many listings fit it now and, when few do, the nearest offers; `look`
    searches the directory for a topic, an age and a place."""
    if row.topic in (None, ALL):
        return row
    topic = row.topic or ""
    age = _middle_age(row.age_band)
    place = row.neighbourhood if row.neighbourhood != ALL else None
    now = look(topic, age, place)
    programs = _found(now)
    if programs >= LITTLE:
        return replace(row, programs=programs)
    tries: list[tuple[str, int | None, str | None]] = []
    if place is not None:
        tries.append(("other places", age, None))
    if age is not None:
        tries.append(("other ages", None, place))
    if place is not None and age is not None:
        tries.append(("other ages and places", None, None))
    for relaxed, wider_age, wider_place in tries:
        found = look(topic, wider_age, wider_place)
        if _found(found) > programs and found is not None:
            offers = tuple(
                Offer(hit.title, hit.provider, hit.neighbourhood)
                for hit in found.results[:OFFERS_SHOWN]
            )
            return replace(
                row, programs=programs, nearest=NearestOffers(relaxed, _found(found), offers)
            )
    suggestions = _suggestions(now) or _suggestions(look(topic, None, None))
    nearest = NearestOffers("related topics", 0, topics=suggestions) if suggestions else None
    return replace(row, programs=programs, nearest=nearest)


CareerLook = Callable[[str, int | None], tuple[int, tuple[str, ...]]]


def _career_with_offers(row: DemandRow, look: CareerLook) -> DemandRow:
    """A career's row with the listings a path to it offers now and, when few do, the close
    careers and topics that have listings (as the chat offers them)."""
    programs, close = look(str(row.career), _middle_age(row.age_band))
    nearest = NearestOffers(CLOSE, 0, topics=close) if programs < LITTLE and close else None
    return replace(row, programs=programs, nearest=nearest)


def _career_offers(
    session: Session,
    career: str,
    age: int | None,
    today: date | None,
    freshness_days: int,
) -> tuple[int, tuple[str, ...]]:
    """The listings a path to the starter career offers at the age, and the close careers and
    topics with listings when they are few; (0, ()) for a career no longer known."""
    goal = resolve_goal(load_taxonomy(session), career)
    if goal is None or goal.career is None:
        return 0, ()
    programs = listings_offered(session, goal, age=age, today=today, freshness_days=freshness_days)
    if programs >= LITTLE:
        return programs, ()
    options = close_options(session, goal, career, today=today)
    return programs, tuple([*options.careers, *options.topics][:OFFERS_SHOWN])


def _middle_age(band: str | None) -> int | None:
    """The age a band is searched at (its middle, at most 10 years in), or None."""
    ages = band_ages(band) if band not in (None, ALL) else None
    return None if ages is None else (ages[0] + min(ages[1], ages[0] + 10)) // 2


def _search(
    session: Session,
    topic: str,
    age: int | None,
    place: str | None,
    today: date | None,
    freshness_days: int,
) -> SearchResult | None:
    """The directory's own search for a group; a topic the city no longer has is searched as
    words, a neighbourhood it no longer has is dropped; None if it still cannot run."""
    query = SearchQuery(topics=(topic,), age=age, neighbourhood=place)
    for _attempt in range(3):
        try:
            return search(
                session, query, today=today, limit=OFFERS_SHOWN, freshness_days=freshness_days
            )
        except UnknownPlace:
            query = replace(query, neighbourhood=None)
        except QueryError:
            if not query.topics:
                return None
            query = replace(query, topics=(), text=topic)
    return None


def _found(result: SearchResult | None) -> int:
    """Listings about the subject that fit (not those shown only because the filters fit)."""
    if result is None:
        return 0
    return result.explanation.total if result.explanation is not None else result.total


def _suggestions(result: SearchResult | None) -> tuple[str, ...]:
    """Topics the search suggests when nothing matches the subject at all."""
    if result is None or result.explanation is None:
        return ()
    return tuple(result.explanation.suggestions[:OFFERS_SHOWN])
