"""The plan round trip and reminders, stored in the directory database."""

from __future__ import annotations

from datetime import UTC, date, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from rasa_sdk import Tracker
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.learner_plan import ActionRemoveFromPlan, ActionSaveOpportunity, ActionShowPlan
from actions.listing_lines import day
from actions.reminders import ActionDeliverReminder, ActionSetReminder
from knowledge.models import Opportunity, PlanItem, Reminder
from knowledge.search.formats import voice_of
from tests.actions.conftest import ROOT, Configure, Run, entity, slot_events, tracker


def _listing(db: Session, **where: object) -> Opportunity:
    query = select(Opportunity).where(Opportunity.status == "active")
    for column, value in where.items():
        query = query.where(getattr(Opportunity, column) == value)
    found = db.scalars(query.order_by(Opportunity.id)).first()
    assert found is not None
    return found


def test_save_show_remove(directory: str, db: Session, run: Run) -> None:
    first, second = (str(o.id) for o in db.scalars(select(Opportunity).limit(2)))
    results = {"results": [first, second], "results_shown": 2.0}
    for ordinal in ("1", "2"):
        t = tracker(
            "save it",
            intent="save_opportunity",
            entities=[entity("ordinal", ordinal)],
            slots=results,
        )
        messages, _ = run(ActionSaveOpportunity(), t)
        assert messages[0]["response"] == "utter_saved"
    again, _ = run(
        ActionSaveOpportunity(),
        tracker("save", intent="save_opportunity", slots={**results, "selected": first}),
    )
    assert again[0]["response"] == "utter_already_saved"
    shown, events = run(ActionShowPlan(), tracker("my plan", intent="show_plan"))
    assert shown[0]["response"] == "utter_plan" and shown[0]["count"] == "2"
    assert [b["payload"] for b in shown[0]["buttons"]] == [
        '/remove_from_plan{"ordinal":"1"}',
        '/remove_from_plan{"ordinal":"2"}',
    ]
    plan_items = slot_events(events)["plan_items"]
    removed, _ = run(
        ActionRemoveFromPlan(),
        tracker(
            "/remove",
            intent="remove_from_plan",
            entities=[entity("ordinal", "2")],
            slots={"plan_items": plan_items},
        ),
    )
    assert removed[0]["response"] == "utter_removed"
    assert [str(i.opportunity_id) for i in db.scalars(select(PlanItem))] == [first]


def test_show_an_empty_plan(directory: str, run: Run) -> None:
    messages, _ = run(ActionShowPlan(), tracker("my plan", intent="show_plan", sender="new"))
    assert messages[0]["response"] == "utter_plan_empty"


def test_a_reminder_three_days_before_the_deadline_then_delivered(
    directory: str, db: Session, run: Run
) -> None:
    listing = db.scalars(
        select(Opportunity)
        .where(Opportunity.status == "active")
        .where(Opportunity.application_deadline > date.today() + timedelta(days=5))
    ).first()
    assert listing is not None
    t = tracker("remind me", intent="set_reminder", slots={"selected": str(listing.id)})
    messages, _ = run(ActionSetReminder(), t)
    assert messages[0]["response"] == "utter_reminder_set_deadline"
    db.expire_all()
    reminder = db.scalars(select(Reminder)).one()
    assert listing.application_deadline is not None
    assert reminder.due_at.date() == listing.application_deadline - timedelta(days=3)
    assert db.scalars(select(PlanItem)).one().opportunity_id == listing.id
    repeat, _ = run(ActionSetReminder(), t)
    assert repeat[0]["response"] == "utter_reminder_exists"
    delivered, _ = run(
        ActionDeliverReminder(),
        tracker("", intent="EXTERNAL_reminder", entities=[entity("reminder_id", str(reminder.id))]),
    )
    assert delivered[0]["response"] == "utter_reminder_deadline"
    assert delivered[0]["title"] == listing.title


def test_no_reminder_without_a_date(directory: str, db: Session, run: Run) -> None:
    listing = _listing(db)
    listing.application_deadline = listing.start_date = listing.end_date = None
    db.commit()
    t = tracker("remind me", intent="set_reminder", slots={"selected": str(listing.id)})
    messages, _ = run(ActionSetReminder(), t)
    assert messages[0]["response"] == "utter_reminder_no_date"
    assert db.scalars(select(Reminder)).all() == []


def test_someone_elses_reminder_is_never_delivered(directory: str, db: Session, run: Run) -> None:
    listing = db.scalars(
        select(Opportunity).where(Opportunity.application_deadline > date.today())
    ).first()
    assert listing is not None
    run(
        ActionSetReminder(),
        tracker(
            "remind", intent="set_reminder", sender="owner", slots={"selected": str(listing.id)}
        ),
    )
    reminder_id = str(db.scalars(select(Reminder.id)).one())
    messages, _ = run(
        ActionDeliverReminder(),
        tracker(
            "",
            intent="EXTERNAL_reminder",
            sender="intruder",
            entities=[entity("reminder_id", reminder_id)],
        ),
    )
    assert messages == []


def _with_a_deadline(db: Session) -> Opportunity:
    """An active listing whose application deadline is far enough off for a reminder."""
    listing = db.scalars(
        select(Opportunity)
        .where(Opportunity.status == "active")
        .where(Opportunity.application_deadline > date.today() + timedelta(days=5))
        .order_by(Opportunity.id)
    ).first()
    assert listing is not None and listing.application_deadline is not None
    return listing


def _on(channel: str, t: Tracker) -> Tracker:
    """The tracker as if its latest message came in on `channel` (the gateway's input channel)."""
    t.events[-1]["input_channel"] = channel
    return t


def _spanish(response: str) -> str:
    """The Spanish text of a response (locales/es/responses.yml)."""
    book = yaml.safe_load((ROOT / "locales" / "es" / "responses.yml").read_text())
    return str(book["responses"][response][0]["text"])


def test_the_reminder_is_due_at_the_configured_hour_in_the_citys_time_zone(
    directory: str, db: Session, run: Run, configure: Configure
) -> None:
    configure(WAYFINDER_TIMEZONE="America/Chicago", WAYFINDER_REMINDER_TIME="07:45")
    listing = _with_a_deadline(db)
    t = tracker("remind me", intent="set_reminder", slots={"selected": str(listing.id)})
    messages, _ = run(ActionSetReminder(), t)
    assert messages[0]["response"] == "utter_reminder_set_deadline"
    db.expire_all()
    due = db.scalars(select(Reminder.due_at)).one().replace(tzinfo=UTC)
    in_chicago = due.astimezone(ZoneInfo("America/Chicago"))
    assert listing.application_deadline is not None
    assert in_chicago.date() == listing.application_deadline - timedelta(days=3)
    assert in_chicago.time() == time(7, 45)  # 12:45 or 13:45 UTC, as daylight saving has it


def test_on_the_web_the_learner_is_told_the_reminder_waits_for_the_chat_to_be_opened(
    directory: str, db: Session, run: Run, domain: dict[str, Any]
) -> None:
    listing = _with_a_deadline(db)
    slots = {"selected": str(listing.id)}
    web, _ = run(
        ActionSetReminder(), _on("web", tracker("remind me", intent="set_reminder", slots=slots))
    )
    assert web[0]["response"] == "utter_reminder_set_deadline_web"
    english = domain["responses"]["utter_reminder_set_deadline_web"][0]["text"]
    assert "the reminder waits here" in english and "next time you open this chat" in english
    assert "el recordatorio te espera aquí" in _spanish("utter_reminder_set_deadline_web")
    on_telegram = tracker("remind me", intent="set_reminder", sender="tg-other", slots=slots)
    telegram, _ = run(ActionSetReminder(), _on("telegram", on_telegram))
    assert telegram[0]["response"] == "utter_reminder_set_deadline"  # Telegram reaches them


def test_a_web_learners_reminder_says_the_day_it_was_due_in_their_language(
    directory: str, db: Session, run: Run, configure: Configure
) -> None:
    configure(WAYFINDER_TIMEZONE="America/Chicago")
    listing = _with_a_deadline(db)
    slots = {"selected": str(listing.id)}
    run(ActionSetReminder(), _on("web", tracker("remind me", intent="set_reminder", slots=slots)))
    reminder = db.scalars(select(Reminder)).one()
    delivered, _ = run(
        ActionDeliverReminder(),
        tracker(
            "",
            intent="EXTERNAL_reminder",
            entities=[entity("reminder_id", str(reminder.id))],
            slots={"chat_language": "es"},
        ),
    )
    (message,) = delivered
    assert message["response"] == "utter_reminder_deadline_web"
    assert listing.application_deadline is not None
    was_due = listing.application_deadline - timedelta(days=3)  # 09:00 in Chicago that day
    due_on = day(was_due, voice_of("es", "en_US"))
    assert message["due_on"] == due_on and due_on.endswith(f"de {was_due.year}")
    words = {name: message[name] for name in ("due_on", "title", "date", "enrol")}
    shown = _spanish("utter_reminder_deadline_web").format(**words)
    assert shown.startswith(f"⏰ Recordatorio del {due_on}: las inscripciones para ")
