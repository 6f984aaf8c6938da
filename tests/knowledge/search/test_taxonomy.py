"""Topics and neighbourhoods from the database: synonyms, aliases, typos, changes seen at once."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.models import NeighbourhoodAlias, TaxonomyVersion, TopicSynonym
from knowledge.search.search_plan import UnknownPlace, UnknownTopic
from knowledge.taxonomy import Taxonomy, load_taxonomy
from knowledge.text import words
from tests.knowledge.search.conftest import CENTRE, Directory


def test_a_synonym_added_after_a_search_is_used_by_the_next_one(directory: Directory) -> None:
    topic = directory.topic("robotics")
    directory.listing("Bot Club", topics=("robotics",))
    assert directory.titles("droids") == []
    directory.session.add(TopicSynonym(topic=topic, term="droids"))
    directory.session.flush()
    assert directory.titles("droids") == ["Bot Club"]


def test_a_renamed_neighbourhood_is_found_by_its_new_name(directory: Directory) -> None:
    place = directory.place("Riverside", *CENTRE)
    directory.listing("River Club", neighbourhood=place)
    assert directory.titles("coding in riverside") == ["River Club"]
    place.name = "Riverbend"  # same length, same id: only the text itself changed
    directory.session.flush()
    result = directory.search("coding in riverbend")
    assert result.understood["neighbourhood"] == "Riverbend"
    assert [hit.title for hit in result.results] == ["River Club"]


def test_the_taxonomy_is_reused_while_nothing_changes(session: Session) -> None:
    Directory(session).topic("coding", "programming")
    assert load_taxonomy(session) is load_taxonomy(session)


def _token(session: Session) -> int:
    """The taxonomy's version token, as a search reads it."""
    session.flush()
    found = session.scalar(select(TaxonomyVersion.token))
    assert found is not None
    return found


def test_every_write_to_the_taxonomy_changes_its_token(directory: Directory) -> None:
    """The database's triggers, on both engines: each table, each kind of write."""
    db = directory.session
    seen = [_token(db)]
    topic = directory.topic("robotics")
    seen.append(_token(db))
    synonym = TopicSynonym(topic=topic, term="droids")
    db.add(synonym)
    seen.append(_token(db))
    synonym.term = "bots"
    seen.append(_token(db))
    db.delete(synonym)
    seen.append(_token(db))
    place = directory.place("Riverside", *CENTRE)
    seen.append(_token(db))
    db.add(NeighbourhoodAlias(neighbourhood=place, alias="the river"))
    seen.append(_token(db))
    place.name = "Riverbend"
    seen.append(_token(db))
    db.delete(place)  # and its alias with it
    seen.append(_token(db))
    topic.name = "robots"
    seen.append(_token(db))
    assert len(set(seen)) == len(seen)


def test_a_taxonomy_change_rolled_back_leaves_the_token_and_the_cache_as_they_were(
    directory: Directory,
) -> None:
    db = directory.session
    directory.topic("robotics")
    before, cached = _token(db), load_taxonomy(db)
    savepoint = db.begin_nested()
    directory.topic("pottery")
    assert _token(db) != before and "pottery" in load_taxonomy(db).topics.values()
    savepoint.rollback()
    assert _token(db) == before
    assert "pottery" not in load_taxonomy(db).topics.values()
    assert load_taxonomy(db) is not cached  # rebuilt: the rolled-back token was not its own


def test_an_alias_finds_its_neighbourhood(directory: Directory) -> None:
    old_town = directory.place("Old Town", *CENTRE, "downtown")
    directory.listing("Central Club", neighbourhood=old_town)
    result = directory.search("coding downtown")
    assert result.understood["neighbourhood"] == "Old Town"
    assert [hit.title for hit in result.results] == ["Central Club"]


def test_an_unknown_neighbourhood_is_refused_with_the_closest_names(directory: Directory) -> None:
    directory.place("Riverside", *CENTRE)
    directory.place("Pine Ridge", CENTRE[0] + 0.05, CENTRE[1])
    with pytest.raises(UnknownPlace) as refused:
        directory.search("coding", neighbourhood="Rivrsde Park")
    assert refused.value.suggestions[0] == "Riverside"
    assert "did you mean Riverside" in str(refused.value)


def test_a_misspelt_neighbourhood_argument_is_corrected(directory: Directory) -> None:
    riverside = directory.place("Riverside", *CENTRE)
    directory.listing("River Club", neighbourhood=riverside)
    result = directory.search("coding", neighbourhood="Riversid")
    assert result.understood["corrections"] == {"Riversid": "Riverside"}
    assert [hit.title for hit in result.results] == ["River Club"]


def test_an_unknown_topic_argument_is_refused(directory: Directory) -> None:
    directory.topic("coding")
    with pytest.raises(UnknownTopic):
        directory.search("", topics=("underwater basket weaving",))


def test_a_topic_argument_by_synonym(directory: Directory) -> None:
    directory.topic("coding", "programming")
    directory.listing("Code Club")
    assert directory.titles(topics=("Programming",)) == ["Code Club"]


TAXONOMY = Taxonomy(
    topics=[(1, "coding"), (2, "it support")],
    synonyms=[(1, "code"), (2, "i.t."), (2, "help desk")],
    neighbourhoods=[(1, "Eastside", 41.5, -81.6), (2, "Westfield", 41.5, -81.8)],
    aliases=[(1, "east side"), (2, "west side")],
)


def names(text: str) -> list[str]:
    """What the taxonomy finds in a text."""
    return [match.name for match in TAXONOMY.find(words(text))]


def test_a_stop_word_synonym_never_matches_on_its_own() -> None:
    # "i.t." is the pronoun "it" once punctuation goes; it must not turn every "it" into a topic.
    assert names("is it free") == []
    assert names("it support") == ["it support"]


def test_a_place_written_as_one_word_matches_its_two_word_alias() -> None:
    assert names("westside") == ["Westfield"]


def test_a_typo_must_keep_the_first_letter() -> None:
    # "westside" is one letter from "eastside"; changing the first letter is not a typo we fix.
    assert names("wastside") == ["Westfield"]
    assert names("fastside") == []


def test_longer_phrases_win_over_their_parts() -> None:
    assert [(m.name, m.typed) for m in TAXONOMY.find(words("help desk code"))] == [
        ("it support", "help desk"),
        ("coding", "code"),
    ]
