"""A learner's plan as an iCalendar file (RFC 5545) any calendar app imports: each listing's
sessions as one weekly recurring event in the city's time zone (with its VTIMEZONE), and each
application deadline as an all-day event; both with the place, the sign-up link and whom to ask.

A listing without days and a start time (or whose dates hold none of its days) gets no session
event; it still has its deadline here and its whole entry on the printable page. UIDs are stable
(the plan item and the listing), so importing a newer file updates the events instead of
doubling them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from knowledge.models import Opportunity
from knowledge.models.learner import PlanItem
from knowledge.models.opportunity import DAYS
from knowledge.plan_export.facts import ListingFacts, facts_of
from knowledge.plan_export.plan import ExportedPlan
from knowledge.search.formats import Voice

PRODID = "-//Wayfinder//Learning plan//EN"
UID_DOMAIN = "plan.wayfinder"
RRULE_DAYS = {"Mon": "MO", "Tue": "TU", "Wed": "WE", "Thu": "TH", "Fri": "FR", "Sat": "SA",
              "Sun": "SU"}  # fmt: skip
END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True)
class Sessions:
    """When a listing meets: its first session (a local time in the city), how long one lasts
    (None: the listing gives no end time) and the weekly rule, if it repeats."""

    first: datetime
    length: timedelta | None
    weekdays: tuple[str, ...]  # RRULE BYDAY codes; empty: one session only
    until: datetime | None  # UTC, the last session's day's end (RFC 5545 wants UTC with a TZID)


def sessions_of(opportunity: Opportunity, zone: ZoneInfo, today: date) -> Sessions | None:
    """The listing's sessions, or None when it says too little to put them in a calendar: no start
    time, or no days and no single date, or dates that hold none of its days."""
    start = opportunity.start_time
    if start is None:
        return None
    first_day, last_day = opportunity.start_date, opportunity.end_date
    days = opportunity.days
    if not days:  # one session: a single date given (a workshop, an open day)
        if first_day is None or (last_day is not None and last_day != first_day):
            return None
        return Sessions(_local(first_day, start, zone), _length(opportunity), (), None)
    # DTSTART must itself be a session (RFC 5545 counts it even off the rule): the first meeting
    # day on or after the start date; an ongoing listing with no start date, from today.
    begin = first_day or today
    offsets = [(DAYS.index(day) - begin.weekday()) % 7 for day in days if day in DAYS]
    if not offsets:
        return None
    first = begin + timedelta(days=min(offsets))
    if last_day is not None and first > last_day:
        return None
    until = _local(last_day, END_OF_DAY, zone).astimezone(UTC) if last_day else None
    weekdays = tuple(RRULE_DAYS[day] for day in days if day in RRULE_DAYS)
    return Sessions(_local(first, start, zone), _length(opportunity), weekdays, until)


def has_calendar_events(plan: ExportedPlan) -> bool:
    """Whether the plan's calendar would hold any event (a session or a deadline): else only the
    printable plan is worth sending."""
    return any(
        o.application_deadline is not None or sessions_of(o, plan.city.zone, plan.today) is not None
        for o in plan.opportunities
    )


def plan_calendar(plan: ExportedPlan) -> Calendar:
    """The plan as a calendar: sessions and deadlines of every saved listing that gives them."""
    voice, zone = plan.voice, plan.city.zone
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    name = voice.word("plan_title")
    calendar.add("x-wr-calname", name)
    calendar.add("name", name)  # RFC 7986's NAME; X-WR-CALNAME for the apps that predate it
    earliest = plan.today
    for item in plan.items:
        facts = facts_of(item.opportunity, voice)
        sessions = sessions_of(item.opportunity, zone, plan.today)
        if sessions is not None:
            calendar.add_component(_session_event(item, facts, sessions, plan, voice))
            earliest = min(earliest, sessions.first.date())
        deadline = item.opportunity.application_deadline
        if deadline is not None:
            calendar.add_component(_deadline_event(item, facts, deadline, plan, voice))
    # Each zone's rules from a little before the first event (not since 1970: a smaller file).
    calendar.add_missing_timezones(first_date=earliest - timedelta(days=1))
    return calendar


def calendar_bytes(plan: ExportedPlan) -> bytes:
    """The .ics file's content (UTF-8, CRLF line endings, folded at 75 octets)."""
    return bytes(plan_calendar(plan).to_ical())


def _session_event(
    item: PlanItem, facts: ListingFacts, sessions: Sessions, plan: ExportedPlan, voice: Voice
) -> Event:
    """The listing's sessions: one event, repeating weekly on its days until its end date."""
    event = _event(item, "session", facts, plan, voice)
    event.add("summary", facts.title)
    event.add("dtstart", sessions.first)
    if sessions.length is not None:
        event.add("dtend", sessions.first + sessions.length)
    if sessions.weekdays:
        rule: dict[str, object] = {"freq": "weekly", "byday": list(sessions.weekdays)}
        if sessions.until is not None:
            rule["until"] = sessions.until
        event.add("rrule", rule)
    return event


def _deadline_event(
    item: PlanItem, facts: ListingFacts, deadline: date, plan: ExportedPlan, voice: Voice
) -> Event:
    """The last day to apply, as an all-day event that does not show the learner as busy."""
    event = _event(item, "deadline", facts, plan, voice)
    event.add("summary", voice.word("plan_deadline_summary", title=facts.title))
    event.add("dtstart", deadline)
    event.add("dtend", deadline + timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    return event


def _event(
    item: PlanItem, kind: str, facts: ListingFacts, plan: ExportedPlan, voice: Voice
) -> Event:
    """What both kinds of event carry: a stable UID, the place, the link and the details."""
    event = Event()
    event.add("uid", f"{item.id}-{item.opportunity_id}-{kind}@{UID_DOMAIN}")
    event.add("dtstamp", plan.made_at.astimezone(UTC))
    if facts.where:
        event.add("location", facts.where)
    if facts.apply_url:
        event.add("url", facts.apply_url)
    event.add("description", _description(facts, voice))
    return event


def _description(facts: ListingFacts, voice: Voice) -> str:
    """The event's notes: who runs it, when, where, the cost, how to apply and whom to ask."""
    lines = [voice.word("plan_run_by", provider=facts.provider)]
    for key, value in (
        ("plan_when", facts.when),
        ("plan_where", facts.where),
        ("plan_cost", facts.cost),
        ("plan_deadline", facts.deadline),
        ("plan_apply", facts.apply_url),
        ("plan_contact", facts.contact),
    ):
        if value:
            lines.append(f"{voice.word(key)}: {value}")
    return "\n".join(lines)


def _local(day: date, moment: time, zone: ZoneInfo) -> datetime:
    """A wall-clock time on a day in the city."""
    return datetime.combine(day, moment.replace(tzinfo=None), tzinfo=zone)


def _length(opportunity: Opportunity) -> timedelta | None:
    """How long one session lasts (past midnight when it ends before it starts), if it says."""
    start, end = opportunity.start_time, opportunity.end_time
    if start is None or end is None:
        return None
    length = datetime.combine(date.min, end) - datetime.combine(date.min, start)
    if not length:
        return None  # "13:00–13:00" says nothing about how long it lasts
    return length if length > timedelta(0) else length + timedelta(days=1)
