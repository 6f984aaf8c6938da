"""`wayfinder directory search` and `wayfinder directory stats`: what a learner and a city see."""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.nlu_lookups import LOOKUPS_DIR, missing_from_lookups, stale_lookup_files
from knowledge.cli.context import CliError, Context, field_option, require_schema
from knowledge.listing_fields import (
    parse_age,
    parse_cost,
    parse_date,
    parse_day,
    parse_language,
)
from knowledge.models import DAYS, FORMATS
from knowledge.search.engine import search
from knowledge.search.query import WHENS, QueryError, SearchQuery
from knowledge.search.result import SearchResult
from knowledge.search.stats import DirectoryStats, directory_stats
from knowledge.settings import PROJECT_ROOT


def register(commands: Any) -> None:
    """Add `search` and `stats`."""
    parser = commands.add_parser(
        "search",
        help="find opportunities from plain text and filters",
        description="Find learning opportunities. The text is read for topics, ages, places, "
        "costs and times ('free coding club for a 12 year old near Riverside'); options win "
        "over what the text implies.",
    )
    parser.add_argument("text", nargs="?", default="", help="what you are looking for")
    parser.add_argument("--topic", action="append", default=[], help="a topic (repeatable)")
    parser.add_argument("--age", type=field_option(parse_age), help="the learner's age in years")
    place = parser.add_mutually_exclusive_group()
    place.add_argument(
        "--neighborhood", "--neighbourhood", dest="neighbourhood", help="neighbourhood or alias"
    )
    place.add_argument("--near", type=_point, metavar="LAT,LON", help="a point to search around")
    parser.add_argument(
        "--radius-km", type=_radius, help="how far from the place (default 5, widened if empty)"
    )
    parser.add_argument("--free", action="store_true", help="only free opportunities")
    parser.add_argument("--max-cost", type=_max_cost, metavar="N", help="at most this cost")
    parser.add_argument(
        "--format", choices=FORMATS, help="online, in_person or hybrid (hybrid matches both)"
    )
    parser.add_argument(
        "--language",
        type=field_option(parse_language),
        metavar="CODE",
        help="a language tag, e.g. es or hmn",
    )
    parser.add_argument("--days", type=_days, metavar="Sat,Sun", help="meets on any of these days")
    parser.add_argument(
        "--when",
        action="append",
        choices=WHENS,
        default=[],
        help="weekend, weekday, after_school, evening, morning or summer (repeatable)",
    )
    parser.add_argument("--upcoming", type=_count, metavar="DAYS", help="starts within DAYS")
    parser.add_argument("--limit", type=_count, default=5, help="results to show (default 5)")
    parser.add_argument("--offset", type=_count, default=0, help="results to skip (paging)")
    parser.add_argument(
        "--today", type=field_option(parse_date), help="pretend today is YYYY-MM-DD"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON list of results")
    parser.set_defaults(handler=run_search)

    stats = commands.add_parser("stats", help="count opportunities, providers, credentials, …")
    stats.add_argument("--json", action="store_true", help="print the counts as JSON")
    stats.add_argument(
        "--lookups",
        type=Path,
        default=LOOKUPS_DIR,
        metavar="DIR",
        help="NLU lookup tables to check",
    )
    stats.set_defaults(handler=run_stats)


def run_search(args: argparse.Namespace, context: Context) -> int:
    """Search and print results best first, or why there are none."""
    require_schema(context)
    try:
        query = SearchQuery(
            text=args.text,
            topics=tuple(args.topic),
            age=args.age,
            neighbourhood=args.neighbourhood,
            near=args.near,
            radius_km=args.radius_km,
            free_only=args.free,
            max_cost=args.max_cost,
            days=args.days or (),
            when=tuple(dict.fromkeys(args.when)),
            format=args.format,
            language=args.language,
            upcoming_days=args.upcoming,
        )
        with context.sessions.begin() as session:
            result = search(
                session,
                query,
                today=args.today,
                limit=args.limit,
                offset=args.offset,
                freshness_days=context.settings.freshness_days,
            )
    except QueryError as error:
        raise CliError(str(error)) from error
    if args.json:
        print(json.dumps([hit.to_dict() for hit in result.results], indent=2, ensure_ascii=False))
        if not result.results and result.explanation is not None:
            print(result.explanation.message, file=sys.stderr)  # stdout stays a JSON list
    else:
        print(render_result(result, offset=args.offset))
    return 0


def render_result(result: SearchResult, offset: int = 0) -> str:
    """Numbered results with reasons; the explanation when there are none or few."""
    lines = [_heading(result, offset)]
    understood = result.understood
    for typed, meant in understood.get("corrections", {}).items():
        lines.append(f"(read “{typed}” as “{meant}”)")
    if understood.get("widened_from_km"):
        lines.append(
            f"(nothing within {understood['widened_from_km']:g} km of "
            f"{understood['neighbourhood'] or 'that point'}; "
            f"showing up to {understood['radius_km']:g} km)"
        )
    for number, hit in enumerate(result.results, start=offset + 1):
        lines.append(f"{number:>2}. {hit.title} — {hit.provider}")
        lines.append(f"    {hit.reason}  [{hit.external_id or hit.id}]")
    explanation = result.explanation
    if explanation is not None:
        lines.append(explanation.message)
        for relaxation in explanation.blocking[1:]:
            lines.append(f"  - without the {relaxation.relaxed} filter: {relaxation.message}")
    return "\n".join(lines)


def _heading(result: SearchResult, offset: int) -> str:
    """ "6 matches for coding · age 12 · free (1–5 shown)"."""
    asked = _understood_label(result.understood)
    if result.total == 0:
        return f"No matches for {asked}."
    count = f"{result.total}{'' if result.total_is_exact else '+'}"
    noun = "match" if result.total == 1 else "matches"
    shown = f"{offset + 1}–{offset + len(result.results)}" if result.results else "none"
    return f"{count} {noun} for {asked} ({shown} shown):"


def _understood_label(understood: dict[str, Any]) -> str:
    """A compact summary of what the search looked for."""
    parts = list(understood.get("topics") or understood.get("terms") or ["anything"])
    if understood.get("age") is not None:
        parts.append(f"age {understood['age']}")
    if understood.get("free_only"):
        parts.append("free")
    elif understood.get("max_cost") is not None:
        parts.append(f"up to ${understood['max_cost']:g}")
    if understood.get("neighbourhood"):
        parts.append(f"near {understood['neighbourhood']}")
    elif understood.get("near"):
        parts.append(f"within {understood['radius_km']:g} km")
    parts.extend(understood.get("days") or [])
    parts.extend(when.replace("_", " ") for when in understood.get("when") or [])
    if understood.get("format"):
        parts.append(understood["format"].replace("_", " "))
    if understood.get("language"):
        parts.append(f"in {understood['language']}")
    return " · ".join(parts)


def run_stats(args: argparse.Namespace, context: Context) -> int:
    """Print the directory's counts, and whether the NLU lookups still match the directory."""
    require_schema(context)
    with context.sessions.begin() as session:
        stats = directory_stats(session)
        lookups = {
            "folder": _shown_path(args.lookups),
            "stale_files": stale_lookup_files(session, args.lookups),
            "missing": missing_from_lookups(session, args.lookups),
        }
    if args.json:
        document = {**stats.to_dict(), "nlu_lookups": lookups}
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        print(render_stats(stats, render_lookups(lookups)))
    return 0


def render_lookups(lookups: dict[str, Any]) -> str:
    """Whether the assistant knows the directory's topics, places and providers; the fix if not."""
    where = f"NLU lookups ({lookups['folder']})"
    if not lookups["stale_files"]:
        return f"{where}: up to date with the directory."
    missing: dict[str, list[str]] = lookups["missing"]
    if not missing:
        files = ", ".join(lookups["stale_files"])
        return f"{where}: out of date ({files} differ from the directory). Run `make train`."
    lines = [f"{where}: out of date; the assistant does not recognise these yet:"]
    for kind, names in missing.items():
        more = f" and {len(names) - 8} more" if len(names) > 8 else ""
        lines.append(f"  {kind}: {', '.join(names[:8])}{more}")
    lines.append("  Run `make train` to regenerate the lookups and retrain the assistant.")
    return "\n".join(lines)


def _shown_path(path: Path) -> str:
    """A path relative to the project when it is inside it (nlu_data/lookups)."""
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def render_stats(stats: DirectoryStats, lookups: str = "") -> str:
    """Counts as short indented sections; `lookups` (their state) goes before the long tables."""
    lines = [
        f"Opportunities: {stats.opportunities}",
        f"  by status: {_inline(stats.opportunities_by_status)}",
        f"  by format: {_inline(stats.opportunities_by_format)}",
        f"Providers: {stats.providers}",
        f"  by kind: {_inline(stats.providers_by_kind)}",
        f"Credentials: {stats.credentials}",
        f"  by type: {_inline(stats.credentials_by_type)}",
        f"Pathways: {stats.pathways} ({stats.pathway_steps} steps)",
        *([lookups] if lookups else []),
        *_unattached(stats.unattached_topics),
        "Opportunities by topic:",
        *_table(stats.opportunities_by_topic),
        "Opportunities by neighbourhood:",
        *_table(stats.opportunities_by_neighbourhood),
    ]
    return "\n".join(lines)


def _unattached(topics: list[str]) -> list[str]:
    """Topics the starter vocabulary could not join, and how to fix that."""
    if not topics:
        return ["Topics: every topic joined the starter vocabulary."]
    more = f" and {len(topics) - 12} more" if len(topics) > 12 else ""
    return [
        f"Topics that joined no starter topic ({len(topics)}): {', '.join(topics[:12])}{more}",
        "  Learners' other words for them find nothing: add synonyms with "
        "`wayfinder taxonomy export` / `wayfinder taxonomy import`, then `make train`.",
    ]


def _inline(counts: dict[str, int]) -> str:
    """ "active 200, inactive 3"."""
    return ", ".join(f"{label} {count}" for label, count in counts.items()) or "none"


def _table(counts: dict[str, int]) -> list[str]:
    """One aligned line per label."""
    width = max((len(label) for label in counts), default=0)
    return [f"  {label:<{width}}  {count:>6}" for label, count in counts.items()] or ["  none"]


def _point(value: str) -> tuple[float, float]:
    """LAT,LON within the valid ranges."""
    try:
        latitude, longitude = (float(part) for part in value.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected LAT,LON such as 41.49,-81.70, not {value!r}"
        ) from None
    if not -90 <= latitude <= 90:
        raise argparse.ArgumentTypeError(f"latitude must be between -90 and 90, not {latitude:g}")
    if not -180 <= longitude <= 180:
        raise argparse.ArgumentTypeError(
            f"longitude must be between -180 and 180, not {longitude:g}"
        )
    return latitude, longitude


def _radius(value: str) -> float:
    """A distance in km, more than 0."""
    try:
        radius = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"radius must be a number of km, not {value!r}") from None
    if not 0 < radius <= 500:
        raise argparse.ArgumentTypeError(
            f"radius must be more than 0 and at most 500 km, not {value}"
        )
    return radius


def _max_cost(value: str) -> Decimal:
    """A cost a listing could have ($ allowed), kept as written for the query."""
    amount = value.strip().lstrip("$")
    field_option(parse_cost)(amount)
    return Decimal(amount)


def _days(value: str) -> tuple[str, ...]:
    """Comma-separated days (Sat,Sun or saturday) in week order."""
    days = {field_option(parse_day)(part) for part in value.split(",") if part.strip()}
    return tuple(day for day in DAYS if day in days)


def _count(value: str) -> int:
    """A whole number, zero or more."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"cannot be negative, not {number}")
    return number
