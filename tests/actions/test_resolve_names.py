"""A listing or credential named in a message: most of its words, closely spelled, anywhere in
the directory (actions.resolve.named_in, named_in_directory)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from actions.resolve import named_in, named_in_directory
from knowledge.models import Opportunity, Provider

LATHE = [(1, "Saturday Wood Lathe Workshop"), (2, "Wood Carving for Kids")]


def _listing(db: Session, title: str, *, status: str = "active") -> str:
    """A listing written for the test; its id as the actions hold it."""
    listing = Opportunity(
        title=title, description="-", provider=Provider(name=f"{title} Provider"), status=status
    )
    db.add(listing)
    db.commit()
    return str(listing.id)


def test_most_of_a_names_words_name_it() -> None:
    """Three of four title words are enough; the other listing shares only one."""
    assert named_in("tell me about the wood lathe workshop", LATHE) == 1
    assert named_in("Saturday Wood Lathe Workshop", LATHE) == 1


def test_half_of_a_names_words_do_not() -> None:
    """ "Wood lathe" is two of four words: not the listing's name."""
    assert named_in("anything with a wood lathe?", LATHE) is None


@pytest.mark.parametrize(
    "text",
    ["when does construccion pre-apprenticeship start", "Construction Pre-Apprentiseship"],
)
def test_close_spellings_name_it(text: str) -> None:
    """ "construccion" is "construction" misspelt (or in Spanish)."""
    names = [(7, "Construction Pre-Apprenticeship"), (8, "Pre-K Storytime")]
    assert named_in(text, names) == 7


def test_a_different_word_is_not_a_close_spelling() -> None:
    """ "Conservation" is not "construction": the name is not said."""
    assert named_in("conservation apprenticeship", [(7, "Construction Apprenticeship")]) is None


def test_the_acronym_in_parentheses_names_it() -> None:
    """ "The CDA" names "Child Development Associate (CDA)" though no other word is said."""
    names = [(3, "Child Development Associate (CDA)"), (4, "Child Care Assistant Permit")]
    assert named_in("is the CDA credential recognised?", names) == 3
    assert named_in("what is a cda?", names) == 3


def test_an_acronym_outside_parentheses_is_only_a_word() -> None:
    """Only the parenthesised acronym stands for the whole name."""
    assert named_in("is the CDA recognised?", [(3, "Child Development Associate CDA")]) is None


@pytest.mark.parametrize("text", ["any free stuff?", "chess", "something at the club"])
def test_one_shared_word_names_nothing(text: str) -> None:
    """ "Free", "chess", "club" alone say what is wanted, not which listing."""
    names = [(1, "Free Camp"), (2, "Kids Chess"), (3, "Chess Club")]
    assert named_in(text, names) is None


def test_the_fullest_match_wins() -> None:
    """A name said in full beats one whose words are all inside it, in either order."""
    names = [(1, "Homework Help"), (2, "Power Hour Homework Help")]
    assert named_in("how much is power hour homework help?", names) == 2
    assert named_in("how much is power hour homework help?", list(reversed(names))) == 2
    welding = [(1, "Intro to Welding"), (2, "Intro to Welding Nights")]
    assert named_in("is intro to welding free?", welding) == 1  # "nights" not said


def test_no_words_no_names() -> None:
    """An empty message or no names: nothing named."""
    assert named_in("", LATHE) is None
    assert named_in("wood lathe workshop", []) is None


def test_an_active_listing_is_named_anywhere_in_the_directory(directory: str, db: Session) -> None:
    """Not only among the results shown: the whole directory's titles."""
    wanted = _listing(db, "Quantum Origami Workshop")
    assert named_in_directory(db, "how much is the quantum origami workshop?") == wanted


def test_a_closed_listing_is_not_named(directory: str, db: Session) -> None:
    """Inactive listings are not offered, so their titles name nothing."""
    _listing(db, "Quantum Origami Workshop", status="inactive")
    assert named_in_directory(db, "how much is the quantum origami workshop?") is None


def test_a_title_not_said_names_nothing(directory: str, db: Session) -> None:
    """Words of no title, one shared word or a button's payload: None."""
    _listing(db, "Quantum Origami Workshop")
    assert named_in_directory(db, "what's the weather like tomorrow?") is None
    assert named_in_directory(db, "origami") is None
    assert named_in_directory(db, "/quantum_origami_workshop") is None
    assert named_in_directory(db, "") is None
