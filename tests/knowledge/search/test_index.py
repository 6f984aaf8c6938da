"""The derived search columns: filled on every write, identically by the pure functions."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import delete, select

from knowledge.bulk.opportunities import create_opportunities
from knowledge.history import Actor
from knowledge.models import Opportunity, SearchEntry
from knowledge.search.index import (
    place_for,
    search_text_for,
    split_search_text,
    write_search_entries,
)
from knowledge.text import lemmas, words
from knowledge.writes import (
    get_or_create_credential,
    get_or_create_provider,
    upsert_opportunity,
)
from tests.knowledge.search.conftest import CENTRE, Directory

ACTOR = Actor(name="test", source="cli")


def test_search_text_is_lemmas_with_the_title_first() -> None:
    text = search_text_for("Saturday Coding Clubs", ["game design"], "Kids build games.", "Library")
    assert text == " saturday code club | game design kid build game library "
    assert split_search_text(text) == (
        {"saturday", "code", "club"},
        {"saturday", "code", "club", "game", "design", "kid", "build", "library"},
    )


def test_search_text_ends_with_the_names_of_the_credentials_awarded() -> None:
    text = search_text_for("Warehouse Day", ["logistics"], None, "Depot", ["Forklift Certificate"])
    assert text == " warehouse day | logistic depot forklift certificate "


def test_writes_put_awarded_credentials_in_the_search_text(directory: Directory) -> None:
    badges = [
        get_or_create_credential(directory.session, name, "badge", ACTOR)
        for name in ("Zebra Badge", "Kiln Badge")
    ]
    listing = directory.listing("Clay", topics=("art",), description="Pots.", awards=badges)
    expected = search_text_for(
        "Clay", ["art"], "Pots.", "Test Library", ["Kiln Badge", "Zebra Badge"]
    )
    assert listing.search_text == expected
    provider = get_or_create_provider(directory.session, "Test Library", ACTOR)
    (new_id,) = create_opportunities(
        directory.session,
        [{"title": "Clay", "description": "Pots.", "provider": provider,
          "topics": [directory.topic("art")], "awards": badges, "status": "active"}],
        ACTOR,
    )  # fmt: skip
    bulk = directory.session.get(Opportunity, new_id)
    assert bulk is not None and bulk.search_text == expected


def test_search_text_drops_stop_words_and_punctuation() -> None:
    assert search_text_for("The Art of It!", [], None, None) == " art | "


def test_place_is_the_first_physical_location() -> None:
    virtual = SimpleNamespace(
        location_type="virtual", latitude=None, longitude=None, neighbourhood_id=None
    )
    first = SimpleNamespace(
        location_type="physical", latitude=41.5, longitude=-81.7, neighbourhood_id=3
    )
    second = SimpleNamespace(
        location_type="physical", latitude=41.6, longitude=-81.6, neighbourhood_id=4
    )
    assert place_for([virtual, first, second]) == (41.5, -81.7, 3)
    assert place_for([virtual]) == (None, None, None)


def test_writes_fill_the_derived_columns_as_the_pure_functions_would(directory: Directory) -> None:
    riverside = directory.place("Riverside", *CENTRE)
    listing = directory.listing(
        "Robot Club", topics=("robotics",), description="Build robots.", neighbourhood=riverside
    )
    assert (listing.latitude, listing.longitude, listing.neighbourhood_id) == (
        CENTRE[0],
        CENTRE[1],
        riverside.id,
    )
    assert listing.search_text == search_text_for(
        "Robot Club", ["robotics"], "Build robots.", "Test Library"
    )


def test_an_update_rebuilds_the_search_text(directory: Directory) -> None:
    listing = directory.listing("Code Club")
    upsert_opportunity(directory.session, {"title": "Chess Club"}, ACTOR, existing=listing)
    assert split_search_text(listing.search_text)[0] == {"chess", "club"}
    assert directory.titles("chess") == ["Chess Club"]


def test_words_fold_case_accents_and_joiners() -> None:
    assert words("Hip-Hop en Español, 3-D printing & I.T.") == [
        "hip", "hop", "en", "espanol", "3d", "printing", "it",
    ]  # fmt: skip
    assert lemmas("classes drawings coding") == ["class", "drawing", "code"]


def entries(directory: Directory) -> set[tuple[object, ...]]:
    """The search index as comparable tuples (without row ids)."""
    rows = directory.session.execute(
        select(SearchEntry.opportunity_id, SearchEntry.topic_id, SearchEntry.min_age)
    )
    return {tuple(row) for row in rows}


def test_the_search_index_follows_every_write(directory: Directory) -> None:
    coding, art = directory.topic("coding"), directory.topic("art")
    listing = directory.listing("Pixel Club", topics=("coding", "art"), min_age=9)
    assert entries(directory) == {
        (listing.id, coding.id, 9),
        (listing.id, art.id, 9),
        (listing.id, None, 9),
    }
    upsert_opportunity(directory.session, {"topics": [art], "min_age": 10}, ACTOR, existing=listing)
    assert entries(directory) == {(listing.id, art.id, 10), (listing.id, None, 10)}
    upsert_opportunity(directory.session, {"status": "inactive"}, ACTOR, existing=listing)
    assert entries(directory) == set()
    assert directory.titles("art") == []


def test_rebuilding_the_whole_index_gives_what_writes_gave(directory: Directory) -> None:
    directory.listing("One", topics=("coding", "art"), min_age=9)
    directory.listing("Two", topics=("chess",), max_age=12)
    directory.listing("Closed", topics=("chess",), status="defunct")
    written = entries(directory)
    write_search_entries(directory.session)
    assert entries(directory) == written and len(written) == 5


def test_search_still_works_from_the_listings_when_the_index_is_empty(
    directory: Directory,
) -> None:
    directory.listing("Code Club", min_age=8, max_age=12)
    directory.listing("Teen Code", min_age=13)
    directory.session.execute(delete(SearchEntry))
    assert directory.titles("coding", age=10) == ["Code Club"]


def test_bulk_created_listings_are_indexed(directory: Directory) -> None:
    topic = directory.topic("chess")
    provider = get_or_create_provider(directory.session, "Chess Hall", ACTOR)
    (new_id,) = create_opportunities(
        directory.session,
        [{"title": "Blitz Night", "description": "Fast games.", "provider": provider,
          "topics": [topic], "format": "online", "status": "active"}],
        ACTOR,
    )  # fmt: skip
    assert entries(directory) == {(new_id, topic.id, None), (new_id, None, None)}
    assert directory.titles("chess") == ["Blitz Night"]
