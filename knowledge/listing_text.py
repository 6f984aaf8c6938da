"""A listing's title and description in the language a learner chats in: its translation when an
organiser wrote one, else the text the provider wrote, and whether it is in the asked language so
a reply can say "(in English)" beside the original."""

from __future__ import annotations

from knowledge.locales import SOURCE_LANGUAGE, supported
from knowledge.models import Opportunity, OpportunityTranslation


def translation(opportunity: Opportunity, language: str | None) -> OpportunityTranslation | None:
    """The listing's translation into the language a tag names ('es-MX' → es), if it has one."""
    wanted = supported(language)
    if wanted is None or wanted == SOURCE_LANGUAGE:  # the listing's own text: load nothing
        return None
    for found in opportunity.translations:
        if found.language == wanted:
            return found
    return None


def listing_title(opportunity: Opportunity, language: str | None) -> str:
    """The title in that language where the listing has it, else the original title."""
    found = translation(opportunity, language)
    return found.title if found is not None and found.title else opportunity.title


def listing_description(opportunity: Opportunity, language: str | None) -> tuple[str, bool]:
    """The description in that language where the listing has it, else the original; the flag
    says whether the text is in the asked language, so a reply adds a short note when it is not."""
    found = translation(opportunity, language)
    if found is not None and found.description:
        return found.description, True
    return opportunity.description, _written_in(language)


def _written_in(language: str | None) -> bool:
    """Whether a listing's own text is in that language: providers write in the source language
    (the spreadsheet's and HSDS's title and description columns)."""
    return (supported(language) or SOURCE_LANGUAGE) == SOURCE_LANGUAGE
