"""Reminders go out at the city's reminder time in the city's own time zone: the same local hour
in summer and winter, whatever that is in UTC (where due times are stored)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from knowledge.learners import get_or_create_learner, schedule_reminder
from knowledge.settings import Settings
from tests.knowledge.test_learners import club

NOW = datetime(2027, 1, 2, 12, 0)  # UTC, long before either date below


@pytest.mark.parametrize(
    ("zone", "setting", "starts", "due_utc"),
    [
        # Chicago: CDT (UTC-5) in July, CST (UTC-6) in December.
        ("America/Chicago", "", date(2027, 7, 15), datetime(2027, 7, 12, 14, 0)),
        ("America/Chicago", "", date(2027, 12, 15), datetime(2027, 12, 12, 15, 0)),
        ("America/Chicago", "17:30", date(2027, 7, 15), datetime(2027, 7, 12, 22, 30)),
        ("America/Chicago", "17:30", date(2027, 12, 15), datetime(2027, 12, 12, 23, 30)),
        # Auckland, ahead of UTC: 09:00 on the 12th there is still the 11th in UTC.
        ("Pacific/Auckland", "", date(2027, 7, 15), datetime(2027, 7, 11, 21, 0)),
        ("Pacific/Auckland", "", date(2027, 12, 15), datetime(2027, 12, 11, 20, 0)),
        ("UTC", "06:15", date(2027, 7, 15), datetime(2027, 7, 12, 6, 15)),
    ],
)
def test_a_reminder_is_due_at_the_reminder_time_in_the_city_across_daylight_saving(
    session: Session, tmp_path: Path, zone: str, setting: str, starts: date, due_utc: datetime
) -> None:
    settings = Settings.from_env({"WAYFINDER_TIMEZONE": zone, "WAYFINDER_REMINDER_TIME": setting})
    opportunity = club(session, tmp_path)
    opportunity.application_deadline, opportunity.start_date = None, starts
    learner = get_or_create_learner(session, "web-hours")
    planned = schedule_reminder(
        session,
        learner,
        opportunity,
        now=NOW,
        zone=ZoneInfo(settings.timezone),
        at=settings.reminder_time,
    )
    assert planned.reminder is not None
    assert planned.reminder.due_at == due_utc  # stored naive, in UTC
    local = due_utc.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
    assert local.time() == (settings.reminder_time if setting else time(9, 0))
    assert local.date() == date(starts.year, starts.month, starts.day - 3)


def test_a_reminder_time_already_past_today_in_the_city_is_sent_a_minute_from_now(
    session: Session, tmp_path: Path
) -> None:
    opportunity = club(session, tmp_path)
    opportunity.application_deadline, opportunity.start_date = None, date(2027, 7, 15)
    learner = get_or_create_learner(session, "web-late")
    evening = datetime(2027, 7, 12, 23, 0)  # 18:00 in Chicago on the day the reminder was due
    planned = schedule_reminder(
        session, learner, opportunity, now=evening, zone=ZoneInfo("America/Chicago")
    )
    assert planned.reminder is not None
    assert planned.reminder.due_at == datetime(2027, 7, 12, 23, 1)
