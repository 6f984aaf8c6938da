"""Profile, plan, reminders and forgetting, as the assistant's actions use them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.handoffs import open_handoff
from knowledge.learners import (
    REMIND_DAYS_BEFORE,
    RETRY_AFTER,
    add_to_plan,
    due_reminders,
    find_learner,
    forget_learner,
    get_or_create_learner,
    known_senders,
    mark_failed,
    mark_sent,
    plan_of,
    remember_profile,
    remove_from_plan,
    schedule_reminder,
    untouched_senders,
)
from knowledge.models import ChannelAddress, Opportunity
from knowledge.models.learner import Dependant, Handoff, Learner, PlanItem, Reminder
from knowledge.seed import seed_directory
from tests.knowledge.test_seed import write_seed

NOW = datetime(2026, 11, 23, 12, 0)


def club(session: Session, tmp_path: Path, external_id: str = "t-001") -> Opportunity:
    if session.scalar(select(func.count()).select_from(Opportunity)) == 0:
        seed_directory(session, write_seed(tmp_path))
    found = session.scalar(select(Opportunity).where(Opportunity.external_id == external_id))
    assert found is not None
    return found


def test_a_learner_is_created_once_per_sender(session: Session) -> None:
    first = get_or_create_learner(session, "tg-abc", channel="telegram")
    again = get_or_create_learner(session, "tg-abc")
    assert first.id == again.id and again.channel == "telegram"


def test_profile_keeps_the_learner_and_each_child_apart(session: Session) -> None:
    learner = get_or_create_learner(session, "web-1")
    remember_profile(session, learner, relation="self", age=34, interests=["nursing"])
    remember_profile(session, learner, relation="daughter", age=9, interests=["art"])
    remember_profile(session, learner, relation="daughter", interests=["art", "coding"])
    remember_profile(session, learner, neighbourhood="Riverside")
    assert (learner.age, learner.interests, learner.neighbourhood) == (34, ["nursing"], "Riverside")
    (daughter,) = learner.dependants
    assert (daughter.relation, daughter.age, daughter.interests) == (
        "daughter",
        9,
        ["art", "coding"],
    )


def test_saving_twice_keeps_one_item_and_removing_clears_reminders(
    session: Session, tmp_path: Path
) -> None:
    opportunity = club(session, tmp_path)
    learner = get_or_create_learner(session, "web-2")
    assert add_to_plan(session, learner, opportunity, "son")[1] is True
    assert add_to_plan(session, learner, opportunity)[1] is False
    assert [i.opportunity.title for i in plan_of(session, learner)] == ["Saturday Code Club"]
    schedule_reminder(session, learner, opportunity, now=NOW)
    assert remove_from_plan(session, learner, opportunity.id) is True
    assert remove_from_plan(session, learner, opportunity.id) is False
    assert plan_of(session, learner) == []
    assert session.scalar(select(func.count()).select_from(Reminder)) == 0


def test_reminder_is_due_days_before_the_start_and_fires_once(
    session: Session, tmp_path: Path
) -> None:
    opportunity = club(session, tmp_path)  # starts 2027-01-09, no deadline
    learner = get_or_create_learner(session, "web-3")
    planned = schedule_reminder(session, learner, opportunity, now=NOW)
    assert planned.refusal is None and planned.reminder is not None
    assert planned.reminder.kind == "start"
    assert planned.reminder.due_at == datetime(2027, 1, 9 - REMIND_DAYS_BEFORE, 9, 0)
    assert schedule_reminder(session, learner, opportunity, now=NOW).refusal == "exists"
    assert due_reminders(session, now=datetime(2027, 1, 5)) == []
    (due,) = due_reminders(session, now=datetime(2027, 1, 6, 9, 0))
    mark_sent(due, now=datetime(2027, 1, 6, 9, 0))
    session.flush()
    assert due_reminders(session, now=datetime(2027, 1, 7)) == []


def test_deadline_wins_over_start_and_past_dates_are_refused(
    session: Session, tmp_path: Path
) -> None:
    opportunity = club(session, tmp_path)
    opportunity.application_deadline = date(2026, 11, 24)
    learner = get_or_create_learner(session, "web-4")
    planned = schedule_reminder(session, learner, opportunity, now=NOW)
    assert planned.reminder is not None and planned.reminder.kind == "deadline"
    assert planned.reminder.due_at == NOW + timedelta(minutes=1)  # too close: remind right away
    opportunity.application_deadline = date(2026, 11, 1)
    assert schedule_reminder(session, learner, opportunity, now=NOW).refusal == "past"
    opportunity.application_deadline = None
    opportunity.start_date = None
    assert schedule_reminder(session, learner, opportunity, now=NOW).refusal == "no_date"


def test_failed_deliveries_back_off_then_give_up(session: Session, tmp_path: Path) -> None:
    opportunity = club(session, tmp_path)
    learner = get_or_create_learner(session, "web-5")
    reminder = schedule_reminder(session, learner, opportunity, now=NOW).reminder
    assert reminder is not None
    for attempt, delay in enumerate(RETRY_AFTER, start=1):
        mark_failed(reminder, "rasa down", now=NOW)
        assert (reminder.status, reminder.attempts, reminder.due_at) == (
            "pending",
            attempt,
            NOW + delay,
        )
    mark_failed(reminder, "rasa down", now=NOW)
    assert reminder.status == "failed"


def test_forgetting_erases_everything_kept_about_the_learner(
    session: Session, tmp_path: Path
) -> None:
    opportunity = club(session, tmp_path)
    learner = get_or_create_learner(session, "web-6")
    remember_profile(session, learner, relation="son", age=12)
    add_to_plan(session, learner, opportunity)
    schedule_reminder(session, learner, opportunity, now=NOW)
    open_handoff(session, learner, {"topics": ["coding"]})
    other = get_or_create_learner(session, "web-7")
    add_to_plan(session, other, opportunity)
    assert forget_learner(session, "web-6") is True
    assert find_learner(session, "web-6") is None
    for model in (Dependant, Reminder, Handoff):
        assert session.scalar(select(func.count()).select_from(model)) == 0
    assert session.scalar(select(func.count()).select_from(PlanItem)) == 1  # the other learner's
    assert forget_learner(session, "web-6") is False


def test_reminders_fall_at_nine_in_the_city_and_past_means_past_there(
    session: Session, tmp_path: Path
) -> None:
    opportunity = club(session, tmp_path)  # starts 2027-01-09, no deadline
    learner = get_or_create_learner(session, "web-tz")
    planned = schedule_reminder(
        session, learner, opportunity, now=NOW, zone=ZoneInfo("America/New_York")
    )
    assert planned.reminder is not None  # 09:00 in New York is 14:00 UTC in January
    assert planned.reminder.due_at == datetime(2027, 1, 9 - REMIND_DAYS_BEFORE, 14, 0)
    opportunity.start_date = date(2027, 1, 9)
    evening = datetime(2027, 1, 10, 2, 0)  # still the 9th in New York, already the 10th in UTC
    other = get_or_create_learner(session, "web-tz-2")
    assert schedule_reminder(session, other, opportunity, now=evening).refusal == "past"
    in_new_york = schedule_reminder(
        session, other, opportunity, now=evening, zone=ZoneInfo("America/New_York")
    )
    assert in_new_york.refusal is None


def test_retention_lists_only_senders_untouched_since_the_cutoff_and_owed_nothing(
    session: Session, tmp_path: Path
) -> None:
    opportunity = club(session, tmp_path)  # starts 2027-01-09: its reminder is due after NOW

    def learner(sender_id: str, days_ago: int) -> Learner:
        found = get_or_create_learner(session, sender_id)
        found.last_seen_at = NOW - timedelta(days=days_ago)
        return found

    def address(sender_id: str, days_ago: int) -> None:
        seen = NOW - timedelta(days=days_ago)
        session.add(
            ChannelAddress(sender_id=sender_id, channel="web", address="h", last_seen_at=seen)
        )

    learner("web-366", 366)
    address("web-366", 370)
    learner("web-364", 364)
    owed = learner("web-owed", 400)  # a reminder in the future: kept
    schedule_reminder(session, owed, opportunity, now=NOW)
    reminded = learner("web-reminded", 400)  # a reminder reached them a month ago: kept
    sent = schedule_reminder(session, reminded, opportunity, now=NOW).reminder
    assert sent is not None
    mark_sent(sent, now=NOW - timedelta(days=30))
    gave_up = learner("web-gave-up", 400)  # a reminder that failed long ago is owed nothing
    failed = schedule_reminder(session, gave_up, opportunity, now=NOW).reminder
    assert failed is not None
    failed.status = "failed"
    learner("web-chatting", 400)  # no profile change for long, but messages this week: kept
    address("web-chatting", 2)
    address("web-only-address", 366)  # chatted through the gateway, saved nothing
    address("web-only-address-recent", 1)
    session.flush()

    cutoff = NOW - timedelta(days=365)
    listed = untouched_senders(session, before=cutoff)
    assert sorted(listed) == ["web-366", "web-gave-up", "web-only-address"]
    assert untouched_senders(session, before=cutoff, limit=2) == listed[:2]  # in pages
    assert untouched_senders(session, before=cutoff, after=listed[1]) == listed[2:]
    assert known_senders(session, [*listed, "web-364", "web-nobody"]) == {*listed, "web-364"}
    assert known_senders(session, []) == set()
