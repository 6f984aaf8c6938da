"""The places on a line a learner travels on ("near the 14 bus", "cerca de la línea 14"): the
line's designator matched as a whole word of the places' transport notes, whatever the city
calls its lines, so "14" finds "Bus 14 stops outside" but not "Route 140" or "from 14:00"."""

from __future__ import annotations

import re
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.models import Location
from knowledge.search.search_plan import Plan
from knowledge.text import fold

# A word of a note: letters and digits, a hyphen inside kept together ("M-15" is "m15").
_TOKEN = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_DIGITS = re.compile(r"\d+")


def note_tokens(note: str) -> set[str]:
    """The words of a transport note, folded and without inner hyphens ('Bus 14/15; M-15' →
    {'bus', '14', '15', 'm15'}); a time ('14:00') is not a line."""
    without_times = re.sub(r"\b\d{1,2}[:.]\d{2}\b", " ", fold(note))
    return {token.replace("-", "") for token in _TOKEN.findall(without_times)}


def on_route(note: str | None, route: str) -> bool:
    """Whether the note names the line (the designator as read: '14', 'm15', '7a')."""
    return bool(note) and fold(route).replace("-", "") in note_tokens(note or "")


def places_on_route(session: Session, route: str) -> tuple[int, ...]:
    """Ids of the places whose transport notes name the line: the database narrows them to notes
    containing its longest run of digits, then each note is read word by word."""
    runs = _DIGITS.findall(route)
    if not runs:
        return ()
    digits = max(runs, key=len)
    rows = session.execute(
        select(Location.id, Location.transport).where(
            Location.transport.is_not(None), Location.transport.contains(digits)
        )
    )
    return tuple(sorted(place for place, note in rows if on_route(note, route)))


def with_route_places(session: Session, plan: Plan) -> Plan:
    """The plan with the places on its line, for the place filter (knowledge.search.filters)."""
    if plan.route is None:
        return plan
    return replace(plan, route_places=places_on_route(session, plan.route))
