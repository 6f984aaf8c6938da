"""The plan's .ics file, read back by two well-kept libraries: icalendar (the round trip) and
recurring-ical-events (the sessions expanded as a calendar app would, across a change of DST)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from icalendar import Calendar, Component
from sqlalchemy.orm import Session

from knowledge.plan_export import ExportedPlan, exported_plan
from knowledge.plan_export.calendar import PRODID, calendar_bytes, sessions_of
from tests.knowledge.plan_export.builders import (
    CITY,
    MADE_AT,
    listing,
    place,
    provider,
    saved,
)


def plan_of(session: Session, sender: str = "web-learner", **city: str) -> ExportedPlan:
    found = exported_plan(session, sender, replace(CITY, **city), now=MADE_AT)
    assert found is not None
    return found


def events(ics: bytes) -> list[Component]:
    """Every VEVENT of the file, parsed by icalendar."""
    return list(Calendar.from_ical(ics).walk("VEVENT"))


def test_the_file_survives_icalendars_round_trip_and_names_itself(session: Session) -> None:
    saved(session, "web-learner", listing(session, provider(session)))
    ics = calendar_bytes(plan_of(session))
    parsed = Calendar.from_ical(ics)
    assert parsed.to_ical() == ics
    assert str(parsed["prodid"]) == PRODID and str(parsed["version"]) == "2.0"
    assert str(parsed["x-wr-calname"]) == "My learning plan"
    assert b"\r\n" in ics and all(len(line) <= 75 for line in ics.split(b"\r\n"))


@pytest.mark.parametrize(
    ("zone", "first", "last"),
    [
        # New York springs forward on 14 March 2027, Berlin on 28 March.
        ("America/New_York", date(2027, 2, 27), date(2027, 3, 27)),
        ("Europe/Berlin", date(2027, 3, 13), date(2027, 4, 10)),
    ],
)
def test_weekly_sessions_keep_their_local_time_across_a_dst_change(
    session: Session, zone: str, first: date, last: date
) -> None:
    saved(
        session,
        "web-learner",
        listing(session, provider(session), start_date=first, end_date=last),
    )
    ics = calendar_bytes(plan_of(session, timezone=zone))
    calendar = Calendar.from_ical(ics)
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == [zone]
    (session_event,) = [e for e in calendar.walk("VEVENT") if "RRULE" in e]
    assert session_event["dtstart"].params["TZID"] == zone
    found = recurring_ical_events.of(calendar).between(first, last + timedelta(days=7))
    sessions = sorted(e["dtstart"].dt for e in found if isinstance(e["dtstart"].dt, datetime))
    city = ZoneInfo(zone)
    assert [s.astimezone(city).date() for s in sessions] == [
        first + timedelta(weeks=week) for week in range(5)
    ]  # every Saturday from the start date to the end date, the end date included
    assert {s.astimezone(city).time() for s in sessions} == {time(10, 0)}
    assert len({s.utcoffset() for s in sessions}) == 2  # the offset changed; the wall clock not
    ends = sorted(e["dtend"].dt for e in found if isinstance(e["dtend"].dt, datetime))
    assert {end.astimezone(city).time() for end in ends} == {time(11, 30)}


def test_the_first_session_is_the_first_meeting_day_and_the_rule_ends_on_the_end_date(
    session: Session,
) -> None:
    # Starts on a Tuesday; meets Mondays and Wednesdays; ends on a Monday.
    club = listing(
        session,
        provider(session),
        days=["Mon", "Wed"],
        start_time=time(18, 0),
        end_time=time(19, 0),
        start_date=date(2027, 3, 2),
        end_date=date(2027, 3, 15),
    )
    saved(session, "web-learner", club)
    calendar = Calendar.from_ical(calendar_bytes(plan_of(session)))
    found = recurring_ical_events.of(calendar).between(date(2027, 1, 1), date(2027, 12, 31))
    starts = sorted(e["dtstart"].dt for e in found if isinstance(e["dtstart"].dt, datetime))
    assert [s.date() for s in starts] == [
        date(2027, 3, 3), date(2027, 3, 8), date(2027, 3, 10), date(2027, 3, 15)
    ]  # fmt: skip
    (rule,) = [e["rrule"] for e in calendar.walk("VEVENT") if "RRULE" in e]
    assert rule["FREQ"] == ["WEEKLY"] and rule["BYDAY"] == ["MO", "WE"]
    assert rule["UNTIL"][0].tzinfo is not None and rule["UNTIL"][0].utcoffset() == timedelta(0)


def test_a_deadline_is_an_all_day_event_that_does_not_make_the_learner_busy(
    session: Session,
) -> None:
    saved(session, "web-learner", listing(session, provider(session)))
    (deadline,) = [e for e in Calendar.from_ical(calendar_bytes(plan_of(session))).walk("VEVENT")
                   if "RRULE" not in e]  # fmt: skip
    assert deadline["dtstart"].dt == date(2027, 2, 20)
    assert not isinstance(deadline["dtstart"].dt, datetime)  # VALUE=DATE: all day
    assert deadline["dtend"].dt == date(2027, 2, 21)
    assert str(deadline["transp"]) == "TRANSPARENT"
    assert str(deadline["summary"]) == "Last day to apply: Saturday Robot Lab"
    assert str(deadline["url"]) == "https://makers.example.org/robots"
    assert "555-0199" in str(deadline["description"])


def test_events_carry_the_place_the_link_the_contact_and_stable_uids(session: Session) -> None:
    saved(session, "web-learner", listing(session, provider(session)))
    plan = plan_of(session)
    first, again = calendar_bytes(plan), calendar_bytes(plan_of(session))
    assert first == again  # the same plan at the same moment: the same file
    found = events(first)
    assert len({str(e["uid"]) for e in found}) == 2
    for event in found:
        assert str(event["location"]) == "Main Hall, 12 Pier St"
        description = str(event["description"])
        assert "Run by Harbour Makers Co-op" in description
        assert "How to apply: https://makers.example.org/robots" in description
        assert "Contact: 555-0199" in description
        assert event["dtstamp"].dt == MADE_AT.astimezone(UTC)


def test_commas_semicolons_and_newlines_are_escaped_and_read_back_whole(
    session: Session,
) -> None:
    title = "Paint, Print; Repeat"
    aid = "Ask about bursaries;\nsliding scale, too"
    hall = place(session, "Main Hall", "1 Dock Rd, Unit 4; rear door")
    club = listing(session, provider(session, "Ink, Inc."), title=title, financial_aid=aid,
                   locations=[hall])  # fmt: skip
    saved(session, "web-learner", club)
    ics = calendar_bytes(plan_of(session))
    assert b"SUMMARY:Paint\\, Print\\; Repeat" in ics
    assert b"Unit 4\\; rear door" in ics and b"bursaries\\;\\nsliding" in ics.replace(b"\r\n ", b"")
    (sessions_event,) = [e for e in events(ics) if "RRULE" in e]
    assert str(sessions_event["summary"]) == title
    assert str(sessions_event["location"]) == "Main Hall, 1 Dock Rd, Unit 4; rear door"
    assert "Cost: $40 (Ask about bursaries;\nsliding scale, too)" in str(
        sessions_event["description"]
    )
    assert "Run by Ink, Inc." in str(sessions_event["description"])


def test_titles_and_words_are_in_the_learners_chat_language(session: Session) -> None:
    club = listing(session, provider(session), translations={"es": "Laboratorio de robots"})
    saved(session, "web-es", club, language="es")
    found = events(calendar_bytes(plan_of(session, "web-es")))
    assert {str(e["summary"]) for e in found} == {
        "Laboratorio de robots",
        "Último día para inscribirte: Laboratorio de robots",
    }
    assert all("Lo organiza Harbour Makers Co-op" in str(e["description"]) for e in found)


def test_an_online_listing_is_located_online_with_its_link(session: Session) -> None:
    club = listing(session, provider(session), format="online", locations=[])
    saved(session, "web-learner", club)
    for event in events(calendar_bytes(plan_of(session))):
        assert str(event["location"]) == "Online · https://makers.example.org/robots"


def test_a_listing_without_days_or_times_gets_no_session_event(session: Session) -> None:
    by = provider(session)
    anytime = listing(session, by, "Drop-in Tutoring", start_time=None, application_deadline=None)
    no_days = listing(session, by, "Spring Course", days=[], application_deadline=None)
    one_day = listing(session, by, "Open Day", days=[], start_date=date(2027, 4, 3),
                      end_date=date(2027, 4, 3), application_deadline=None)  # fmt: skip
    saved(session, "web-learner", anytime, no_days, one_day)
    found = events(calendar_bytes(plan_of(session)))
    assert [str(e["summary"]) for e in found] == ["Open Day"]
    (single,) = found
    assert "RRULE" not in single
    assert single["dtstart"].dt == datetime(2027, 4, 3, 10, 0, tzinfo=ZoneInfo(CITY.timezone))


def test_an_ongoing_listing_starts_from_the_plans_day_and_never_ends(session: Session) -> None:
    club = listing(session, provider(session), start_date=None, end_date=None,
                   application_deadline=None)  # fmt: skip
    saved(session, "web-learner", club)
    (event,) = events(calendar_bytes(plan_of(session)))
    assert event["dtstart"].dt.date() == date(2027, 1, 16)  # the Saturday after 10 Jan 2027
    assert "UNTIL" not in event["rrule"]


def test_a_session_ending_after_midnight_ends_the_next_day(session: Session) -> None:
    late = listing(session, provider(session), start_time=time(22, 0), end_time=time(1, 0))
    sessions = sessions_of(late, CITY.zone, date(2027, 1, 10))
    assert sessions is not None and sessions.length == timedelta(hours=3)


def test_dates_that_hold_none_of_the_days_give_no_sessions(session: Session) -> None:
    # 1–5 March 2027 is Monday to Friday: no Saturday in it.
    odd = listing(session, provider(session), start_date=date(2027, 3, 1),
                  end_date=date(2027, 3, 5))  # fmt: skip
    assert sessions_of(odd, CITY.zone, date(2027, 1, 10)) is None
