"""Which listing a message means: by number, by name (any case), the selected one, the only one."""

from __future__ import annotations

from sqlalchemy.orm import Session

from actions.resolve import by_name, resolve_opportunity
from knowledge.models import Opportunity, Provider
from tests.actions.conftest import entity, tracker


def _listings(db: Session, *titles: str) -> list[str]:
    """Listings written for the test, as the results slot holds their ids."""
    provider = Provider(name="Resolve Test Provider")
    made = [Opportunity(title=title, description="-", provider=provider) for title in titles]
    db.add_all(made)
    db.commit()
    return [str(o.id) for o in made]


def test_a_name_matches_whatever_its_case() -> None:
    titles = {"1": "Full Test Workshop", "2": "Follow Up Test Course", "3": "Bare Test Club"}
    assert by_name("how much is the follow up course", titles) == "2"


def test_nothing_said_means_the_selected_one_else_the_only_one(directory: str, db: Session) -> None:
    only, other = _listings(db, "Only Test Listing", "Other Test Listing")
    found = resolve_opportunity(db, tracker("and that?", slots={"results": [only]}))
    assert found is not None and str(found.id) == only
    chosen = resolve_opportunity(db, tracker("and that?", slots={"results": [only, other]}))
    assert chosen is None  # two listed, none chosen: the caller asks which one
    selected = {"results": [only, other], "selected": other}
    found = resolve_opportunity(db, tracker("and that?", slots=selected))
    assert found is not None and str(found.id) == other


def test_a_number_past_the_list_is_not_taken_for_the_selected_one(
    directory: str, db: Session
) -> None:
    first, second = _listings(db, "First Test Listing", "Second Test Listing")
    t = tracker(
        "the fifth one",
        entities=[entity("ordinal", "5")],
        slots={"results": [first, second], "selected": first},
    )
    assert resolve_opportunity(db, t) is None
    t = tracker(
        "the second one", entities=[entity("ordinal", "2")], slots={"results": [first, second]}
    )
    found = resolve_opportunity(db, t)
    assert found is not None and str(found.id) == second


def test_the_name_is_looked_for_in_the_text_given(directory: str, db: Session) -> None:
    plain, accessible = _listings(db, "Plain Test Workshop", "Accessible Art Studio")
    slots = {"results": [accessible, plain], "selected": plain}
    t = tracker("is it accessible?", slots=slots)  # by itself, "accessible" names the studio
    found = resolve_opportunity(db, t, text="is it")  # the question's words taken out
    assert found is not None and str(found.id) == plain
