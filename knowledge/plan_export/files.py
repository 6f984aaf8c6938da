"""The plan's files as a channel sends them: name, content type and bytes, in the formats the
plan has something for (no calendar of a plan without dates, no file at all of an empty plan)."""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.plan_export.calendar import calendar_bytes, has_calendar_events
from knowledge.plan_export.plan import ExportedPlan
from knowledge.plan_export.printable import printable_plan

# The key of the custom payload with which the assistant's reply asks the channel to deliver the
# files: {"plan_export": {"formats": ["ics", "html"]}} (bot/gateway/plan_files.py builds them).
CUSTOM_KEY = "plan_export"
ICS, HTML = "ics", "html"
FORMATS = (ICS, HTML)
CONTENT_TYPES = {ICS: "text/calendar; charset=utf-8", HTML: "text/html; charset=utf-8"}


class NothingToExport(ValueError):
    """The plan has nothing for this format (empty, or no dates for a calendar): say so, never
    send an empty file."""


@dataclass(frozen=True)
class PlanFile:
    """One file of the plan."""

    name: str
    content_type: str
    body: bytes


def formats_of(plan: ExportedPlan) -> tuple[str, ...]:
    """The formats worth sending: none for an empty plan, only the page when no listing gives a
    day, a time or a deadline."""
    if not plan.items:
        return ()
    return FORMATS if has_calendar_events(plan) else (HTML,)


def plan_file(plan: ExportedPlan, kind: str) -> PlanFile:
    """The plan in one format ('ics' or 'html'); NothingToExport when it has nothing for it."""
    if kind not in FORMATS:
        raise ValueError(f"no plan format {kind!r}; use one of {', '.join(FORMATS)}")
    if kind not in formats_of(plan):
        raise NothingToExport(f"the plan has nothing to put in a {kind} file")
    body = calendar_bytes(plan) if kind == ICS else printable_plan(plan).encode()
    return PlanFile(f"{plan.voice.word('plan_file_name')}.{kind}", CONTENT_TYPES[kind], body)
