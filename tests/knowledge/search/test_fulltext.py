"""Words through the full-text index: they rank listings and never filter them, find words in
descriptions and credential names, forgive typos, and the index follows every write."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from knowledge.bulk.opportunities import create_opportunities
from knowledge.history import Actor
from knowledge.models import Credential, Opportunity
from knowledge.search import fulltext
from knowledge.search.fulltext import Phrase, indexed_words, near_misses, typo_variants
from knowledge.search.retrieval import CANDIDATE_LIMIT, Scope, fetch_candidates
from knowledge.search.search_plan import Plan
from knowledge.taxonomy import is_near_miss
from knowledge.writes import get_or_create_credential, upsert_opportunity
from tests.knowledge.search.conftest import CENTRE, TODAY, Directory, km_north
from tests.knowledge.transfer.factories import import_rows, row

ACTOR = Actor(name="test", source="cli")


def credential(directory: Directory, name: str) -> Credential:
    """A certification a listing can award."""
    return get_or_create_credential(directory.session, name, "certification", ACTOR)


def said_by(session: Session, phrase: str) -> set[int]:
    """Ids of the listings the engine's full-text index says have the phrase (read directly)."""
    if session.get_bind().dialect.name == "sqlite":
        query = text("SELECT rowid FROM search_fts WHERE search_fts MATCH :phrase")
        return set(session.scalars(query, {"phrase": fulltext.fts5_phrase(phrase)}))
    query = text(
        "SELECT id FROM opportunity WHERE to_tsvector('simple'::regconfig, search_text) "
        "@@ phraseto_tsquery('simple'::regconfig, :phrase)"
    )
    return set(session.scalars(query, {"phrase": phrase}))


# -- words rank, they do not filter ---------------------------------------------------------------


def test_a_word_that_is_no_filter_or_topic_ranks_but_does_not_filter(directory: Directory) -> None:
    directory.listing("Money Basics", topics=("finance",), description="Budgeting, at home.")
    directory.listing("Intro to Budgets", topics=("finance",), description="A short course.")
    directory.listing("Hybrid Lab", topics=("science",), format="hybrid", at=CENTRE)
    directory.listing("Park Walk", topics=("nature",), at=CENTRE)  # in person: filtered out
    result = directory.search("virtual courses")
    assert result.understood["format"] == "online"
    assert [hit.title for hit in result.results] == [
        "Intro to Budgets",
        "Money Basics",  # fully online before hybrid
        "Hybrid Lab",
    ]
    assert result.results[0].reason == (
        'finance · description mentions "courses" · all ages · cost not listed · online'
    )
    assert result.explanation is not None
    assert result.explanation.message.startswith("Only 1 course program matches")
    assert result.explanation.message.endswith(
        "The other results fit your filters but do not mention “course”."
    )


def test_listings_that_say_the_word_outrank_nearer_better_fitting_ones(
    directory: Directory,
) -> None:
    riverside = directory.place("Riverside", *CENTRE)
    far = (CENTRE[0] + km_north(4.5), CENTRE[1])
    directory.listing("Far Yard", topics=("history",), description="A trebuchet.", at=far)
    directory.listing(
        "Next Door Club",
        topics=("games",),
        neighbourhood=riverside,
        min_age=9,
        max_age=9,
        cost_amount=Decimal("0"),
    )
    assert directory.titles("trebuchet for my 9 year old near Riverside") == [
        "Far Yard",
        "Next Door Club",
    ]


def test_words_look_farther_while_listings_that_fit_fill_the_page_nearest_first(
    directory: Directory,
) -> None:
    directory.place("Riverside", *CENTRE)
    far = (CENTRE[0] + km_north(8), CENTRE[1])
    directory.listing("Siege Yard", topics=("history",), description="A trebuchet.", at=far)
    for km in (2.5, 0.5, 1.5):
        directory.listing(
            f"Nearby {km}", topics=("games",), at=(CENTRE[0] + km_north(km), CENTRE[1])
        )
    result = directory.search("trebuchet near Riverside")
    assert [hit.title for hit in result.results] == [
        "Siege Yard",
        "Nearby 0.5",
        "Nearby 1.5",
        "Nearby 2.5",
    ]
    assert (result.understood["radius_km"], result.understood["widened_from_km"]) == (20.0, 5.0)


def test_a_word_nobody_uses_leaves_the_filters_results(directory: Directory) -> None:
    directory.listing("Online Chess", topics=("chess",))
    result = directory.search("zorbing online")
    assert [hit.title for hit in result.results] == ["Online Chess"]
    assert result.results[0].reason == "chess · all ages · cost not listed · online"
    assert result.explanation is not None
    assert result.explanation.message == (
        "Nothing in the directory mentions “zorbing”; these fit your other filters."
    )


def test_nothing_matches_only_when_neither_words_topics_nor_filters_find_anything(
    directory: Directory,
) -> None:
    directory.listing("Online Chess", topics=("chess",))
    result = directory.search("zorbing")
    assert result.results == []
    assert result.explanation is not None
    assert result.explanation.message.startswith("Nothing in the directory matches “zorbing”.")


# -- where words are found ------------------------------------------------------------------------


def test_a_word_only_in_the_description_finds_the_listing_and_the_reason_says_so(
    directory: Directory,
) -> None:
    directory.listing(
        "Medieval Engineers",
        topics=("history",),
        description="Build a trebuchet and a catapult.",
        at=CENTRE,
    )
    directory.listing("Chess Club", topics=("chess",), at=CENTRE)
    (hit,) = directory.search("Trebuchet").results
    assert hit.title == "Medieval Engineers"
    assert hit.reason == 'history · description mentions "trebuchet" · all ages · cost not listed'


def test_a_word_in_the_title_says_title(directory: Directory) -> None:
    directory.listing("Falconry Mews", topics=("nature",), description="Weekly practice.")
    (hit,) = directory.search("falconry").results
    assert 'title mentions "falconry"' in hit.reason


def test_a_credential_name_finds_the_listing_that_awards_it(directory: Directory) -> None:
    abacus = credential(directory, "Abacus Instructor Certification")
    directory.listing(
        "Counting Frames",
        topics=("math",),
        description="Beads, rods and mental arithmetic.",
        awards=[abacus],
    )
    directory.listing("Number Fun", topics=("math",), description="Puzzles.")
    result = directory.search("abacus")
    assert [hit.title for hit in result.results] == ["Counting Frames"]
    assert result.results[0].reason.startswith('math · awards "Abacus Instructor Certification"')


def test_changing_what_a_listing_awards_changes_what_finds_it(directory: Directory) -> None:
    listing = directory.listing("Counting Frames", topics=("math",))
    assert directory.titles("abacus") == []
    abacus = credential(directory, "Abacus Instructor Certification")
    upsert_opportunity(directory.session, {"awards": [abacus]}, ACTOR, existing=listing)
    assert directory.titles("abacus") == ["Counting Frames"]
    upsert_opportunity(directory.session, {"awards": []}, ACTOR, existing=listing)
    assert directory.titles("abacus") == []


# -- typos ----------------------------------------------------------------------------------------


def test_a_typo_of_a_description_word_finds_the_listing(directory: Directory) -> None:
    directory.listing(
        "Medieval Engineers", topics=("history",), description="Build a trebuchet and a catapult."
    )
    result = directory.search("trebucet")
    assert [hit.title for hit in result.results] == ["Medieval Engineers"]
    assert result.understood["corrections"] == {"trebucet": "trebuchet"}
    assert result.understood["terms"] == ["trebuchet"]
    assert 'description mentions "trebuchet"' in result.results[0].reason


def test_typo_variants_keep_the_first_letter_and_the_budget() -> None:
    variants = typo_variants("sparing")
    assert {"sparring", "spring", "sparking", "spraing"} <= variants
    assert all(variant[0] == "s" and is_near_miss("sparing", {variant}) for variant in variants)
    assert "sparing" not in variants
    assert typo_variants("cat") == set()  # short words have no typo budget
    assert "certification" in typo_variants("certifcation")
    assert "certification" in typo_variants("cretifiaction")  # two swaps in a long word


def test_near_misses_come_from_the_words_listings_use(directory: Directory) -> None:
    directory.listing("Spring Garden", topics=("plants",), description="Plant in spring.")
    directory.listing("Knot Club", topics=("crafts",), description="Strong string.")
    session = directory.session
    assert indexed_words(session, ["spring", "string", "garden", "strng"]) == {
        "spring",
        "string",
        "garden",
    }
    assert near_misses(session, ["strng", "garden", "gardn"]) == {
        "strng": ("string", "strong"),
        "gardn": ("garden",),
    }


# -- bounded, engine-ranked retrieval -------------------------------------------------------------


def test_more_and_rarer_words_rank_first_and_the_set_is_bounded(directory: Directory) -> None:
    for number in range(6):
        directory.listing(f"Club {number}", topics=("games",), description="Board games night.")
    directory.listing("Marble Games", topics=("games",), description="Board games and marbles.")
    plan = Plan(text="marble board", terms=("marble", "board"))
    found = fetch_candidates(
        directory.session, Scope(plan, TODAY, indexed=False, dialect=dialect(directory))
    )
    assert found[0].title == "Marble Games" and len(found) == 7
    bounded = Phrase(("board",), limit=3)
    ids = _ranked_ids(directory, [bounded, Phrase(("marble",), limit=3)])
    assert len(ids) <= 6 and ids[0] == found[0].id


def test_related_phrases_find_listings_but_rank_below_the_learners_words(
    directory: Directory,
) -> None:
    directory.listing("Judo Juniors", topics=("sports",), description="Throws and falls.")
    directory.listing("Karate Kids", topics=("sports",), description="Kata and kicks.")
    plan = Plan(text="karate", terms=("karate",), concept_phrases=("judo", "martial art"))
    scope = Scope(plan, TODAY, indexed=False, dialect=dialect(directory))
    found = fetch_candidates(directory.session, scope)
    assert [candidate.title for candidate in found] == ["Karate Kids", "Judo Juniors"]


def test_a_topic_with_too_few_listings_is_topped_up_by_listings_that_mention_it(
    directory: Directory,
) -> None:
    directory.listing("Robot League", topics=("robotics",))
    directory.listing("Bridge Builders", topics=("engineering",), description="Robotics kits.")
    result = directory.search("robotics")
    assert [hit.title for hit in result.results] == ["Robot League", "Bridge Builders"]
    assert result.results[1].reason.startswith('engineering · description mentions "robotics"')


def dialect(directory: Directory) -> str:
    """The engine the test runs on."""
    return directory.session.get_bind().dialect.name


def _ranked_ids(directory: Directory, phrases: list[Phrase]) -> list[int]:
    """fulltext.ranked's ids for these phrases, with no filter."""
    visible = Opportunity.status == "active"
    statement = fulltext.ranked(dialect(directory), phrases, [visible], CANDIDATE_LIMIT)
    return list(directory.session.scalars(statement))


# -- the index follows every write ----------------------------------------------------------------


def test_the_index_follows_orm_inserts_updates_and_deletes(directory: Directory) -> None:
    session = directory.session
    listing = directory.listing("Zephyr Night", topics=("art",), description="Trebuchet talk.")
    assert said_by(session, "zephyr") == said_by(session, "trebuchet") == {listing.id}
    assert directory.titles("zephyr") == ["Zephyr Night"]
    changes = {"title": "Raku Firing", "description": "Morse code and falconry."}
    upsert_opportunity(session, changes, ACTOR, existing=listing)
    session.flush()
    assert said_by(session, "zephyr") == said_by(session, "trebuchet") == set()
    assert said_by(session, "raku") == said_by(session, "morse code") == {listing.id}
    assert directory.titles("falconry") == ["Raku Firing"]
    assert directory.titles("zephyr") == []
    session.delete(listing)
    session.flush()
    assert said_by(session, "raku") == set()
    assert directory.titles("falconry") == []


def test_the_index_follows_bulk_creation_and_core_deletes(directory: Directory) -> None:
    session = directory.session
    chess = directory.topic("chess")
    provider = directory.listing("Seed", topics=("chess",)).provider
    (new_id,) = create_opportunities(
        session,
        [{"title": "Blitz Night", "description": "Fast games with a clock.", "provider": provider,
          "topics": [chess], "format": "online", "status": "active"}],
        ACTOR,
    )  # fmt: skip
    assert said_by(session, "clock") == {new_id}
    session.execute(delete(Opportunity).where(Opportunity.id == new_id))
    assert said_by(session, "clock") == set()


def test_the_index_follows_a_spreadsheet_import(session: Session) -> None:
    report = import_rows(
        session,
        [
            row(
                external_id="wh-001",
                title="Counting Frames",
                description="Beads, rods and a trebuchet for fun.",
                topics="math",
                credential="Abacus Instructor Certification",
                credential_type="certification",
            )
        ],
    )
    assert not report.problems, report.problems
    (listing_id,) = session.scalars(
        select(Opportunity.id).where(Opportunity.external_id == "wh-001")
    )
    assert said_by(session, "trebuchet") == {listing_id}
    assert said_by(session, "abacus instructor certification") == {listing_id}
    result = Directory(session).search("abacus instructor")
    assert [hit.title for hit in result.results] == ["Counting Frames"]
    import_rows(
        session,
        [row(external_id="wh-001", title="Counting Frames", description="Beads.", topics="math")],
    )
    session.flush()
    assert said_by(session, "trebuchet") == set()
    assert said_by(session, "abacus") == set()


def test_phrases_are_matched_as_adjacent_words(directory: Directory) -> None:
    design = directory.listing("Design Lab", topics=("art",), description="Game levels, design.")
    games = directory.listing("Game Design", topics=("art",), description="Make a game.")
    assert said_by(directory.session, "game design") == {games.id}
    assert _ranked_ids(directory, [Phrase(("game design",))]) == [games.id]
    assert set(_ranked_ids(directory, [Phrase(("game",))])) == {design.id, games.id}
