"""Reverting a change from the history, and the freshness nudge's answers."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from knowledge.community import AccessError
from knowledge.editing.member_edits import edit_listing
from knowledge.editing.revert import revert_change
from knowledge.editing.stale_nudges import answer_nudge, due_nudges, record_nudge, stale_listings
from knowledge.history import Actor, history_of
from tests.knowledge.editing.conftest import TODAY, Directory

CLI = Actor("cli", "cli")


def test_a_change_is_reverted_with_its_own_history(session: Session, directory: Directory) -> None:
    listing = directory.story_time
    edit_listing(
        session,
        directory.librarian,
        listing,
        {"cost": "7.5", "days": "Sat; Sun"},
        source="chat",
        today=TODAY,
    )
    records = {record.field: record for record in history_of(session, listing)}
    revert_change(session, records["cost_amount"].id, CLI, today=TODAY)
    revert_change(session, records["days"].id, CLI, today=TODAY)
    assert listing.cost_amount is None and listing.days == []
    latest = [r for r in history_of(session, listing) if r.field == "cost_amount"]
    assert [r.new_value for r in latest][-1] is None and latest[-1].source == "cli"


def test_a_field_changed_again_is_not_reverted_unless_forced(
    session: Session, directory: Directory
) -> None:
    listing = directory.story_time
    edit_listing(
        session, directory.librarian, listing, {"max_age": "7"}, source="chat", today=TODAY
    )
    first = next(r for r in history_of(session, listing) if r.field == "max_age")
    edit_listing(
        session, directory.librarian, listing, {"max_age": "8"}, source="chat", today=TODAY
    )
    with pytest.raises(AccessError, match="changed again"):
        revert_change(session, first.id, CLI, today=TODAY)
    revert_change(session, first.id, CLI, today=TODAY, force=True)
    assert listing.max_age == 6
    create = next(r for r in history_of(session, listing) if r.action == "create")
    with pytest.raises(AccessError, match="only changes"):
        revert_change(session, create.id, CLI, today=TODAY)


def test_stale_listings_are_nudged_once_and_one_tap_confirms(
    session: Session, directory: Directory
) -> None:
    listing = directory.story_time
    listing.assured_date = date(2026, 9, 1)
    directory.robots.assured_date = date(2026, 11, 20)
    session.flush()
    assert stale_listings(session, today=TODAY, days=60) == [listing]
    [due] = due_nudges(session, today=TODAY, days=60)
    assert (due.member, due.opportunity) == (directory.librarian, listing)
    nudge = record_nudge(session, due.member, due.opportunity)
    assert due_nudges(session, today=TODAY, days=60) == []  # asked already
    with pytest.raises(AccessError):
        answer_nudge(session, nudge.id, directory.volunteer, "running", today=TODAY)
    answer_nudge(session, nudge.id, directory.librarian, "running", today=TODAY)
    assert listing.assured_date == TODAY and stale_listings(session, today=TODAY, days=60) == []
    with pytest.raises(AccessError, match="already answered"):
        answer_nudge(session, nudge.id, directory.librarian, "ended", today=TODAY)
