"""The plan round trip and reminders, stored in the directory database."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.learner_plan import ActionRemoveFromPlan, ActionSaveOpportunity, ActionShowPlan
from actions.reminders import ActionDeliverReminder, ActionSetReminder
from knowledge.models import Opportunity, PlanItem, Reminder
from tests.actions.conftest import Run, entity, slot_events, tracker


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
