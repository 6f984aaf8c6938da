"""Writing a listing's translations (its title and description in the other languages learners
chat in), the same way from the spreadsheet, HSDS and the provider API: each changed text is
recorded in the history as `title_<code>` / `description_<code>`, and the listing's version moves
on, so an older export or an API client holding the old version cannot undo it unseen."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from knowledge.history import Actor, record_change
from knowledge.listing_fields import FieldError, parse_text, parse_translation_language
from knowledge.models import Opportunity, OpportunityTranslation, utcnow
from knowledge.search.index import refresh_search_fields


@dataclass(frozen=True)
class TranslatedText:
    """A listing's title and description in one language; either may be empty (the reply then
    shows the original for that part)."""

    title: str = ""
    description: str = ""

    def __bool__(self) -> bool:
        return bool(self.title or self.description)


def parse_translation(language: str, title: str | None, description: str | None) -> TranslatedText:
    """A translation checked by the listing fields' rules: a language learners chat in, a title
    that fits the title's column; raises FieldError naming the part that is wrong."""
    parse_translation_language(language)
    title = (title or "").strip()
    try:
        parse_text("title", title)
    except FieldError as error:
        raise FieldError(f"title: {error}") from None
    return TranslatedText(title, (description or "").strip())


def differs(
    given: Mapping[str, TranslatedText | None], stored: Mapping[str, TranslatedText]
) -> bool:
    """Whether setting `given` would change translations stored as `stored`."""
    return any(
        (wanted or TranslatedText()) != stored.get(code, TranslatedText())
        for code, wanted in given.items()
    )


def translations_of(opportunity: Opportunity) -> dict[str, TranslatedText]:
    """The listing's translations by language code."""
    return {
        found.language: TranslatedText(found.title, found.description)
        for found in opportunity.translations
    }


def update_translations(
    session: Session,
    opportunity: Opportunity,
    given: Mapping[str, TranslatedText | None],
    actor: Actor,
    *,
    new_version: bool = True,
) -> bool:
    """Set the translations `given` (an empty one or None removes that language's); languages not
    given are left alone. Returns whether anything changed. `new_version`: a change moves the
    listing to its next version (not for a listing created in the same write)."""
    current = {found.language: found for found in opportunity.translations}
    changed = False
    for language, wanted in given.items():
        found = current.get(language)
        before = TranslatedText(found.title, found.description) if found else TranslatedText()
        after = wanted or TranslatedText()
        if before == after:
            continue
        changed = True
        for part in ("title", "description"):
            old, new = getattr(before, part), getattr(after, part)
            if old != new:
                record_change(
                    session, opportunity, f"{part}_{language}", old or None, new or None, actor
                )
        if not after:
            opportunity.translations.remove(found)  # type: ignore[arg-type]
        elif found is None:
            opportunity.translations.append(
                OpportunityTranslation(
                    language=language, title=after.title, description=after.description
                )
            )
        else:
            found.title, found.description = after.title, after.description
    if changed and new_version:
        opportunity.modified_at = utcnow()  # an update: API clients and exports see it
    if changed:
        refresh_search_fields(opportunity)
    return changed
