"""Numbers and dates in a learner's words, beyond knowledge/search/formats.py: words that agree
with a number ("1 program exists", "3 programs exist"; "hay 1 programa"), distances and dates in
a pattern of the words book. Plurals work for any language: the words book holds one text per
CLDR plural category (`<key>_one`, `<key>_other`, `<key>_many`…) and Babel's plural rules of
the learner's locale pick one."""

from __future__ import annotations

from functools import cache
from typing import Any

from knowledge.locales import SOURCE_LANGUAGE, LocaleError, book
from knowledge.search.formats import WORDS, Voice

OTHER = "other"  # the category every language has: the fallback when a book lacks the exact one


def counted(voice: Voice, key: str, count: int, **values: Any) -> str:
    """The text of `key` for `count` in the learner's language, with {count} and `values` filled
    in; a language that lacks the key falls back to the source language's text."""
    for language, locale in ((voice.code, voice.locale), (SOURCE_LANGUAGE, SOURCE_LANGUAGE)):
        words = book(language, WORDS)
        for category in (plural_category(locale, count), OTHER):
            found = words.get(f"{key}_{category}")
            if found is not None:
                return str(found).format(count=count, **values)
    raise LocaleError(f"locales/{SOURCE_LANGUAGE}/{WORDS}.yml has no text {key}_{OTHER}")


def plural_category(locale: str, count: int) -> str:
    """CLDR's plural category of a number in a locale ('one', 'few', 'many', 'other')."""
    return str(_rule(locale)(count))


@cache
def _rule(locale: str) -> Any:
    """Babel's plural rule of a locale (a callable from a number to its category)."""
    from babel import Locale

    return Locale.parse(locale).plural_form


def one_decimal(value: float, voice: Voice) -> str:
    """'7.0' (a distance in km); '7,0' where the locale writes a decimal comma."""
    if voice.is_source:
        return f"{value:.1f}"  # the source language's replies are pinned
    from babel.numbers import format_decimal

    return str(format_decimal(round(value, 1), "0.0", locale=voice.locale))
