"""Recording searches and uses: only what was understood, in closed vocabularies; no learner
identifier; and a failure to record never breaks the reply."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import event, inspect, select, text
from sqlalchemy.orm import Session

from actions.details import ActionOpportunityDetails
from actions.learner_plan import ActionSaveOpportunity
from actions.search import ActionSearchOpportunities
from actions.session_start import ActionSessionStart
from knowledge.city import City
from knowledge.models import SearchRecord, UsageEvent
from knowledge.reports.recording import age_band, channel_kind, cost_bracket, record_usage
from tests.actions.conftest import Configure, Run, entity, slot_events, tracker

# Every column a search record has: nothing that names or points at a learner.
RECORD_COLUMNS = {
    "id", "day", "channel", "chat_language", "topic", "age_band", "neighbourhood", "cost",
    "days", "times", "format", "language", "career_goal", "results",
}  # fmt: skip


def test_ages_are_kept_as_bands_and_prices_as_brackets() -> None:
    assert [age_band(age) for age in (None, 0, 7, 12, 13, 17, 40, 90)] == [
        None, "0–5", "6–8", "9–12", "13–15", "16–18", "25–54", "55+",
    ]  # fmt: skip
    assert cost_bracket(True, None) == "free"
    assert cost_bracket(False, Decimal("30")) == "under 50"
    assert cost_bracket(False, 0) == "free"
    assert cost_bracket(False, 5000) is None
    assert cost_bracket(False, None) is None


def test_only_channel_names_are_kept_never_other_text() -> None:
    assert channel_kind("telegram") == "telegram"
    assert channel_kind("Web") == "web"
    assert channel_kind("+1 555 0100") == "other"
    assert channel_kind(None) == "other"


def test_a_search_is_recorded_without_any_learner_identifier(
    directory: str, db: Session, run: Run
) -> None:
    t = tracker(
        "free robotics for my 7 year old daughter in Northgate, I'm Maria at 12 Elm St",
        entities=[entity("topic", "robotics"), entity("age", "7")],
        slots={"topic": ["robotics"], "age": 7.0, "cost": "free", "location": "Northgate",
               "relation": "daughter"},
        sender="tg-0123456789abcdef",
    )  # fmt: skip
    run(ActionSearchOpportunities(), t)
    assert {column.name for column in inspect(SearchRecord).columns} == RECORD_COLUMNS
    record = db.scalars(select(SearchRecord)).one()
    assert (record.topic, record.age_band, record.neighbourhood, record.cost) == (
        "robotics", "6–8", "Northgate", "free",
    )  # fmt: skip
    assert record.channel == "telegram"  # from the sender id's prefix, not the id itself
    stored = " ".join(str(getattr(record, name)) for name in RECORD_COLUMNS)
    for secret in ("0123456789abcdef", "Maria", "Elm", "daughter", " 7 "):
        assert secret not in f" {stored} "


def test_a_place_as_typed_or_a_pin_is_never_kept(directory: str, db: Session, run: Run) -> None:
    typed = tracker(
        "chess near 12 Elm Street", slots={"topic": ["chess"], "location": "12 Elm Street"}
    )
    run(ActionSearchOpportunities(), typed)
    pin = tracker("chess near me", slots={"topic": ["chess"], "latitude": 89.0, "longitude": 0.0})
    run(ActionSearchOpportunities(), pin)
    places = db.scalars(select(SearchRecord.neighbourhood)).all()
    assert places == [None, None]


def test_a_child_speaking_for_themselves_is_counted_by_band_only(
    directory: str, db: Session, run: Run
) -> None:
    t = tracker("art for me, I'm 9", slots={"topic": ["art"], "age": 9.0, "relation": "self"})
    messages, _ = run(ActionSearchOpportunities(), t)
    assert messages[0]["response"] == "utter_results"
    record = db.scalars(select(SearchRecord)).one()
    assert (record.topic, record.age_band) == ("art", "9–12")


def test_nothing_found_is_recorded_as_zero_results(directory: str, db: Session, run: Run) -> None:
    t = tracker("chess for a 2 year old", slots={"topic": ["chess"], "age": 2.0})
    run(ActionSearchOpportunities(), t)
    assert db.scalars(select(SearchRecord.results)).one() == 0


def test_a_failure_to_record_does_not_break_the_search(
    directory: str, db: Session, run: Run, caplog: pytest.LogCaptureFixture
) -> None:
    with db.begin():
        db.execute(text("DROP TABLE search_record"))
    t = tracker("any robotics for kids", slots={"age": 10.0})
    messages, events = run(ActionSearchOpportunities(), t)
    assert messages[0]["response"] == "utter_results"
    assert slot_events(events)["results"]
    assert "could not record a search" in caplog.text


def test_views_saves_and_conversations_are_counted_by_kind_and_channel(
    directory: str, db: Session, run: Run
) -> None:
    run(ActionSessionStart(), tracker("hi", sender="web-abc"))
    found = tracker("chess club", slots={"topic": ["chess"]})
    _, events = run(ActionSearchOpportunities(), found)
    chosen = tracker("save the first", intent="save_opportunity",
                     slots={"results": slot_events(events)["results"], "selected": None},
                     entities=[entity("ordinal", "1")])  # fmt: skip
    run(ActionOpportunityDetails(), chosen)
    run(ActionSaveOpportunity(), chosen)
    run(ActionSaveOpportunity(), chosen)  # already saved: not a new save
    kinds = db.execute(select(UsageEvent.kind, UsageEvent.channel).order_by(UsageEvent.id)).all()
    assert [tuple(row) for row in kinds] == [
        ("conversation", "web"), ("details", "other"), ("plan_saved", "other"),
    ]  # fmt: skip


def test_recording_an_unknown_kind_or_without_a_session_only_logs(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    record_usage(session, "telepathy", "web", day=date(2026, 3, 2))
    record_usage(None, "details", "web", day=date(2026, 3, 2))
    assert session.scalars(select(UsageEvent)).all() == []
    assert caplog.text.count("for the usage report") == 2


def test_searches_and_uses_are_counted_on_the_citys_date_not_utcs(
    directory: str, db: Session, run: Run, configure: Configure
) -> None:
    # A zone whose date is not UTC's right now: a day ahead late in UTC's day, else a day behind.
    zone = "Pacific/Kiritimati" if datetime.now(UTC).hour >= 12 else "Etc/GMT+12"
    configure(WAYFINDER_DATABASE_URL=directory, FRESHNESS_DAYS="100000", WAYFINDER_TIMEZONE=zone)
    run(ActionSessionStart(), tracker("hi"))
    run(ActionSearchOpportunities(), tracker("chess club", slots={"topic": ["chess"]}))
    city_today = City(None, zone, "", "").today()
    assert city_today != datetime.now(UTC).date()
    assert db.scalars(select(SearchRecord.day)).all() == [city_today]
    assert db.scalars(select(UsageEvent.day)).all() == [city_today]


def test_a_use_is_written_when_the_transaction_commits_and_not_when_it_rolls_back(
    session: Session,
) -> None:
    """Nothing is sent inside the caller's transaction (no savepoint, no INSERT); the row
    follows the commit, and a rollback takes it away with the rest."""
    day = date(2026, 3, 2)
    sent: list[str] = []
    connection = session.connection()
    event.listen(connection, "before_cursor_execute", lambda *args: sent.append(args[2]))
    record_usage(session, "details", "web", day=day)
    assert sent == []
    session.rollback()
    session.commit()
    assert session.scalars(select(UsageEvent)).all() == []
    record_usage(session, "plan_saved", "telegram", day=day)
    session.commit()
    kept = session.execute(select(UsageEvent.kind, UsageEvent.channel, UsageEvent.day)).all()
    assert [tuple(row) for row in kept] == [("plan_saved", "telegram", day)]


def test_a_row_that_fails_is_logged_and_the_others_are_written(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    day = date(2026, 3, 2)
    record_usage(session, "details", "web", day=day)
    record_usage(session, "handoff", "web", day=None)  # type: ignore[arg-type]  # day is required
    record_usage(session, "plan_saved", "web", day=day)
    session.commit()
    kinds = session.scalars(select(UsageEvent.kind).order_by(UsageEvent.id)).all()
    assert kinds == ["details", "plan_saved"]
    assert caplog.text.count("could not record a handoff for the usage report") == 1
