"""Language tags of the languages listings are taught in, and their names: the one place that
turns a code into a name, from the langcodes and language-data packages (IANA's registry and
CLDR's names, shipped inside the wheels), so Hmong (hmn), American Sign Language (ase),
Traditional Chinese (zh-Hant) and Latin-American Spanish (es-419) are as welcome as en or es."""

from __future__ import annotations

from functools import lru_cache

import langcodes

from knowledge.locales import SOURCE_LANGUAGE

MAX_TAG_LENGTH = 35  # the longest tag a column holds (opportunity_translation.language)
# Tags that name no language a class is taught in: undetermined, no linguistic content.
_NOT_LANGUAGES = frozenset({"und", "zxx"})
EXAMPLES = "en, es, hmn (Hmong), ase (American Sign Language), zh-Hant, es-419"


class LanguageCodeError(ValueError):
    """Text that is not a language tag; the message says what to write instead."""


@lru_cache(maxsize=4096)  # a spreadsheet repeats a few tags; chat brings any text
def canonical_tag(value: str) -> str:
    """A BCP 47 language tag in its standard form: 'ES_419' → 'es-419', 'spa' → 'es',
    'sgn-US' → 'ase'; ISO 639-1, ISO 639-3 and tags with script or region are all accepted."""
    written = value.strip().replace("_", "-")
    refusal = f"{value!r} is not a language code; {_suggestion(written)}"
    try:
        tag = langcodes.standardize_tag(written)
    except ValueError:  # langcodes.tag_parser.LanguageTagError
        raise LanguageCodeError(refusal) from None
    language = langcodes.Language.get(tag)
    if not language.is_valid() or not language.language or tag.startswith("x-"):
        raise LanguageCodeError(refusal)
    if language.language in _NOT_LANGUAGES:
        raise LanguageCodeError(f"{value!r} names no language; write one such as {EXAMPLES}")
    if len(tag) > MAX_TAG_LENGTH:
        raise LanguageCodeError(f"{value!r} is longer than {MAX_TAG_LENGTH} characters")
    return tag


def _suggestion(written: str) -> str:
    """'write es for Spanish' when the text is a language's name, else examples of tags."""
    examples = f"write a BCP 47 tag such as {EXAMPLES}"
    if len(written) < 4 or not written.replace(" ", "").isalpha():  # too short to be a name
        return examples
    try:
        found = langcodes.find(written)
    except LookupError:
        return examples
    tag = found.to_tag()
    return f"write {tag} for {found.display_name()}"


def primary_language(tag: str) -> str:
    """The language subtag of a tag ('es-419' → 'es', 'zh-Hant' → 'zh'), to match a learner's
    'Spanish' to a class taught in Latin-American Spanish."""
    return tag.split("-", 1)[0].lower()


@lru_cache(maxsize=4096)
def language_name(code: str, in_language: str = SOURCE_LANGUAGE) -> str:
    """The name of a language in another one, for display: ('hmn') → 'Hmong',
    ('ase') → 'American Sign Language', ('es', 'es') → 'español'; text that is no language tag
    is shown as it is."""
    try:
        tag = canonical_tag(code)
    except LanguageCodeError:
        return code
    return str(langcodes.Language.get(tag).display_name(in_language))
