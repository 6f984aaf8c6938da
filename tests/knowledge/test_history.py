"""The change history: creates and field changes are recorded; equal values record nothing."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.history import Actor, apply_changes, as_text, history_of
from knowledge.models import ChangeRecord, Provider

ACTOR = Actor(name="volunteer-7", source="cli")


def test_creating_a_record_writes_one_create_entry(session: Session) -> None:
    provider = Provider()
    apply_changes(session, provider, {"name": "Chess Club", "kind": "community_group"}, ACTOR)
    (record,) = history_of(session, provider)
    assert (record.action, record.field, record.actor, record.source) == (
        "create",
        "*",
        "volunteer-7",
        "cli",
    )
    assert '"name": "Chess Club"' in (record.new_value or "")


def test_changing_fields_records_each_old_and_new_value(session: Session) -> None:
    provider = Provider()
    apply_changes(session, provider, {"name": "Chess Club", "verified": False}, ACTOR)
    apply_changes(
        session, provider, {"name": "Chess Club", "verified": True, "phone": "555"}, ACTOR
    )
    session.flush()
    updates = [(r.field, r.old_value, r.new_value) for r in history_of(session, provider)[1:]]
    assert updates == [("verified", "false", "true"), ("phone", None, "555")]
    assert provider.verified is True


def test_setting_equal_values_records_nothing(session: Session) -> None:
    provider = Provider()
    apply_changes(session, provider, {"name": "Chess Club"}, ACTOR)
    assert apply_changes(session, provider, {"name": "Chess Club"}, ACTOR) == []
    assert len(list(session.scalars(select(ChangeRecord)))) == 1


def test_values_have_one_text_form_whatever_their_type() -> None:
    assert as_text(Decimal("25.00")) == "25"
    assert as_text(Decimal("25.50")) == "25.50"
    assert as_text(time(9, 5)) == "09:05"
    assert as_text(date(2027, 1, 9)) == "2027-01-09"
    assert as_text(["b", "a"]) == "a;b"
    assert as_text(None) is None
