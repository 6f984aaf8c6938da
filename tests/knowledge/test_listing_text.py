"""A listing reads in the learner's language where an organiser translated it, else as written."""

from __future__ import annotations

from knowledge.listing_text import listing_description, listing_title
from knowledge.locales import SOURCE_LANGUAGE, supported_codes
from knowledge.models import Opportunity, OpportunityTranslation

OTHER = next(code for code in supported_codes() if code != SOURCE_LANGUAGE)


def _listing(*translations: OpportunityTranslation) -> Opportunity:
    """A listing written in the source language, with the given translations."""
    return Opportunity(
        title="Chess Club",
        description="Learn openings.",
        translations=list(translations),
    )


def _in_other(
    title: str = "Club de ajedrez", description: str = "Aprende aperturas."
) -> Opportunity:
    return _listing(OpportunityTranslation(language=OTHER, title=title, description=description))


def test_a_translated_listing_shows_its_translation() -> None:
    listing = _in_other()
    assert listing_title(listing, OTHER) == "Club de ajedrez"
    assert listing_description(listing, OTHER) == ("Aprende aperturas.", True)


def test_a_regional_tag_finds_the_translation() -> None:
    listing = _in_other()
    assert listing_title(listing, f"{OTHER.upper()}-MX") == "Club de ajedrez"


def test_an_untranslated_listing_shows_the_original_and_says_so() -> None:
    listing = _listing()
    assert listing_title(listing, OTHER) == "Chess Club"
    assert listing_description(listing, OTHER) == ("Learn openings.", False)


def test_the_source_language_reads_the_original() -> None:
    listing = _in_other()
    assert listing_title(listing, SOURCE_LANGUAGE) == "Chess Club"
    assert listing_description(listing, SOURCE_LANGUAGE) == ("Learn openings.", True)


def test_no_language_or_an_unsupported_one_reads_the_original() -> None:
    listing = _in_other()
    assert listing_title(listing, None) == "Chess Club"
    assert listing_description(listing, "xx") == ("Learn openings.", True)


def test_an_empty_translated_description_falls_back_to_the_original() -> None:
    listing = _in_other(description="")
    assert listing_title(listing, OTHER) == "Club de ajedrez"
    assert listing_description(listing, OTHER) == ("Learn openings.", False)
