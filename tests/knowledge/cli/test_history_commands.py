"""`wayfinder history LISTING` and `wayfinder revert CHANGE_ID`."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from knowledge.editing.member_edits import edit_listing
from knowledge.history import history_of
from knowledge.models import ChangeRecord
from tests.knowledge.cli.conftest import TODAY, City, Cli


def edit_story_time(city: City, session: Session, **cells: str) -> list[ChangeRecord]:
    """Lee (verified provider) changes Story Time at once; the records of the fields named."""
    listing = city.listing(session, "Story Time")
    edit_listing(session, city.member(session, "Lee"), listing, cells, source="chat", today=TODAY)
    session.flush()
    return [r for r in history_of(session, listing) if r.field in cells]


@pytest.mark.parametrize("named", ["Story Time", "story time", "ev-1", "1"])
def test_history_by_id_external_id_or_title_is_a_table_oldest_first(
    city: City, cli: Cli, named: str
) -> None:
    with city.session() as session:
        records = edit_story_time(city, session, max_age="7")
        max_age = next(r for r in records if r.field == "max_age")
    code, out, err = cli("history", named)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("History of 'Story Time' (id 1, external id ev-1) by Eastside")
    headings = ["change", "when", "(UTC)", "who", "source", "field", "before", "→", "after"]
    assert lines[1].split() == headings
    assert "(created)" in lines[2] and "seed" in lines[2]
    row = next(line for line in lines if line.split()[0] == str(max_age.id))
    assert "Lee (member 1)" in row and row.split()[-5:] == ["chat", "max_age", "6", "→", "7"]
    # a provider's own edit also confirms the listing
    confirmed = next(line for line in lines if " assured_date " in line)
    assert confirmed.endswith(f"→ {TODAY.isoformat()}")
    assert lines.index(row) > 2  # after the creation
    assert lines[-1] == "Revert one with `wayfinder revert CHANGE_ID`."


def test_long_values_are_shortened(city: City, cli: Cli) -> None:
    long = "Stories, songs and rhymes for little ones. " * 6
    with city.session() as session:
        edit_story_time(city, session, description=long)
    _, out, _ = cli("history", "ev-1")
    row = next(line for line in out.splitlines() if " description " in line)
    assert "…" in row and long.strip() not in row and len(row) < 160


def test_an_ambiguous_title_lists_the_candidates(city: City, cli: Cli) -> None:
    with city.session() as session:
        city.add_listing(session, "Story Time", "Robot Club", external_id="rc-9")
    code, out, err = cli("history", "Story Time")
    assert (code, out) == (1, "")
    assert "2 listings are called 'Story Time'; name one by its id:" in err
    assert "     1  Story Time — Eastside Library (ev-1)" in err
    assert "Story Time — Robot Club (rc-9)" in err


def test_the_history_of_an_unknown_listing_is_refused(city: City, cli: Cli) -> None:
    code, out, err = cli("history", "Quilting Bee")
    assert (code, out) == (1, "")
    assert "no listing has the id, external id or title 'Quilting Bee'" in err


def test_a_revert_sets_the_field_back_and_is_itself_recorded(city: City, cli: Cli) -> None:
    with city.session() as session:
        [change] = edit_story_time(city, session, max_age="7")
    code, out, err = cli("revert", str(change.id), "--as", "Olu")
    assert (code, err) == (0, "")
    assert f"Reverted change {change.id}: the oldest age of 'Story Time' (id 1) is 6 again" in out
    assert "(it was 7)" in out
    with city.session() as session:
        listing = city.listing(session, "Story Time")
        assert listing.max_age == 6
        latest = history_of(session, listing)[-1]
        assert (latest.field, latest.new_value, latest.actor, latest.source) == (
            "max_age",
            "6",
            "Olu",
            "cli",
        )
    assert f"The revert is change {latest.id}; `wayfinder revert {latest.id}` undoes it." in out


def test_a_field_changed_again_is_reverted_only_with_force(city: City, cli: Cli) -> None:
    with city.session() as session:
        [first] = edit_story_time(city, session, max_age="7")
        edit_story_time(city, session, max_age="8")
    code, out, err = cli("revert", str(first.id))
    assert (code, out) == (1, "")
    assert "max_age has changed again since (it is now 8)" in err and "with --force" in err
    with city.session() as session:
        assert city.listing(session, "Story Time").max_age == 8
    code, out, _ = cli("revert", str(first.id), "--force")
    assert code == 0 and "is 6 again (it was 8)" in out
    with city.session() as session:
        assert city.listing(session, "Story Time").max_age == 6


def test_reverting_an_unknown_change_or_a_creation_is_refused(city: City, cli: Cli) -> None:
    code, _, err = cli("revert", "9999")
    assert code == 1 and "there is no change 9999" in err
    with city.session() as session:
        creation = history_of(session, city.listing(session, "Story Time"))[0]
    code, _, err = cli("revert", str(creation.id))
    assert code == 1 and "only changes to a listing's fields can be reverted" in err
