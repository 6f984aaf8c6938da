"""A city's own topics join the starter vocabulary, so a learner's words find them."""

from __future__ import annotations

import yaml

from knowledge.search.interpret import interpret
from knowledge.search.query import SearchQuery
from knowledge.search.search_plan import make_plan
from knowledge.taxonomy import StarterIndex, Taxonomy
from knowledge.vocabulary import StarterVocabulary
from knowledge.vocabulary.starter import parse_careers, parse_concepts

STARTER = StarterIndex(
    StarterVocabulary(
        parse_concepts(
            yaml.safe_load(
                """
                - key: sports
                  en: sports
                  es: deportes
                  synonyms: {en: [athletics]}
                - key: martial-arts
                  en: martial arts
                  es: artes marciales
                  synonyms: {en: [karate, judo, self-defense], es: [defensa personal]}
                  broader: [sports]
                - key: soccer
                  en: soccer
                  es: fútbol
                  synonyms: {en: [football]}
                  broader: [sports]
                - key: plumbing
                  en: plumbing
                  es: plomería
                  synonyms: {en: [plumber, pipefitting]}
                  broader: [skilled-trades]
                - key: skilled-trades
                  en: skilled trades
                  es: oficios
                  synonyms: {en: [trades]}
                - key: beekeeping
                  en: beekeeping
                  es: apicultura
                  synonyms: {en: [bees, apiculture]}
                - key: reserve-officer-training
                  en: rotc
                  es: rotc
                  synonyms: {en: [jrotc, junior rotc]}
                """
            )
        ),
        parse_careers(
            yaml.safe_load(
                """
                - key: pipefitter-career
                  en: steamfitter
                  es: instalador de tuberías
                  topics: [plumbing]
                  credentials: [license]
                """
            )
        ),
    )
)


def city(*topics: str, synonyms: tuple[tuple[int, str], ...] = ()) -> Taxonomy:
    """A city whose topics are numbered from 1 in the order given."""
    return Taxonomy(list(enumerate(topics, 1)), list(synonyms), [], [], STARTER)


def test_city_topics_attach_by_name_lemma_spelling_parts_and_words_inside() -> None:
    taxonomy = city(
        "Martial Arts",  # name
        "Bee Keeping",  # written apart
        "Trades - Plumbing",  # joined name: both parts
        "Youth Soccer League",  # a starter word inside
        "Plumbng",  # a typo
        "Knitting Circle",  # nothing to join
    )
    assert taxonomy.attached == {
        1: ("martial-arts",),
        2: ("beekeeping",),
        3: ("skilled-trades", "plumbing"),
        4: ("soccer",),
        5: ("plumbing",),
        6: (),
    }
    assert taxonomy.unattached() == ["Knitting Circle"]


def test_a_city_synonym_attaches_a_topic_the_name_alone_would_not() -> None:
    taxonomy = city("Dojo Programs", synonyms=((1, "karate"),))
    assert taxonomy.attached[1] == ("martial-arts",)


def test_a_learners_synonym_finds_the_city_topic_in_any_language() -> None:
    taxonomy = city("Martial Arts & Self-Defence", "Pipes and Drains")
    for text in ("karate for my son", "clases de defensa personal", "judo lessons"):
        plan = make_plan(SearchQuery(text=text), taxonomy)
        assert plan.topic_names == ("Martial Arts & Self-Defence",), text
    assert "judo" in make_plan(SearchQuery(text="karate"), taxonomy).concept_phrases


def test_a_broader_word_finds_the_narrower_city_topics() -> None:
    taxonomy = city("Karate Club", "Youth Soccer League", "Chess")
    plan = make_plan(SearchQuery(text="sports for my 10 year old"), taxonomy)
    assert set(plan.topic_names) == {"Karate Club", "Youth Soccer League"}
    assert plan.age == 10


def test_a_person_noun_and_a_career_title_lead_to_the_subject() -> None:
    taxonomy = city("Plumbing Basics")
    assert make_plan(SearchQuery(text="plumber"), taxonomy).topic_names == ("Plumbing Basics",)
    assert make_plan(SearchQuery(text="steamfitter"), taxonomy).topic_names == ("Plumbing Basics",)


def test_an_abbreviation_matches_like_a_word() -> None:
    taxonomy = city("Junior ROTC")
    assert make_plan(SearchQuery(text="JROTC at school"), taxonomy).topic_names == ("Junior ROTC",)


def test_a_starter_topic_with_no_city_topic_ranks_by_its_words_but_does_not_filter() -> None:
    taxonomy = city("Chess")
    plan = make_plan(SearchQuery(text="karate"), taxonomy)
    assert plan.topic_ids == ()
    assert "karate" in plan.terms
    assert {"martial art", "judo"} <= set(plan.concept_phrases)


def test_an_explicit_topic_from_the_chat_resolves_through_the_starter_words() -> None:
    taxonomy = city("Martial Arts")
    plan = make_plan(SearchQuery(topics=("karate",)), taxonomy)
    assert plan.topic_names == ("Martial Arts",)
    unknown_to_city = make_plan(SearchQuery(topics=("beekeeping",)), city("Chess"))
    assert unknown_to_city.topic_ids == ()
    assert "beekeeping" in unknown_to_city.terms


def test_the_citys_own_word_wins_over_the_starter_vocabulary() -> None:
    taxonomy = city("Football (American)", "Soccer", synonyms=((1, "football"),))
    plan = make_plan(SearchQuery(text="football"), taxonomy)
    assert plan.topic_names == ("Football (American)",)


def test_words_of_a_listing_kind_never_become_a_starter_topic() -> None:
    taxonomy = city("Martial Arts")
    found = interpret("classes for kids", taxonomy)
    assert found.concepts == []
    assert found.topics == []


def test_starter_words_of_a_city_topic_are_its_own_and_broader_ones() -> None:
    taxonomy = city("Karate Club")
    terms = set(taxonomy.starter_terms_of(1))
    assert {"judo", "artes marciales", "sports", "deportes", "athletics"} <= terms
    assert "fútbol" not in terms  # a sibling under sports, not this topic's word


def test_the_citys_word_inside_an_uncovered_starter_phrase_wins() -> None:
    taxonomy = city("Trades Hub", synonyms=((1, "pipefitting"),))
    plan = make_plan(SearchQuery(text="pipefitting classes"), taxonomy)
    assert plan.topic_names == ("Trades Hub",)
    covered = city("Plumbing Basics", "Trades Hub", synonyms=((2, "plumber"),))
    assert make_plan(SearchQuery(text="plumber"), covered).topic_names == ("Trades Hub",)
